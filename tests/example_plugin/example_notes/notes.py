"""What the module does with its notes, apart from its pages: each step uses one of core's shared services.

- :func:`add` writes a note about core's person, attaches a file (``core.attachments``) and tells the
  other modules (``core.events``: the event ``example_notes.note_added`` it declares);
- :func:`from_handover` turns Informieren's hand-over of needs into a note (an event of another module,
  which may not even be installed: the two never import each other);
- :func:`submit` hands a snapshot of a note to the canton (``core.submissions``), :func:`follow` keeps
  the note's copy of the canton's decision;
- :func:`holds`, :func:`erase` and :func:`export` are the module's part of core's retention and right
  of access (``core.people``).
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import attachments, audit, clock, events, provisioning, submissions
from core.db import db
from core.money import format_chf
from core.people import Person
from core.plugins import EventType, SubmissionKind
from example_notes.models import STAFF, Note

NOTE_ADDED = EventType(
    "example_notes.note_added", _l("Beratungsnotiz erfasst"), fields=("person_id", "note_id", "source"),
    description=_l("Eine Beratungsnotiz zu einer Person ist erfasst (von Hand oder aus einer Übergabe)."),
)
HANDOVER = "informieren.needs_handed_over"  # Informieren's event: person_id, interview_id, needs, offers, languages
KIND = SubmissionKind("example_notes.note", "BN", _l("Beratungsnotiz"))  # numbers BN-2027-0001
OWNER = "example_notes.note"  # the owner type of the files attached to a note
RETENTION_YEARS = "example_notes.retention_years"


def owner(note: Note) -> attachments.Owner:
    return attachments.Owner.of(OWNER, note.id)


def add(tenant, person: Person, text: str, fee: int = 0, source: str = STAFF,
        upload: attachments.Upload | None = None) -> Note:
    """Write a note about ``person`` (in the current tenant's scope and transaction) and announce it."""
    note = Note(id=uuid.uuid4(), person_id=person.id, text=text, fee=fee, source=source,
                written_on=clock.today(), written_by=audit.current_actor())
    db.session.add(note)
    db.session.flush()  # a subscriber may look the note up
    if upload is not None:
        attachments.add(owner(note), upload)
    events.emit(tenant, NOTE_ADDED.id, person_id=str(person.id), note_id=str(note.id), source=source)
    return note


def from_handover(tenant, payload: dict) -> str | None:
    """A note from Informieren's first-information interview, once per interview; None if not taken."""
    person = db.session.get(Person, (tenant.id, uuid.UUID(payload["person_id"])))
    source = f"informieren.interview:{payload['interview_id']}"
    if person is None or db.session.scalar(sa.select(Note.id).where(Note.source == source)) is not None:
        return None
    lines = [_("Aus dem Erstinformationsgespräch übergeben.")]
    if payload["needs"]:
        lines.append(_("Bedürfnisse: %(items)s", items=", ".join(payload["needs"])))
    if payload["offers"]:
        lines.append(_("Vorgeschlagene Angebote: %(items)s", items=", ".join(payload["offers"])))
    add(tenant, person, "\n".join(lines), source=source)
    return _("Beratungsnotiz erfasst")


def submit(tenant, note: Note, person: Person) -> submissions.Submission:
    """Hand a snapshot of the note to the canton: the canton reads this payload, never the module's rows."""
    files = attachments.listing(owner(note))
    return submissions.submit(
        tenant, KIND.id, note.id, title=_("Beratungsnotiz vom %(day)s", day=format_date(note.written_on)),
        payload={_("Person"): person.full_name, _("Geschrieben am"): format_date(note.written_on),
                 _("Notiz"): note.text, _("Gebühr"): format_chf(note.fee)},
        attachments=[{"id": str(file.id), "filename": file.filename} for file in files],
    )


def follow(submission: submissions.Submission, event: submissions.SubmissionEvent) -> None:
    """The canton took a step (or the commune withdrew): the note shows where its submission stands."""
    note = db.session.get(Note, (submission.tenant_id, uuid.UUID(submission.object_id)))
    if note is not None:
        note.submission_state = event.to_state


# -- retention and the right of access ------------------------------------------------------------


def cutoff(tenant, today: date) -> date:
    """Notes written before this day are past the tenant's retention period."""
    years = provisioning.get_setting(tenant, RETENTION_YEARS)
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def holds(tenant, today: date):
    """SQL: the persons with a note younger than the period; core keeps them."""
    return sa.select(Note.person_id).where(Note.written_on >= cutoff(tenant, today))


def erase(person_ids: list) -> None:
    """Core anonymises these persons: their notes lose text and files; date and fee stay for the figures."""
    for note in db.session.scalars(sa.select(Note).where(Note.person_id.in_(person_ids))):
        note.text = ""  # through the ORM: the change of a Sensitive record is audited
        for file in attachments.listing(owner(note)):
            attachments.delete(file)


def export(person: Person) -> dict:
    """Everything the module holds about the person, for core's export (JSON-able)."""
    found = db.session.scalars(sa.select(Note).where(Note.person_id == person.id).order_by(Note.written_on)).all()
    if not found:
        return {}
    return {_("Beratungsnotizen"): [
        {"written_on": note.written_on.isoformat(), "written_by": note.written_by, "text": note.text,
         "fee": format_chf(note.fee), "fee_rappen": note.fee, "source": note.source,
         "submission_state": note.submission_state,
         "attachments": [file.filename for file in attachments.listing(owner(note))]}
        for note in found
    ]}


def count() -> int:
    """How many notes the tenant holds (its start page shows it)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Note))
