"""Module Fordern: integration interviews, agreed measures, escalation to the canton.

``states`` (the state machine of a case), ``models`` (cases and their immutable history), ``cases``
(opening and moving a case, checked).

The escalation to the canton: ``escalation`` (the submission kind, the snapshot, the canton's decision
arriving through ``submission_changed``), ``escalation_models`` (the canton's reviews, deadlines and legal
bases; the commune's record of the outcome), ``legal`` (the pre-check's rules, the legal bases),
``review`` (the canton's steps), ``agreement_pdf`` (the agreement or recommendation as PDF),
``escalation_forms``, ``escalation_views`` (the commune's pages), ``canton_views`` (the canton's) and
``case_page`` (a minimal case page until the real one is merged).

A case concerns one person of core (a newcomer, or anyone the commune enters); the module works with
Informieren and Fördern through events and hooks.
"""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import Role, requires
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission
from core.web import module_start_page
from plugins.fordern import (  # escalation_models, models: the tables, for the app and Alembic
    canton_views,
    case_page,
    escalation,
    escalation_models,  # noqa: F401
    escalation_views,
    legal,
    models,  # noqa: F401
)

blueprint = Blueprint("fordern", __name__, template_folder="templates")

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
        *escalation.PERMISSIONS,
    ),
    roles=escalation.ROLES,
    submission_kinds=escalation.SUBMISSION_KINDS,
    blueprint=blueprint,
    menu=(MenuEntry(_l("Fordern"), "fordern.index", "fordern.cases.read"), *escalation.MENU),
    translations=Path(__file__).parent / "translations",
    alembic_branch="fordern",
    migrations=Path(__file__).parent / "migrations",
)

blueprint.add_url_rule("/", "index", requires("fordern.cases.read")(module_start_page(manifest)))
for pages in (escalation_views, case_page, canton_views):
    pages.init(blueprint)


@hookimpl
def install(tenant):
    if tenant.is_canton:
        legal.seed()  # the canton keeps the legal bases of the escalation


@hookimpl
def submission_changed(tenant, submission, event):
    escalation.submission_changed(tenant, submission, event)
