"""The register's entries on core's person page: the arrival and every change of the record."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.auth import actor_names
from core.db import db
from core.people import TimelineEntry
from plugins.informieren.models import Newcomer, PersonChange, Source
from plugins.informieren.register.checks import FIELD_LABELS, SOURCE_LABELS, municipality_names

MODULE = "informieren"

_CHANGE_TITLES = {
    "created": _l("Erfasst"),
    "imported": _l("Aus dem Einwohnerregister übernommen"),
    "corrected": _l("Vom Einwohnerregister berichtigt"),
    "edited": _l("Bearbeitet"),
    "anonymised": _l("Anonymisiert: die Aufbewahrungsfrist ist abgelaufen"),
}


def timeline(person_id) -> list[TimelineEntry]:
    """Informieren's register entries for a person (in the current tenant scope): the arrival and
    every change of the record (created, imported, corrected by the registry, edited)."""
    person = db.session.scalars(sa.select(Newcomer).where(Newcomer.id == person_id)).first()
    if person is None:
        return []
    changes = db.session.scalars(
        sa.select(PersonChange).where(PersonChange.person_id == person_id).order_by(PersonChange.occurred_at)
    ).all()
    names = actor_names({change.actor for change in changes})
    entries = [TimelineEntry.on(person.arrival_date, MODULE, _l("Zuzug aus dem Ausland"),
                                municipality_names().get(person.municipality_bfs, str(person.municipality_bfs)))]
    for change in changes:
        kind = change.kind
        if kind == "created" and change.source in (Source.ECH0020, Source.CSV):
            kind = "imported"
        fields = ", ".join(str(FIELD_LABELS.get(name, name)) for name in change.fields)
        detail = " · ".join(part for part in (
            str(SOURCE_LABELS.get(change.source, "")), names.get(change.actor, change.actor),
            fields if kind in ("edited", "corrected", "anonymised") else "") if part)
        entries.append(TimelineEntry(at=change.occurred_at, module=MODULE, title=_CHANGE_TITLES.get(kind, kind),
                                     detail=detail))
    return entries
