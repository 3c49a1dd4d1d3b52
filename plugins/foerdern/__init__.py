"""Module Fördern: integration offers and the needs of migrants.

This step holds the offers and their editor: ``models`` (offers, the tenant's own kinds),
``offers`` (labels, the list's query, saving and deleting, audited), ``forms`` (the editor's
checks, messages in the user's language), ``views`` (the pages below /<tenant>/foerdern) and
``demo`` (offers for ``flask demo load``).
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.access import Role
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission
from plugins.foerdern import api, cli, demo, views

manifest = Manifest(
    id="foerdern",
    title=_l("Fördern"),
    version="0.2.0",
    description=_l("Integrationsangebote bereitstellen und die Bedürfnisse der Migrantinnen und Migranten kennen."),
    position=20,
    requires=(),
    permissions=(
        Permission(
            views.READ,
            _l("Integrationsangebote und Bedürfnisse einsehen"),
            (Role.INTEGRATION_OFFICER, Role.RESIDENTS_SERVICES, Role.TENANT_ADMIN, Role.READ_ONLY,
             Role.CANTON_OFFICE, Role.CANTON_ADMIN),
        ),
        # In the canton's tenant its integration office publishes the cantonal offers.
        Permission(views.EDIT, _l("Integrationsangebote bearbeiten"), (Role.INTEGRATION_OFFICER, Role.CANTON_OFFICE)),
    ),
    blueprint=views.blueprint,
    api_blueprint=api.api,
    api_scopes=(api.READ_SCOPE,),
    menu=(MenuEntry(_l("Fördern"), "foerdern.index", views.READ),),
    translations=Path(__file__).parent / "translations",
    alembic_branch="foerdern",
    migrations=Path(__file__).parent / "migrations",
)


@hookimpl
def demo_data(tenant):
    return demo.load(tenant)


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)
