"""The canton's console: introductory courses and their registrations, feedback rounds and requests.

Revision ID: core_0006
Revises: core_0005
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = 'core_0006'
down_revision = 'core_0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_courses_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_courses_period')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_courses_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_courses'))
    )
    op.create_table('feedback_requests',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('worked', sa.Text(), nullable=False),
    sa.Column('effort_minutes', sa.Integer(), nullable=True),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('remarks', sa.Text(), nullable=False),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint('effort_minutes >= 0', name=op.f('ck_feedback_requests_effort')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_feedback_requests_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'year', name=op.f('pk_feedback_requests'))
    )
    op.create_table('feedback_rounds',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_feedback_rounds_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'year', name=op.f('pk_feedback_rounds'))
    )
    op.create_table('course_registrations',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('registrant_tenant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=True),
    sa.Column('registered_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.CheckConstraint("status IN ('registered', 'waiting', 'cancelled')", name=op.f('ck_course_registrations_status')),
    sa.ForeignKeyConstraint(['registrant_tenant_id'], ['tenants.id'], name=op.f('fk_course_registrations_registrant_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id', 'course_id'], ['courses.tenant_id', 'courses.id'], name=op.f('fk_course_registrations_tenant_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_course_registrations_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_registrations_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_course_registrations')),
    sa.UniqueConstraint('tenant_id', 'course_id', 'seat', name='uq_course_registrations_seat'),
    sa.UniqueConstraint('tenant_id', 'course_id', 'user_id', name='uq_course_registrations_user')
    )
    with op.batch_alter_table('course_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_course_registrations_registrant', ['tenant_id', 'registrant_tenant_id'], unique=False)

    for table in ("courses", "course_registrations", "feedback_rounds", "feedback_requests"):
        rls.protect(op, table)


def downgrade():
    with op.batch_alter_table('course_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_course_registrations_registrant')

    op.drop_table('course_registrations')
    op.drop_table('feedback_rounds')
    op.drop_table('feedback_requests')
    op.drop_table('courses')
