"""An upload's bytes move into core's stored files (in chunks): no database value holds a whole upload.

Revision ID: informieren_0005
Revises: informieren_0004
"""

import sqlalchemy as sa
from alembic import op

from core import rls

revision = 'informieren_0005'
down_revision = 'informieren_0004'
branch_labels = None
depends_on = 'core_0015_stored_files'


def upgrade():
    rls.data_migration(op)
    with op.batch_alter_table('informieren_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('size', type_=sa.BigInteger(), existing_nullable=False)
    # The upload's own id names its stored file (one statement each, however many uploads wait).
    op.execute("INSERT INTO stored_files (tenant_id, id, size, sha256, created_at) "
               "SELECT tenant_id, id, size, '', uploaded_at FROM informieren_uploads")
    op.execute("INSERT INTO stored_file_chunks (tenant_id, file_id, start, data) "
               "SELECT tenant_id, id, 0, content FROM informieren_uploads WHERE size > 0")
    op.execute("UPDATE informieren_uploads SET file_id = id")
    with op.batch_alter_table('informieren_uploads', schema=None) as batch_op:
        batch_op.alter_column('file_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('content')
        batch_op.create_foreign_key(op.f('fk_informieren_uploads_tenant_id_stored_files'), 'stored_files',
                                    ['tenant_id', 'file_id'], ['tenant_id', 'id'], ondelete='CASCADE')


def downgrade():
    rls.data_migration(op)
    with op.batch_alter_table('informieren_uploads', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_informieren_uploads_tenant_id_stored_files'), type_='foreignkey')
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
    # Uploads wait a day at most: those of more than one chunk are dropped rather than joined here.
    op.execute("DELETE FROM informieren_uploads WHERE size > 1048576")
    op.execute("UPDATE informieren_uploads SET content = COALESCE((SELECT data FROM stored_file_chunks c WHERE "
               "c.tenant_id = informieren_uploads.tenant_id AND c.file_id = informieren_uploads.file_id "
               "AND c.start = 0), '')")
    with op.batch_alter_table('informieren_uploads', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('file_id')
        batch_op.alter_column('size', type_=sa.Integer(), existing_nullable=False)
