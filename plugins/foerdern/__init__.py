"""Module Fördern: integration offers and the needs of migrants."""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import Role, requires
from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page

blueprint = Blueprint("foerdern", __name__)

manifest = Manifest(
    id="foerdern",
    title=_l("Fördern"),
    version="0.1.0",
    description=_l("Integrationsangebote bereitstellen und die Bedürfnisse der Migrantinnen und Migranten kennen."),
    position=20,
    requires=(),
    permissions=(
        Permission(
            "foerdern.offers.read",
            _l("Integrationsangebote und Bedürfnisse einsehen"),
            (Role.INTEGRATION_OFFICER, Role.RESIDENTS_SERVICES, Role.TENANT_ADMIN, Role.READ_ONLY),
        ),
        Permission("foerdern.offers.edit", _l("Integrationsangebote bearbeiten"), (Role.INTEGRATION_OFFICER,)),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Fördern"), "foerdern.index", "foerdern.offers.read"),),
    translations=Path(__file__).parent / "translations",
)

blueprint.add_url_rule("/", "index", requires("foerdern.offers.read")(module_start_page(manifest)))
