"""The escalation to the canton: the canton's legal bases, reviews and deadlines; the commune's outcomes.

Revision ID: fordern_0003_escalation
Revises: fordern_0002_interviews_measures
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = "fordern_0003_escalation"
down_revision = "fordern_0002_interviews_measures"
branch_labels = None
depends_on = None

DECISIONS = "'agreement_concluded', 'recommendation_issued', 'returned'"
TABLES = ("fordern_legal_bases", "fordern_reviews", "fordern_review_deadlines", "fordern_case_outcomes")


def _tenant_column():
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False)


def _stamp(name: str):
    return sa.Column(name, core.db.UTCDateTime(timezone=True), nullable=False)


def upgrade():
    op.create_table(
        "fordern_legal_bases",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("short", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _stamp("updated_at"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_fordern_legal_bases_validity")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_fordern_legal_bases")),
    )
    op.create_index("ix_fordern_legal_bases_validity", "fordern_legal_bases", ["tenant_id", "valid_from"])
    op.create_table(
        "fordern_reviews",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("commune_tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("nationality", sa.String(12), nullable=False),
        sa.Column("permit", sa.String(10), nullable=False),
        sa.Column("refugee", sa.Boolean(), nullable=False),
        sa.Column("status_rule", sa.String(30), nullable=False),
        sa.Column("legal_basis_id", sa.Uuid(), nullable=True),
        sa.Column("decision_day", sa.Date(), nullable=True),
        sa.Column("commune_agrees", sa.Boolean(), nullable=True),
        sa.Column("commune_note", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("agreement_allowed", sa.Boolean(), nullable=True),
        sa.Column("checked_by", sa.String(200), nullable=True),
        sa.Column("checked_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("commune_signatory", sa.String(200), nullable=False),
        sa.Column("canton_signatory", sa.String(200), nullable=False),
        sa.Column("aid_language", sa.String(10), nullable=False),
        sa.Column("aid_text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(30), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(["tenant_id", "legal_basis_id"],
                                ["fordern_legal_bases.tenant_id", "fordern_legal_bases.id"],
                                name=op.f("fk_fordern_reviews_tenant_id_fordern_legal_bases")),
        sa.UniqueConstraint("tenant_id", "submission_id", name="uq_fordern_reviews_submission"),
        sa.CheckConstraint("kind IS NULL OR kind IN ('agreement', 'recommendation')",
                           name=op.f("ck_fordern_reviews_kind")),
        sa.CheckConstraint(f"decision IS NULL OR decision IN ({DECISIONS})", name=op.f("ck_fordern_reviews_decision")),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('fulfilled', 'partly_fulfilled', 'not_fulfilled')",
                           name=op.f("ck_fordern_reviews_outcome")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_fordern_reviews")),
    )
    op.create_table(
        "fordern_review_deadlines",
        _tenant_column(),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("outcome_by", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id", "review_id"], ["fordern_reviews.tenant_id", "fordern_reviews.id"],
                                name=op.f("fk_fordern_review_deadlines_tenant_id_fordern_reviews")),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('met', 'partly_met', 'not_met')",
                           name=op.f("ck_fordern_review_deadlines_outcome")),
        sa.PrimaryKeyConstraint("tenant_id", "review_id", "seq", name=op.f("pk_fordern_review_deadlines")),
    )
    op.create_index("ix_fordern_review_deadlines_due", "fordern_review_deadlines", ["tenant_id", "due_on"])
    op.create_table(
        "fordern_case_outcomes",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(30), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attachment_id", sa.Uuid(), nullable=True),
        _stamp("recorded_at"),
        sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["fordern_cases.tenant_id", "fordern_cases.id"],
                                name=op.f("fk_fordern_case_outcomes_tenant_id_fordern_cases")),
        sa.CheckConstraint(f"decision IN ({DECISIONS})", name=op.f("ck_fordern_case_outcomes_decision")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_fordern_case_outcomes")),
    )
    op.create_index("ix_fordern_case_outcomes_case", "fordern_case_outcomes", ["tenant_id", "case_id"])
    for table in TABLES:
        rls.protect(op, table)


def downgrade():
    for table in reversed(TABLES):
        op.drop_table(table)
