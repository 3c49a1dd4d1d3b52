"""Release 2.0: notes about core's persons (date, author, fee, source, state at the canton); office hours.

Release 1.0 kept free-standing notes, a text per tenant.  A 2.0 note is about a person, and there
is no telling whom an old note was about: rather than guess or drop them, the upgrade stops while
any are left (give each a person by hand, or delete it, then upgrade).  The table being empty,
2.0's is created whole instead of altered column by column.

Revision ID: example_notes_0002
Revises: example_notes_0001
"""

import sqlalchemy as sa
from alembic import op

import core.content_languages
import core.db
import core.money
from core import rls

revision = "example_notes_0002"
down_revision = "example_notes_0001"
branch_labels = None
depends_on = "core_0009_persons"  # core's persons table


def _notes() -> int:
    rls.data_migration(op)  # the owner is bound by row-level security too: count every tenant's notes
    return op.get_bind().scalar(sa.text("SELECT count(*) FROM example_notes"))


def upgrade():
    left = _notes()
    if left:
        raise RuntimeError(f"example_notes 2.0 keeps notes about persons: give each of the {left} free-standing "
                           "notes of 1.0 a person, or delete it, then upgrade")
    op.drop_table("example_notes")
    op.create_table(
        "example_notes",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("written_by", sa.String(200), nullable=False),
        sa.Column("fee", core.money.Money(), nullable=False),  # brings its own check: whole Rappen, not negative
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("submission_state", sa.String(20), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"],
                                name=op.f("fk_example_notes_tenant_id_persons")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_example_notes")),
    )
    op.create_index("ix_example_notes_person", "example_notes", ["tenant_id", "person_id"])
    op.create_table(
        "example_notes_hours",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(5), nullable=False),
        sa.Column("closes", sa.String(5), nullable=False),
        sa.Column("place", core.content_languages.TranslatedText(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_example_notes_hours_weekday")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_example_notes_hours")),
    )
    for table in ("example_notes", "example_notes_hours"):
        rls.protect(op, table)


def downgrade():
    if _notes():
        raise RuntimeError("example_notes 1.0 keeps no notes about persons: delete them first")
    op.drop_table("example_notes_hours")
    op.drop_table("example_notes")
    op.create_table(
        "example_notes",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_example_notes"),
    )
    rls.protect(op, "example_notes")
