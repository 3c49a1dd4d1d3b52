"""Informieren retention: the day a newcomer's record was anonymised.

Revision ID: informieren_0003
Revises: informieren_0002
"""

import sqlalchemy as sa
from alembic import op

revision = 'informieren_0003'
down_revision = 'informieren_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('informieren_persons') as batch_op:
        batch_op.add_column(sa.Column('anonymised_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('informieren_persons') as batch_op:
        batch_op.drop_column('anonymised_on')
