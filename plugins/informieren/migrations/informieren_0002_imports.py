"""Informieren imports: uploaded files waiting for their import job.

Revision ID: informieren_0002
Revises: informieren_0001
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'informieren_0002'
down_revision = 'informieren_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('informieren_uploads',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_uploads_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_uploads'))
    )
    with op.batch_alter_table('informieren_uploads', schema=None) as batch_op:
        batch_op.create_index('ix_informieren_uploads_batch', ['tenant_id', 'batch_id'], unique=False)
    rls.protect(op, 'informieren_uploads')


def downgrade():
    with op.batch_alter_table('informieren_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_informieren_uploads_batch')
    op.drop_table('informieren_uploads')
