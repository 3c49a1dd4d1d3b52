"""Module Fordern: integration interviews, agreed measures, escalation to the canton.

``states`` (the state machine of a case), ``models`` (cases and their immutable history), ``cases``
(opening and moving a case, checked). A case concerns one person of core (a newcomer, or anyone
the commune enters); the module works with Informieren and Fördern through events and hooks.
"""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import Role, requires
from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page
from plugins.fordern import models  # noqa: F401 (the tables, for the app and Alembic)

blueprint = Blueprint("fordern", __name__)

manifest = Manifest(
    id="fordern",
    title=_l("Fordern"),
    version="0.1.0",
    description=_l("Integrationsgespräche führen, Massnahmen vereinbaren, an den Kanton eskalieren."),
    position=30,
    requires=("informieren",),
    permissions=(
        Permission(
            "fordern.cases.read", _l("Fälle einsehen (besonders schützenswerte Daten)"), (Role.INTEGRATION_OFFICER,)
        ),
        Permission("fordern.cases.edit", _l("Fälle bearbeiten"), (Role.INTEGRATION_OFFICER,)),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Fordern"), "fordern.index", "fordern.cases.read"),),
    translations=Path(__file__).parent / "translations",
    alembic_branch="fordern",
    migrations=Path(__file__).parent / "migrations",
)

blueprint.add_url_rule("/", "index", requires("fordern.cases.read")(module_start_page(manifest)))
