"""Reports: modules contribute sections and key figures through hooks; core renders XLSX, CSV and PDF.

A tenant report gathers the ``report_sections`` of the modules active in one
tenant.  The canton report shows every tenant as a row of the key figures its
modules give through ``report_figures``; it reads across tenants in the canton
scope, each tenant's figures computed inside that tenant's own scope.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, clock, i18n, modules
from core.db import TenantScoped, UTCDateTime, db, uuid_pk
from core.errors import UserError
from core.spreadsheet import csv_row, date_cells, excel_value, text_cells
from core.tenancy import (
    Municipality,
    Tenant,
    TenantKind,
    TenantMunicipality,
    TenantState,
    canton_scope,
    tenant_scope,
)

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Period:
    """A reporting period: a year (``2017``), a month (``2017-03``) or two dates (``2017-01-01..2017-06-30``)."""

    start: date
    end: date  # inclusive
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        text = (text or "").strip()
        try:
            if re.fullmatch(r"\d{4}", text):
                year = int(text)
                return cls(date(year, 1, 1), date(year, 12, 31), text)
            if re.fullmatch(r"\d{4}-\d{2}", text):
                year, month = map(int, text.split("-"))
                return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), text)
            if ".." in text:
                start, end = (date.fromisoformat(part) for part in text.split(".."))
                if start <= end:
                    return cls(start, end, text)
        except ValueError:
            pass
        raise UserError(_("«%(text)s» ist kein Zeitraum (2017, 2017-03 oder 2017-01-01..2017-06-30).", text=text))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list]


@dataclass
class Chart:
    """A bar chart: one bar group per category, one bar per series."""

    title: str
    categories: list[str]
    series: dict[str, list[float]]


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]
    generated_at: datetime = field(default_factory=clock.utcnow)


# -- schedules -----------------------------------------------------------------------------


class ReportSchedule(TenantScoped, db.Model):
    """A report the tenant receives by itself, for each month or year that has ended."""

    __tablename__ = "report_schedules"

    id: Mapped[uuid.UUID] = uuid_pk()
    frequency: Mapped[str] = mapped_column(sa.String(20))
    format: Mapped[str] = mapped_column(sa.String(10))
    scope: Mapped[str] = mapped_column(sa.String(10), default="tenant")
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    last_period: Mapped[str | None] = mapped_column(sa.String(30))

    __table_args__ = (
        sa.CheckConstraint("frequency IN ('monthly', 'yearly')", name="frequency"),
        sa.CheckConstraint("scope IN ('tenant', 'canton')", name="scope"),
    )


def last_complete_period(frequency: str, today: date) -> str:
    """The label of the last month or year that has ended by ``today``."""
    if frequency == "yearly":
        return str(today.year - 1)
    first = today.replace(day=1)
    previous = date.fromordinal(first.toordinal() - 1)
    return f"{previous.year}-{previous.month:02d}"


def run_schedules(tenant: Tenant) -> list[str]:
    """Request the reports of ``tenant``'s schedules that are due; returns their periods."""
    from core import jobs

    requested = []
    schedules = db.session.scalars(sa.select(ReportSchedule).order_by(ReportSchedule.created_at)).all()
    for schedule in schedules:
        period = last_complete_period(schedule.frequency, clock.today())
        if schedule.last_period == period:
            continue
        with tenant_scope(tenant):
            schedule.last_period = period  # committed with the job's record, by enqueue()
        jobs.enqueue("report", tenant, {"period": period, "format": schedule.format, "scope": schedule.scope},
                     requested_by=audit.current_actor())
        requested.append(period)
    return requested


# -- building ------------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]


def tenant_report(tenant: Tenant, period: Period, progress: Progress) -> Report:
    progress(0, 1, _l("Abschnitte werden zusammengestellt"))
    with tenant_scope(tenant):
        # The modules of the period, not of today: one switched off since still shows what it did then.
        hooks = modules.registry().for_modules(modules.active_during(tenant, period.start, period.end))
        # pluggy calls the last registered first: reversed, core's overview leads and the modules follow.
        groups = reversed(hooks.report_sections(tenant=tenant, period=period))
        sections = [section for group in groups for section in group]
    progress(1, 1, "")
    return Report(_("Bericht %(tenant)s", tenant=tenant.name), _("Zeitraum %(period)s", period=period.label), sections)


