"""The integration interview: inviting (which moves the case to «interview scheduled»), changing the
invitation while it stands, the minutes (which move it to «interview held»), and the officer's .ics.

The callers validate their forms; what the state machine refuses is a :class:`cases.TransitionRefused`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar
import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.people import Person
from plugins.fordern import cases, states
from plugins.fordern.interview_models import Interview
from plugins.fordern.models import Case

DURATION = timedelta(hours=1)


def of(case: Case) -> Interview | None:
    return db.session.get(Interview, (case.tenant_id, case.id))


def schedule(case: Case, starts_at: datetime, place: str, interpreter: str | None, letter_language: str,
             invited_on: date) -> Interview:
    """Invite the person: the interview is recorded and the case moves on (checked) on ``invited_on``."""
    cases.move(case, states.INTERVIEW_SCHEDULED, invited_on)
    interview = Interview(case_id=case.id, created_by=audit.current_actor(), invited_on=invited_on)
    _set_invitation(interview, starts_at, place, interpreter, letter_language)
    db.session.add(interview)
    return interview


def reschedule(case: Case, interview: Interview, starts_at: datetime, place: str, interpreter: str | None,
               letter_language: str) -> None:
    """Change the invitation while the interview is still to come (a new letter follows from it)."""
    if case.state != states.INTERVIEW_SCHEDULED:
        raise cases.TransitionRefused(_("Die Einladung lässt sich nur ändern, solange das Gespräch geplant ist."))
    _set_invitation(interview, starts_at, place, interpreter, letter_language)


def _set_invitation(interview: Interview, starts_at, place, interpreter, letter_language) -> None:
    interview.starts_at, interview.place = starts_at, place.strip()
    interview.interpreter_language, interview.letter_language = interpreter or None, letter_language
    interview.updated_by = audit.current_actor()


def record_minutes(case: Case, interview: Interview, held_on: date, topics: str, person_view: str) -> None:
    """The interview was held: its minutes, and the case moves on (checked) on ``held_on``."""
    cases.move(case, states.INTERVIEW_HELD, held_on)
    interview.held_on, interview.topics, interview.person_view = held_on, topics.strip(), person_view.strip()
    interview.updated_by = audit.current_actor()


def calendar(interview: Interview, person: Person, tenant_name: str) -> bytes:
    """The appointment as an iCalendar file for the officer's calendar (the download is audited)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//start.integration//Fordern//DE")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"fordern-interview-{interview.case_id}@start.integration")
    event.add("dtstamp", interview.created_at or interview.starts_at)
    event.add("dtstart", interview.starts_at)
    event.add("dtend", interview.starts_at + DURATION)
    event.add("summary", _("Integrationsgespräch: %(name)s", name=person.full_name))
    event.add("location", interview.place)
    if interview.interpreter_language:
        from core.i18n import language_name

        event.add("description", _("Dolmetschen: %(language)s", language=language_name(interview.interpreter_language)))
    event.add("organizer", tenant_name)
    cal.add_component(event)
    audit.record("fordern.interview.calendar", object_type="fordern_case", object_id=interview.case_id)
    return cal.to_ical()


def erase(case_ids: list) -> None:
    """The cases are anonymised (``retention.ERASERS``): the minutes and the place of their interviews go."""
    db.session.execute(sa.update(Interview).where(Interview.case_id.in_(case_ids))
                       .values(topics="", person_view="", place="").execution_options(synchronize_session=False))
