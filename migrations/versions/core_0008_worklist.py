"""One worklist for every module: Informieren's digest setting becomes core's.

Revision ID: core_0008_worklist
Revises: core_0007
"""

from alembic import op

from core import rls

revision = 'core_0008_worklist'
down_revision = 'core_0007'
branch_labels = None
depends_on = None


def upgrade():
    rls.data_migration(op)
    op.execute("UPDATE tenant_settings SET key = 'core.digest' WHERE key = 'informieren.digest'")


def downgrade():
    rls.data_migration(op)
    op.execute("UPDATE tenant_settings SET key = 'informieren.digest' WHERE key = 'core.digest'")