def file_name(tenant: Tenant, scope: str, period: Period, fmt: str) -> str:
    """The report's file name: all tenants' and one tenant's (the canton's own too) never share one."""
    who = "alle-mandanten" if scope == "canton" else tenant.slug
    return f"bericht-{who}-{period.label}.{fmt}"


def canton_report(period: Period, progress: Progress) -> Report:
    rows, keys = canton_figures(period, progress)
    labelled = [(key, figure_label(key)) for key in keys]
    labels = [label for _key, label in labelled]
    columns = [_("Mandant"), _("Gemeinden"), *labels]
    table = Table(_("Kennzahlen je Mandant"), columns,
                  [[t.name, communes, *(shown(key, figures.get(key, 0)) for key in keys)]
                   for t, communes, figures in rows])
    totals = Table(_("Summen"), [_("Kennzahl"), _("Summe")],
                   [[label, shown(key, sum(figures.get(key, 0) for _t, _c, figures in rows))]
                    for key, label in labelled])
    plain = [(key, label) for key, label in labelled if not _suppress_below(key)]  # a bar would tell the number
    # Figures someone has a number for first: a chart of zeros only says what the table says.
    plain.sort(key=lambda pair: not any(figures.get(pair[0]) for _t, _c, figures in rows))
    charts = [Chart(label, [t.name for t, _c, _f in rows], {label: [f.get(key, 0) for _t, _c, f in rows]})
              for key, label in plain[:3]] if len(rows) <= 40 else []
    section = Section(_("Alle Mandanten"), [table, totals], charts)
    return Report(_("Kantonaler Bericht start.integration"), _("Zeitraum %(period)s", period=period.label), [section])


def _suppress_below(key: str) -> int:
    figure = modules.registry().figures.get(key)
    return figure.suppress_below if figure is not None else 0


def shown(key: str, value):
    """A figure's value in a report beyond the tenant: a small count of people as "<n" (Figure.suppress_below)."""
    limit = _suppress_below(key)
    return f"<{limit}" if limit and isinstance(value, int) and 0 < value < limit else value


def figure_label(key: str) -> str:
    """What people read for a figure key (``informieren.letters_sent``): its declared label."""
    figure = modules.registry().figures.get(key)
    return str(figure.label) if figure is not None else key


def canton_figures(period: Period, progress: Progress, reason: str | None = None):
    """Every active tenant's key figures (``report_figures``) for the period: ``(rows, keys)``.

    A row is ``(tenant, its communes as text, {figure key: number})``; ``keys`` lists every key in
    the order the modules gave them.  A module counts in every tenant where it was active at some
    time in the period.  Reads across tenants in the canton scope (audited with ``reason``).
    """
    with canton_scope(reason or f"canton report {period.label}"):
        # A few queries for all tenants instead of some for each (see bench/reports.py).
        activations, communes_of = activations_by_tenant(), municipalities_by_tenant(period.start, period.end)
        history = modules.active_periods()
        tenants = db.session.scalars(
            sa.select(Tenant).where(Tenant.kind != TenantKind.CANTON, Tenant.state == TenantState.ACTIVE)).all()
        active_of = {tenant.id: modules.during(tenant.id, history, activations[tenant.id], period.start, period.end)
                     for tenant in tenants}
        tenants = existed_during(tenants, period, communes_of, active_of)
        rows, keys = [], []
        for number, tenant in enumerate(tenants):
            if number % 50 == 0:
                progress(number, len(tenants), tenant.name)
            active = active_of[tenant.id]
            with tenant_scope(tenant):
                figures: dict[str, float] = {}
                hooks = modules.registry().for_modules(active)
                for group in reversed(hooks.report_figures(tenant=tenant, period=period)):  # core's first
                    figures.update(group)
            communes = ", ".join(m.name for m in communes_of[tenant.id])
            keys += [key for key in figures if key not in keys]
            rows.append((tenant, communes, figures))
        progress(len(tenants), len(tenants), "")
    return rows, keys


