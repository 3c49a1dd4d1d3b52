"""The newcomer list's order (sortable columns) and its export as CSV and XLSX.

The list pages in the database, so every order is SQL: names by their stored Swiss collation key
(``Person.sort_name``), communes and stages by a rank computed here (the Swiss order of the
commune names; the stages in the order of the welcome). Each order ends with the name and the id,
so rows with equal values keep one order from page to page. The export takes the same filters and
order as the list (every row, not one page), needs the list's permission and is audited.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Response, g, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, i18n
from core.access import requires
from core.db import db
from core.people import format_partial_date
from core.spreadsheet import csv_row, text_cells
from plugins.informieren.blueprints import blueprint
from plugins.informieren.models import Newcomer
from plugins.informieren.register import checks, query

SORT_PARAM = "sortierung"
# The sortable columns: parameter value -> header. Nationalities and languages are lists: not sortable.
COLUMNS = {"name": _l("Name"), "geburt": _l("Geburtsdatum"), "zuzug": _l("Zuzug"), "gemeinde": _l("Gemeinde"),
           "bewilligung": _l("Bewilligung"), "stand": _l("Stand")}
EXPORT_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool = False

    @property
    def param(self) -> str:
        return f"-{self.column}" if self.descending else self.column

    def link_param(self, column: str) -> str:
        """The parameter of a column header's link: the current column turns round, another starts ascending
        (a date column newest first)."""
        if column == self.column:
            return Sort(column, not self.descending).param
        return Sort(column, column == "zuzug").param

    def aria(self, column: str) -> str | None:
        if column != self.column:
            return None
        return "descending" if self.descending else "ascending"


DEFAULT_SORT = Sort("zuzug", descending=True)  # the newest arrivals first, as the worklist thinks


def direction_label(column: str, descending: bool) -> str:
    if column == "name":
        return _("Z–A") if descending else _("A–Z")
    if column == "geburt":
        return _("jüngste zuerst") if descending else _("älteste zuerst")
    if column == "zuzug":
        return _("neueste zuerst") if descending else _("früheste zuerst")
    return _("absteigend") if descending else _("aufsteigend")


def parse_sort(text: str | None) -> Sort:
    text = (text or "").strip()
    if not text:
        return DEFAULT_SORT
    sort = Sort(text.removeprefix("-"), text.startswith("-"))
    if sort.column not in COLUMNS:
        raise checks.Invalid(_("Nach «%(column)s» lässt sich nicht sortieren.", column=text))
    return sort


def sort_or_problem(args, problems: dict[str, str]) -> Sort:
    """The list's order from the request; a wrong one is reported in ``problems`` and the default used."""
    try:
        return parse_sort(args.get(SORT_PARAM))
    except checks.Invalid as error:
        problems[SORT_PARAM] = str(error)
        return DEFAULT_SORT


def param_labels() -> dict[str, str]:
    """What the list's parameters are called on the page, for its messages."""
    return {query.WEB_PARAMS["arrival_from"]: _("Zuzug von"), query.WEB_PARAMS["arrival_to"]: _("Zuzug bis"),
            query.WEB_PARAMS["commune"]: _("Gemeinde"), query.WEB_PARAMS["nationality"]: _("Staatsangehörigkeit"),
            query.WEB_PARAMS["language"]: _("Sprache"), query.WEB_PARAMS["stage"]: _("Stand"),
            query.WEB_PARAMS["search"]: _("Suche"), SORT_PARAM: _("Sortierung"), "seite": _("Seite")}


def order_by(sort: Sort) -> list:
    """The SQL order of ``sort``: its column (empty values last either way), then name and id."""
    direction = sa.desc if sort.descending else sa.asc
    tail = [Newcomer.anonymised_on.is_not(None), Newcomer.sort_name, Newcomer.id]
    if sort.column == "name":
        return [Newcomer.anonymised_on.is_not(None), direction(Newcomer.sort_name), direction(Newcomer.id)]
    column = {"geburt": Newcomer.date_of_birth, "zuzug": Newcomer.arrival_date,
              "bewilligung": Newcomer.permit_category, "gemeinde": _commune_rank(), "stand": _stage_rank()}[sort.column]
    return [sa.nulls_last(direction(column)), *tail]


def _commune_rank():
    """The communes of the tenant's newcomers in the Swiss order of their names, as a number."""
    numbers = db.session.scalars(sa.select(Newcomer.municipality_bfs).distinct()).all()
    names = checks.municipality_names()
    ranked = i18n.sorted_by_name(numbers, lambda number: names.get(number, str(number)))
    if not ranked:
        return Newcomer.municipality_bfs
    return sa.case({number: rank for rank, number in enumerate(ranked)}, value=Newcomer.municipality_bfs)


def _stage_rank():
    return sa.case({stage.value: rank for rank, stage in enumerate(checks.STAGE_LABELS)}, value=Newcomer.stage)


# -- export ---------------------------------------------------------------------------------------


@blueprint.get("/personen/liste.<fmt>")
@requires("informieren.newcomers.read")
def persons_export(fmt):
    if fmt not in EXPORT_FORMATS:
        return redirect(url_for("informieren.persons", **request.args))
    filters, problems = query.parse_filters(request.args, query.WEB_PARAMS)
    sort = sort_or_problem(request.args, problems)
    if problems:  # the list says what is wrong, with the filters as given
        return redirect(url_for("informieren.persons", **request.args))
    persons = db.session.scalars(query.select_persons(filters, order_by(sort))).all()
    audit.record("informieren.newcomers.export", object_type="newcomer_list", object_id=fmt,
                 detail={"format": fmt, "count": len(persons), "filters": _plain(filters.active()),
                         "sort": sort.param})
    content = (_xlsx if fmt == "xlsx" else _csv)(persons)
    db.session.commit()  # the audit record
    name = f"neuzuzuege-{g.tenant.slug}.{fmt}"
    return Response(content, mimetype=EXPORT_FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _plain(values: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()}


def _headers() -> list[str]:
    return [_("Name"), _("Vorname"), _("Geburtsdatum"), _("Staatsangehörigkeit"), _("Sprachen"), _("Zuzug"),
            _("Gemeinde"), _("Bewilligung"), _("Stand")]


def _cells(person: Newcomer, communes: dict[int, str]) -> list:
    """A person's row; the dates as dates (a partial birth date as its text: 03.1985)."""
    anonymised = person.anonymised_on is not None
    born = person.date_of_birth or ""
    return [
        person.full_name if anonymised else person.official_name,
        "" if anonymised else person.first_name,
        date.fromisoformat(born) if len(born) == 10 else format_partial_date(born),
        ", ".join(i18n.country_name(code) for code in person.nationalities or []),
        ", ".join(i18n.language_name(code) for code in person.languages or []),
        person.arrival_date,
        communes.get(person.municipality_bfs, person.municipality_bfs),
        person.permit_category or "",
        str(checks.STAGE_LABELS.get(person.stage, person.stage)),
    ]


def _csv(persons: list[Newcomer]) -> bytes:
    """Semicolons and a byte-order mark, as Excel in Switzerland expects; dates as 14.03.1985."""
    communes = checks.municipality_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(csv_row(_headers()))
    for person in persons:
        writer.writerow(csv_row([format_date(v, "dd.MM.yyyy") if isinstance(v, date) else v
                                 for v in _cells(person, communes)]))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(persons: list[Newcomer]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    communes = checks.municipality_names()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Neuzuzüge")[:31]
    sheet.append(_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for person in persons:
        sheet.append(_cells(person, communes))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"
    for index, width in enumerate((20, 16, 13, 24, 20, 12, 18, 11, 22), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    text_cells(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
