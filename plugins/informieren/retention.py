"""Retention: Informieren keeps a newcomer for the tenant's period after their arrival; then core anonymises.

Core anonymises a person once no module holds them (``core.people.retention``). Informieren holds
its newcomers who arrived within the tenant's period (``informieren.retention_years``, default 5)
and, when core anonymises one, erases its own sensitive fields: in their interviews the place,
the notes and what was handed over to Fördern, and the arrival day (the month stays, as the
figures need it). The record itself stays (nationality, languages, arrival month, commune,
permit, letters and interview outcomes), because the reports and the subsidy's activity counts
are built from it. Import reports keep the names of the records they listed for
``IMPORT_DETAIL_DAYS``, long enough to fix a delivery; a daily job clears them after that.

Core's job runs in every tenant, archived ones and ones where the module is switched off
included: their data is kept, so the period applies to it.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import audit, clock, provisioning
from core.clock import utcnow
from core.db import db
from core.jobs import PeriodicJob, each_tenant
from core.people.retention import ERASED
from core.tenancy import Tenant
from plugins.informieren.models import ImportItem, ImportRun, Interview, Newcomer, PersonChange

RETENTION_YEARS = "informieren.retention_years"
DEFAULT_YEARS = 5
MIN_YEARS, MAX_YEARS = 1, 30
IMPORT_DETAIL_DAYS = 90
LABEL = _l("Aufbewahrungsfrist: Personendaten anonymisieren (Jahre ab Zuzug)")


def cutoff(years: int, today: date) -> date:
    """Arrivals before this day are past a retention period of ``years``."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def holds(tenant: Tenant, today: date):
    """SQL: the newcomers who arrived within the tenant's period (core must keep them)."""
    before = cutoff(provisioning.get_setting(tenant, RETENTION_YEARS), today)
    return sa.select(Newcomer.id).where(Newcomer.arrival_date >= before)


def erase(person_ids: list, today: date) -> int:
    """Erase what Informieren keeps about these persons (being anonymised by core); returns the newcomers among them."""
    # Interviews are Sensitive: changed through the ORM, so that each change is audited.
    for interview in db.session.scalars(sa.select(Interview).where(Interview.person_id.in_(person_ids))):
        interview.notes, interview.place, interview.handed_over = "", None, None
    newcomers = db.session.scalars(sa.select(Newcomer).where(Newcomer.id.in_(person_ids))).all()
    actor = audit.current_actor()
    for newcomer in newcomers:
        newcomer.arrival_date = newcomer.arrival_date.replace(day=1)  # the month is what the figures need
        db.session.add(PersonChange(person_id=newcomer.id, actor=actor, kind="anonymised", source="retention",
                                    fields=sorted({*ERASED, "arrival_date"} - {"search_name", "sort_name"})))
    db.session.flush()
    return len(newcomers)


def clear_import_details(tenant: Tenant) -> int:
    """Import reports past ``IMPORT_DETAIL_DAYS`` keep their reasons, not the persons' details."""
    old = sa.select(ImportRun.id).where(ImportRun.started_at < utcnow() - timedelta(days=IMPORT_DETAIL_DAYS))
    cleared = db.session.execute(
        sa.update(ImportItem).where(ImportItem.import_id.in_(old), sa.cast(ImportItem.detail, sa.Text) != "{}")
        .values(detail={})
    ).rowcount
    if cleared:
        audit.record("informieren.import_details_cleared", object_type="tenant", object_id=tenant.slug,
                     detail={"import_details": cleared, "on": clock.today().isoformat()})
    return cleared


def periodic_jobs() -> list:
    return [PeriodicJob("informieren.import_details", "23 2 * * *",
                        lambda: each_tenant(clear_import_details, archived=True))]
