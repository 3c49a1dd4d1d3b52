"""The newcomer's identity moves to core's persons; Informieren keeps the arrival and the welcome's progress.

Every ``informieren_persons`` row becomes a ``persons`` row (kind ``informieren.newcomer``) and an
``informieren_newcomers`` row under the same id, so letters, interviews and changes keep their
references; they now point at the newcomers table.

Revision ID: informieren_0004
Revises: informieren_0003
"""

import sqlalchemy as sa
from alembic import op

from core import rls
from core.people.models import search_name

revision = 'informieren_0004'
down_revision = 'informieren_0003'
branch_labels = None
depends_on = 'core_0009_persons'

IDENTITY = ('tenant_id', 'id', 'official_name', 'first_name', 'sex', 'date_of_birth', 'nationalities', 'languages',
            'municipality_bfs', 'street', 'house_number', 'postal_code', 'town', 'household_key', 'local_person_id',
            'vn', 'created_at', 'updated_at', 'anonymised_on')
OWN = ('tenant_id', 'id', 'arrival_date', 'permit_category', 'eu_efta', 'source', 'stage')
CHILDREN = ('informieren_person_changes', 'informieren_letters', 'informieren_interviews')


def upgrade():
    rls.data_migration(op)
    op.create_table('informieren_newcomers',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('arrival_date', sa.Date(), nullable=False),
    sa.Column('permit_category', sa.String(length=10), nullable=True),
    sa.Column('eu_efta', sa.Boolean(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_informieren_newcomers_tenant_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_newcomers'))
    )
    op.create_index('ix_informieren_newcomers_arrival', 'informieren_newcomers', ['tenant_id', 'arrival_date'])
    op.create_index('ix_informieren_newcomers_stage', 'informieren_newcomers', ['tenant_id', 'stage'])
    rls.protect(op, 'informieren_newcomers')
    _copy_identities()
    op.execute(f"INSERT INTO informieren_newcomers ({', '.join(OWN)}) SELECT {', '.join(OWN)} FROM informieren_persons")
    for table in CHILDREN:
        _repoint(table, 'informieren_persons', 'informieren_newcomers')
    op.drop_table('informieren_persons')


def _copy_identities():
    columns = ', '.join(IDENTITY)
    op.execute(f"INSERT INTO persons (kind, search_name, {columns}) "
               f"SELECT 'informieren.newcomer', '', {columns} FROM informieren_persons")
    connection = op.get_bind()
    persons = sa.table('persons', sa.column('tenant_id'), sa.column('id'), sa.column('search_name'),
                       sa.column('first_name'), sa.column('official_name'))
    rows = connection.execute(sa.select(persons.c.tenant_id, persons.c.id, persons.c.first_name,
                                        persons.c.official_name)).all()
    for tenant_id, person_id, first, official in rows:
        connection.execute(sa.update(persons).where(persons.c.tenant_id == tenant_id, persons.c.id == person_id)
                           .values(search_name=search_name(first, official)))


def _repoint(table, old, new):
    with op.batch_alter_table(table) as batch_op:
        batch_op.drop_constraint(f'fk_{table}_tenant_id_{old}', type_='foreignkey')
        batch_op.create_foreign_key(f'fk_{table}_tenant_id_{new}', new, ['tenant_id', 'person_id'],
                                    ['tenant_id', 'id'], ondelete='CASCADE')


def downgrade():
    rls.data_migration(op)
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
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('anonymised_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['municipality_bfs'], ['municipalities.bfs_number'], name=op.f('fk_informieren_persons_municipality_bfs_municipalities')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_informieren_persons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_informieren_persons'))
    )
    rls.protect(op, 'informieren_persons')
    identity = ', '.join(f'p.{c}' for c in IDENTITY)
    own = ', '.join(f'n.{c}' for c in OWN if c not in ('tenant_id', 'id'))
    op.execute(f"INSERT INTO informieren_persons ({', '.join(IDENTITY)}, {', '.join(c for c in OWN if c not in ('tenant_id', 'id'))}) "
               f"SELECT {identity}, {own} FROM persons p JOIN informieren_newcomers n ON n.tenant_id = p.tenant_id AND n.id = p.id")
    for table in CHILDREN:
        _repoint(table, 'informieren_newcomers', 'informieren_persons')
    op.drop_table('informieren_newcomers')
    op.execute("DELETE FROM persons WHERE kind = 'informieren.newcomer'")
