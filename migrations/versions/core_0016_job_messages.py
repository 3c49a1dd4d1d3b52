"""Jobs keep their progress text as a message id with parameters, and a result text: both are translated
when a page shows them, in the reader's language.

Revision ID: core_0016_job_messages
Revises: core_0015_stored_files
"""

import sqlalchemy as sa
from alembic import op

revision = 'core_0016_job_messages'
down_revision = 'core_0015_stored_files'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('progress_params', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('result', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('result')
        batch.drop_column('progress_params')
