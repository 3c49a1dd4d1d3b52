"""Server-side sessions: a login's row, which logout and a removed membership delete.

Not tenant-owned (a user's session spans their tenants), so no row-level security; the
application role gets the table through the default privileges of core_0002.

Revision ID: core_0013_sessions
Revises: core_0012_settings_roles
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = 'core_0013_sessions'
down_revision = 'core_0012_settings_roles'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_created_at", "user_sessions", ["created_at"])


def downgrade():
    op.drop_table("user_sessions")
