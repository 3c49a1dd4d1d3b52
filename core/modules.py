"""Stepwise module activation: per tenant and module a state, its effective date, who and when.

``entitled``  the canton allows the module; it is not switched on.
``scheduled`` it becomes active on ``effective_from`` without anyone clicking.
``active``    switched on since ``effective_from``.
``suspended`` switched off again; its data stays.

Every change goes through this module (CLI, tenant files and UI alike), checks
dependencies, runs the plugin's install hook and upgrade steps, and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, clock
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db
from core.errors import NotFound, UserError
from core.plugins import Manifest
from core.tenancy import Tenant, bump_revision, tenant_scope


class ModuleState(StrEnum):
    ENTITLED = "entitled"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class ModuleActivation(TenantScoped, db.Model):
    __tablename__ = "module_activations"

    module_id: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(20))
    effective_from: Mapped[date | None]
    installed_version: Mapped[str | None] = mapped_column(sa.String(20))
    changed_by: Mapped[str] = mapped_column(sa.String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("state IN ('entitled', 'scheduled', 'active', 'suspended')", name="state"),
    )

    def is_active_on(self, day: date) -> bool:
        """Active on ``day``: switched on (or due) by then, and not suspended since."""
        if self.state not in (ModuleState.ACTIVE, ModuleState.SCHEDULED):
            return False
        return self.effective_from is None or self.effective_from <= day


def registry():
    return current_app.extensions["plugins"]


def manifest_of(module_id: str) -> Manifest:
    manifest = registry().module(module_id)
    if manifest is None:
        known = ", ".join(sorted(m.id for m in registry().modules))
        raise NotFound(_("Unbekanntes Modul «%(module)s» (bekannt: %(known)s).", module=module_id, known=known))
    return manifest


def activations(tenant: Tenant) -> dict[str, ModuleActivation]:
    with tenant_scope(tenant):
        rows = db.session.scalars(sa.select(ModuleActivation).where(ModuleActivation.tenant_id == tenant.id))
        return {row.module_id: row for row in rows}


def active_modules(tenant: Tenant, day: date | None = None) -> frozenset[str]:
    """The ids of the modules active in ``tenant`` today (a due scheduled one counts)."""
    day = day or clock.today()
    return frozenset(m for m, row in activations(tenant).items() if row.is_active_on(day))


# Per process: the modules active in a tenant, by (tenant, its revision, day).  Every
# module change bumps the tenant's revision, so an entry is never wrong, only unused.
_active_cache: dict[tuple[int, int, date], tuple[frozenset[str], bool]] = {}


def request_modules(tenant: Tenant) -> frozenset[str]:
    """The tenant's active modules for a request; applies due scheduled activations first."""
    day = clock.today()
    key = (tenant.id, tenant.revision, day)
    cached = _active_cache.get(key)
    if cached is None:
        rows = activations(tenant)
        due = any(row.state == ModuleState.SCHEDULED and row.is_active_on(day) for row in rows.values())
        cached = (frozenset(m for m, row in rows.items() if row.is_active_on(day)), due)
        if len(_active_cache) > 10_000:
            _active_cache.clear()
        _active_cache[key] = cached
    active, due = cached
    if due:
        # A scheduled activation takes effect on its date, whoever comes first.
        with audit.acting_as("system:schedule"):
            apply_due(tenant, day)
        db.session.commit()
    return active


def forget_active_modules() -> None:
    _active_cache.clear()


def tenant_hooks(tenant: Tenant, day: date | None = None):
    """The hooks of the always-on plugins and of the modules active in ``tenant`` on ``day`` (today)."""
    return registry().for_modules(active_modules(tenant, day))


# -- changes -----------------------------------------------------------------


def entitle(tenant: Tenant, module_id: str) -> ModuleActivation:
    """Allow ``tenant`` to use the module; an existing state stays as it is."""
    manifest_of(module_id)
    row = activations(tenant).get(module_id)
    if row is None:
        row = _change(tenant, module_id, None, ModuleState.ENTITLED, None)
    return row


def activate(tenant: Tenant, module_id: str, effective_from: date | None = None) -> ModuleActivation:
    """Switch the module on now, or schedule it for ``effective_from`` when that lies ahead."""
    manifest = manifest_of(module_id)
    today = clock.today()
    day = effective_from or today
    rows = activations(tenant)
    row = rows.get(module_id)
    if row is None:
        raise UserError(
            _(
                "Das Modul «%(module)s» ist für %(tenant)s nicht freigegeben; der Kanton muss es zuerst freigeben.",
                module=module_id,
                tenant=tenant.name,
            )
        )
    check_requirements(tenant, manifest, rows, day)
    if day > today:
        if row.state == ModuleState.ACTIVE:
            raise UserError(_("Das Modul «%(module)s» ist bereits aktiv.", module=module_id))
        return _change(tenant, module_id, row, ModuleState.SCHEDULED, day)
    if row.state == ModuleState.ACTIVE:
        return row
    row = _change(tenant, module_id, row, ModuleState.ACTIVE, day)
    _install(tenant, manifest, row)
    return row


