"""The subsidy accounting: the canton's credits, rules, ledger and payment runs; the tenants' claims.

Revision ID: subventionen_0001_accounting
Revises:
"""

import sqlalchemy as sa
from alembic import op

import core.db
import core.money
from core import rls

revision = 'subventionen_0001_accounting'
down_revision = None
branch_labels = ('subventionen',)
depends_on = "core_0015_stored_files"

TABLES = ("subventionen_credits", "subventionen_rule_sets", "subventionen_rules", "subventionen_claims",
          "subventionen_claim_lines", "subventionen_costs", "subventionen_ledger", "subventionen_payment_runs",
          "subventionen_payment_items")
# The models' shared_read_criterion (plugins/subventionen/models.py) for row-level security: every scope reads
# the canton's credits and rules, a claimant its own ledger entries.
CANTON_ROW = "{scope} IS NOT NULL AND (SELECT kind FROM tenants WHERE id = {table}.tenant_id) = 'canton'"
SHARED_READS = {table: CANTON_ROW.format(scope=rls.SCOPE_TENANT, table=table)
                for table in ("subventionen_credits", "subventionen_rule_sets", "subventionen_rules")}
SHARED_READS["subventionen_ledger"] = f"claimant_tenant_id = {rls.SCOPE_TENANT}"


