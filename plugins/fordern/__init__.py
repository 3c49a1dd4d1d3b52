"""Module Fordern: integration interviews, agreed measures, escalation to the canton.

``states`` (the state machine of a case), ``models`` (cases and their immutable history), ``cases``
(opening and moving a case, checked). A case concerns one person of core (a newcomer, or anyone
the commune enters); the module works with Informieren and Fördern through events and hooks.

The commune's side: ``pages`` (the blueprint, a case by its id, 404 for whoever may not read cases),
``case_views`` (the list, opening a case, the case page with its next steps, the owner),
``interviews`` and ``interview_models`` (invitation, minutes, the officer's .ics), ``letters`` (the
invitation letter, German and the person's language), ``interview_views``, ``measures`` and
``measure_models`` (measures, agreeing them, their follow-up, Fördern's referral outcomes),
``measure_views`` (with the evidence as core attachments), the forms (``case_forms``,
``interview_forms``, ``measure_forms``, ``form_parts``) and ``person_panel`` (on core's person page).
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.access import Role, can
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission
from plugins.fordern import (  # noqa: F401 (routes)  # noqa: F401 (the tables, for the app and Alembic)
    case_views,
    interview_models,
    interview_views,
    measure_models,
    measure_views,
    measures,
    models,
    person_panel,
)
from plugins.fordern.pages import EDIT, READ, blueprint

manifest = Manifest(
    id="fordern",
    title=_l("Fordern"),
    version="0.2.0",
    description=_l("Integrationsgespräche führen, Massnahmen vereinbaren, an den Kanton eskalieren."),
    position=30,
    requires=("informieren",),
    permissions=(
        Permission(READ, _l("Fälle einsehen (besonders schützenswerte Daten)"), (Role.INTEGRATION_OFFICER,)),
        Permission(EDIT, _l("Fälle bearbeiten"), (Role.INTEGRATION_OFFICER,)),
    ),
    blueprint=blueprint,
    menu=(MenuEntry(_l("Fordern"), "fordern.index", READ),),
    translations=Path(__file__).parent / "translations",
    subscribes=(measures.REFERRAL_OUTCOME,),
    alembic_branch="fordern",
    migrations=Path(__file__).parent / "migrations",
)


@hookimpl
def person_panels(tenant, person):
    return person_panel.panels(person)


@hookimpl
def handle_event(tenant, event):
    if event.type == measures.REFERRAL_OUTCOME:
        return measures.take_referral_outcome(event.payload)
    return None


@hookimpl
def attachment_permission(tenant, attachment, user, action):
    """The evidence of a measure: read with the cases, deleted by who edits them; to anyone else it does not
    exist (None: 404, as every Fordern page answers)."""
    if attachment.owner_type != measure_views.OWNER_TYPE:
        return None
    needed = EDIT if action == "delete" else READ
    return True if can(needed) else None
