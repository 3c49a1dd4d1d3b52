"""Row-level security on PostgreSQL: the database's own copy of the tenant rule.

Migrations call :func:`protect` for every tenant-owned table they create.  The
application works as :data:`APP_ROLE`, which owns nothing and cannot bypass
row-level security: in production it logs in as a role of its own that is a
member of :data:`APP_ROLE` (docs/database-roles.md); in development the owner
connects and ``SET ROLE``s.

The scope is *sealed*.  A session enters it with ``app_enter_scope(secret,
tenant, all_tenants)``, a function owned by the owner that checks the
application's scope secret (:func:`scope_secret`, derived from ``SECRET_KEY``;
only its hash is stored, readable by the owner alone) and then sets the
transaction-local settings ``app.tenant_id`` and ``app.all_tenants`` with a seal
over them, the backend and the transaction's start.  The policies trust the
settings only while the seal fits, so SQL injected into the application can
neither widen its scope with ``set_config`` nor replay another transaction's
seal; it does not know the secret.  Elsewhere (SQLite) all of this is a no-op.

A table of a :class:`core.db.CantonVisible` model gets a second, read-only policy
(:func:`admit_canton_reads`): in the canton's scope SELECT sees every tenant's rows.
PostgreSQL ORs permissive policies per command, so INSERT, UPDATE and DELETE still
answer to the tenant policy alone.  A table of a :class:`core.db.SharedReads` model gets
its own read-only rule the same way (:func:`admit_shared_reads`).
"""

from __future__ import annotations

import hashlib
import hmac

APP_ROLE = "start_integration_app"
POLICY = "tenant_isolation"
CANTON_READ_POLICY = "canton_read"
SHARED_READ_POLICY = "shared_read"
SCOPE_TENANT = "(SELECT app_scope_tenant())"  # the scope's tenant, for the rules of admit_shared_reads

# The checks are called in sub-selects: PostgreSQL evaluates them once per statement, not per row.
RULE = "(SELECT app_scope_all()) OR tenant_id = (SELECT app_scope_tenant())"
# Whether the scope's tenant is the canton's: asked of the tenants table, not of a setting.
CANTON_RULE = "(SELECT kind FROM tenants WHERE id = (SELECT app_scope_tenant())) = 'canton'"

# The owner's own tables: not models of the application, which cannot even read them.
OWNER_TABLES = ("rls_scope_secrets", "rls_seal_key")


def include_name(name, type_, parent_names) -> bool:
    """For Alembic's comparison of models and database: leave out the owner's tables."""
    return not (type_ == "table" and name in OWNER_TABLES)


# What the owner installs once per database (idempotent): the secrets' hashes, the seal's key and
# the functions.  SECURITY DEFINER functions run as the owner with a fixed search_path.
_DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
SCOPE_CHECK_SQL = f"""
CREATE TABLE IF NOT EXISTS rls_scope_secrets (
    secret_hash bytea PRIMARY KEY,
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rls_seal_key (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    key bytea NOT NULL
);
INSERT INTO rls_seal_key (key)
    SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'))
    ON CONFLICT DO NOTHING;
REVOKE ALL ON rls_scope_secrets, rls_seal_key FROM PUBLIC, {APP_ROLE};

-- The seal of the current settings: keyed, and bound to this backend and this transaction.
-- PL/pgSQL rather than SQL functions: their plans are cached per session (SQL functions are
-- planned again on every call, which tripled the cost of a statement).
CREATE OR REPLACE FUNCTION app_scope_seal() RETURNS text LANGUAGE plpgsql STABLE {_DEFINER} AS $$
DECLARE
    seal_key bytea;
BEGIN
    SELECT key INTO seal_key FROM public.rls_seal_key;
    RETURN encode(sha256(seal_key || sha256(seal_key || convert_to(concat_ws('|',
        coalesce(current_setting('app.tenant_id', true), ''),
        coalesce(current_setting('app.all_tenants', true), ''),
        pg_backend_pid()::text,
        (extract(epoch FROM now()) * 1000000)::bigint::text), 'UTF8'))), 'hex');
END $$;

CREATE OR REPLACE FUNCTION app_seal_scope(tenant integer, all_tenants boolean) RETURNS void
LANGUAGE plpgsql {_DEFINER} AS $$
BEGIN
    PERFORM set_config('app.tenant_id', coalesce(tenant::text, ''), true);
    PERFORM set_config('app.all_tenants', CASE WHEN all_tenants THEN 'on' ELSE 'off' END, true);
    PERFORM set_config('app.scope_seal', public.app_scope_seal(), true);
END $$;

CREATE OR REPLACE FUNCTION app_enter_scope(secret text, tenant integer, all_tenants boolean) RETURNS void
LANGUAGE plpgsql {_DEFINER} AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM public.rls_scope_secrets
                   WHERE secret_hash = sha256(convert_to(coalesce(secret, ''), 'UTF8'))) THEN
        RAISE EXCEPTION 'start.integration: unknown scope secret'
            USING HINT = 'Run "flask db upgrade" as the owner with the application''s SECRET_KEY.',
                  ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM public.app_seal_scope(tenant, all_tenants);
END $$;

-- What the policies ask: the settings, while the seal fits them; else no tenant, no canton scope.
CREATE OR REPLACE FUNCTION app_scope_tenant() RETURNS integer LANGUAGE plpgsql STABLE {_DEFINER} AS $$
BEGIN
    IF current_setting('app.scope_seal', true) = public.app_scope_seal() THEN
        RETURN NULLIF(current_setting('app.tenant_id', true), '')::integer;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION app_scope_all() RETURNS boolean LANGUAGE plpgsql STABLE {_DEFINER} AS $$
BEGIN
    RETURN coalesce(current_setting('app.scope_seal', true) = public.app_scope_seal()
                    AND current_setting('app.all_tenants', true) = 'on', false);
END $$;

-- Only the owner may seal without the secret, or compute a seal for settings of its choice.
REVOKE ALL ON FUNCTION app_scope_seal(), app_seal_scope(integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION app_enter_scope(text, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_enter_scope(text, integer, boolean) TO {APP_ROLE};
"""

