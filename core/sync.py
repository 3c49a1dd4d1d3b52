"""Declarative tenants: apply the TOML files under ``tenants/`` to the database, idempotently.

One file per tenant::

    slug = "grenchen"
    name = "Grenchen"
    kind = "commune"                 # canton | commune | region
    communes = [2546]                # BFS numbers served
    communes_from = 2017-01-01       # optional: since when (default: today)
    state = "active"                 # optional: or "archived"
    admins = ["anna@grenchen.ch"]    # optional: invited as tenant administrators (once per address)

    [modules]
    informieren = { state = "active", from = 2017-03-01 }   # a future date schedules it
    foerdern = "entitled"
    fordern = "suspended"

    [settings]                       # checked against the modules' declarations; secrets shown as ***
    "informieren.letter_deadline_days" = 14

Tenants that no file names are left alone.  Everything is validated before
anything is written; a dry run applies the files in a transaction that is
rolled back, so it reports exactly what a real run would change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from core import clock, modules, provisioning, setting_values
from core.db import db
from core.errors import UserError
from core.tenancy import Tenant, TenantState

MODULE_STATES = ("entitled", "active", "suspended")
KEYS = {"slug", "name", "kind", "communes", "communes_from", "state", "modules", "settings", "admins"}


@dataclass
class ModuleSpec:
    state: str
    effective_from: date | None = None


@dataclass
class TenantSpec:
    source: str
    slug: str
    name: str
    kind: str
    communes: list[int]
    communes_from: date | None
    archived: bool
    modules: dict[str, ModuleSpec] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    admins: list[str] = field(default_factory=list)


def read(path: Path) -> list[TenantSpec]:
    """Parse and check every ``*.toml`` file in ``path`` (a folder or one file)."""
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not path.exists() or not files:
        raise UserError(_("Keine Mandanten-Dateien (*.toml) unter %(path)s.", path=str(path)))
    specs, errors = [], []
    for file in files:
        try:
            specs.append(_parse(file))
        except UserError as error:
            errors.append(f"{file.name}: {error}")
    slugs = [s.slug for s in specs]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    errors += [_("Kürzel «%(slug)s» kommt mehrfach vor.", slug=slug) for slug in repeated]
    if errors:
        raise UserError("\n".join(errors))
    # The canton first: the others' checks read across tenants in its scope.
    return sorted(specs, key=lambda s: (s.kind != "canton", s.slug))


def _parse(file: Path) -> TenantSpec:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(_("keine gültige TOML-Datei (%(error)s)", error=str(error))) from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise UserError(_("unbekannte Angaben: %(keys)s", keys=", ".join(unknown)))
    for key in ("slug", "name", "kind"):
        if not isinstance(data.get(key), str):
            raise UserError(_("«%(key)s» fehlt oder ist kein Text", key=key))
    communes = data.get("communes", [])
    if not isinstance(communes, list) or not all(isinstance(n, int) for n in communes):
        raise UserError(_("«communes» muss eine Liste von BFS-Nummern sein"))
    communes_from = data.get("communes_from")
    if communes_from is not None and not isinstance(communes_from, date):
        raise UserError(_("«communes_from» muss ein Datum sein (JJJJ-MM-TT)"))
    state = data.get("state", "active")
    if state not in ("active", "archived"):
        raise UserError(_("«state» muss «active» oder «archived» sein"))
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise UserError(_("«settings» muss eine Tabelle sein"))
    admins = data.get("admins", [])
    if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
        raise UserError(_("«admins» muss eine Liste von E-Mail-Adressen sein"))
    return TenantSpec(
        source=file.name,
        slug=data["slug"],
        name=data["name"],
        kind=data["kind"],
        communes=communes,
        communes_from=communes_from,
        archived=state == "archived",
        modules={module_id: _module_spec(module_id, value) for module_id, value in data.get("modules", {}).items()},
        settings=settings,
        admins=admins,
    )


def _module_spec(module_id: str, value) -> ModuleSpec:
    if isinstance(value, str):
        value = {"state": value}
    if not isinstance(value, dict) or value.get("state") not in MODULE_STATES:
        raise UserError(
            _("Modul «%(module)s»: «state» muss %(states)s sein", module=module_id, states=", ".join(MODULE_STATES))
        )
    effective_from = value.get("from")
    if effective_from is not None and not isinstance(effective_from, date):
        raise UserError(_("Modul «%(module)s»: «from» muss ein Datum sein (JJJJ-MM-TT)", module=module_id))
    return ModuleSpec(value["state"], effective_from)


def sync(path: Path, *, dry_run: bool = False) -> list[str]:
    """Bring the database to the files' state; returns one line per change."""
    specs = read(path)
    registry = modules.registry()
    for spec in specs:
        for module_id in spec.modules:
            if registry.module(module_id) is None:
                raise UserError(f"{spec.source}: " + _("unbekanntes Modul «%(module)s»", module=module_id))
    changes: list[str] = []
    try:
        for spec in specs:
            try:
                changes += _apply(spec)
            except UserError as error:
                raise UserError(f"{spec.source}: {error}") from None
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return changes


