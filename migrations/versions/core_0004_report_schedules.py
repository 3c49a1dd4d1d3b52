"""Report schedules.

Revision ID: core_0004
Revises: core_0003
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_schedules',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('frequency', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_period', sa.String(length=30), nullable=True),
    sa.CheckConstraint("frequency IN ('monthly', 'yearly')", name=op.f('ck_report_schedules_frequency')),
    sa.CheckConstraint("scope IN ('tenant', 'canton')", name=op.f('ck_report_schedules_scope')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_report_schedules_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_report_schedules'))
    )
    rls.protect(op, "report_schedules")


def downgrade():
    op.drop_table('report_schedules')
