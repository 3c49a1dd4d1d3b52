"""Module Fördern: integration offers and the needs of migrants.

This step holds the offers and their editor: ``models`` (offers, the tenant's own kinds),
``offers`` (labels, the list's query, saving and deleting, audited), ``published`` (the projection
other tenants and the public read), ``forms`` (the editor's checks, messages in the user's
language), ``views`` (the pages below /<tenant>/foerdern), ``public`` (the public offers page
/<tenant>/angebote and its feeds, with ``public_offers`` and ``public_feeds``) and ``demo``
(offers for ``flask demo load``).
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.access import Role
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission
from plugins.foerdern import demo, public, views

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
            (Role.INTEGRATION_OFFICER, Role.RESIDENTS_SERVICES, Role.TENANT_ADMIN, Role.READ_ONLY),
        ),
        Permission(views.EDIT, _l("Integrationsangebote bearbeiten"), (Role.INTEGRATION_OFFICER,)),
    ),
    blueprint=views.blueprint,
    public_blueprint=public.public,
    public_url_prefix="",  # /<tenant>/angebote: the address printed on letters and flyers
    menu=(MenuEntry(_l("Fördern"), "foerdern.index", views.READ),),
    translations=Path(__file__).parent / "translations",
    alembic_branch="foerdern",
    migrations=Path(__file__).parent / "migrations",
)


@hookimpl
def demo_data(tenant):
    return demo.load(tenant)


@hookimpl
def letter_links(tenant, language):
    return public.letter_links(tenant, language)
