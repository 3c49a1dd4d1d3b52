"""First-information interviews (Erstinformationsgespräch): invitation, outcome, topics, notes, hand-over.

An interview is a sensitive record (``models.Interview`` is ``Sensitive``): every read and
change of it is audited by core.  It starts as an invitation (a letter, or an appointment
with date, time, place and interpreter language) and ends with an outcome: held, no-show,
declined or cancelled.  A held interview records the topics covered from the tenant's
checklist (keys *and* labels, so that it keeps them when the checklist changes) and may
hand the newcomer's needs over to Fördern through the event ``informieren.needs_handed_over``.
The forms are in ``forms``, the pages in ``views``.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask import g, has_request_context, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, clock, events
from core.access import can
from core.clock import ZURICH
from core.db import db
from core.people import TimelineEntry
from core.plugins import EventType
from plugins.informieren.models import Interview, Newcomer, Outcome, refresh_stage

INVITATION_LABELS = {"letter": _l("Brief"), "appointment": _l("Termin")}
OUTCOME_LABELS = {
    Outcome.HELD: _l("Gespräch geführt"),
    Outcome.NO_SHOW: _l("Nicht erschienen"),
    Outcome.DECLINED: _l("Abgelehnt"),
    Outcome.CANCELLED: _l("Abgesagt"),
}

NEEDS_HANDED_OVER = EventType(
    "informieren.needs_handed_over", _l("Bedürfnisse aus dem Erstinformationsgespräch übergeben"),
    fields=("person_id", "interview_id", "needs", "offers", "languages"),
    description=_l("Nach einem geführten Erstinformationsgespräch: die bemerkten Bedürfnisse und die "
                   "vorgeschlagenen Angebote (Texte), die Sprachen der Person."),
)


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# -- queries ---------------------------------------------------------------------------------------


def interviews_of(person_id: uuid.UUID) -> list[Interview]:
    return db.session.scalars(
        sa.select(Interview).where(Interview.person_id == person_id).order_by(Interview.created_at)
    ).all()


# -- changes ----------------------------------------------------------------------------------------


def invite(person: Newcomer, form, interview: Interview | None = None) -> Interview:
    """Create (or change) an invitation from a validated ``forms.InvitationForm``."""
    if interview is None:
        interview = Interview(id=uuid.uuid4(), person_id=person.id, created_by=audit.current_actor())
        db.session.add(interview)
    values = {
        "invitation": form.invitation.data,
        "invited_on": form.invited_on.data,
        "appointment_at": form.appointment_at(),
        "place": (form.place.data or "").strip() or None,
        "interpreter_language": form.interpreter_language.data or None,
    }
    _assign(interview, values)
    db.session.flush()
    refresh_stage(person)
    return interview


def record_outcome(person: Newcomer, interview: Interview, form, recorded_topics: dict[str, str]) -> None:
    """Store a validated outcome (a ``forms.OutcomeForm``); a held interview may hand over to Fördern (once)."""
    outcome = form.outcome.data
    held = outcome == Outcome.HELD
    day = form.held_on.data or _default_outcome_day(interview)
    selected = set(form.topics.data or [])
    topics = [{"key": key, "label": label} for key, label in recorded_topics.items() if key in selected] if held else []
    _assign(interview, {"outcome": outcome, "held_on": day, "topics": topics, "notes": form.notes.data or ""})
    db.session.flush()
    if held and form.handover_open:
        needs, offers = lines(form.needs.data), lines(form.offers.data)
        if needs or offers:
            hand_over(person, interview, needs, offers)
    refresh_stage(person)


def _default_outcome_day(interview: Interview) -> date:
    if interview.appointment_at is not None:
        day = interview.appointment_at.astimezone(ZURICH).date()
        return min(day, clock.today())
    return clock.today()


def hand_over(person: Newcomer, interview: Interview, needs: list[str], offers: list[str]) -> list:
    results = events.emit(
        g.tenant, NEEDS_HANDED_OVER.id, person_id=str(person.id), interview_id=str(interview.id),
        needs=needs, offers=offers, languages=list(person.languages or ()),
    )
    interview.handed_over = {
        "needs": needs, "offers": offers, "on": clock.today().isoformat(), "by": audit.current_actor(),
        "recorded": [str(result) for result in results if result],
    }
    return results


def _assign(obj, values: dict) -> None:
    """Set only what differs, so a repeated submission changes (and audits) nothing."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


# -- timeline -----------------------------------------------------------------------------------------------


def timeline(person_id) -> list:
    """The person's invitations and outcomes, without notes (for the person page of every module)."""
    url = None
    if has_request_context() and can("informieren.interviews.read"):
        url = url_for("informieren.person_interviews", person_id=person_id)
    entries = []
    for interview in interviews_of(person_id):
        detail = str(INVITATION_LABELS.get(interview.invitation, interview.invitation))
        if interview.appointment_at is not None:
            detail = _("Termin %(when)s", when=format_datetime(interview.appointment_at, "short"))
        entries.append(TimelineEntry.on(interview.invited_on, "informieren",
                                        _l("Zum Erstinformationsgespräch eingeladen"), detail, url))
        if interview.outcome:
            day = interview.held_on or interview.invited_on
            title = OUTCOME_LABELS.get(interview.outcome, interview.outcome)
            entries.append(TimelineEntry.on(day, "informieren", _l("Erstinformationsgespräch: %(outcome)s",
                                                                   outcome=title), "", url, order=1))
    return entries
