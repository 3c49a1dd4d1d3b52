"""Module Informieren: know every newcomer from abroad, welcome them, hold first-information interviews.

The package's hook surface is this file; the work is in the submodules:
``register`` (the newcomers, their pages, the API), ``imports`` (eCH-0020 and CSV imports),
``letters`` (welcome letters), ``interviews`` (first-information interviews),
``worklist`` (deadlines, start page, items for core's worklist), ``figures`` (reports, activity counts) and
``retention`` (anonymising records past the tenant's retention period).
"""

from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import Role
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission, Setting, SettingType
from plugins.informieren import (  # noqa: F401
    cli,
    demo,
    figures,
    imports,
    interviews,
    letters,
    models,
    register,
    retention,
    worklist,
)
from plugins.informieren.blueprints import api, blueprint

STAFF = (Role.RESIDENTS_SERVICES, Role.INTEGRATION_OFFICER)
CONTACT_LENGTH = 500  # as the letters page's form allows

manifest = Manifest(
    id="informieren",
    title=_l("Informieren"),
    version="1.0.0",
    description=_l(
        "Neuzuzügerinnen und Neuzuzüger aus dem Ausland kennen, begrüssen und ihnen die Erstinformation geben."
    ),
    position=10,
    requires=(),
    permissions=(
        Permission("informieren.newcomers.read", _l("Neuzuzügerinnen und Neuzuzüger einsehen"),
                   (*STAFF, Role.TENANT_ADMIN, Role.READ_ONLY)),
        Permission("informieren.newcomers.edit", _l("Neuzuzügerinnen und Neuzuzüger erfassen und bearbeiten"), STAFF),
        Permission("informieren.imports.run", _l("Meldungen des Einwohnerregisters importieren"), STAFF),
        Permission("informieren.letters.manage", _l("Begrüssungsschreiben erstellen und als versandt markieren"),
                   STAFF),
        Permission("informieren.interviews.read", _l("Erstinformationsgespräche einsehen"),
                   (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN)),
        Permission("informieren.interviews.edit", _l("Erstinformationsgespräche planen und festhalten"),
                   (Role.INTEGRATION_OFFICER,)),
        Permission("informieren.settings.manage", _l("Fristen, Vorlagen und Themen von Informieren verwalten"),
                   (Role.TENANT_ADMIN, Role.INTEGRATION_OFFICER)),
    ),
    settings=(
        Setting("informieren.letter_deadline_days", 14, _l("Frist für das Begrüssungsschreiben (Tage ab Zuzug)"),
                type=SettingType.INTEGER, min=1, max=365),
        Setting("informieren.interview_deadline_days", 90,
                _l("Frist für das Erstinformationsgespräch (Tage ab Zuzug)"), type=SettingType.INTEGER, min=1, max=365),
        # A list of shipped topic keys and custom labels: its own page shows the keys' labels and the order.
        Setting("informieren.interview_topics", list(interviews.DEFAULT_TOPICS),
                _l("Themen des Erstinformationsgesprächs"), type=SettingType.LIST,
                managed_elsewhere="informieren.settings"),
        Setting("informieren.letter_contact", "",
                _l("Integrations-Ansprechstelle im Begrüssungsschreiben (Name, Adresse, Telefon, E-Mail)"),
                type=SettingType.MULTILINE, validate=lambda value, tenant: _contact_problem(value)),
        Setting(retention.RETENTION_YEARS, retention.DEFAULT_YEARS, retention.LABEL, type=SettingType.INTEGER,
                min=retention.MIN_YEARS, max=retention.MAX_YEARS,
                help=_l("Danach werden Namen, Geburtsdatum, Adresse, Register-ID, AHV-Nummer und Gesprächsnotizen "
                        "gelöscht; die Zahlen für Berichte und Abrechnung bleiben.")),
    ),
    blueprint=blueprint,
    api_blueprint=api,
    api_scopes=("informieren:read", "informieren:write", "informieren:import"),
    menu=(MenuEntry(_l("Informieren"), "informieren.index", "informieren.newcomers.read"),),
    translations=Path(__file__).parent / "translations",
    events=(interviews.NEEDS_HANDED_OVER,),
    figures=(figures.NEWCOMERS, figures.LETTERS_SENT, figures.INTERVIEWS_HELD),
    activity_keys=(figures.LETTERS_SENT, figures.INTERVIEWS_HELD),
    alembic_branch="informieren",
    migrations=Path(__file__).parent / "migrations",
)


def _contact_problem(text: str) -> str | None:
    """The letters' own check: it must fit their sender block and print with their fonts."""
    if len(text) > CONTACT_LENGTH:
        return _("Höchstens %(max)s Zeichen.", max=CONTACT_LENGTH)
    return letters.unprintable_error(text)


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


@hookimpl
def install(tenant):
    letters.install_defaults(tenant)


@hookimpl
def job_kinds():
    return [*imports.job_kinds(), *letters.job_kinds()]


@hookimpl
def periodic_jobs():
    return [*imports.periodic_jobs(), *retention.periodic_jobs()]


@hookimpl
def worklist_items(tenant, day):
    return worklist.worklist_items(tenant, day)


@hookimpl
def person_timeline(tenant, person_id):
    return [*register.timeline(person_id), *letters.timeline(person_id), *interviews.timeline(person_id)]


@hookimpl
def report_sections(tenant, period):
    return figures.report_sections(tenant, period)


@hookimpl
def report_figures(tenant, period):
    return figures.report_figures(tenant, period)


@hookimpl
def activity_counts(tenant, period):
    return figures.activity_counts(tenant, period)


@hookimpl
def retention_holds(tenant, today):
    return retention.holds(tenant, today)


@hookimpl
def retention_erase(tenant, person_ids, today):
    retention.erase(person_ids, today)


@hookimpl
def demo_data(tenant):
    return demo.load(tenant)

