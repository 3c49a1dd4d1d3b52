"""Row-level security on PostgreSQL: the database's own copy of the tenant rule.

Migrations call :func:`protect` for every tenant-owned table they create.  The
application connects (or ``SET ROLE``s) as :data:`APP_ROLE`, which owns nothing
and cannot bypass row-level security; the session tells PostgreSQL its scope in
the transaction-local settings ``app.tenant_id`` and ``app.all_tenants``
(:func:`core.db._apply_rls_settings`).  Elsewhere (SQLite) these are no-ops.

A table of a :class:`core.db.CantonVisible` model gets a second, read-only policy
(:func:`admit_canton_reads`): in the canton's scope SELECT sees every tenant's rows.
PostgreSQL ORs permissive policies per command, so INSERT, UPDATE and DELETE still
answer to the tenant policy alone.
"""

from __future__ import annotations

APP_ROLE = "start_integration_app"
POLICY = "tenant_isolation"
CANTON_READ_POLICY = "canton_read"

# The settings are read in sub-selects: PostgreSQL evaluates them once per statement, not per row.
_RULE = (
    "(SELECT current_setting('app.all_tenants', true)) = 'on'"
    " OR tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer)"
)


def _is_postgres(op) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role(op) -> None:
    """Create the application's role (once per cluster) and grant it the data, not the schema."""
    if not _is_postgres(op):
        return
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; "
        # The owner switches to the role on every connection (SET ROLE), so it must be a member.
        f"IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN "
        f"EXECUTE format('GRANT {APP_ROLE} TO %I', current_user); END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def grant(op, table: str) -> None:
    """Grant the application role a table that existed before the role's default privileges."""
    if _is_postgres(op):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")


def protect(op, table: str) -> None:
    """Enable and force row-level security with the tenant policy on ``table``."""
    if not _is_postgres(op):
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({_RULE}) WITH CHECK ({_RULE})")


def data_migration(op) -> None:
    """Let a data migration read and write every tenant's rows (the policy binds the owner too: FORCE).

    Transaction-local: it ends with the migration's transaction.
    """
    if _is_postgres(op):
        op.execute("SELECT set_config('app.all_tenants', 'on', true)")
# Whether the scope's tenant is the canton's: asked of the tenants table, not of a setting.
_CANTON_RULE = (
    "(SELECT kind FROM tenants"
    " WHERE id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer)) = 'canton'"
)


def admit_canton_reads(op, table: str) -> None:
    """Let the canton's scope read ``table`` (protected by :func:`protect`): CantonVisible models only."""
    if _is_postgres(op):
        op.execute(f"CREATE POLICY {CANTON_READ_POLICY} ON {table} FOR SELECT USING ({_CANTON_RULE})")
