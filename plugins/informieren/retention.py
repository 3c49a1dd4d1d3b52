"""Retention: what identifies a newcomer is erased once the tenant's retention period has passed.

The record itself stays (nationality, languages, arrival, commune, permit, letters and interview
outcomes), because the reports and the subsidy's activity counts are built from it. What goes is
what identifies the person: names, date of birth, address, the registry's ids and household key,
and in their interviews the place, the notes and what was handed over to Fördern. Import reports
keep the names of the records they listed for ``IMPORT_DETAIL_DAYS``, long enough to fix a delivery.

A daily job applies it in every tenant, archived ones and ones where the module is switched off
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
from core.tenancy import Tenant
from plugins.informieren.models import ImportItem, ImportRun, Interview, Person, PersonChange

RETENTION_YEARS = "informieren.retention_years"
DEFAULT_YEARS = 5
MIN_YEARS, MAX_YEARS = 1, 30
IMPORT_DETAIL_DAYS = 90
ERASED = {"official_name": "", "first_name": "", "date_of_birth": None, "street": None, "house_number": None,
          "postal_code": None, "town": None, "local_person_id": None, "vn": None, "household_key": None}
LABEL = _l("Aufbewahrungsfrist: Personendaten anonymisieren (Jahre ab Zuzug)")


def cutoff(years: int, today: date) -> date:
    """Arrivals before this day are past a retention period of ``years``."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def apply(tenant: Tenant, today: date | None = None) -> dict[str, int]:
    """Anonymise the tenant's newcomers past the period and clear old import details (in the tenant's scope)."""
    today = today or clock.today()
    before = cutoff(provisioning.get_setting(tenant, RETENTION_YEARS), today)
    persons = _anonymise(sa.and_(Person.arrival_date < before, Person.anonymised_on.is_(None)), today)
    details = _clear_import_details()
    if persons or details:
        audit.record("informieren.retention", object_type="tenant", object_id=tenant.slug,
                     detail={"arrived_before": before.isoformat(), "persons": persons, "import_details": details})
    return {"persons": persons, "import_details": details}


def _anonymise(due, today: date) -> int:
    """Anonymise the persons matching ``due`` and their interviews; return how many persons."""
    # Interviews are Sensitive: changed through the ORM, so that each change is audited.
    for interview in db.session.scalars(sa.select(Interview).where(Interview.person_id.in_(
            sa.select(Person.id).where(due)))):
        interview.notes, interview.place, interview.handed_over = "", None, None
    db.session.flush()
    # One statement, not one per batch of ids: no person is loaded, so there is nothing to synchronise.
    person_ids = db.session.scalars(
        sa.update(Person).where(due).values(**ERASED, anonymised_on=today, updated_at=utcnow())
        .returning(Person.id).execution_options(synchronize_session=False)).all()
    actor = audit.current_actor()
    db.session.add_all(PersonChange(person_id=person_id, actor=actor, kind="anonymised", source="retention",
                                    fields=sorted(ERASED)) for person_id in person_ids)
    db.session.flush()
    return len(person_ids)


def _clear_import_details() -> int:
    old = sa.select(ImportRun.id).where(ImportRun.started_at < utcnow() - timedelta(days=IMPORT_DETAIL_DAYS))
    return db.session.execute(
        sa.update(ImportItem).where(ImportItem.import_id.in_(old), sa.cast(ImportItem.detail, sa.Text) != "{}")
        .values(detail={})
    ).rowcount


def periodic_jobs() -> list:
    return [PeriodicJob("informieren.retention", "23 2 * * *", lambda: each_tenant(apply, archived=True))]