def upgrade():
    op.create_table('subventionen_claims',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('total', core.money.Money(), nullable=False),
    sa.Column('approved', core.money.Money(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('computed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("state = 'draft' OR number IS NOT NULL", name=op.f('ck_subventionen_claims_numbered')),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'returned', 'approved', 'withdrawn')", name=op.f('ck_subventionen_claims_state')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_claims_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_subventionen_claims'))
    )
    with op.batch_alter_table('subventionen_claims', schema=None) as batch_op:
        batch_op.create_index('ix_subventionen_claims_year', ['tenant_id', 'year'], unique=True, sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))

    op.create_table('subventionen_credits',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('amount', core.money.Money(), nullable=False),
    sa.Column('claims_from', sa.Date(), nullable=False),
    sa.Column('claims_until', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('set_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint('claims_from <= claims_until', name=op.f('ck_subventionen_credits_period')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_credits_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'year', name=op.f('pk_subventionen_credits'))
    )
    op.create_table('subventionen_ledger',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('claimant_tenant_id', sa.Integer(), nullable=False),
    sa.Column('claim_number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', core.money.Money(non_negative=False), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('payment_run_id', sa.Uuid(), nullable=True),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('booked_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('booked_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind = 'correction' OR amount > 0", name=op.f('ck_subventionen_ledger_positive')),
    sa.CheckConstraint("kind IN ('commitment', 'payment', 'correction')", name=op.f('ck_subventionen_ledger_kind')),
    sa.ForeignKeyConstraint(['claimant_tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_ledger_claimant_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_ledger_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_subventionen_ledger'))
    )
    with op.batch_alter_table('subventionen_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_subventionen_ledger_claimant', ['claimant_tenant_id', 'year'], unique=False)
        batch_op.create_index('ix_subventionen_ledger_one_commitment', ['tenant_id', 'claim_number'], unique=True, sqlite_where=sa.text("kind = 'commitment'"), postgresql_where=sa.text("kind = 'commitment'"))
        batch_op.create_index('ix_subventionen_ledger_one_payment', ['tenant_id', 'claim_number'], unique=True, sqlite_where=sa.text("kind = 'payment'"), postgresql_where=sa.text("kind = 'payment'"))
        batch_op.create_index('ix_subventionen_ledger_year', ['tenant_id', 'year', 'kind'], unique=False)

    op.create_table('subventionen_payment_runs',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('execution_date', sa.Date(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('executed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('executed_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_payment_runs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_subventionen_payment_runs'))
    )
    op.create_table('subventionen_rule_sets',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('frozen_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_rule_sets_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'year', 'version', name=op.f('pk_subventionen_rule_sets'))
    )
    op.create_table('subventionen_claim_lines',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bfs_number', sa.Integer(), nullable=True),
    sa.Column('rule_seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('activity_key', sa.String(length=100), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('rate', core.money.Money(), nullable=True),
    sa.Column('amount', core.money.Money(non_negative=False), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'claim_id'], ['subventionen_claims.tenant_id', 'subventionen_claims.id'], name=op.f('fk_subventionen_claim_lines_tenant_id_subventionen_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_claim_lines_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'claim_id', 'seq', name=op.f('pk_subventionen_claim_lines'))
    )
    op.create_table('subventionen_costs',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('claim_id', sa.Uuid(), nullable=False),
    sa.Column('bfs_number', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount', core.money.Money(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'claim_id'], ['subventionen_claims.tenant_id', 'subventionen_claims.id'], name=op.f('fk_subventionen_costs_tenant_id_subventionen_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_costs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_subventionen_costs'))
    )
    op.create_table('subventionen_payment_items',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('claim_number', sa.String(length=40), nullable=False),
    sa.Column('claimant_tenant_id', sa.Integer(), nullable=False),
    sa.Column('amount', core.money.Money(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.ForeignKeyConstraint(['claimant_tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_payment_items_claimant_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['tenant_id', 'run_id'], ['subventionen_payment_runs.tenant_id', 'subventionen_payment_runs.id'], name=op.f('fk_subventionen_payment_items_tenant_id_subventionen_payment_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_payment_items_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'run_id', 'claim_number', name=op.f('pk_subventionen_payment_items'))
    )
    op.create_table('subventionen_rules',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('activity_key', sa.String(length=100), nullable=True),
    sa.Column('amount', core.money.Money(), nullable=True),
    sa.Column('share', sa.Integer(), nullable=True),
    sa.Column('ceiling', core.money.Money(), nullable=True),
    sa.CheckConstraint("(kind = 'cost_share') = (share IS NOT NULL)", name=op.f('ck_subventionen_rules_share_kind')),
    sa.CheckConstraint("(kind = 'per_activity') = (activity_key IS NOT NULL)", name=op.f('ck_subventionen_rules_activity')),
    sa.CheckConstraint("kind = 'cost_share' OR amount IS NOT NULL", name=op.f('ck_subventionen_rules_amount_kind')),
    sa.CheckConstraint("kind IN ('flat_tenant', 'flat_commune', 'per_activity', 'cost_share', 'commune_cap')", name=op.f('ck_subventionen_rules_kind')),
    sa.CheckConstraint('share IS NULL OR share BETWEEN 1 AND 10000', name=op.f('ck_subventionen_rules_share_range')),
    sa.ForeignKeyConstraint(['tenant_id', 'year', 'version'], ['subventionen_rule_sets.tenant_id', 'subventionen_rule_sets.year', 'subventionen_rule_sets.version'], name=op.f('fk_subventionen_rules_tenant_id_subventionen_rule_sets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subventionen_rules_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tenant_id', 'year', 'version', 'seq', name=op.f('pk_subventionen_rules'))
    )
    for table in TABLES:
        rls.protect(op, table)
    for table, rule in SHARED_READS.items():
        rls.admit_shared_reads(op, table, rule)


def downgrade():
    op.drop_table('subventionen_rules')
    op.drop_table('subventionen_payment_items')
    op.drop_table('subventionen_costs')
    op.drop_table('subventionen_claim_lines')
    op.drop_table('subventionen_rule_sets')
    op.drop_table('subventionen_payment_runs')
    with op.batch_alter_table('subventionen_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_subventionen_ledger_year')
        batch_op.drop_index('ix_subventionen_ledger_one_payment', sqlite_where=sa.text("kind = 'payment'"), postgresql_where=sa.text("kind = 'payment'"))
        batch_op.drop_index('ix_subventionen_ledger_one_commitment', sqlite_where=sa.text("kind = 'commitment'"), postgresql_where=sa.text("kind = 'commitment'"))
        batch_op.drop_index('ix_subventionen_ledger_claimant')

    op.drop_table('subventionen_ledger')
    op.drop_table('subventionen_credits')
    with op.batch_alter_table('subventionen_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_subventionen_claims_year', sqlite_where=sa.text("state <> 'withdrawn'"), postgresql_where=sa.text("state <> 'withdrawn'"))

    op.drop_table('subventionen_claims')
