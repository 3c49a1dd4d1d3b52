"""Submissions from communes to the canton: the submissions, their versions and history, the number series.

The three submission tables are readable in the canton's scope (a second, SELECT-only
policy); the counters belong to the canton's tenant like any tenant-owned row.

Revision ID: core_0011_submissions
Revises: core_0010_attachments
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0011_submissions'
down_revision = 'core_0010_attachments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_counters',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=4), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_submission_counters_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'prefix', 'year', name=op.f('pk_submission_counters'))
    )
    op.create_table('submissions',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('submitted', 'in_review', 'accepted', 'returned', 'withdrawn')", name=op.f('ck_submissions_state')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_submissions_version')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_submissions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('tenant_id', 'number', name='uq_submissions_number')
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index('ix_submissions_number', ['number'], unique=False)
        batch_op.create_index('ix_submissions_open_object', ['tenant_id', 'kind', 'object_id'], unique=True, sqlite_where=sa.text("state IN ('submitted', 'in_review', 'returned')"), postgresql_where=sa.text("state IN ('submitted', 'in_review', 'returned')"))

    op.create_table('submission_events',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('by_canton', sa.Boolean(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'submission_id'], ['submissions.tenant_id', 'submissions.id'], name=op.f('fk_submission_events_tenant_id_submissions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_submission_events_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'submission_id', 'seq', name=op.f('pk_submission_events'))
    )
    op.create_table('submission_versions',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'submission_id'], ['submissions.tenant_id', 'submissions.id'], name=op.f('fk_submission_versions_tenant_id_submissions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_submission_versions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'submission_id', 'version', name=op.f('pk_submission_versions'))
    )

    rls.protect(op, 'submission_counters')
    for table in ('submissions', 'submission_versions', 'submission_events'):
        rls.protect(op, table)
        rls.admit_canton_reads(op, table)


def downgrade():
    op.drop_table('submission_versions')
    op.drop_table('submission_events')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_open_object', sqlite_where=sa.text("state IN ('submitted', 'in_review', 'returned')"), postgresql_where=sa.text("state IN ('submitted', 'in_review', 'returned')"))
        batch_op.drop_index('ix_submissions_number')
        batch_op.drop_index(batch_op.f('ix_submissions_changed_at'))

    op.drop_table('submissions')
    op.drop_table('submission_counters')
