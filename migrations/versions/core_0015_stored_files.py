"""Stored files in chunks (core.stored_files); a job's result file points at one instead of holding its bytes.

Existing result files move into one chunk each (a reader finds a chunk by its start offset, so a
first chunk larger than 1 MB reads as well as many small ones).

Revision ID: core_0015_stored_files
Revises: core_0014_sealed_scope
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0015_stored_files'
down_revision = 'core_0014_sealed_scope'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_files',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stored_files_tenant_id_tenants'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_stored_files'))
    )
    op.create_table('stored_file_chunks',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Uuid(), nullable=False),
    sa.Column('start', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'file_id'], ['stored_files.tenant_id', 'stored_files.id'],
                            name=op.f('fk_stored_file_chunks_tenant_id_stored_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_stored_file_chunks_tenant_id_tenants'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'file_id', 'start', name=op.f('pk_stored_file_chunks'))
    )
    for table in ("stored_files", "stored_file_chunks"):
        rls.protect(op, table)

    rls.data_migration(op)
    with op.batch_alter_table('job_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('size', type_=sa.BigInteger(), existing_nullable=False)
    # The result file's own id names its stored file: one statement each, whatever the number of rows.
    op.execute("INSERT INTO stored_files (tenant_id, id, size, sha256, created_at) "
               "SELECT tenant_id, id, size, '', expires_at FROM job_files")
    op.execute("INSERT INTO stored_file_chunks (tenant_id, file_id, start, data) "
               "SELECT tenant_id, id, 0, content FROM job_files WHERE size > 0")
    op.execute("UPDATE job_files SET file_id = id")
    with op.batch_alter_table('job_files', schema=None) as batch_op:
        batch_op.alter_column('file_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('content')
        batch_op.create_foreign_key(op.f('fk_job_files_tenant_id_stored_files'), 'stored_files',
                                    ['tenant_id', 'file_id'], ['tenant_id', 'id'], ondelete='CASCADE')


def downgrade():
    rls.data_migration(op)
    with op.batch_alter_table('job_files', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_job_files_tenant_id_stored_files'), type_='foreignkey')
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
    # Only files of one chunk come back whole; the rest are emptied (result files are kept for days only).
    op.execute("UPDATE job_files SET content = (SELECT data FROM stored_file_chunks c WHERE c.tenant_id = "
               "job_files.tenant_id AND c.file_id = job_files.file_id AND c.start = 0)")
    op.execute("UPDATE job_files SET content = '' WHERE content IS NULL")
    with op.batch_alter_table('job_files', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('file_id')
        batch_op.alter_column('size', type_=sa.Integer(), existing_nullable=False)
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')
