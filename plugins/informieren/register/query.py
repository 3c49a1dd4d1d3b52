"""Finding newcomers: the filters of the list, the API and the CLI, in one query.

Nationalities and languages are JSON lists. The filter on them is a LIKE on the column's JSON text
with the quoted code (``'%"PT"%'``): the same SQL on SQLite and PostgreSQL (where ``json`` keeps the
text as written), exact because the quotes delimit a code, and safe because a filter's code is
one of the known codes (no wildcards). It cannot use an index, but it runs on the rows of one
tenant that the other conditions leave, which stays fast for tens of thousands of persons; JSON
operators (``json_each`` on SQLite, ``@>`` on jsonb) would need two dialects and a jsonb column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from core import i18n, people
from core.db import db
from plugins.informieren.models import Newcomer, Stage
from plugins.informieren.register import checks

PAGE_SIZE = 50
ORDER = (Newcomer.arrival_date.desc(), Newcomer.sort_name, Newcomer.id)  # names in Swiss order (core.i18n)


@dataclass
class Filters:
    arrival_from: date | None = None
    arrival_to: date | None = None
    commune: int | None = None
    nationality: str | None = None
    language: str | None = None
    stage: str | None = None
    search: str | None = None
    changed_since: datetime | None = None

    def active(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}


# The list page's parameter names (German, like the rest of its URLs) for each filter.
WEB_PARAMS = {"arrival_from": "von", "arrival_to": "bis", "commune": "gemeinde", "nationality": "land",
              "language": "sprache", "stage": "stand", "search": "suche"}
API_PARAMS = {"arrival_from": "arrival_from", "arrival_to": "arrival_to", "commune": "commune",
              "changed_since": "changed_since"}


def _date(text: str) -> date:
    return checks.parse_date(text)


def _commune(text: str) -> int:
    if not re.fullmatch(r"\d{1,5}", text):
        raise checks.Invalid(_("Bitte eine BFS-Nummer angeben."))
    return int(text)


def _nationality(text: str) -> str:
    code = text.upper()
    if code not in i18n.country_codes() and not checks.BFS_COUNTRY.match(code):
        raise checks.Invalid(_("Unbekannter Ländercode: %(codes)s.", codes=text))
    return code


def _language(text: str) -> str:
    code = text.lower()
    if code not in i18n.language_codes():
        raise checks.Invalid(_("Unbekannter Sprachcode: %(codes)s.", codes=text))
    return code


def _stage(text: str) -> str:
    if text not in set(Stage):
        raise checks.Invalid(_("Unbekannter Stand."))
    return text


def _search(text: str) -> str:
    return " ".join(text.split())[:100]


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise checks.Invalid(_("Bitte einen Zeitpunkt nach ISO 8601 angeben.")) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


PARSERS = {"arrival_from": _date, "arrival_to": _date, "commune": _commune, "nationality": _nationality,
           "language": _language, "stage": _stage, "search": _search, "changed_since": _timestamp}


def parse_filters(args: Mapping, names: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from request parameters; a bad value is left out and reported (parameter -> message).

    A date range that ends before it starts is reported at its end, and neither date is applied.
    """
    filters, problems = Filters(), {}
    for attribute, param in names.items():
        text = (args.get(param) or "").strip()
        if not text:
            continue
        try:
            setattr(filters, attribute, PARSERS[attribute](text))
        except checks.Invalid as error:
            problems[param] = str(error)
    if filters.arrival_from and filters.arrival_to and filters.arrival_from > filters.arrival_to:
        # Nobody can have arrived in between: said, not answered with an empty list.
        problems[names["arrival_to"]] = _("Das Enddatum liegt vor dem Anfangsdatum; bitte die Daten tauschen.")
        filters.arrival_from = filters.arrival_to = None
    return filters, problems


def _json_contains(column, code: str):
    return sa.cast(column, sa.Text).like(f'%"{code}"%')


def conditions(filters: Filters) -> list:
    found = []
    if filters.arrival_from:
        found.append(Newcomer.arrival_date >= filters.arrival_from)
    if filters.arrival_to:
        found.append(Newcomer.arrival_date <= filters.arrival_to)
    if filters.commune:
        found.append(Newcomer.municipality_bfs == filters.commune)
    if filters.nationality:
        found.append(_json_contains(Newcomer.nationalities, filters.nationality))
    if filters.language:
        found.append(_json_contains(Newcomer.languages, filters.language))
    if filters.stage:
        found.append(Newcomer.stage == filters.stage)
    if filters.changed_since:
        found.append(Newcomer.updated_at >= filters.changed_since)
    if filters.search:
        found.append(people.matching(filters.search))  # core's search: any spelling, the ids, AHV digits
    return found


def select_persons(filters: Filters, order=ORDER):
    return sa.select(Newcomer).where(*conditions(filters)).order_by(*order)


def count(filters: Filters) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Newcomer).where(*conditions(filters)))


def stage_counts(filters: Filters) -> dict[str, int]:
    """How many of the persons these filters find (whatever their stage) are at each stage."""
    without_stage = Filters(**{**filters.__dict__, "stage": None})
    rows = db.session.execute(sa.select(Newcomer.stage, sa.func.count()).where(*conditions(without_stage))
                              .group_by(Newcomer.stage)).all()
    return dict(rows)


def page_of(filters: Filters, page: int, size: int = PAGE_SIZE, order=ORDER) -> list[Newcomer]:
    return db.session.scalars(select_persons(filters, order).limit(size).offset((page - 1) * size)).all()