def activations_by_tenant() -> dict[int, dict]:
    """{tenant id: {module id: ModuleActivation}} of every tenant, in one query (inside the canton scope)."""
    found: dict[int, dict] = defaultdict(dict)
    for row in db.session.scalars(sa.select(modules.ModuleActivation)):
        found[row.tenant_id][row.module_id] = row
    return found


def existed_during(tenants: list[Tenant], period: Period, communes_of: dict[int, list[Municipality]],
                   active_of: dict[int, frozenset[str]]) -> list[Tenant]:
    """Those of ``tenants`` that existed during ``period``, in Swiss order of their names.

    A tenant existed when it served a commune then (``communes_of``: the communes served during the
    period) or had a module active then (``active_of``: tenant id -> module ids); one that never served
    any commune, from the day it was created.  So a tenant set up in 2026 is not in the report of 2017,
    while the pilots, entered later with their communes and modules from 2017, are.
    """
    ever_linked = set(db.session.scalars(sa.select(TenantMunicipality.tenant_id).distinct()))
    existed = [t for t in tenants if communes_of.get(t.id) or active_of.get(t.id) or
               (t.id not in ever_linked and t.created_at.astimezone(clock.ZURICH).date() <= period.end)]
    return i18n.sorted_by_name(existed, lambda t: t.name)


def municipalities_by_tenant(start: date, end: date | None = None) -> dict[int, list[Municipality]]:
    """{tenant id: the communes it serves on ``start`` (or at some time until ``end``)} of every tenant.

    One query, inside the canton scope; each tenant's communes in Swiss order of their names.
    """
    end = end or start
    found: dict[int, list[Municipality]] = defaultdict(list)
    links = db.session.execute(
        sa.select(TenantMunicipality.tenant_id, Municipality).distinct()
        .join(Municipality, Municipality.bfs_number == TenantMunicipality.bfs_number)
        .where(TenantMunicipality.valid_from <= end,
               sa.or_(TenantMunicipality.valid_to.is_(None), TenantMunicipality.valid_to >= start))
    )
    for tenant_id, municipality in links:
        found[tenant_id].append(municipality)
    return defaultdict(list, {tenant_id: i18n.sorted_by_name(communes, lambda m: m.name)
                              for tenant_id, communes in found.items()})


# -- rendering ---------------------------------------------------------------------------------


def render(report: Report, fmt: str) -> bytes:
    renderer = {"xlsx": render_xlsx, "csv": render_csv, "pdf": render_pdf}.get(fmt)
    if renderer is None:
        raise UserError(_("Unbekanntes Format «%(format)s» (xlsx, csv oder pdf).", format=fmt))
    return renderer(report)


def _stamp(report: Report) -> str:
    return _("Erstellt am %(when)s", when=format_datetime(report.generated_at, "short"))


