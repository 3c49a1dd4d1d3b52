"""Fordern: the integration interview of a case and the measures agreed, with their follow-up.

Revision ID: fordern_0002_interviews_measures
Revises: fordern_0001_cases
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = "fordern_0002_interviews_measures"
down_revision = "fordern_0001_cases"
branch_labels = None
depends_on = None

KINDS = "'language_course', 'work', 'education', 'childcare', 'counselling', 'health', 'other'"
LEVELS = "'A1', 'A2', 'B1', 'B2', 'C1'"


def _tenant_column():
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False)


def _case_fk(table):
    return sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["fordern_cases.tenant_id", "fordern_cases.id"],
                                   name=op.f(f"fk_{table}_tenant_id_fordern_cases"))


def upgrade():
    op.create_table(
        "fordern_interviews",
        _tenant_column(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("interpreter_language", sa.String(8), nullable=True),
        sa.Column("letter_language", sa.String(8), nullable=False),
        sa.Column("invited_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("person_view", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _case_fk("fordern_interviews"),
        sa.PrimaryKeyConstraint("tenant_id", "case_id", name=op.f("pk_fordern_interviews")),
    )
    op.create_table(
        "fordern_measures",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("level", sa.String(5), nullable=True),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("offer_tenant_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("offer_label", sa.String(400), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=True),
        sa.Column("result", sa.String(20), nullable=True),
        sa.Column("result_on", sa.Date(), nullable=True),
        sa.Column("result_note", sa.Text(), nullable=False),
        sa.Column("result_by", sa.String(200), nullable=True),
        sa.Column("referral_outcome", sa.String(20), nullable=True),
        sa.Column("referral_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        _case_fk("fordern_measures"),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_fordern_measures_kind")),
        sa.CheckConstraint(f"level IS NULL OR (kind = 'language_course' AND level IN ({LEVELS}))",
                           name=op.f("ck_fordern_measures_level")),
        sa.CheckConstraint("result IS NULL OR result IN ('met', 'partly_met', 'not_met')",
                           name=op.f("ck_fordern_measures_result")),
        sa.CheckConstraint("(result IS NULL) = (result_on IS NULL)", name=op.f("ck_fordern_measures_result_on")),
        sa.CheckConstraint("(offer_id IS NULL) = (offer_tenant_id IS NULL)", name=op.f("ck_fordern_measures_offer")),
        sa.CheckConstraint("referral_outcome IS NULL OR referral_outcome IN ('completed', 'dropped_out')",
                           name=op.f("ck_fordern_measures_referral_outcome")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_fordern_measures")),
    )
    op.create_index("ix_fordern_measures_case", "fordern_measures", ["tenant_id", "case_id"])
    op.create_index("ix_fordern_measures_offer", "fordern_measures", ["tenant_id", "offer_tenant_id", "offer_id"])
    for table in ("fordern_interviews", "fordern_measures"):
        rls.protect(op, table)


def downgrade():
    op.drop_table("fordern_measures")
    op.drop_table("fordern_interviews")
