"""Informieren's part of the right of access: everything it holds about one person (``person_export``).

Core writes the file (its identity section first) and audits the export; each section here
is titled in the user's language. Interviews are read through the ORM, so each is audited as
a sensitive read, as any other reading of them is. Import reports are searched for the
person's ids (never names): a registry record that was rejected, skipped or flagged for review
and named them, as long as the report keeps its details (``retention.IMPORT_DETAIL_DAYS``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from core.db import db
from core.people import Person
from core.people.export import plain
from plugins.informieren.models import ImportItem, ImportRun, Interview, Newcomer, PersonChange, WelcomeLetter

NEWCOMER_FIELDS = ("arrival_date", "permit_category", "eu_efta", "source", "stage")


def sections(person: Person) -> dict:
    """{section title: data} of what Informieren holds about ``person`` (in the current tenant's scope)."""
    found = {}
    if isinstance(person, Newcomer):
        found[_("Informieren: Zuzug und Stand")] = {name: plain(getattr(person, name)) for name in NEWCOMER_FIELDS}
        found[_("Informieren: Änderungen am Eintrag")] = _changes(person.id)
        found[_("Informieren: Begrüssungsschreiben")] = _letter(person.id)
        found[_("Informieren: Erstinformationsgespräche")] = _interviews(person.id)
    if items := _import_items(person):
        found[_("Informieren: Meldungen des Einwohnerregisters, die nicht übernommen wurden")] = items
    return found


def _row(obj, names: tuple[str, ...]) -> dict:
    return {name: plain(getattr(obj, name)) for name in names}


def _changes(person_id) -> list[dict]:
    changes = db.session.scalars(sa.select(PersonChange).where(PersonChange.person_id == person_id)
                                 .order_by(PersonChange.occurred_at))
    return [_row(change, ("occurred_at", "kind", "source", "fields", "actor", "import_id")) for change in changes]


def _letter(person_id) -> dict | None:
    letter = db.session.scalar(sa.select(WelcomeLetter).where(WelcomeLetter.person_id == person_id))
    return _row(letter, ("state", "language", "generated_at", "sent_on")) if letter else None


def _interviews(person_id) -> list[dict]:
    interviews = db.session.scalars(sa.select(Interview).where(Interview.person_id == person_id)
                                    .order_by(Interview.created_at))
    return [{**_row(interview, ("invitation", "invited_on", "appointment_at", "place", "interpreter_language",
                                "outcome", "held_on", "notes", "handed_over", "created_at")),
             "topics": [topic.get("label") or topic.get("key") for topic in interview.topics or []]}
            for interview in interviews]


def _import_items(person: Person) -> list[dict]:
    """Import report entries whose details carry the person's AHV number or the registry's id (a text search
    of the JSON narrows them down in SQL, :func:`_names` decides)."""
    ids = [value for value in (person.vn, person.local_person_id) if value]
    if not ids:
        return []
    detail = sa.cast(ImportItem.detail, sa.Text)
    rows = db.session.execute(
        sa.select(ImportItem, ImportRun.started_at).join(ImportRun, sa.and_(
            ImportRun.tenant_id == ImportItem.tenant_id, ImportRun.id == ImportItem.import_id))
        .where(sa.or_(*(detail.contains(f'"{value}"', autoescape=True) for value in ids)))
        .order_by(ImportRun.started_at, ImportItem.position)
    ).all()
    return [{"imported_at": plain(started_at), **_row(item, ("filename", "position", "outcome", "reason")),
             "detail": item.detail} for item, started_at in rows if _names(item.detail, person)]


def _names(detail: dict, person: Person) -> bool:
    """Whether a record's details are the person's: the same AHV number, or the same registry id in the commune."""
    if person.vn and detail.get("vn") == person.vn:
        return True
    return bool(person.local_person_id) and (detail.get("local_person_id"), detail.get("municipality_bfs")) == (
        person.local_person_id, person.municipality_bfs)
