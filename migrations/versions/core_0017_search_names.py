"""Names sort the Swiss way: persons get ``sort_name``, the collation key of "official name, first name".

A list of persons (Informieren's newcomers, core's search) pages in the database, so the Swiss order
(Bärschwil before Breitenbach, Dänemark before Dschibuti; ``core.i18n.sort_text``) is stored with the
person and kept by the model, like ``search_name``.  Existing rows are filled here.

Revision ID: core_0017_search_names
Revises: core_0016_job_messages
"""

import sqlalchemy as sa
from alembic import op

from core import rls
from core.i18n import SORT_TEXT_LENGTH, sort_text

revision = 'core_0017_search_names'
down_revision = 'core_0016_job_messages'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=SORT_TEXT_LENGTH), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_persons_sort_name', ['tenant_id', 'sort_name'], unique=False)
    rls.data_migration(op)
    connection = op.get_bind()
    persons = sa.table('persons', sa.column('tenant_id'), sa.column('id'), sa.column('sort_name'),
                       sa.column('first_name'), sa.column('official_name'), sa.column('anonymised_on'))
    rows = connection.execute(sa.select(persons.c.tenant_id, persons.c.id, persons.c.official_name,
                                        persons.c.first_name).where(persons.c.anonymised_on.is_(None))).all()
    for tenant_id, person_id, official, first in rows:
        connection.execute(sa.update(persons).where(persons.c.tenant_id == tenant_id, persons.c.id == person_id)
                           .values(sort_name=sort_text(official, first)))


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_sort_name')
        batch_op.drop_column('sort_name')