def check_requirements(tenant: Tenant, manifest: Manifest, rows: dict, day: date) -> None:
    """Refuse to switch a module on before the modules it requires (Fordern needs Informieren)."""
    missing = [req for req in manifest.requires if req not in rows or not rows[req].is_active_on(day)]
    if missing:
        raise UserError(
            _(
                "Das Modul «%(module)s» braucht %(missing)s, aktiv in %(tenant)s spätestens ab %(day)s.",
                module=manifest.id,
                missing=", ".join(f"«{m}»" for m in missing),
                tenant=tenant.name,
                day=day.isoformat(),
            )
        )


def suspend(tenant: Tenant, module_id: str) -> ModuleActivation:
    """Switch the module off in ``tenant``; its data stays and returns with reactivation."""
    manifest_of(module_id)
    rows = activations(tenant)
    row = rows.get(module_id)
    if row is None or row.state not in (ModuleState.ACTIVE, ModuleState.SCHEDULED):
        raise UserError(
            _("Das Modul «%(module)s» ist in %(tenant)s nicht aktiv.", module=module_id, tenant=tenant.name)
        )
    dependants = [
        other.module_id
        for other in rows.values()
        if other.state in (ModuleState.ACTIVE, ModuleState.SCHEDULED)
        and module_id in manifest_of(other.module_id).requires
    ]
    if dependants:
        raise UserError(
            _(
                "Das Modul «%(module)s» kann nicht ausgeschaltet werden: %(dependants)s braucht es.",
                module=module_id,
                dependants=", ".join(f"«{d}»" for d in sorted(dependants)),
            )
        )
    return _change(tenant, module_id, row, ModuleState.SUSPENDED, clock.today())


def apply_due(tenant: Tenant, day: date | None = None) -> list[str]:
    """Turn scheduled activations whose date has come into active ones; returns their ids."""
    day = day or clock.today()
    done = []
    rows = activations(tenant)
    for module_id in registry().dependency_order():
        row = rows.get(module_id)
        if row is not None and row.state == ModuleState.SCHEDULED and row.is_active_on(day):
            row = _change(tenant, module_id, row, ModuleState.ACTIVE, row.effective_from)
            _install(tenant, manifest_of(module_id), row)
            done.append(module_id)
    return done


# -- the canton's plan for many tenants at once -----------------------------------------------


@dataclass
class PlanRow:
    """One tenant in a rollout plan: its state now and what the plan does there."""

    tenant: Tenant
    before: ModuleActivation | None
    action: str  # "entitle", "schedule", "activate", "unchanged" or "refused"
    reason: str = ""


def plan_rollout(module_id: str, tenants: list[Tenant], day: date | None, *, entitle_only: bool = False
                 ) -> list[PlanRow]:
    """What entitling (and activating from ``day``) the module would do in each tenant; changes nothing."""
    manifest = manifest_of(module_id)
    today = clock.today()
    plan = []
    for tenant in tenants:
        rows = activations(tenant)
        row = rows.get(module_id)
        plan.append(PlanRow(tenant, row, *_planned_action(tenant, manifest, rows, row, day or today, today,
                                                          entitle_only)))
    return plan


def _planned_action(tenant, manifest, rows, row, day, today, entitle_only) -> tuple[str, str]:
    if entitle_only or (row is not None and row.state == ModuleState.ACTIVE):
        return ("entitle", "") if row is None else ("unchanged", "")
    if row is not None and row.state == ModuleState.SCHEDULED and row.effective_from == day:
        return "unchanged", ""
    try:
        check_requirements(tenant, manifest, rows, day)
    except UserError as error:
        return "refused", str(error)
    return ("schedule" if day > today else "activate"), ""


def apply_rollout(module_id: str, plan: list[PlanRow], day: date | None) -> list[PlanRow]:
    """Carry out the rows that change something; returns the rows done."""
    done = []
    for row in plan:
        if row.action in ("unchanged", "refused"):
            continue
        entitle(row.tenant, module_id)
        if row.action != "entitle":
            activate(row.tenant, module_id, day)
        done.append(row)
    return done


def upgrade(tenant: Tenant, module_id: str) -> list[str]:
    """Run the module's upgrade steps that this tenant's data has not seen yet."""
    manifest = manifest_of(module_id)
    row = activations(tenant).get(module_id)
    if row is None or row.installed_version is None:
        return []
    steps = manifest.steps_after(row.installed_version)
    with tenant_scope(tenant):
        for step in steps:
            step.run(tenant)
            audit.record("module.upgrade", object_type="module", object_id=module_id,
                         detail={"from": row.installed_version, "to": step.to_version})
            row.installed_version = step.to_version
        if row.installed_version != manifest.version:
            row.installed_version = manifest.version
    return [s.to_version for s in steps]


