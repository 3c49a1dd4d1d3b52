"""Flask commands for the canton's operators: tenants, modules, reference data, demo."""

from __future__ import annotations

import functools
import getpass
import json
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.cli import AppGroup, with_appcontext

from core import api, clock, demo, jobs, modules, provisioning, setting_values, sync
from core import reports as reporting
from core.db import db
from core.errors import UserError
from core.tenancy import Tenant, get_tenant, tenant_scope

TENANTS_DIR = Path(__file__).parent.parent / "tenants"

tenants_cli = AppGroup("tenants", help="Mandanten einrichten, auflisten, archivieren, abgleichen.")
modules_cli = AppGroup("modules", help="Module freigeben, aktivieren, ausschalten.")
communes_cli = AppGroup("communes", help="Das Gemeindeverzeichnis des Kantons.")
demo_cli = AppGroup("demo", help="Demodaten.")
tokens_cli = AppGroup("tokens", help="API-Tokens für Fachanwendungen (Einwohnerregister).")
jobs_cli = AppGroup("jobs", help="Hintergrundaufträge.")
reports_cli = AppGroup("reports", help="Berichte.")
periodic_cli = AppGroup("periodic", help="Periodische Aufgaben.")
settings_cli = AppGroup("settings", help="Einstellungen eines Mandanten (Secrets werden nie angezeigt).")


