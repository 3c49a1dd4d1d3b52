"""Module Informieren: know every newcomer from abroad, welcome them, hold first-information interviews.

The package's hook surface is this file; the work is in the subpackages by concern:
``register`` (the newcomers, their list and form, the API), ``imports`` (eCH-0020 and CSV imports),
``letters`` (welcome letters), ``interviews`` (first-information interviews); and at the top
``models``, ``worklist`` (deadlines, start page, items for core's worklist), ``figures`` (reports,
activity counts), ``retention`` (anonymising records past the tenant's retention period), ``demo``.
In each subpackage the pages, the API and the commands sit above the logic (setup.cfg's
import-linter contracts).
"""

from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import Role
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission, Setting, SettingType

# The modules imported as ``_…`` register their pages, API and commands on the blueprints and the group.
from plugins.informieren import cli, demo, export, figures, person_panel, retention, worklist
from plugins.informieren.blueprints import api, blueprint
from plugins.informieren.imports import api as _imports_api  # noqa: F401
from plugins.informieren.imports import cli as _imports_cli  # noqa: F401
from plugins.informieren.imports import runs as import_runs
from plugins.informieren.imports import views as import_views
from plugins.informieren.interviews import checklist as interview_checklist
from plugins.informieren.interviews import records as interview_records
from plugins.informieren.interviews import views as _interview_views  # noqa: F401
from plugins.informieren.letters import batch as letter_batch
from plugins.informieren.letters import templates as letter_templates
from plugins.informieren.letters import views as _letter_views  # noqa: F401
from plugins.informieren.register import api as _register_api  # noqa: F401
from plugins.informieren.register import cli as _register_cli  # noqa: F401
from plugins.informieren.register import timeline as register_timeline
from plugins.informieren.register import views as _register_views  # noqa: F401

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
        Setting(interview_checklist.TOPICS_SETTING, list(interview_checklist.DEFAULT_TOPICS),
                _l("Themen des Erstinformationsgesprächs"), type=SettingType.LIST,
                managed_elsewhere="informieren.settings"),
        Setting(letter_templates.CONTACT_SETTING, "",
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
    events=(interview_records.NEEDS_HANDED_OVER,),
    figures=(figures.NEWCOMERS, figures.LETTERS_SENT, figures.INTERVIEWS_HELD),
    activity_keys=(figures.LETTERS_SENT, figures.INTERVIEWS_HELD),
    audit_actions={
        "informieren.person.create": _l("Neuzuzüger/in erfasst"),
        "informieren.person.update": _l("Neuzuzüger/in geändert"),
        "informieren.import": _l("Import aus dem Einwohnerregister"),
        "informieren.import_details_cleared": _l("Angaben eines Imports gelöscht"),
        "informieren.letter_template.add": _l("Briefvorlage gespeichert"),
        "informieren.letter_template.delete": _l("Briefvorlage gelöscht"),
        "informieren.letters.generate": _l("Begrüssungsschreiben erstellt"),
        "informieren.letters.sent": _l("Begrüssungsschreiben als versandt markiert"),
    },
    audit_objects={
        "informieren_person": _l("Neuzuzüger/in"),
        "informieren_newcomers": _l("Neuzuzüger/in"),
        "informieren_import": _l("Import"),
        "informieren_interviews": _l("Erstinformationsgespräch"),
        "letter_template": _l("Briefvorlage"),
    },
    alembic_branch="informieren",
    migrations=Path(__file__).parent / "migrations",
)


def _contact_problem(text: str) -> str | None:
    """The letters' own check: it must fit their sender block and print with their fonts."""
    if len(text) > CONTACT_LENGTH:
        return _("Höchstens %(max)s Zeichen.", max=CONTACT_LENGTH)
    return letter_templates.unprintable_error(text)


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


@hookimpl
def install(tenant):
    letter_templates.install_defaults(tenant)


@hookimpl
def job_kinds():
    return [*import_runs.job_kinds(result=import_views.job_result), *letter_batch.job_kinds()]


@hookimpl
def periodic_jobs():
    return [*import_runs.periodic_jobs(), *retention.periodic_jobs()]


@hookimpl
def worklist_items(tenant, day):
    return worklist.worklist_items(tenant, day)


@hookimpl
def person_timeline(tenant, person_id):
    return [*register_timeline.timeline(person_id), *letter_batch.timeline(person_id),
            *interview_records.timeline(person_id)]


@hookimpl
def person_panels(tenant, person):
    return person_panel.panels(person)


@hookimpl
def person_export(tenant, person):
    return export.sections(person)


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

