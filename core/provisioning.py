"""Provisioning tenants: the one code path behind the CLI, the tenant files and the canton's UI."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, clock
from core.clock import utcnow
from core.db import TenantScoped, db
from core.errors import UserError
from core.tenancy import (
    Municipality,
    Tenant,
    TenantKind,
    TenantMunicipality,
    TenantState,
    canton_scope,
    served_links,
    tenant_scope,
    validate_slug,
)

DATA = Path(__file__).parent / "data"
COMMUNES_FILE = DATA / "communes_so.csv"
MERGERS_FILE = DATA / "commune_mergers_so.csv"


class TenantSetting(TenantScoped, db.Model):
    """A tenant's value for a setting a module declares (absent: the declared default)."""

    __tablename__ = "tenant_settings"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)


# -- reference data ------------------------------------------------------------


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_municipalities(path: Path = COMMUNES_FILE, mergers: Path = MERGERS_FILE) -> int:
    """Insert or update the communes of the reference files; returns how many communes they hold."""
    rows = _read_csv(path)
    successors = {
        int(old): int(merger["new_bfs_number"])
        for merger in _read_csv(mergers)
        for old in merger["old_bfs_numbers"].split()
    }
    existing = {m.bfs_number: m for m in db.session.scalars(sa.select(Municipality))}
    for row in rows:
        number = int(row["bfs_number"])
        municipality = existing.setdefault(number, Municipality(bfs_number=number))
        municipality.name = row["name"]
        municipality.district = row["district"]
        municipality.valid_from = date.fromisoformat(row["valid_from"])
        municipality.valid_to = date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None
        db.session.add(municipality)
    db.session.flush()  # successors refer to rows that must exist first
    for number, successor in successors.items():
        if number in existing:
            existing[number].successor_bfs_number = successor
    db.session.flush()
    return len(rows)


def municipality(bfs_number: int, day: date) -> Municipality:
    found = db.session.get(Municipality, bfs_number)
    if found is None:
        if db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) == 0:
            raise UserError(_("Das Gemeindeverzeichnis ist nicht geladen (flask communes load)."))
        raise UserError(_("Keine Gemeinde des Kantons hat die BFS-Nummer %(number)s.", number=bfs_number))
    if not found.valid_on(day):
        raise UserError(
            _("Die Gemeinde %(name)s (%(number)s) besteht am %(day)s nicht.",
              name=found.name, number=bfs_number, day=day.isoformat())
        )
    return found


# -- tenants -----------------------------------------------------------------


def create_tenant(slug: str, name: str, kind: str, communes: list[int], valid_from: date | None = None) -> Tenant:
    validate_slug(slug)
    if kind not in {k.value for k in TenantKind}:
        raise UserError(_("Unbekannte Art «%(kind)s» (canton, commune oder region).", kind=kind))
    if not name.strip():
        raise UserError(_("Der Name darf nicht leer sein."))
    if db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise UserError(_("Das Kürzel «%(slug)s» ist schon vergeben.", slug=slug))
    if kind == TenantKind.COMMUNE and len(communes) != 1:
        raise UserError(_("Ein Gemeinde-Mandant dient genau einer Gemeinde."))
    if kind == TenantKind.REGION and len(communes) < 2:
        raise UserError(_("Eine regionale Umsetzung dient mindestens zwei Gemeinden."))
    if kind == TenantKind.CANTON and communes:
        raise UserError(_("Der Mandant des Kantons dient keiner einzelnen Gemeinde."))
    tenant = Tenant(slug=slug, name=name.strip(), kind=kind, state=TenantState.ACTIVE)
    db.session.add(tenant)
    db.session.flush()
    with tenant_scope(tenant):
        audit.record("tenant.create", object_type="tenant", object_id=slug, detail={"name": name, "kind": kind})
    set_communes(tenant, communes, valid_from or clock.today())
    return tenant


def rename_tenant(tenant: Tenant, name: str) -> None:
    if not name.strip():
        raise UserError(_("Der Name darf nicht leer sein."))
    with tenant_scope(tenant):
        audit.record("tenant.rename", object_type="tenant", object_id=tenant.slug,
                     detail={"before": tenant.name, "after": name.strip()})
    tenant.name = name.strip()


