"""The example module's table.

Revision ID: example_notes_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from core import rls

revision = "example_notes_0001"
down_revision = None
branch_labels = ("example_notes",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "example_notes",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_example_notes"),
    )
    rls.protect(op, "example_notes")


def downgrade():
    op.drop_table("example_notes")
