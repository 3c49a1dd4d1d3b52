"""The platform itself as core's first built-in plugin (``core.plugins.DEFAULT_PLUGINS``).

Tenant home, members and roles, settings, audit, API tokens, people, reports, jobs, submissions,
the worklist; the canton's console has plugins of its own (``core.console``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import jobs, modules, reports, submission_pages, worklist
from core.access import Role, can, known_roles
from core.db import db
from core.hookspecs import hookimpl
from core.jobs import JobContext, JobKind, PeriodicJob, ResultFile
from core.people import retention as people_retention
from core.plugins import Figure, HomePanel, Manifest, MenuEntry, Permission, Setting, SettingType
from core.reports import Period
from core.tenancy import served_municipalities

ALL = tuple(Role)
ACTIVE_MODULES = Figure("core.active_modules", _l("Aktive Module"))
ADMINS = (Role.CANTON_ADMIN, Role.TENANT_ADMIN)

manifest = Manifest(
    id="core",
    title=_l("Plattform"),
    version="0.1.0",
    always_on=True,
    alembic_branch="core",
    permissions=(
        Permission("core.tenant.view", _l("Startseite des Mandanten sehen"), ALL),
        Permission("core.members.manage", _l("Mitglieder und Rollen verwalten"), ADMINS),
        Permission("core.settings.manage", _l("Einstellungen des Mandanten verwalten"), ADMINS),
        Permission("core.audit.read", _l("Protokoll einsehen"), (*ADMINS, Role.CANTON_OFFICE)),
        Permission("core.tokens.manage", _l("API-Tokens verwalten"), ADMINS),
        Permission("core.persons.read", _l("Personen suchen und ihre Seite sehen"),
                   (Role.TENANT_ADMIN, Role.RESIDENTS_SERVICES, Role.INTEGRATION_OFFICER, Role.READ_ONLY),
                   commune_only=True),
        Permission("core.persons.export", _l("Auskunft: alle Daten zu einer Person herunterladen"),
                   (Role.TENANT_ADMIN,), commune_only=True),
        Permission("core.reports.read", _l("Berichte erstellen und herunterladen"),
                   (*ADMINS, Role.CANTON_OFFICE, Role.INTEGRATION_OFFICER, Role.READ_ONLY)),
        Permission("core.tenants.manage", _l("Mandanten einrichten und archivieren"), (Role.CANTON_ADMIN,), True),
        Permission("core.modules.entitle", _l("Module freigeben und planen"), (Role.CANTON_ADMIN,), True),
        Permission("core.modules.activate", _l("Freigegebene Module ein- und ausschalten"), ADMINS),
        Permission("core.canton.read", _l("Daten aller Mandanten lesen (kantonale Sicht)"),
                   (Role.CANTON_ADMIN, Role.CANTON_OFFICE), True),
        Permission("core.content_languages.manage", _l("Inhaltssprachen der öffentlichen Seiten wählen"), ADMINS),
        # Submissions to the canton (core/submissions.py): in the canton, the inbox shows only the kinds
        # whose review permission the user holds.
        Permission("core.submissions.read", _l("Eingaben an den Kanton sehen (im Kanton: die Eingänge)"),
                   (Role.TENANT_ADMIN, Role.INTEGRATION_OFFICER, Role.READ_ONLY, Role.CANTON_ADMIN,
                    Role.CANTON_OFFICE)),
        Permission("core.submissions.submit", _l("Eingaben an den Kanton einreichen und zurückziehen"),
                   (Role.TENANT_ADMIN, Role.INTEGRATION_OFFICER), commune_only=True),
        Permission("core.submissions.review", _l("Eingaben der Gemeinden prüfen, annehmen und zurückweisen"),
                   (Role.CANTON_ADMIN, Role.CANTON_OFFICE), canton_only=True),
    ),
    settings=(
        # A commune with its own directory may bring its own OpenID Connect provider.
        Setting("core.oidc_issuer", "", _l("Eigener Identitätsanbieter (Issuer-URL)"), type=SettingType.URL,
                help=_l("Leer: Anmeldung über den Identitätsanbieter des Kantons.")),
        Setting("core.oidc_client_id", "", _l("Client-ID beim eigenen Identitätsanbieter"), type=SettingType.TEXT),
        Setting("core.oidc_client_secret", "", _l("Client-Secret beim eigenen Identitätsanbieter"),
                type=SettingType.TEXT, secret=True),
        Setting("core.oidc_group_roles", {}, _l("Gruppen des eigenen Anbieters und ihre Rollen"),
                type=SettingType.MAPPING, validate=lambda value, tenant: _unknown_roles(value, tenant),
                help=_l('Ein JSON-Objekt, Gruppe → Rolle, zum Beispiel {"Integration": "integration_officer"}.')),
        Setting(worklist.DIGEST_SETTING, True, _l("Tägliche Übersicht der fälligen Aufgaben per E-Mail"),
                type=SettingType.BOOLEAN),
        # The languages the tenant's public content is held in (core.content_languages); German always.
        Setting("core.content_languages", ["de"], _l("Inhaltssprachen"), type=SettingType.LIST,
                managed_elsewhere="admin.content_languages"),
    ),
    api_scopes=("core:read",),
    figures=(ACTIVE_MODULES,),
    menu=(
        # The tenant's home first, the modules (by their position) next, then the tools; the console's
        # plugins put their entries between (790-820, and 915 among the administration).
        MenuEntry(_l("Übersicht"), "shell.tenant_home", "core.tenant.view", 0),
        MenuEntry(_l("Personen"), "people.search", "core.persons.read", 5),
        MenuEntry(_l("Eingaben"), "submissions.index", "core.submissions.read", 830),
        MenuEntry(_l("Berichte"), "jobs.reports", "core.reports.read", 900),
        MenuEntry(_l("Aufträge"), "jobs.index", "core.tenant.view", 910),
        MenuEntry(_l("Mitglieder"), "admin.members", "core.members.manage", 920),
        MenuEntry(_l("Einstellungen"), "tenant_settings.edit", "core.settings.manage", 925),
        MenuEntry(_l("Protokoll"), "admin.audit_log", "core.audit.read", 930),
        MenuEntry(_l("API-Tokens"), "admin.tokens", "core.tokens.manage", 940),
    ),
)


def _unknown_roles(mapping: dict, tenant) -> str | None:
    unknown = sorted({role for role in mapping.values() if role not in known_roles(tenant)})
    if unknown:
        return _("Diese Rollen gibt es hier nicht: %(unknown)s (möglich: %(known)s).",
                 unknown=", ".join(unknown), known=", ".join(known_roles(tenant)))
    return None


def _check_database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _check_redis() -> None:
    url = current_app.config["REDIS_URL"]
    if url:
        import redis

        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()


@hookimpl
def health_checks():
    return {"database": _check_database, "redis": _check_redis}


@hookimpl
def scan_attachment(tenant, filename, data):
    """clamd, when ``CLAMD_SOCKET`` or ``CLAMD_HOST`` is configured."""
    from core.attachments import scanning

    return scanning.clamd_verdict(data)


# -- jobs and periodic work -----------------------------------------------------------------


def _run_report(context: JobContext):
    period = Period.parse(context.params["period"])
    fmt = context.params["format"]
    if context.params.get("scope") == "canton":
        report, name = reports.canton_report(period, context.progress), "kanton"
    else:
        report, name = reports.tenant_report(context.tenant, period, context.progress), context.tenant.slug
    return [ResultFile(f"bericht-{name}-{period.label}.{fmt}", reports.FORMATS[fmt], reports.render(report, fmt))]


@hookimpl
def job_kinds():
    return [JobKind("report", _run_report, _l("Bericht"), queue="reports", timeout_seconds=1800,
                    permission="core.reports.read")]


@hookimpl
def periodic_jobs():
    return [
        # Scheduled module activations take effect on their date (requests do it too, lazily).
        PeriodicJob("modules.apply_due", "5 0 * * *", lambda: jobs.each_tenant(modules.apply_due)),
        PeriodicJob("jobs.reconcile", "*/2 * * * *", lambda: jobs.each_tenant(jobs.reconcile)),
        PeriodicJob("jobs.purge_files", "30 2 * * *", lambda: jobs.each_tenant(jobs.purge_expired_files)),
        PeriodicJob("reports.scheduled", "0 6 * * *", lambda: jobs.each_tenant(reports.run_schedules)),
        PeriodicJob("worklist.digest", "0 7 * * *", lambda: jobs.each_tenant(worklist.send_digest)),
        # After the modules' own nightly work; archived tenants too: their data is kept, so are the periods.
        PeriodicJob("people.retention", "30 3 * * *",
                    lambda: jobs.each_tenant(people_retention.apply, archived=True)),
    ]


# -- reports -------------------------------------------------------------------------------------


@hookimpl
def report_sections(tenant, period):
    rows = modules.activations(tenant)
    table = reports.Table(
        str(_l("Module")), [str(_l("Modul")), str(_l("Stand")), str(_l("seit"))],
        [[str(m.title), rows[m.id].state if m.id in rows else "–",
          rows[m.id].effective_from if m.id in rows and rows[m.id].effective_from else ""]
         for m in modules.registry().modules],
    )
    communes = reports.Table(
        str(_l("Gemeinden")), [str(_l("BFS-Nummer")), str(_l("Gemeinde")), str(_l("Bezirk"))],
        [[m.bfs_number, m.name, m.district] for m in served_municipalities(tenant, period.end)],
    )
    return [reports.Section(str(_l("Mandant")), [table, communes])]


@hookimpl
def home_panels(tenant):
    if not (tenant.is_canton and can("core.submissions.read")):
        return []
    kinds = submission_pages.open_by_kind()
    return [HomePanel(_("Offene Eingaben"), "submissions/_home.html", {"kinds": kinds}, 40)] if kinds else []


@hookimpl
def report_figures(tenant, period):
    ready = {m.id for m in modules.registry().modules if m.ready}  # a skeleton module does not count yet
    active = [row for row in modules.activations(tenant).values()
              if row.is_active_on(period.end) and row.module_id in ready]
    return {ACTIVE_MODULES.key: len(active)}


# -- people ----------------------------------------------------------------------------------------


@hookimpl
def retention_holds(tenant, today):
    return people_retention.core_holds(today)