def archive_tenant(tenant: Tenant) -> None:
    """Close the tenant: its pages answer 404, its data stays."""
    if tenant.is_canton:
        raise UserError(_("Der Mandant des Kantons kann nicht archiviert werden."))
    if tenant.state == TenantState.ARCHIVED:
        return
    tenant.state = TenantState.ARCHIVED
    tenant.archived_at = utcnow()
    with tenant_scope(tenant):
        audit.record("tenant.archive", object_type="tenant", object_id=tenant.slug)


def current_communes(tenant: Tenant, day: date) -> dict[int, TenantMunicipality]:
    return {link.bfs_number: link for link in served_links(tenant, day)}


def set_communes(tenant: Tenant, bfs_numbers: list[int], valid_from: date) -> list[str]:
    """Make ``tenant`` serve exactly these communes from ``valid_from``; returns what changed."""
    wanted = set(bfs_numbers)
    for number in wanted:
        municipality(number, valid_from)
    _refuse_communes_served_elsewhere(tenant, wanted, valid_from)
    current = current_communes(tenant, valid_from)
    changes = []
    with tenant_scope(tenant):
        for number in sorted(set(current) - wanted):
            link = current[number]
            link.valid_to = valid_from.fromordinal(valid_from.toordinal() - 1)
            changes.append(f"-{number}")
        for number in sorted(wanted - set(current)):
            db.session.add(TenantMunicipality(tenant_id=tenant.id, bfs_number=number, valid_from=valid_from))
            changes.append(f"+{number}")
        if changes:
            audit.record("tenant.communes", object_type="tenant", object_id=tenant.slug,
                         detail={"changes": changes, "from": valid_from.isoformat()})
            db.session.flush()
    return changes


def _refuse_communes_served_elsewhere(tenant: Tenant, wanted: set[int], day: date) -> None:
    if not wanted:
        return
    with canton_scope("check that a commune is served by one tenant"):
        taken = db.session.execute(
            sa.select(TenantMunicipality.bfs_number, Tenant.name)
            .join(Tenant, Tenant.id == TenantMunicipality.tenant_id)
            .where(
                TenantMunicipality.tenant_id != tenant.id,
                TenantMunicipality.bfs_number.in_(wanted),
                Tenant.state == TenantState.ACTIVE,
                sa.or_(TenantMunicipality.valid_to.is_(None), TenantMunicipality.valid_to >= day),
            )
        ).all()
    if taken:
        raise UserError(
            _("Diese Gemeinden werden schon von einem anderen Mandanten betreut: %(list)s.",
              list=", ".join(f"{number} ({name})" for number, name in taken))
        )


# -- settings ------------------------------------------------------------------


def declared_settings() -> dict:
    return {
        s.key: s for m in current_app.extensions["plugins"].manifests.values() for s in m.settings
    }


def get_setting(tenant: Tenant, key: str) -> Any:
    """The tenant's value of a declared setting, or its default."""
    declared = declared_settings()
    if key not in declared:
        raise KeyError(key)
    with tenant_scope(tenant):
        row = db.session.get(TenantSetting, (tenant.id, key))
    return declared[key].default if row is None else row.value


def set_setting(tenant: Tenant, key: str, value: Any) -> bool:
    """Store a tenant's setting; returns whether it changed."""
    declared = declared_settings()
    if key not in declared:
        raise UserError(_("Unbekannte Einstellung «%(key)s».", key=key))
    default = declared[key].default
    if default is not None and not isinstance(value, type(default)):
        raise UserError(_("Die Einstellung «%(key)s» erwartet einen Wert wie %(example)r.", key=key, example=default))
    if get_setting(tenant, key) == value:
        return False
    with tenant_scope(tenant):
        row = db.session.get(TenantSetting, (tenant.id, key)) or TenantSetting(tenant_id=tenant.id, key=key)
        row.value = value
        db.session.add(row)
        audit.record("tenant.setting", object_type="setting", object_id=key, detail={"value": value})
    return True
