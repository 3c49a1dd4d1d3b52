"""The next deadline of each case, from whatever of the module sets deadlines (measures, agreements).

Each source registers a function that takes case ids and returns {case id: its earliest open
deadline}; the earliest of all wins. The list, the command and the API show it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

SOURCES: list[Callable[[list], dict]] = []


def next_deadlines(case_ids: list) -> dict:
    found: dict = {}
    for source in SOURCES:
        for case_id, day in source(case_ids).items():
            if day is not None and (case_id not in found or day < found[case_id]):
                found[case_id] = day
    return found


def overdue(found: dict, today: date) -> int:
    return sum(1 for day in found.values() if day < today)
