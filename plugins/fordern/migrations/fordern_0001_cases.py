"""Fordern's first tables: the cases and the immutable history of their transitions.

Revision ID: fordern_0001_cases
Revises:
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = "fordern_0001_cases"
down_revision = None
branch_labels = ("fordern",)
depends_on = "core_0015_stored_files"

STATES = ("'opened', 'interview_scheduled', 'interview_held', 'measures_agreed', 'under_review', 'submitted', "
          "'agreement_concluded', 'recommendation_issued', 'returned', 'closed'")
OUTCOMES = "'improved', 'not_improved', 'moved_away', 'not_pursued'"


def _tenant_column():
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False)


def upgrade():
    op.create_table(
        "fordern_cases",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("state_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("anonymised_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"],
                                name=op.f("fk_fordern_cases_tenant_id_persons")),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_fordern_cases_state")),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN ({OUTCOMES})", name=op.f("ck_fordern_cases_outcome")),
        sa.CheckConstraint("(state = 'closed') = (outcome IS NOT NULL)", name=op.f("ck_fordern_cases_closed_outcome")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_fordern_cases")),
    )
    op.create_index("ix_fordern_cases_person", "fordern_cases", ["tenant_id", "person_id"])
    op.create_index("ix_fordern_cases_owner", "fordern_cases", ["tenant_id", "owner", "state"])
    op.create_table(
        "fordern_case_events",
        _tenant_column(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("from_state", sa.String(30), nullable=True),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["fordern_cases.tenant_id", "fordern_cases.id"],
                                name=op.f("fk_fordern_case_events_tenant_id_fordern_cases")),
        sa.CheckConstraint(f"from_state IS NULL OR from_state IN ({STATES})",
                           name=op.f("ck_fordern_case_events_from_state")),
        sa.CheckConstraint(f"to_state IN ({STATES})", name=op.f("ck_fordern_case_events_to_state")),
        sa.CheckConstraint("NOT (to_state IN ('closed', 'submitted', 'returned')) OR reason <> ''",
                           name=op.f("ck_fordern_case_events_reason")),
        sa.PrimaryKeyConstraint("tenant_id", "case_id", "seq", name=op.f("pk_fordern_case_events")),
    )
    for table in ("fordern_cases", "fordern_case_events"):
        rls.protect(op, table)


def downgrade():
    op.drop_table("fordern_case_events")
    op.drop_table("fordern_cases")
