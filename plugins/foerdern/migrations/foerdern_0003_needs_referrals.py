"""Fördern's needs and referrals: the needs of persons, their referrals to offers and each referral's steps.

Revision ID: foerdern_0003_needs_referrals
Revises: foerdern_0002_published
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = "foerdern_0003_needs_referrals"
down_revision = "foerdern_0002_published"
branch_labels = None
depends_on = None


def _tenant_column():
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False)


def _stamps():
    return [sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column("created_by", sa.String(200), nullable=False),
            sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table(
        "foerdern_needs",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("level", sa.String(5), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("suggested", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("interview_id", sa.Uuid(), nullable=True),
        sa.Column("interview_line", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("state_on", sa.Date(), nullable=False),
        sa.Column("state_by", sa.String(200), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"],
                                name=op.f("fk_foerdern_needs_tenant_id_persons")),
        sa.CheckConstraint("category IN ('language', 'childcare', 'work', 'housing', 'health', 'education', "
                           "'social', 'other')", name=op.f("ck_foerdern_needs_category")),
        sa.CheckConstraint("level IS NULL OR (category = 'language' AND level IN ('alpha', 'A1', 'A2', 'B1', 'B2', "
                           "'C1', 'C2'))", name=op.f("ck_foerdern_needs_level")),
        sa.CheckConstraint("source IN ('direct', 'interview')", name=op.f("ck_foerdern_needs_source")),
        sa.CheckConstraint("state IN ('open', 'met', 'withdrawn')", name=op.f("ck_foerdern_needs_state")),
        sa.CheckConstraint("(source = 'interview') = (interview_id IS NOT NULL)",
                           name=op.f("ck_foerdern_needs_interview")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_foerdern_needs")),
    )
    op.create_index("ix_foerdern_needs_person", "foerdern_needs", ["tenant_id", "person_id"])
    op.create_index("uq_foerdern_needs_interview_line", "foerdern_needs", ["tenant_id", "interview_id", "interview_line"],
                    unique=True, sqlite_where=sa.text("interview_id IS NOT NULL"),
                    postgresql_where=sa.text("interview_id IS NOT NULL"))
    op.create_table(
        "foerdern_referrals",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=True),
        sa.Column("offer_tenant_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("offer_title", sa.JSON(), nullable=False),
        sa.Column("offer_kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("state_on", sa.Date(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"],
                                name=op.f("fk_foerdern_referrals_tenant_id_persons")),
        sa.ForeignKeyConstraint(["tenant_id", "need_id"], ["foerdern_needs.tenant_id", "foerdern_needs.id"],
                                name=op.f("fk_foerdern_referrals_tenant_id_foerdern_needs")),
        sa.CheckConstraint("state IN ('proposed', 'registered', 'attending', 'completed', 'dropped_out')",
                           name=op.f("ck_foerdern_referrals_state")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_foerdern_referrals")),
    )
    op.create_index("ix_foerdern_referrals_person", "foerdern_referrals", ["tenant_id", "person_id"])
    op.create_index("ix_foerdern_referrals_state", "foerdern_referrals", ["tenant_id", "state", "state_on"])
    op.create_table(
        "foerdern_referral_steps",
        _tenant_column(),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "referral_id"], ["foerdern_referrals.tenant_id", "foerdern_referrals.id"],
                                name=op.f("fk_foerdern_referral_steps_tenant_id_foerdern_referrals")),
        sa.CheckConstraint("state IN ('proposed', 'registered', 'attending', 'completed', 'dropped_out')",
                           name=op.f("ck_foerdern_referral_steps_state")),
        sa.PrimaryKeyConstraint("tenant_id", "referral_id", "seq", name=op.f("pk_foerdern_referral_steps")),
    )
    for table in ("foerdern_needs", "foerdern_referrals", "foerdern_referral_steps"):
        rls.protect(op, table)


def downgrade():
    op.drop_table("foerdern_referral_steps")
    op.drop_table("foerdern_referrals")
    op.drop_table("foerdern_needs")
