"""Row-level security trusts a sealed scope, not settings anyone can change (see core.rls).

Installs the scope check (secret hashes, the seal's key, the functions) and rewrites every
tenant and canton-read policy of earlier migrations to ask it.  Databases migrated from the
start already have the new policies (core.rls.protect installs the check first); rewriting
them again changes nothing.

Revision ID: core_0014_sealed_scope
Revises: core_0013_sessions
"""

import sqlalchemy as sa
from alembic import op

from core import rls

revision = 'core_0014_sealed_scope'
down_revision = 'core_0013_sessions'
branch_labels = None
depends_on = None

_OLD_RULE = (
    "(SELECT current_setting('app.all_tenants', true)) = 'on'"
    " OR tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer)"
)
_OLD_CANTON_RULE = (
    "(SELECT kind FROM tenants"
    " WHERE id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer)) = 'canton'"
)


def _rewrite(rule: str, canton_rule: str) -> None:
    policies = op.get_bind().execute(sa.text(
        "SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' AND policyname IN (:a, :b)"
    ), {"a": rls.POLICY, "b": rls.CANTON_READ_POLICY}).all()
    for table, policy in policies:
        if policy == rls.POLICY:
            op.execute(f'ALTER POLICY {policy} ON "{table}" USING ({rule}) WITH CHECK ({rule})')
        else:
            op.execute(f'ALTER POLICY {policy} ON "{table}" USING ({canton_rule})')


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    rls.install_scope_check(op)
    _rewrite(rls.RULE, rls.CANTON_RULE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rewrite(_OLD_RULE, _OLD_CANTON_RULE)
