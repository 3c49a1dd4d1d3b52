"""Module Subventionen: start-up financing from the integration credit, 2017-2021."""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import requires
from core.plugins import Manifest, MenuEntry
from core.web import module_start_page
from plugins.subventionen import access, models  # noqa: F401 (models: the tables for the app and Alembic)

blueprint = Blueprint("subventionen", __name__)

manifest = Manifest(
    id="subventionen",
    title=_l("Subventionen"),
    version="0.1.0",
    description=_l("Anstossfinanzierung aus dem Integrationskredit abrechnen (2017–2021)."),
    position=40,
    requires=(),
    permissions=access.PERMISSIONS,
    roles=access.ROLES,
    submission_kinds=access.SUBMISSION_KINDS,
    blueprint=blueprint,
    menu=(MenuEntry(_l("Subventionen"), "subventionen.index", access.CLAIMS_READ),),
    translations=Path(__file__).parent / "translations",
    alembic_branch="subventionen",
    migrations=Path(__file__).parent / "migrations",
)

blueprint.add_url_rule("/", "index", requires(access.CLAIMS_READ)(module_start_page(manifest)))
