"""Module Subventionen: start-up financing from the integration credit, 2017-2021."""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import Role, requires
from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page
from plugins.subventionen import models  # noqa: F401 (the tables for the app and Alembic)

blueprint = Blueprint("subventionen", __name__)

manifest = Manifest(
    id="subventionen",
    title=_l("Subventionen"),
    version="0.1.0",
    description=_l("Anstossfinanzierung aus dem Integrationskredit abrechnen (2017–2021)."),
    position=40,
    requires=(),
    permissions=(
        Permission(
            "subventionen.claims.read",
            _l("Abrechnungen einsehen"),
            (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN, Role.CANTON_OFFICE, Role.READ_ONLY),
        ),
        Permission(
            "subventionen.claims.edit",
            _l("Abrechnungen erstellen und einreichen"),
            (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN),
        ),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Subventionen"), "subventionen.index", "subventionen.claims.read"),),
    translations=Path(__file__).parent / "translations",
    alembic_branch="subventionen",
    migrations=Path(__file__).parent / "migrations",
)

blueprint.add_url_rule("/", "index", requires("subventionen.claims.read")(module_start_page(manifest)))
