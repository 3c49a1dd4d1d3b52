"""Core tables: tenants, reference communes, module activations, settings, audit log.

Revision ID: core_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0001'
down_revision = None
branch_labels = ('core',)
depends_on = None


def upgrade():
    rls.create_app_role(op)
    op.create_table('municipalities',
    sa.Column('bfs_number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=100), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('successor_bfs_number', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['successor_bfs_number'], ['municipalities.bfs_number'], name=op.f('fk_municipalities_successor_bfs_number_municipalities')),
    sa.PrimaryKeyConstraint('bfs_number', name=op.f('pk_municipalities'))
    )
    op.create_table('tenants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('canton', 'commune', 'region')", name=op.f('ck_tenants_kind')),
    sa.CheckConstraint("state IN ('active', 'archived')", name=op.f('ck_tenants_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants')),
    sa.UniqueConstraint('slug', name=op.f('uq_tenants_slug'))
    )
    op.create_table('audit_events',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('object_type', sa.String(length=100), nullable=True),
    sa.Column('object_id', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_events_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('module_activations',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=63), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('installed_version', sa.String(length=20), nullable=True),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('entitled', 'scheduled', 'active', 'suspended')", name=op.f('ck_module_activations_state')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_module_activations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'module_id', name=op.f('pk_module_activations'))
    )
    op.create_table('tenant_municipalities',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('bfs_number', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['bfs_number'], ['municipalities.bfs_number'], name=op.f('fk_tenant_municipalities_bfs_number_municipalities')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tenant_municipalities_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'bfs_number', 'valid_from', name=op.f('pk_tenant_municipalities'))
    )
    op.create_table('tenant_settings',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tenant_settings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'key', name=op.f('pk_tenant_settings'))
    )
    for table in ("audit_events", "module_activations", "tenant_municipalities", "tenant_settings"):
        rls.protect(op, table)


def downgrade():
    op.drop_table('tenant_settings')
    op.drop_table('tenant_municipalities')
    op.drop_table('module_activations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('tenants')
    op.drop_table('municipalities')