def render_csv(report: Report) -> bytes:
    """One file: each table under its section and title; semicolons, as Excel in Switzerland expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(csv_row([report.title, report.subtitle, _stamp(report)]))
    for section in report.sections:
        for table in section.tables:
            writer.writerow([])
            writer.writerow(csv_row([f"{section.title}: {table.title}"]))
            writer.writerow(csv_row(table.columns))
            writer.writerows(csv_row([_cell(value) if isinstance(value, date) else value for value in row])
                             for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Bericht"
    name, number = base, 2
    while name in taken:
        name, number = f"{base} {number}", number + 1
    taken.add(name)
    return name


def render_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for section in report.sections or [Section(_("Keine Daten"))]:
        sheet = workbook.create_sheet(_sheet_title(section.title, taken))
        sheet.append([report.title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([report.subtitle, _stamp(report)])
        widths: dict[int, int] = {}
        for table in section.tables:
            sheet.append([])
            sheet.append([table.title])
            sheet.cell(sheet.max_row, 1).font = Font(bold=True)
            sheet.append(table.columns)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
            for row in table.rows:
                sheet.append([excel_value(value) for value in row])
            for index, value in enumerate(table.columns, start=1):
                longest = max([len(str(value)), *(len(str(r[index - 1])) for r in table.rows[:500])])
                widths[index] = min(max(widths.get(index, 8), longest + 2), 60)
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index)].width = width
        for chart_data in section.charts:
            sheet.append([])
            top = sheet.max_row + 1
            sheet.append(["", *chart_data.series])
            for number, category in enumerate(chart_data.categories):
                sheet.append([category, *(values[number] for values in chart_data.series.values())])
            chart = BarChart()
            chart.title = chart_data.title
            data = Reference(sheet, min_col=2, max_col=1 + len(chart_data.series), min_row=top, max_row=sheet.max_row)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=top + 1, max_row=sheet.max_row))
            chart.width, chart.height = 24, 10
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max, chart.y_axis.majorUnit = value_axis(chart_data)
            sheet.add_chart(chart, f"{get_column_letter(len(widths) + 2)}{top}")
        text_cells(sheet)
        date_cells(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADING_KEPT_WITH = 2  # cm of a table that must fit under its heading, or the heading goes to the next page
LABEL_WIDTH = 30  # characters of a chart's category label on one line (two lines at most)


def render_pdf(report: Report) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), title=report.title, author="start.integration",
        leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm, bottomMargin=1.5 * cm,
    )
    story = [Paragraph(_escape(report.title), styles["Title"]),
             Paragraph(_escape(f"{report.subtitle} · {_stamp(report)}"), styles["Normal"]), Spacer(1, 0.5 * cm)]

    def under(headings: list, content, *more) -> None:
        """Headings and the start of what they head on one page: never a heading alone at a page's foot."""
        story.extend([_keep_start(headings, content, HEADING_KEPT_WITH * cm), *headings, content, *more])
        headings.clear()

    for section in report.sections:
        headings = [Paragraph(_escape(section.title), styles["Heading2"])]
        for table in section.tables:
            headings.append(Paragraph(_escape(table.title), styles["Heading4"]))
            under(headings, _pdf_table(table, small), Spacer(1, 0.4 * cm))
        for chart_data in section.charts:
            drawing, legend = _pdf_chart(chart_data)
            headings.append(Paragraph(_escape(chart_data.title), styles["Heading4"]))
            under(headings, drawing, *(Paragraph(line, small) for line in legend), Spacer(1, 0.4 * cm))
        story += headings  # a section without tables or charts
    if not report.sections:
        story.append(Paragraph(_escape(_("Keine Daten für diesen Zeitraum.")), styles["Normal"]))
    document.build(story)
    return buffer.getvalue()


def _keep_start(headings: list, content, start: float):
    """A page break where ``headings`` and the start of ``content`` (``start`` points of a table that
    splits, all of anything else: a chart) do not fit on the rest of the page."""
    from reportlab.platypus import CondPageBreak
    from reportlab.platypus import Table as PdfTable

    class KeepStart(CondPageBreak):
        def __init__(self):
            super().__init__(0)
            self.kept = list(headings)

        def wrap(self, width, available):
            above = sum(_height(flowable, width, available) for flowable in self.kept)
            below = _height(content, width, available)
            self.height = above + (min(below, start) if isinstance(content, PdfTable) else below)
            return super().wrap(width, available)

    return KeepStart()


def _height(flowable, width: float, available: float) -> float:
    """The room a flowable takes in a frame, with the space before and after it (a heading's)."""
    return flowable.getSpaceBefore() + flowable.wrap(width, available)[1] + flowable.getSpaceAfter()


