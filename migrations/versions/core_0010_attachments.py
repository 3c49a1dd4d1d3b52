"""Attachments and their content (core.attachments).

Revision ID: core_0010_attachments
Revises: core_0009_persons
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0010_attachments'
down_revision = 'core_0009_persons'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachments',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_type', sa.String(length=100), nullable=False),
    sa.Column('owner_id', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage', sa.String(length=20), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint("storage IN ('database', 'directory')", name=op.f('ck_attachments_storage')),
    sa.CheckConstraint('size > 0', name=op.f('ck_attachments_size')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_attachments_tenant_id_tenants'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_owner', ['tenant_id', 'owner_type', 'owner_id'], unique=False)

    op.create_table('attachment_contents',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Uuid(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'attachment_id'], ['attachments.tenant_id', 'attachments.id'],
                            name=op.f('fk_attachment_contents_tenant_id_attachments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_attachment_contents_tenant_id_tenants'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'attachment_id', name=op.f('pk_attachment_contents'))
    )

    for table in ("attachments", "attachment_contents"):
        rls.protect(op, table)


def downgrade():
    op.drop_table('attachment_contents')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_owner')
    op.drop_table('attachments')
