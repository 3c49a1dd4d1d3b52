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

Records: ``retention`` (the retention period, the person's export), ``report`` (anonymous figures,
activity keys), ``worklist``, ``deadlines`` (the next deadline of each case), ``api`` and ``cli``
(cases for machines and operators, without names), ``demo`` (the demo's cases, ``flask demo load``).

The escalation to the canton: ``escalation`` (the submission kind, the snapshot, the canton's decision
arriving through ``submission_changed``), ``escalation_models`` (the canton's reviews, deadlines and legal
bases; the commune's record of the outcome), ``legal`` (the pre-check's rules, the legal bases),
``review`` (the canton's steps), ``agreement_pdf`` (the agreement or recommendation as PDF),
``escalation_forms``, ``escalation_views`` (the commune's pages) and ``canton_views`` (the canton's).
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core import clock
from core.access import Role, can
from core.hookspecs import hookimpl
from core.jobs import PeriodicJob, each_tenant
from core.plugins import Manifest, MenuEntry, Permission, Setting, SettingType
from plugins.fordern import (  # noqa: F401 (routes, and the tables for the app and Alembic)
    api,
    canton_views,
    case_views,
    cli,
    deadlines,
    demo,
    escalation,
    escalation_models,
    escalation_views,
    interview_models,
    interview_views,
    interviews,
    invitation_text_views,
    invitation_texts,
    legal,
    measure_models,
    measure_views,
    measures,
    models,
    person_panel,
    report,
    retention,
    worklist,
)
from plugins.fordern.pages import EDIT, READ, blueprint

# What the records of a case need from its parts: the next deadlines, and what to erase with it.
deadlines.SOURCES.append(measures.open_deadlines)
retention.ERASERS.extend((interviews.erase, measures.erase, escalation.erase))

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
        *escalation.PERMISSIONS,
    ),
    settings=(
        Setting(retention.YEARS_SETTING, retention.DEFAULT_YEARS,
                _l("Abgeschlossene Fälle anonymisieren nach (Jahren)"), type=SettingType.INTEGER, min=1, max=30),
        Setting(worklist.FOLLOW_UP_SETTING, worklist.DEFAULT_FOLLOW_UP_DAYS,
                _l("Fälle ohne Schritt auf die Arbeitsliste nach (Tagen)"), type=SettingType.INTEGER, min=7,
                max=365),
        Setting(invitation_texts.SETTING, {}, _l("Einladungstexte in weiteren Sprachen"),
                type=SettingType.MAPPING, validate=invitation_texts.check_setting,
                managed_elsewhere="fordern.invitation_texts"),
        Setting(api.SWITCH, False, _l("Fälle über die Programmierschnittstelle (API) abrufbar"),
                type=SettingType.BOOLEAN,
                help=_l("Aus: kein Token erhält Fälle, auch mit der Berechtigung fordern:cases.")),
    ),
    roles=escalation.ROLES,
    submission_kinds=escalation.SUBMISSION_KINDS,
    blueprint=blueprint,
    api_blueprint=api.api,
    api_scopes=(api.CASES_SCOPE,),
    figures=(report.CASES_OPENED, report.CASES_ESCALATED, report.INTERVIEWS_HELD),
    activity_keys=(report.INTERVIEWS_HELD,),
    menu=(MenuEntry(_l("Fordern"), "fordern.index", READ), *escalation.MENU),
    translations=Path(__file__).parent / "translations",
    subscribes=(measures.REFERRAL_OUTCOME,),
    alembic_branch="fordern",
    migrations=Path(__file__).parent / "migrations",
)

@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


@hookimpl(trylast=True)  # after Informieren's (the persons) and Fördern's (the offers a measure names)
def demo_data(tenant):
    return demo.load(tenant)


@hookimpl
def worklist_items(tenant, day):
    return worklist.items(tenant, day)


@hookimpl
def report_sections(tenant, period):
    return report.report_sections(tenant, period)


@hookimpl
def report_figures(tenant, period):
    return report.report_figures(tenant, period)


@hookimpl
def activity_counts(tenant, period):
    return report.activity_counts(tenant, period)


@hookimpl
def retention_holds(tenant, today):
    return retention.holds(tenant, today)


@hookimpl
def retention_erase(tenant, person_ids, today):
    retention.erase(person_ids, today)


@hookimpl
def person_export(tenant, person):
    return retention.export(person)


@hookimpl
def periodic_jobs():
    # Before core's people.retention (03:30): a case past its period is anonymised first.
    return [PeriodicJob("fordern.retention", "10 3 * * *",
                        lambda: each_tenant(lambda tenant: retention.apply(tenant, clock.today()), archived=True))]



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


@hookimpl
def install(tenant):
    if tenant.is_canton:
        legal.seed()  # the canton keeps the legal bases of the escalation


@hookimpl
def submission_changed(tenant, submission, event):
    escalation.submission_changed(tenant, submission, event)
