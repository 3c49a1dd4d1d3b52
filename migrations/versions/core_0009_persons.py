"""The person belongs to the platform: core's persons table (Informieren moves its newcomers' identity here).

Revision ID: core_0009_persons
Revises: core_0008_worklist
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0009_persons'
down_revision = 'core_0008_worklist'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('persons',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('official_name', sa.String(length=100), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('date_of_birth', sa.String(length=10), nullable=True),
    sa.Column('nationalities', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('municipality_bfs', sa.Integer(), nullable=False),
    sa.Column('street', sa.String(length=150), nullable=True),
    sa.Column('house_number', sa.String(length=30), nullable=True),
    sa.Column('postal_code', sa.String(length=15), nullable=True),
    sa.Column('town', sa.String(length=100), nullable=True),
    sa.Column('household_key', sa.String(length=100), nullable=True),
    sa.Column('local_person_id', sa.String(length=80), nullable=True),
    sa.Column('vn', sa.String(length=13), nullable=True),
    sa.Column('search_name', sa.String(length=400), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('anonymised_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['municipality_bfs'], ['municipalities.bfs_number'], name=op.f('fk_persons_municipality_bfs_municipalities')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_persons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_persons'))
    )
    op.create_index('uq_persons_local_id', 'persons', ['tenant_id', 'municipality_bfs', 'local_person_id'], unique=True,
                    sqlite_where=sa.text('local_person_id IS NOT NULL'), postgresql_where=sa.text('local_person_id IS NOT NULL'))
    op.create_index('uq_persons_vn', 'persons', ['tenant_id', 'vn'], unique=True,
                    sqlite_where=sa.text('vn IS NOT NULL'), postgresql_where=sa.text('vn IS NOT NULL'))
    op.create_index('ix_persons_household', 'persons', ['tenant_id', 'household_key'])
    op.create_index('ix_persons_birth', 'persons', ['tenant_id', 'date_of_birth'])
    rls.protect(op, 'persons')


def downgrade():
    op.drop_table('persons')
