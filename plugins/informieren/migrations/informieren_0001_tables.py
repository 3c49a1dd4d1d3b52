"""Informieren's tables: newcomers, imports, welcome letters, first-information interviews.

Revision ID: informieren_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'informieren_0001'
down_revision = None
branch_labels = ('informieren',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('informieren_imports',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused', sa.Text(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_imports_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_imports'))
    )
    op.create_table('informieren_letter_templates',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_letter_templates_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'language', name=op.f('pk_informieren_letter_templates'))
    )
    op.create_table('informieren_messages',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=True),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_messages_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'sha256', name=op.f('pk_informieren_messages'))
    )
    op.create_table('informieren_persons',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('official_name', sa.String(length=100), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('date_of_birth', sa.String(length=10), nullable=True),
    sa.Column('nationalities', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('arrival_date', sa.Date(), nullable=False),
    sa.Column('municipality_bfs', sa.Integer(), nullable=False),
    sa.Column('permit_category', sa.String(length=10), nullable=True),
    sa.Column('eu_efta', sa.Boolean(), nullable=True),
    sa.Column('street', sa.String(length=150), nullable=True),
    sa.Column('house_number', sa.String(length=30), nullable=True),
    sa.Column('postal_code', sa.String(length=15), nullable=True),
    sa.Column('town', sa.String(length=100), nullable=True),
    sa.Column('household_key', sa.String(length=100), nullable=True),
    sa.Column('local_person_id', sa.String(length=80), nullable=True),
    sa.Column('vn', sa.String(length=13), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_bfs'], ['municipalities.bfs_number'], name=op.f('fk_informieren_persons_municipality_bfs_municipalities')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_persons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_persons'))
    )
    with op.batch_alter_table('informieren_persons', schema=None) as batch_op:
        batch_op.create_index('ix_informieren_persons_arrival', ['tenant_id', 'arrival_date'], unique=False)
        batch_op.create_index('ix_informieren_persons_household', ['tenant_id', 'household_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_informieren_persons_stage'), ['stage'], unique=False)
        batch_op.create_index('uq_informieren_persons_local_id', ['tenant_id', 'municipality_bfs', 'local_person_id'], unique=True, sqlite_where=sa.text('local_person_id IS NOT NULL'), postgresql_where=sa.text('local_person_id IS NOT NULL'))
        batch_op.create_index('uq_informieren_persons_vn', ['tenant_id', 'vn'], unique=True, sqlite_where=sa.text('vn IS NOT NULL'), postgresql_where=sa.text('vn IS NOT NULL'))

    op.create_table('informieren_import_items',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'import_id'], ['informieren_imports.tenant_id', 'informieren_imports.id'], name=op.f('fk_informieren_import_items_tenant_id_informieren_imports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_import_items_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_import_items'))
    )
    with op.batch_alter_table('informieren_import_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_informieren_import_items_import_id'), ['import_id'], unique=False)

    op.create_table('informieren_interviews',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('invitation', sa.String(length=20), nullable=False),
    sa.Column('invited_on', sa.Date(), nullable=False),
    sa.Column('appointment_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('interpreter_language', sa.String(length=8), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('handed_over', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['informieren_persons.tenant_id', 'informieren_persons.id'], name=op.f('fk_informieren_interviews_tenant_id_informieren_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_interviews_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_interviews'))
    )
    with op.batch_alter_table('informieren_interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_informieren_interviews_person_id'), ['person_id'], unique=False)

    op.create_table('informieren_letters',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('household_key', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('generated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['informieren_persons.tenant_id', 'informieren_persons.id'], name=op.f('fk_informieren_letters_tenant_id_informieren_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_letters_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'person_id', name=op.f('pk_informieren_letters'))
    )
    op.create_table('informieren_person_changes',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['informieren_persons.tenant_id', 'informieren_persons.id'], name=op.f('fk_informieren_person_changes_tenant_id_informieren_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_person_changes_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_person_changes'))
    )
    with op.batch_alter_table('informieren_person_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_informieren_person_changes_person_id'), ['person_id'], unique=False)

    for table in (
        'informieren_persons',
        'informieren_person_changes',
        'informieren_imports',
        'informieren_import_items',
        'informieren_messages',
        'informieren_letter_templates',
        'informieren_letters',
        'informieren_interviews',
    ):
        rls.protect(op, table)


def downgrade():
    with op.batch_alter_table('informieren_person_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_informieren_person_changes_person_id'))

    op.drop_table('informieren_person_changes')
    op.drop_table('informieren_letters')
    with op.batch_alter_table('informieren_interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_informieren_interviews_person_id'))

    op.drop_table('informieren_interviews')
    with op.batch_alter_table('informieren_import_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_informieren_import_items_import_id'))

    op.drop_table('informieren_import_items')
    with op.batch_alter_table('informieren_persons', schema=None) as batch_op:
        batch_op.drop_index('uq_informieren_persons_vn', sqlite_where=sa.text('vn IS NOT NULL'), postgresql_where=sa.text('vn IS NOT NULL'))
        batch_op.drop_index('uq_informieren_persons_local_id', sqlite_where=sa.text('local_person_id IS NOT NULL'), postgresql_where=sa.text('local_person_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_informieren_persons_stage'))
        batch_op.drop_index('ix_informieren_persons_household')
        batch_op.drop_index('ix_informieren_persons_arrival')

    op.drop_table('informieren_persons')
    op.drop_table('informieren_messages')
    op.drop_table('informieren_letter_templates')
    op.drop_table('informieren_imports')
