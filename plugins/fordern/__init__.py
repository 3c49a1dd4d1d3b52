"""Module Fordern: integration interviews, agreed measures, escalation to the canton.

``states`` (the state machine of a case), ``models`` (cases and their immutable history), ``cases``
(opening and moving a case, checked), ``retention`` (the retention period, the person's export),
``report`` (anonymous figures, activity keys), ``worklist``, ``deadlines`` (the next deadline of each
case), ``api`` and ``cli`` (cases for machines and operators, without names). A case concerns one
person of core (a newcomer, or anyone the commune enters); the module works with Informieren and
Fördern through events and hooks.
"""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core import clock
from core.access import Role, requires
from core.hookspecs import hookimpl
from core.jobs import PeriodicJob, each_tenant
from core.plugins import Manifest, MenuEntry, Permission, Setting, SettingType
from core.web import module_start_page
from plugins.fordern import api, cli, report, retention, worklist

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
    settings=(
        Setting(retention.YEARS_SETTING, retention.DEFAULT_YEARS,
                _l("Abgeschlossene Fälle anonymisieren nach (Jahren)"), type=SettingType.INTEGER, min=1, max=30),
        Setting(worklist.FOLLOW_UP_SETTING, worklist.DEFAULT_FOLLOW_UP_DAYS,
                _l("Fälle ohne Schritt auf die Arbeitsliste nach (Tagen)"), type=SettingType.INTEGER, min=7,
                max=365),
        Setting(api.SWITCH, False, _l("Fälle über die Programmierschnittstelle (API) abrufbar"),
                type=SettingType.BOOLEAN,
                help=_l("Aus: kein Token erhält Fälle, auch mit der Berechtigung fordern:cases.")),
    ),
    blueprint=blueprint,
    api_blueprint=api.api,
    api_scopes=(api.CASES_SCOPE,),
    figures=(report.CASES_OPENED, report.CASES_ESCALATED, report.INTERVIEWS_HELD),
    activity_keys=(report.INTERVIEWS_HELD,),
    menu=(MenuEntry(_l("Fordern"), "fordern.index", "fordern.cases.read"),),
    translations=Path(__file__).parent / "translations",
    alembic_branch="fordern",
    migrations=Path(__file__).parent / "migrations",
)

blueprint.add_url_rule("/", "index", requires("fordern.cases.read")(module_start_page(manifest)))


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


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
