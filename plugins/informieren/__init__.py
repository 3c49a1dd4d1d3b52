"""Module Informieren: know every newcomer from abroad, welcome them, hold first-information interviews."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import Role, requires
from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page

blueprint = Blueprint("informieren", __name__)

manifest = Manifest(
    id="informieren",
    title=_l("Informieren"),
    version="0.1.0",
    description=_l(
        "Neuzuzügerinnen und Neuzuzüger aus dem Ausland kennen, begrüssen und ihnen die Erstinformation geben."
    ),
    position=10,
    requires=(),
    permissions=(
        Permission(
            "informieren.newcomers.read",
            _l("Neuzuzügerinnen und Neuzuzüger einsehen"),
            (Role.RESIDENTS_SERVICES, Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN, Role.READ_ONLY),
        ),
        Permission(
            "informieren.newcomers.edit",
            _l("Neuzuzügerinnen und Neuzuzüger erfassen und bearbeiten"),
            (Role.RESIDENTS_SERVICES, Role.INTEGRATION_OFFICER),
        ),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Informieren"), "informieren.index", "informieren.newcomers.read"),),
)

blueprint.add_url_rule("/", "index", requires("informieren.newcomers.read")(module_start_page(manifest)))