# -- history -----------------------------------------------------------------------------


Period = tuple[date, date | None]  # active from the first day until before the second (None: still)


def active_periods() -> dict[tuple[int, str], list[Period]]:
    """When each module was active in each tenant, rebuilt from the audited changes (in the caller's scope).

    A module activated (or scheduled) from a day is active from then until the day it is switched
    off again; a schedule changed before it took effect moves its start.
    """
    events = db.session.execute(
        sa.select(audit.AuditEvent.tenant_id, audit.AuditEvent.object_id, audit.AuditEvent.action,
                  audit.AuditEvent.detail)
        .where(audit.AuditEvent.object_type == "module",
               audit.AuditEvent.action.in_([f"module.{s}" for s in (ModuleState.ACTIVE, ModuleState.SCHEDULED,
                                                                    ModuleState.SUSPENDED)]))
        .order_by(audit.AuditEvent.occurred_at, audit.AuditEvent.id)
    ).all()
    periods: dict[tuple[int, str], list[Period]] = {}
    starts: dict[tuple[int, str], date] = {}
    for tenant_id, module_id, action, detail in events:
        key, state = (tenant_id, module_id), action.removeprefix("module.")
        day = date.fromisoformat(((detail or {}).get("after") or {}).get("from") or "9999-12-31")
        if state == ModuleState.SUSPENDED:
            start = starts.pop(key, None)
            if start is not None and day > start:
                periods.setdefault(key, []).append((start, day))
        elif key not in starts or state == ModuleState.SCHEDULED:
            starts[key] = day
    for key, start in starts.items():
        periods.setdefault(key, []).append((start, None))
    return periods


def history(tenant: Tenant) -> dict[str, list[Period]]:
    """{module id: the periods it was active in ``tenant``}, oldest first; the last may be open (end None)."""
    with tenant_scope(tenant):
        periods = active_periods()
    return {module_id: spans for (tenant_id, module_id), spans in periods.items() if tenant_id == tenant.id}


def history_text(periods: list[Period] | None) -> str:
    """The periods as people read them ("01.01.2017–13.05.2020, seit 08.12.2026"); empty with no past period.

    A module active once, since its first day, has no history worth a line: its state says it all.
    """
    if not periods or (len(periods) == 1 and periods[0][1] is None):
        return ""
    parts = [_("seit %(day)s", day=format_date(start)) if end is None
             else f"{format_date(start)}–{format_date(end - timedelta(days=1))}" for start, end in periods]
    return _("aktiv: %(periods)s", periods=", ".join(parts))


def active_in(periods: list[Period], day: date) -> bool:
    return any(start <= day and (end is None or day < end) for start, end in periods)


def active_between(periods: list[Period], first: date, last: date) -> bool:
    """Active on at least one day from ``first`` to ``last`` (inclusive)."""
    return any(start <= last and (end is None or end > first) for start, end in periods)


def active_during(tenant: Tenant, first: date, last: date) -> frozenset[str]:
    """The modules active in ``tenant`` on at least one day of ``first``..``last``.

    A module switched off since counts for the time it was on, so a report of a past period
    (and the subsidies' activity counts) still shows what it did then.
    """
    with tenant_scope(tenant):
        periods = active_periods()
        rows = activations(tenant)
    return during(tenant.id, periods, rows, first, last)


def during(tenant_id: int, periods: dict, rows: dict, first: date, last: date) -> frozenset[str]:
    """:func:`active_during` from loaded history (``active_periods``) and rows (``activations``)."""
    found = {module_id for (owner, module_id), spans in periods.items()
             if owner == tenant_id and active_between(spans, first, last)}
    found |= {module_id for module_id, row in rows.items() if row.is_active_on(last)}
    return frozenset(m for m in found if registry().module(m) is not None)


def _change(tenant, module_id, row, state, effective_from) -> ModuleActivation:
    with tenant_scope(tenant):
        before = None if row is None else {"state": row.state, "from": _iso(row.effective_from)}
        if row is None:
            row = ModuleActivation(tenant_id=tenant.id, module_id=module_id)
            db.session.add(row)
        row.state = state
        row.effective_from = effective_from
        row.changed_by = audit.current_actor()
        row.changed_at = utcnow()
        bump_revision(tenant)
        audit.record(
            f"module.{state}",
            object_type="module",
            object_id=module_id,
            detail={"before": before, "after": {"state": state, "from": _iso(effective_from)}},
        )
        db.session.flush()
    return row


def _install(tenant: Tenant, manifest: Manifest, row: ModuleActivation) -> None:
    with tenant_scope(tenant):
        if row.installed_version is None:
            for impl in registry().hook.install.get_hookimpls():
                if impl.plugin_name == manifest.id:
                    impl.function(tenant=tenant)
            row.installed_version = manifest.version
        else:
            upgrade(tenant, manifest.id)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
