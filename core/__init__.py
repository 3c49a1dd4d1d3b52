"""The start.integration platform core: ``create_app()`` builds the application."""

from __future__ import annotations

import os

from flask import Flask

from core import i18n, settings, tenancy
from core.db import db as _db
from core.plugins import PluginRegistry, default_plugins, discover


def create_app(config: dict | None = None, plugins: list | None = None) -> Flask:
    """The application factory.

    ``config`` overrides the environment's settings; ``plugins`` replaces the
    installed plugins (entry points) — core's own (``core.plugins.DEFAULT_PLUGINS``) are always loaded.
    """
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.config.update(settings.from_environment(app.instance_path))
    app.config.update(config or {})

    from core import (
        access,
        actors,
        admin,
        api,
        audit,
        auth,
        cli,
        input_guard,
        job_pages,
        security,
        settings_views,
        submission_pages,
        web,
    )
    from core.attachments import views as attachment_views
    from core.people.views import people

    registry = PluginRegistry([*default_plugins(), *(discover() if plugins is None else plugins)])
    app.extensions["plugins"] = registry

    _db.init_app(app)
    with app.app_context():
        _configure_connections(app)
    i18n.init_app(app, [m.translations for m in registry.manifests.values() if m.translations])
    tenancy.init_app(app)
    input_guard.init_app(app)  # before anything reads the request's values
    # Order matters: each request first finds its tenant's modules (404 for an inactive one),
    # then its user, then checks the view's declared permission or the API token.
    web.init_app(app, registry)
    security.init_app(app)
    auth.init_app(app)
    app.before_request(access.authorize)
    api.init_app(app, security.csrf)
    app.register_blueprint(admin.admin)
    app.register_blueprint(settings_views.tenant_settings)
    app.register_blueprint(people)
    app.register_blueprint(attachment_views.attachments)
    job_pages.init_app(app)
    submission_pages.init_app(app)
    access.init_app(app)
    actors.init_app(app)
    app.after_request(audit.commit_sensitive_reads)
    cli.init_app(app)
    _init_migrations(app, registry)
    registry.hook.app_ready.call_historic(kwargs={"app": app})
    return app


def _configure_connections(app: Flask) -> None:
    from sqlalchemy import event

    engine = _db.engine
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_foreign_keys(dbapi_connection, record):
            dbapi_connection.execute("PRAGMA foreign_keys = ON")
    if engine.dialect.name == "postgresql":
        _configure_postgres(engine, app.config)


def _configure_postgres(engine, config) -> None:
    from sqlalchemy import event

    from core import db, rls

    event.listen(engine, "before_cursor_execute", db.send_rls_settings)
    event.listen(engine, "after_cursor_execute", db.sync_rls_pipeline)
    event.listen(engine, "handle_error", db.close_rls_pipeline)
    event.listen(engine, "commit", db.drop_pending_rls_settings)
    event.listen(engine, "rollback", db.drop_pending_rls_settings)
    secret = rls.scope_secret(config["SECRET_KEY"])
    role = config["DATABASE_ROLE"]

    @event.listens_for(engine, "connect")
    def _prepare(dbapi_connection, record):
        record.info["scope_secret"] = secret
        if role:  # development: the owner connects, registers the secret and becomes the role
            rls.register_secret(dbapi_connection, secret)
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()


def _init_migrations(app: Flask, registry: PluginRegistry) -> None:
    from pathlib import Path

    from flask_migrate import Migrate

    migrate = Migrate(app, _db, directory=str(Path(__file__).parent.parent / "migrations"), render_as_batch=True)

    @migrate.configure
    def _plugin_branches(config):
        locations = [str(Path(__file__).parent.parent / "migrations" / "versions")]
        locations += [str(m.migrations) for m in registry.manifests.values() if m.migrations]
        config.set_main_option("version_locations", os.pathsep.join(locations))
        return config
