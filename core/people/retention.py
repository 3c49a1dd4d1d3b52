"""Retention: a person is anonymised once no module must keep their data any more.

Each installed module names, through ``retention_holds``, the persons it must still keep
(Informieren: those who arrived within the tenant's period; Fordern: those with a case not
yet past its period).  Core anonymises every other person: it erases what identifies them
(names, date of birth, address, the registry's id, AHV number, household) and asks each
module to erase its own sensitive fields (``retention_erase``).  The record stays with what
the figures need (sex, nationalities, languages, commune), so past reports and the subsidy
counts do not change.  Core itself holds a plain person (of no module's kind) for a year
after the record was made, so that one no module has claimed yet is not anonymised at once.

A daily job applies it in every tenant, archived ones included: their data is kept, so the
periods apply to it.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from core import audit, clock, modules
from core.clock import start_of, utcnow
from core.db import db
from core.people.models import Person
from core.tenancy import Tenant, tenant_scope

ERASED = {"official_name": "", "first_name": "", "date_of_birth": None, "street": None, "house_number": None,
          "postal_code": None, "town": None, "local_person_id": None, "vn": None, "household_key": None,
          "search_name": "", "sort_name": ""}
CORE_HOLD_DAYS = 365
CHUNK = 1000


def core_holds(today: date):
    """The persons core keeps itself: those of no module's kind whose record was made less than a year ago.

    A module that maps its own kind of person (Informieren's newcomer) decides about those alone.
    """
    return sa.select(Person.id).where(
        Person.kind == "person", Person.created_at >= start_of(today - timedelta(days=CORE_HOLD_DAYS)))


def due(tenant: Tenant, today: date) -> list:
    """The ids of the tenant's persons that no module holds any more (in the tenant's scope)."""
    holds = [held for held in modules.registry().hook.retention_holds(tenant=tenant, today=today) if held is not None]
    return db.session.scalars(
        sa.select(Person.id).where(Person.anonymised_on.is_(None), *(Person.id.not_in(held) for held in holds))
    ).all()


def apply(tenant: Tenant, today: date | None = None) -> int:
    """Anonymise the tenant's persons past every module's period; returns how many."""
    today = today or clock.today()
    with tenant_scope(tenant):
        person_ids = due(tenant, today)
        for start in range(0, len(person_ids), CHUNK):
            chunk = person_ids[start:start + CHUNK]
            modules.registry().hook.retention_erase(tenant=tenant, person_ids=chunk, today=today)
            db.session.execute(
                sa.update(Person).where(Person.id.in_(chunk))
                .values(**ERASED, anonymised_on=today, updated_at=utcnow())
                .execution_options(synchronize_session=False))
        if person_ids:
            audit.record("people.anonymised", object_type="tenant", object_id=tenant.slug,
                         detail={"persons": len(person_ids)})
    return len(person_ids)
