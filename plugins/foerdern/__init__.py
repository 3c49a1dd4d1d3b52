"""Module Fördern: integration offers and the needs of migrants."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page

blueprint = Blueprint("foerdern", __name__)

manifest = Manifest(
    id="foerdern",
    title=_l("Fördern"),
    version="0.1.0",
    description=_l("Integrationsangebote bereitstellen und Bedürfnisse kennen."),
    position=20,
    requires=(),
    permissions=(
        Permission("foerdern.offers.edit", _l("Integrationsangebote bearbeiten")),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Fördern"), "foerdern.index"),),
)

blueprint.add_url_rule("/", "index", module_start_page(manifest))