def echo_table(columns: tuple[str, ...], rows: list[list[str]]) -> None:
    """Print ``rows`` (texts) under ``columns``, each column as wide as its widest cell."""
    table = [list(columns), *rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def operator_command(func):
    """Run as the CLI's operator; a user error becomes a message and exit code 1, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g.actor = f"cli:{getpass.getuser()}"
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except UserError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None

    return wrapper


class DateParam(click.ParamType):
    name = "JJJJ-MM-TT"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"«{value}» ist kein Datum (JJJJ-MM-TT)", param, ctx)


DATE = DateParam()


def _tenant_row(tenant: Tenant) -> dict:
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "kind": tenant.kind,
        "state": tenant.state,
        "communes": sorted(provisioning.current_communes(tenant, clock.today())),
        "modules": _module_rows(tenant),
    }


def _module_rows(tenant: Tenant) -> dict:
    return {
        module_id: {
            "state": row.state,
            "from": row.effective_from.isoformat() if row.effective_from else None,
            "changed_by": row.changed_by,
            "changed_at": row.changed_at.isoformat(),
        }
        for module_id, row in sorted(modules.activations(tenant).items())
    }


# -- tenants -------------------------------------------------------------------


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Anzeigename.")
@click.option("--kind", type=click.Choice(["canton", "commune", "region"]), default="commune", show_default=True)
@click.option("--commune", "communes", type=int, multiple=True, help="BFS-Nummer einer betreuten Gemeinde.")
@click.option("--from", "valid_from", type=DATE, help="Gemeinden betreut ab (Standard: heute).")
@operator_command
def tenants_create(slug, name, kind, communes, valid_from):
    """Einen Mandanten einrichten."""
    tenant = provisioning.create_tenant(slug, name, kind, list(communes), valid_from)
    click.echo(f"{tenant.slug}: {tenant.name} ({tenant.kind})")


@tenants_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@operator_command
def tenants_list(as_json):
    """Alle Mandanten mit Gemeinden und Modulen."""
    tenants = db.session.scalars(sa.select(Tenant).order_by(Tenant.slug)).all()
    rows = [_tenant_row(t) for t in tenants]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        active = ", ".join(m for m, s in row["modules"].items() if s["state"] == "active") or "–"
        click.echo(f"{row['slug']:<28} {row['kind']:<8} {row['state']:<9} {row['name']}  [{active}]")


@tenants_cli.command("archive")
@click.argument("slug")
@operator_command
def tenants_archive(slug):
    """Einen Mandanten archivieren (Daten bleiben, Seiten und Logins schliessen)."""
    provisioning.archive_tenant(get_tenant(slug, include_archived=True))
    click.echo(f"{slug}: archiviert")


@tenants_cli.command("rename")
@click.argument("slug")
@click.argument("name")
@operator_command
def tenants_rename(slug, name):
    """Einen Mandanten umbenennen."""
    provisioning.rename_tenant(get_tenant(slug), name)
    click.echo(f"{slug}: {name}")


@tenants_cli.command("communes")
@click.argument("slug")
@click.option("--commune", "communes", type=int, multiple=True, help="BFS-Nummer; alle betreuten Gemeinden nennen.")
@click.option("--from", "valid_from", type=DATE, required=True, help="Ab diesem Tag.")
@click.option("--dry-run", is_flag=True, help="Nur zeigen, was sich ändern würde.")
@operator_command
def tenants_communes(slug, communes, valid_from, dry_run):
    """Die Gemeinden eines Mandanten ändern; von anderen Mandanten betreute wechseln (Beitritt zur Region)."""
    plan = provisioning.plan_communes(get_tenant(slug), list(communes), valid_from, take_over=True)
    _echo_plan(plan, dry_run)


@tenants_cli.command("invite")
@click.argument("slug")
@click.argument("email")
@click.option("--role", default="tenant_admin", show_default=True)
@click.option("--days", type=int, default=provisioning.INVITATION_DAYS, show_default=True)
@click.option("--language", type=click.Choice(["de", "fr", "it", "en"]), default="de", show_default=True,
              help="Sprache der E-Mail an die eingeladene Person")
@operator_command
def tenants_invite(slug, email, role, days, language):
    """Eine Person per E-Mail einladen; die Rolle gilt ab ihrer ersten Anmeldung mit bestätigter Adresse."""
    tenant = get_tenant(slug)
    invitation, created = provisioning.invite(tenant, email, role, days)
    click.echo(f"{invitation.id} {invitation.email} {invitation.role} "
               + (f"bis {invitation.expires_at.isoformat()}" if created else "(schon eingeladen)"))
    if created:
        db.session.commit()  # the invitation stands, whatever the mail server says
        if not provisioning.send_invitation(tenant, invitation, language):
            click.echo(f"E-Mail nicht gesendet; Link für die Person: {provisioning.invitation_link(tenant)}", err=True)


@tenants_cli.command("invitations")
@click.argument("slug")
@operator_command
def tenants_invitations(slug):
    """Die Einladungen eines Mandanten."""
    for invitation in provisioning.invitations(get_tenant(slug, include_archived=True)):
        click.echo(f"{invitation.id}  {invitation.email:<32} {invitation.role:<20} {invitation.state}")


@tenants_cli.command("revoke-invitation")
@click.argument("slug")
@click.argument("invitation_id")
@operator_command
def tenants_revoke_invitation(slug, invitation_id):
    """Eine offene Einladung widerrufen."""
    provisioning.revoke_invitation(get_tenant(slug, include_archived=True), invitation_id)
    click.echo(f"{invitation_id}: widerrufen")


def _echo_plan(plan, dry_run: bool) -> None:
    for change in plan.ends:
        click.echo(f"- {change.tenant.slug}: {change.municipality.bfs_number} {change.municipality.name} "
                   f"bis {change.day.isoformat()}")
    for change in plan.starts:
        click.echo(f"+ {change.tenant.slug}: {change.municipality.bfs_number} {change.municipality.name} "
                   f"ab {change.day.isoformat()}")
    for note in plan.notes:
        click.echo(f"! {note}")
    if plan.empty:
        click.echo("Keine Änderungen.")
    elif dry_run:
        click.echo("Probelauf: nichts geschrieben.")
    else:
        provisioning.apply_plan(plan)


@tenants_cli.command("sync")
@click.argument("path", type=click.Path(path_type=Path), default=TENANTS_DIR)
@click.option("--dry-run", is_flag=True, help="Nur zeigen, was sich ändern würde.")
@operator_command
def tenants_sync(path, dry_run):
    """Die Mandanten-Dateien (TOML) auf die Datenbank anwenden."""
    changes = sync.sync(path, dry_run=dry_run)
    for line in changes:
        click.echo(line)
    if not changes:
        click.echo("Keine Änderungen.")
    elif dry_run:
        click.echo(f"Probelauf: {len(changes)} Änderungen, nichts geschrieben.")


# -- settings ------------------------------------------------------------------


@settings_cli.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@operator_command
def settings_list(slug, as_json):
    """Die Einstellungen eines Mandanten; ein Secret nur als gesetzt (***) oder nicht."""
    tenant = get_tenant(slug, include_archived=True)
    declared = sorted(provisioning.declared_settings().items())
    values = {key: provisioning.get_setting(tenant, key) for key, _setting in declared}
    if as_json:
        rows = [{"key": key, "label": str(setting.label), "type": setting.type, "secret": setting.secret,
                 "value": setting_values.public_value(setting, values[key])} for key, setting in declared]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for key, setting in declared:
        click.echo(f"{key:<36} {setting_values.shown(setting, values[key])}")


@settings_cli.command("set")
@click.argument("slug")
@click.argument("key")
@click.argument("value", required=False)
@operator_command
def settings_set(slug, key, value):
    """Eine Einstellung setzen (Listen: eine Zeile je Eintrag; Zuordnungen: JSON). Ohne VALUE: nachgefragt,
    bei einem Secret verdeckt."""
    setting = provisioning.declared_settings().get(key)
    if setting is None:
        raise UserError(f"Unbekannte Einstellung «{key}».")
    if value is None:
        value = click.prompt(key, hide_input=setting.secret, default="", show_default=False)
    changed = provisioning.set_setting(get_tenant(slug), key, setting_values.from_text(setting, value))
    click.echo(f"{key}: " + (setting_values.shown(setting, provisioning.get_setting(get_tenant(slug), key))
                             if changed else "unverändert"))


# -- modules -------------------------------------------------------------------


@modules_cli.command("list")
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@operator_command
def modules_list(slug, as_json):
    """Die installierten Module, oder ihr Stand in einem Mandanten."""
    registry = modules.registry()
    if slug:
        states = _module_rows(get_tenant(slug, include_archived=True))
        rows = [{"id": m.id, "title": str(m.title), **(states.get(m.id) or {"state": None})} for m in registry.modules]
    else:
        rows = [{"id": m.id, "title": str(m.title), "version": m.version, "requires": list(m.requires)}
                for m in registry.modules]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        detail = row.get("state") or "–" if slug else "requires: " + (", ".join(row["requires"]) or "–")
        if slug and row.get("from"):
            detail += f" ({row['from']})"
        click.echo(f"{row['id']:<16} {row['title']:<28} {detail}")


@modules_cli.command("entitle")
@click.argument("slug")
@click.argument("module_id")
@operator_command
def modules_entitle(slug, module_id):
    """Ein Modul für einen Mandanten freigeben."""
    row = modules.entitle(get_tenant(slug), module_id)
    click.echo(f"{slug}: {module_id} {row.state}")


@modules_cli.command("activate")
@click.argument("slug")
@click.argument("module_id")
@click.option("--from", "effective_from", type=DATE, help="Aktiv ab (ein künftiges Datum plant die Aktivierung).")
@operator_command
def modules_activate(slug, module_id, effective_from):
    """Ein freigegebenes Modul einschalten, sofort oder ab einem Datum."""
    row = modules.activate(get_tenant(slug), module_id, effective_from)
    click.echo(f"{slug}: {module_id} {row.state} ({row.effective_from.isoformat()})")


@modules_cli.command("suspend")
@click.argument("slug")
@click.argument("module_id")
@operator_command
def modules_suspend(slug, module_id):
    """Ein Modul ausschalten; seine Daten bleiben erhalten."""
    modules.suspend(get_tenant(slug), module_id)
    click.echo(f"{slug}: {module_id} suspended")


@modules_cli.command("plan")
@click.argument("module_id")
@click.option("--from", "effective_from", type=DATE, help="Aktiv ab (ohne: nur freigeben).")
@click.option("--district", help="Nur Mandanten mit Gemeinden dieses Bezirks.")
@click.option("--dry-run", is_flag=True, help="Nur zeigen, was sich ändern würde.")
@operator_command
def modules_plan(module_id, effective_from, district, dry_run):
    """Ein Modul für alle Mandanten (oder einen Bezirk) freigeben und ab einem Datum planen."""
    tenants = provisioning.plan_tenants(district, effective_from or clock.today())
    plan = modules.plan_rollout(module_id, tenants, effective_from, entitle_only=effective_from is None)
    for row in plan:
        click.echo(f"{row.tenant.slug:<28} {row.action:<10} {row.reason}")
    if not dry_run:
        done = modules.apply_rollout(module_id, plan, effective_from)
        click.echo(f"{len(done)} Mandanten geändert.")


@modules_cli.command("apply-due")
@operator_command
def modules_apply_due():
    """Geplante Aktivierungen, deren Datum gekommen ist, in allen Mandanten wirksam machen."""
    for tenant in db.session.scalars(sa.select(Tenant).order_by(Tenant.slug)):
        for module_id in modules.apply_due(tenant):
            click.echo(f"{tenant.slug}: {module_id} active")


# -- API tokens -------------------------------------------------------------------------


@tokens_cli.command("create")
@click.argument("slug")
@click.option("--scope", "scopes", multiple=True, required=True, help="z. B. core:read; mehrfach möglich.")
@click.option("--name", default="Einwohnerregister", show_default=True)
@click.option("--days", type=int, default=365, show_default=True, help="Gültigkeit in Tagen (1–730).")
@operator_command
def tokens_create(slug, scopes, name, days):
    """Ein API-Token erstellen und einmalig ausgeben."""
    _row, token = api.issue_token(get_tenant(slug), name, list(scopes), days)
    click.echo(token)


@tokens_cli.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@operator_command
def tokens_list(slug, as_json):
    """Die API-Tokens eines Mandanten (ohne Geheimnis)."""
    rows = [
        {"id": str(t.id), "name": t.name, "scopes": t.scopes, "expires_at": t.expires_at.isoformat(),
         "revoked": t.revoked_at is not None, "last_used_at": t.last_used_at and t.last_used_at.isoformat()}
        for t in api.list_tokens(get_tenant(slug))
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "widerrufen" if row["revoked"] else f"bis {row['expires_at'][:10]}"
        click.echo(f"{row['id']}  {row['name']:<24} {' '.join(row['scopes']):<30} {state}")


@tokens_cli.command("revoke")
@click.argument("slug")
@click.argument("token_id")
@operator_command
def tokens_revoke(slug, token_id):
    """Ein API-Token widerrufen."""
    api.revoke_token(get_tenant(slug), token_id)
    click.echo(f"{token_id}: widerrufen")


# -- jobs, reports, workers ---------------------------------------------------------------


def _job_row(record) -> dict:
    return {
        "id": str(record.id), "kind": record.kind, "params": record.params, "state": record.state,
        "requested_by": record.requested_by, "progress": [record.progress_done, record.progress_total],
        "message": jobs.message_text(record.progress_message, record.progress_params), "error": record.error,
        "attempts": record.attempts,
        "created_at": record.created_at.isoformat(),
        "started_at": record.started_at and record.started_at.isoformat(),
        "finished_at": record.finished_at and record.finished_at.isoformat(),
        "files": [{"id": str(f.id), "filename": f.filename, "size": f.size} for f in record.files],
    }


@jobs_cli.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@operator_command
def jobs_list(slug, as_json):
    """Die Aufträge eines Mandanten, die neuesten zuerst."""
    tenant = get_tenant(slug, include_archived=True)
    with tenant_scope(tenant):
        records = db.session.scalars(sa.select(jobs.JobRecord).order_by(jobs.JobRecord.created_at.desc())).all()
        rows = [_job_row(r) for r in records]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['kind']:<12} {row['state']:<9} {row['created_at'][:19]}  {row['error'] or ''}")


@jobs_cli.command("retry")
@click.argument("slug")
@click.argument("job_id")
@operator_command
def jobs_retry(slug, job_id):
    """Einen fehlgeschlagenen Auftrag wiederholen."""
    tenant = get_tenant(slug)
    record = _find_job(tenant, job_id)
    jobs.retry(record, tenant)
    click.echo(f"{record.id}: {record.state}")


def _find_job(tenant, job_id):
    import uuid

    try:
        key = uuid.UUID(job_id)
    except ValueError:
        key = None
    with tenant_scope(tenant):
        record = key and db.session.get(jobs.JobRecord, (tenant.id, key))
    if not record:
        raise UserError(f"Kein Auftrag {job_id} in {tenant.slug}.")
    return record


@reports_cli.command("run")
@click.argument("target")
@click.option("--period", required=True, help="2017, 2017-03 oder 2017-01-01..2017-06-30")
@click.option("--format", "fmt", type=click.Choice(sorted(reporting.FORMATS)), default="xlsx", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Datei für den Bericht.")
@click.option("--no-wait", is_flag=True, help="Nur den Auftrag erteilen und seine Nummer ausgeben.")
@operator_command
def reports_run(target, period, fmt, out, no_wait):
    """Einen Bericht für TARGET (ein Mandant, oder «canton» für alle) erstellen lassen."""
    from core.tenancy import canton_tenant

    canton = target == "canton"
    tenant = canton_tenant() if canton else get_tenant(target)
    params = {"period": reporting.Period.parse(period).label, "format": fmt, "scope": "canton" if canton else "tenant"}
    if not no_wait and out is None:
        raise UserError("--out fehlt (oder --no-wait).")
    record = jobs.enqueue("report", tenant, params)
    if no_wait:
        click.echo(str(record.id))
        return
    record = _wait(record, tenant)
    if record.state != jobs.JobState.FINISHED:
        raise UserError(f"Der Bericht ist fehlgeschlagen: {record.error}")
    with tenant_scope(tenant):
        result = db.session.scalars(sa.select(jobs.JobFile).where(jobs.JobFile.job_id == record.id)).one()
    with out.open("wb") as target:
        for block in result.open(tenant).iter_blocks():
            target.write(block)
    click.echo(f"{out} ({result.size} Bytes)")


def _wait(record, tenant):
    """Poll the record until the job ends, with a progress bar."""
    import time

    key = (tenant.id, record.id)
    with click.progressbar(length=100, label="Bericht", show_percent=True) as bar:
        shown = 0
        while True:
            db.session.rollback()  # a fresh snapshot of the database each time
            with tenant_scope(tenant):
                record = db.session.get(jobs.JobRecord, key, populate_existing=True)
            percent = record.percent or 0
            bar.update(percent - shown)
            shown = percent
            if record.state in (jobs.JobState.FINISHED, jobs.JobState.FAILED):
                return record
            time.sleep(0.5)


@click.command("worker")
@click.option("--queue", "queues", multiple=True, default=jobs.QUEUES, show_default=True)
@click.option("--burst", is_flag=True, help="Beenden, sobald die Warteschlangen leer sind.")
@with_appcontext
def worker_command(queues, burst):
    """Einen rq-Worker starten, der die Aufträge mit dieser Anwendung ausführt."""
    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL fehlt: ohne Redis laufen Aufträge sofort im Webprozess.")
    jobs.run_worker(queues, burst=burst)


@click.command("cron")
@with_appcontext
def cron_command():
    """Den Zeitplaner starten: die periodischen Aufgaben aller Module (rq cron)."""
    if not current_app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL fehlt: ohne Redis die Aufgaben mit «flask periodic run NAME» aus dem System-Cron starten."
        )
    jobs.cron_scheduler().start()


@periodic_cli.command("list")
@with_appcontext
def periodic_list():
    """Die periodischen Aufgaben und ihr Zeitplan."""
    for job in jobs.periodic().values():
        click.echo(f"{job.name:<24} {job.cron:<16} {job.queue}")


@periodic_cli.command("run")
@click.argument("name")
@operator_command
def periodic_run(name):
    """Eine periodische Aufgabe sofort ausführen."""
    click.echo(json.dumps(jobs.run_periodic(name), ensure_ascii=False, default=str))


# -- reference data and demo ---------------------------------------------------------


@communes_cli.command("load")
@operator_command
def communes_load():
    """Das Gemeindeverzeichnis (Stand 1.1.2017 und Fusionen seither) laden oder nachführen."""
    count = provisioning.load_municipalities()
    click.echo(f"{count} Gemeinden geladen.")


@communes_cli.command("mergers")
@operator_command
def communes_mergers():
    """Die Gemeindefusionen des Verzeichnisses und die betroffenen Mandanten."""
    for merger in provisioning.mergers():
        old = " ".join(str(m.bfs_number) for m in merger.old)
        tenants = ", ".join(t.slug for t in provisioning.merger_tenants(merger)) or "–"
        click.echo(f"{merger.key:<18} {old} → {merger.new.bfs_number} {merger.new.name}  [{tenants}]")


@communes_cli.command("merge")
@click.argument("key")
@click.option("--tenant", "receiving", help="Mandant der neuen Gemeinde, wenn mehrere betroffen sind.")
@click.option("--dry-run", is_flag=True, help="Nur zeigen, was sich ändern würde.")
@operator_command
def communes_merge(key, receiving, dry_run):
    """Eine Gemeindefusion (KEY aus «communes mergers») auf die Mandanten anwenden."""
    plan = provisioning.plan_merger(provisioning.find_merger(key), get_tenant(receiving) if receiving else None)
    _echo_plan(plan, dry_run)


@demo_cli.command("load")
@operator_command
def demo_load():
    """Gemeindeverzeichnis, Kanton und Pilotgemeinden (tenants/) laden, mit Demo-Personen und -Daten."""
    provisioning.load_municipalities()
    for line in sync.sync(TENANTS_DIR):
        click.echo(line)
    for line in [*demo.load_users(), *demo.load_module_data()]:
        click.echo(line)
    click.echo("Demodaten geladen.")


def init_app(app: Flask) -> None:
    for group in (tenants_cli, modules_cli, communes_cli, demo_cli, tokens_cli, jobs_cli, reports_cli, periodic_cli,
                  settings_cli,
                  worker_command, cron_command):
        app.cli.add_command(group)