def _pdf_table(table: Table, style):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as PdfTable

    data = [[Paragraph(_escape(str(c)), style) for c in table.columns]]
    data += [[Paragraph(_escape(_cell(v)), style) for v in row] for row in table.rows]
    pdf_table = PdfTable(data, repeatRows=1, hAlign="LEFT")
    pdf_table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return pdf_table


SERIES_COLOURS = ("#d40f14", "#1d1d1b", "#8a8a8a", "#e8868a")
SHORT_LABEL = 12  # characters: categories this short stand under upright bars (months, day ranges)


def _pdf_chart(chart_data: Chart):
    """A bar chart and the lines under it (markup): the series' colours (more than one), the names it shortened.

    Short categories (months) stand under upright bars; names lie beside horizontal bars, where they
    read across and whole (wrapped, or shortened with the full name below).
    """
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.units import cm

    upright = all(len(name) <= SHORT_LABEL for name in chart_data.categories)
    labels, legend = (list(chart_data.categories), []) if upright else chart_labels(chart_data.categories)
    rows = max(len(labels), 1)
    values = [list(values) for values in chart_data.series.values()] or [[0]]
    if upright:
        drawing = Drawing(24 * cm, 7 * cm)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 1.5 * cm, 1.2 * cm, 21 * cm, 5.3 * cm
        chart.data, chart.categoryAxis.categoryNames = values, labels or [""]
        chart.categoryAxis.labels.angle = 30 if rows > 8 else 0
        chart.categoryAxis.labels.boxAnchor = "ne" if rows > 8 else "n"
    else:
        two_lines = any("\n" in label for label in labels)
        bar = ((0.8 if two_lines else 0.55) if rows <= 20 else (0.55 if two_lines else 0.35)) * cm
        drawing = Drawing(24 * cm, rows * bar + 1.2 * cm)
        chart = HorizontalBarChart()
        chart.x, chart.y, chart.width, chart.height = 6.5 * cm, 0.8 * cm, 16 * cm, rows * bar
        # Categories run from the bottom up: reversed, the first stands on top, as in the table.
        chart.data = [list(reversed(series)) for series in values]
        chart.categoryAxis.categoryNames = list(reversed(labels)) or [""]
        chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "e", -4
    chart.categoryAxis.labels.fontSize = 7 if rows > 20 else 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = value_axis(chart_data)
    chart.valueAxis.labels.fontSize = 8
    for number in range(len(values)):
        chart.bars[number].fillColor = colors.HexColor(SERIES_COLOURS[number % len(SERIES_COLOURS)])
    drawing.add(chart)
    keys = [f'<font color="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}">■</font> {_escape(name)}'
            for n, name in enumerate(chart_data.series)] if len(chart_data.series) > 1 else []
    return drawing, ["   ".join(keys)] * bool(keys) + [_escape(line) for line in legend]


def value_axis(chart_data: Chart) -> tuple[float | None, float | None]:
    """The value axis's top and step: 0 to 1 when every figure is 0, else whole steps the chart picks."""
    values = [value for series in chart_data.series.values() for value in series if isinstance(value, int | float)]
    top = max(values, default=0)
    if top <= 0:
        return 1, 1
    return None, (1 if top <= 5 else None)  # no steps of 0.5 persons


def chart_labels(names: list[str]) -> tuple[list[str], list[str]]:
    """Each name on at most two lines of ``LABEL_WIDTH``; a longer one is shortened with "…" and numbered,
    its full name in the legend ("¹ Regionale Umsetzung …")."""
    import textwrap

    labels, legend = [], []
    for name in names:
        lines = textwrap.wrap(name, LABEL_WIDTH) or [""]
        if len(lines) > 2:
            mark = str(len(legend) + 1)
            lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL_WIDTH - 2 - len(mark), placeholder="…")
                     + f" ({mark})"]
            legend.append(f"({mark}) {name}")
        labels.append("\n".join(lines))
    return labels, legend


def _cell(value) -> str:
    if isinstance(value, datetime):
        return format_datetime(value, "short")
    if isinstance(value, date):
        return format_date(value, "short")
    return "" if value is None else str(value)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
