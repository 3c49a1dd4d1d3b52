"""Module Informieren: know every newcomer from abroad, welcome them, hold first-information interviews."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page

blueprint = Blueprint("informieren", __name__)

manifest = Manifest(
    id="informieren",
    title=_l("Informieren"),
    version="0.1.0",
    description=_l("Neuzuzügerinnen und Neuzuzüger aus dem Ausland kennen, begrüssen und erstinformieren."),
    position=10,
    requires=(),
    permissions=(
        Permission("informieren.newcomers.read", _l("Neuzuzüger einsehen")),
        Permission("informieren.newcomers.edit", _l("Neuzuzüger erfassen und bearbeiten")),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Informieren"), "informieren.index"),),
)

blueprint.add_url_rule("/", "index", module_start_page(manifest))
