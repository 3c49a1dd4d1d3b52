"""Alembic environment: one history, a branch per plugin (see core.plugins.Manifest.alembic_branch).

Migrations run as the owner (``MIGRATION_DATABASE_URL``, else ``DATABASE_URL``), never
as the application's role, so they can create tables, policies and grants.  Afterwards
the owner registers the application's scope secret (core.rls).
"""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from core import rls
from core.db import db

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

URL = current_app.config.get("MIGRATION_DATABASE_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]
OPTIONS = dict(
    target_metadata=db.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
    include_name=rls.include_name,
)


def run_migrations_offline() -> None:
    context.configure(url=URL, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_autogenerate(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_online() -> None:
    engine = sa.create_engine(URL, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, process_revision_directives=_skip_empty_autogenerate, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "postgresql":
                rls.register_secret(connection.connection.dbapi_connection,
                                    rls.scope_secret(current_app.config["SECRET_KEY"]))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
