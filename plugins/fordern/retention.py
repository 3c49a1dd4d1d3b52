"""Fordern's retention and its part of the right of access.

A case closed for longer than the tenant's period (``fordern.retention_years``, default five
years) is anonymised by the daily job ``fordern.retention``: its reason and the reasons of its
history are erased, so are the parts other concerns of the module register (``ERASERS``: the
interview's minutes, the measures' texts and their evidence files), and the anonymisation is
recorded. States, dates and outcomes stay for the figures. Fordern holds a person while a case
about them is open or was closed within the period; when core anonymises a person, their cases
are anonymised the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit, provisioning
from core.db import db
from core.people import Person
from core.people.export import plain
from core.tenancy import Tenant
from plugins.fordern import states
from plugins.fordern.models import Case, CaseEvent

YEARS_SETTING = "fordern.retention_years"
DEFAULT_YEARS = 5
CASE_FIELDS = ("reason", "owner", "state", "state_on", "outcome", "opened_on", "closed_on", "created_at",
               "created_by")
EVENT_FIELDS = ("seq", "from_state", "to_state", "outcome", "on", "by", "reason", "recorded_at")

# An erased reason: a closing, an escalation and a return keep a (non-empty) reason, as the database checks.
ERASED = "–"
# What else of a case the module erases with it: each takes the ids of the cases being anonymised.
ERASERS: list[Callable[[list], None]] = []


def cutoff(tenant: Tenant, today: date) -> date:
    """Cases closed before this day are past the tenant's period."""
    years = provisioning.get_setting(tenant, YEARS_SETTING)
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def holds(tenant: Tenant, today: date):
    """SQL: the persons with an open case, or one closed within the period."""
    return sa.select(Case.person_id).where(sa.or_(Case.state != states.CLOSED, Case.closed_on >= cutoff(tenant, today)))


def anonymise_cases(case_ids: list, today: date) -> int:
    """Erase what the cases say about their person (reasons, and what ``ERASERS`` erase); returns how many."""
    if not case_ids:
        return 0
    db.session.execute(sa.update(CaseEvent).where(CaseEvent.case_id.in_(case_ids), CaseEvent.reason != "")
                       .values(reason=ERASED).execution_options(synchronize_session=False))
    for erase in ERASERS:
        erase(case_ids)
    db.session.execute(sa.update(Case).where(Case.id.in_(case_ids))
                       .values(reason="", anonymised_on=today).execution_options(synchronize_session=False))
    return len(case_ids)


def apply(tenant: Tenant, today: date) -> int:
    """The daily job: anonymise the cases closed before the tenant's period (recorded, once each)."""
    due = db.session.scalars(sa.select(Case.id).where(
        Case.state == states.CLOSED, Case.closed_on < cutoff(tenant, today), Case.anonymised_on.is_(None))).all()
    count = anonymise_cases(due, today)
    if count:
        audit.record("fordern.cases_anonymised", object_type="tenant", object_id=tenant.slug,
                     detail={"cases": count, "closed_before": cutoff(tenant, today).isoformat()})
    return count


def erase(person_ids: list, today: date) -> None:
    """Core anonymises these persons: so are their cases."""
    case_ids = db.session.scalars(sa.select(Case.id).where(Case.person_id.in_(person_ids),
                                                           Case.anonymised_on.is_(None))).all()
    if anonymise_cases(case_ids, today):
        audit.record("fordern.cases_anonymised", object_type="fordern_case", detail={"cases": len(case_ids)})


def export(person: Person) -> dict:
    """{section title: data}: the person's cases, each with its history."""
    found = db.session.scalars(sa.select(Case).where(Case.person_id == person.id).order_by(Case.opened_on)).all()
    if not found:
        return {}
    return {_("Fordern: Fälle"): [
        {**{name: plain(getattr(case, name)) for name in CASE_FIELDS},
         "history": [{name: plain(getattr(entry, name)) for name in EVENT_FIELDS} for entry in _history(case)]}
        for case in found]}


def _history(case: Case) -> list[CaseEvent]:
    return db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