def _apply(spec: TenantSpec) -> list[str]:
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == spec.slug))
    changes = []
    if tenant is None:
        tenant = provisioning.create_tenant(spec.slug, spec.name, spec.kind, spec.communes, spec.communes_from)
        changes.append(f"+ {spec.slug}: " + _("neuer Mandant «%(name)s» (%(kind)s)", name=spec.name, kind=spec.kind))
    else:
        if tenant.kind != spec.kind:
            raise UserError(_("Die Art eines Mandanten lässt sich nicht ändern (%(old)s → %(new)s).",
                              old=tenant.kind, new=spec.kind))
        if tenant.name != spec.name:
            changes.append(f"~ {spec.slug}: " + _("Name «%(old)s» → «%(new)s»", old=tenant.name, new=spec.name))
            provisioning.rename_tenant(tenant, spec.name)
        day = max(spec.communes_from or clock.today(), clock.today())
        if set(provisioning.current_communes(tenant, clock.today())) != set(spec.communes):
            moved = provisioning.set_communes(tenant, spec.communes, day)
            changes.append(f"~ {spec.slug}: " + _("Gemeinden %(changes)s", changes=" ".join(moved)))
    changes += _apply_modules(tenant, spec)
    declared = provisioning.declared_settings()
    for key, value in spec.settings.items():
        if provisioning.set_setting(tenant, key, value):  # checked against the declaration
            changes.append(f"~ {spec.slug}: {key} = {setting_values.public_value(declared[key], value)!r}")
    changes += _apply_admins(tenant, spec)
    if spec.archived and tenant.state != TenantState.ARCHIVED:
        provisioning.archive_tenant(tenant)
        changes.append(f"~ {spec.slug}: " + _("archiviert"))
    return changes


def _apply_admins(tenant: Tenant, spec: TenantSpec) -> list[str]:
    """Invite each address once: an accepted, revoked or expired invitation is not renewed by the file."""
    if tenant.state != TenantState.ACTIVE:
        return []
    invited = {invitation.email for invitation in provisioning.invitations(tenant)}
    changes = []
    for email in spec.admins:
        if email.strip().lower() not in invited:
            invitation, _created = provisioning.invite(tenant, email)
            changes.append(f"~ {spec.slug}: " + _("Einladung an %(email)s", email=invitation.email))
    return changes


def _apply_modules(tenant: Tenant, spec: TenantSpec) -> list[str]:
    changes = []
    for module_id in modules.registry().dependency_order():
        wanted = spec.modules.get(module_id)
        if wanted is None:
            continue
        row = modules.activations(tenant).get(module_id)
        before = _describe(row)
        if wanted.state == "entitled" and row is None:
            modules.entitle(tenant, module_id)
        elif wanted.state == "active" and not _activation_matches(row, wanted):
            modules.entitle(tenant, module_id)
            modules.activate(tenant, module_id, wanted.effective_from)
        elif wanted.state == "suspended" and row is not None and row.state in ("active", "scheduled"):
            modules.suspend(tenant, module_id)
        else:
            continue
        after = _describe(modules.activations(tenant)[module_id])
        changes.append(f"~ {spec.slug}: {module_id} {before} → {after}")
    return changes


def _activation_matches(row, wanted: ModuleSpec) -> bool:
    if row is None:
        return False
    if row.state == "active":
        return True
    return row.state == "scheduled" and row.effective_from == wanted.effective_from


def _describe(row) -> str:
    if row is None:
        return "–"
    return row.state if row.effective_from is None else f"{row.state} ({row.effective_from.isoformat()})"
