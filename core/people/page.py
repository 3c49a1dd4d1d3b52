"""What modules add to core's person page: panels (``person_panels``) and timeline entries (``person_timeline``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from core.clock import start_of


@dataclass(frozen=True)
class Panel:
    """What a module shows on core's person page (the ``person_panels`` hook)."""

    title: Any  # a (lazy) translatable text
    body: Markup  # rendered by the module, with its own links
    position: int = 100


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a person, shown on the person's page."""

    at: datetime  # timezone-aware UTC
    module: str  # the module id that contributes it
    title: Any  # a (lazy) translatable text
    detail: str = ""
    url: str | None = None  # where to see more, if the user may
    all_day: bool = False  # an event of a calendar day (an arrival, a letter sent): shown without a time

    @classmethod
    def on(cls, day: date, module: str, title: Any, detail: str = "", url: str | None = None, order: int = 0):
        """An event of a calendar day, at its start (``order`` seconds later keeps a day's events in order)."""
        return cls(start_of(day) + timedelta(seconds=order), module, title, detail, url, all_day=True)


def timeline(hooks, tenant, person_id: uuid.UUID) -> list[TimelineEntry]:
    """Every active module's entries for the person, newest first."""
    entries = [entry for result in hooks.person_timeline(tenant=tenant, person_id=person_id) for entry in result]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
