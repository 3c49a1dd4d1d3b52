"""The migrations and the models agree, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.db import db
from core.rls import include_name
from tests.conftest import make_app


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, db.metadata) == []


def test_every_branch_is_at_its_head(app, ctx):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    owner = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with owner.connect() as connection:  # the application's role may not read alembic_version
        current = set(MigrationContext.configure(connection).get_current_heads())
    owner.dispose()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    # A head another branch depends on (core's persons, for Informieren's move) is not listed
    # in alembic_version once that branch is past it: it counts as applied through the dependant.
    applied = {revision.revision for revision in script.revision_map.iterate_revisions(current, "base")}
    assert heads and heads <= applied and current <= heads


# -- core_0012: the tenants' OIDC client secrets leave the audit log --------------------------------


def test_the_migration_redacts_secrets_written_to_the_audit_log_by_the_previous_release(scratch_database_url):
    from flask_migrate import upgrade

    from core import audit, provisioning
    from core.tenancy import tenant_scope

    app = make_app(SQLALCHEMY_DATABASE_URI=scratch_database_url)
    with app.app_context():
        upgrade(revision="core_0007")
        canton = provisioning.create_tenant("kanton", "Kanton", "canton", [])
        with tenant_scope(canton):  # as the previous release's set_setting wrote them
            for key, value in (("core.oidc_client_secret", "clear-text-secret"), ("core.oidc_client_secret", ""),
                               ("core.oidc_client_id", "si-kanton")):
                audit.record("tenant.setting", object_type="setting", object_id=key, detail={"value": value})
        db.session.commit()
        upgrade(revision="core_0012_settings_roles")
        with tenant_scope(canton):
            events = db.session.scalars(sa.select(audit.AuditEvent).where(audit.AuditEvent.action == "tenant.setting")
                                        .order_by(audit.AuditEvent.object_id, audit.AuditEvent.occurred_at)).all()
        assert [(e.object_id, e.detail) for e in events] == [
            ("core.oidc_client_id", {"value": "si-kanton"}),
            ("core.oidc_client_secret", {"value": "***"}),
            ("core.oidc_client_secret", {"value": ""}),
        ]
        db.session.remove()
        db.engine.dispose()
