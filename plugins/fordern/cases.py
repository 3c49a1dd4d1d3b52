"""Opening a case and moving it on: every transition checked against ``states``, dated, by whom, why.

The callers validate their forms; a transition the state machine does not allow is a
:class:`TransitionRefused` (a UserError: its message says what may follow), never a half change.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.errors import UserError
from core.people import Person
from plugins.fordern import states
from plugins.fordern.models import Case, CaseEvent


class TransitionRefused(UserError):
    """A transition the state machine does not allow, or one without the reason or outcome it needs."""


def open_case(person: Person, reason: str, owner: str, on: date, *, case_id: uuid.UUID | None = None) -> Case:
    if not reason.strip():
        raise TransitionRefused(_("Bitte den Grund für den Fall angeben."))
    case = Case(id=case_id or uuid.uuid4(), person_id=person.id, reason=reason.strip(), owner=owner,
                state=states.OPENED, state_on=on, opened_on=on, steps=0, created_by=audit.current_actor())
    db.session.add(case)
    _record(case, None, states.OPENED, on, "", None)
    return case


def _labels(values) -> str:
    return ", ".join(str(states.STATE_LABELS[value]) for value in values) or "–"


def check(case: Case, to_state: str, outcome: str | None, reason: str, *, by_canton: bool = False) -> None:
    """Refuse a transition the state machine does not allow, with a message that says what may follow."""
    allowed = states.TRANSITIONS[case.state]
    if to_state not in allowed:
        raise TransitionRefused(_("Von «%(state)s» aus geht es nur weiter zu: %(next)s.",
                                  state=states.STATE_LABELS[case.state], next=_labels(allowed)))
    if (to_state in states.CANTON_DECISIONS) != by_canton:
        raise TransitionRefused(_("Diesen Schritt macht der Kanton.") if not by_canton
                                else _("Diesen Schritt macht die Gemeinde."))
    if to_state == states.CLOSED and outcome not in allowed[states.CLOSED]:
        raise TransitionRefused(_("Ein Fall in «%(state)s» wird abgeschlossen als: %(outcomes)s.",
                                  state=states.STATE_LABELS[case.state], outcomes=", ".join(
                                      str(states.OUTCOME_LABELS[o]) for o in allowed[states.CLOSED])))
    if to_state != states.CLOSED and outcome is not None:
        raise TransitionRefused(_("Ein Ergebnis gibt es erst beim Abschluss."))
    if to_state in states.NEEDS_REASON and not reason.strip():
        raise TransitionRefused(_("Bitte einen Grund angeben."))


def move(case: Case, to_state: str, on: date, reason: str = "", outcome: str | None = None, *,
         by_canton: bool = False) -> CaseEvent:
    """Take the transition to ``to_state`` on ``on`` (checked: allowed, with its reason and outcome)."""
    check(case, to_state, outcome, reason, by_canton=by_canton)
    if on < case.state_on:
        raise TransitionRefused(_("Der Schritt kann nicht vor dem letzten (%(day)s) liegen.",
                                  day=case.state_on.strftime("%d.%m.%Y")))
    source = case.state
    case.state, case.state_on = to_state, on
    if to_state == states.CLOSED:
        case.outcome, case.closed_on = outcome, on
    return _record(case, source, to_state, on, reason.strip(), outcome)


def _record(case: Case, source: str | None, to_state: str, on: date, reason: str, outcome: str | None) -> CaseEvent:
    case.steps += 1
    entry = CaseEvent(case_id=case.id, seq=case.steps, from_state=source, to_state=to_state, outcome=outcome,
                      on=on, by=audit.current_actor(), reason=reason)
    db.session.add(entry)
    audit.record("fordern.case.transition", object_type="fordern_case", object_id=case.id,
                 detail={"from": source, "to": to_state, "outcome": outcome, "on": on.isoformat()})
    return entry


def history(case: Case) -> list[CaseEvent]:
    return db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)
                              .order_by(CaseEvent.seq)).all()