# What the application sends at the start of each transaction's scope (see core.db).
ENTER_SCOPE_SQL = "SELECT app_enter_scope(%s, %s::integer, %s)"
REGISTER_SECRET_SQL = (
    "INSERT INTO rls_scope_secrets (secret_hash) VALUES (sha256(convert_to(%s, 'UTF8'))) ON CONFLICT DO NOTHING"
)
CAN_REGISTER_SQL = (
    "SELECT has_table_privilege(c.oid, 'INSERT') FROM pg_class c WHERE c.oid = to_regclass('public.rls_scope_secrets')"
)


def scope_secret(secret_key: str) -> str:
    """The secret the application proves its scope with: derived from ``SECRET_KEY``, never stored."""
    return hmac.new(secret_key.encode(), b"start.integration row-level security scope", hashlib.sha256).hexdigest()


def register_secret(dbapi_connection, secret: str) -> bool:
    """Register the application's scope secret, where the connection may (the owner); True if it did."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(CAN_REGISTER_SQL)
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute(REGISTER_SECRET_SQL, (secret,))
    return True


def _is_postgres(op) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role(op) -> None:
    """Create the application's role (once per cluster) and grant it the data, not the schema."""
    if not _is_postgres(op):
        return
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; "
        # In development the owner switches to the role on every connection (SET ROLE), so it must be a
        # member; an owner without the right to grant it (production: docs/database-roles.md) needs not be.
        f"IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN "
        f"BEGIN EXECUTE format('GRANT {APP_ROLE} TO %I', current_user); "
        f"EXCEPTION WHEN insufficient_privilege THEN NULL; END; END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def install_scope_check(op) -> None:
    """Install (or bring up to date) the sealed scope: tables, key and functions; once per migration run."""
    if not _is_postgres(op):
        return
    run = op.get_bind().info
    if not run.get("scope_check_installed"):
        op.execute(SCOPE_CHECK_SQL)
        run["scope_check_installed"] = True


def grant(op, table: str) -> None:
    """Grant the application role a table that existed before the role's default privileges."""
    if _is_postgres(op):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")


def protect(op, table: str) -> None:
    """Enable and force row-level security with the tenant policy on ``table``."""
    if not _is_postgres(op):
        return
    install_scope_check(op)  # whichever migration of whichever branch protects a table first
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({RULE}) WITH CHECK ({RULE})")


def data_migration(op) -> None:
    """Let a data migration read and write every tenant's rows (the policy binds the owner too: FORCE).

    Transaction-local: it ends with the migration's transaction.  The plain setting serves the
    policies of databases not yet brought to the sealed scope (before ``core_0014``).
    """
    if _is_postgres(op):
        op.execute("SELECT set_config('app.all_tenants', 'on', true)")
        op.execute("DO $$ BEGIN IF to_regproc('public.app_seal_scope') IS NOT NULL THEN "
                   "PERFORM public.app_seal_scope(NULL, true); END IF; END $$")


def admit_canton_reads(op, table: str) -> None:
    """Let the canton's scope read ``table`` (protected by :func:`protect`): CantonVisible models only."""
    if _is_postgres(op):
        install_scope_check(op)
        op.execute(f"CREATE POLICY {CANTON_READ_POLICY} ON {table} FOR SELECT USING ({CANTON_RULE})")


def admit_shared_reads(op, table: str, rule: str) -> None:
    """Let other tenants' scopes read the rows of ``table`` that ``rule`` admits: SharedReads models only.

    ``rule`` is the SQL of the model's ``shared_read_criterion``, naming the scope's tenant as
    :data:`SCOPE_TENANT`.
    """
    if _is_postgres(op):
        install_scope_check(op)
        op.execute(f"CREATE POLICY {SHARED_READ_POLICY} ON {table} FOR SELECT USING ({rule})")
