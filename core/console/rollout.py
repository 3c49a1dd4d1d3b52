"""The rollout dashboard: which tenant runs which module since when, how many communes each module
reaches month by month, the tenants' key figures, and the canton's communes that have no tenant yet.

:func:`build_matrix` builds the tenants × modules matrix once for the page, the XLSX export, the
canton's tenant list and ``flask rollout status``.  All of it reads across tenants, so only inside
:func:`core.tenancy.canton_scope`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import click
import sqlalchemy as sa
from flask import Response, render_template, request
from flask.cli import AppGroup
from flask_babel import format_date
from flask_babel import gettext as _

from core import clock, modules, reports
from core.access import requires
from core.cli import operator_command
from core.console import console
from core.db import db
from core.errors import UserError
from core.modules import ModuleActivation
from core.plugins import Manifest
from core.tenancy import Municipality, Tenant, TenantKind, TenantMunicipality, TenantState, canton_scope

FIRST_MONTH = date(2017, 1, 1)  # 2017 is the introduction year: the rollout starts here
COLOURS = ("#d40f14", "#1f5fa8", "#11702b", "#8a5a00", "#6b3fa0", "#00838f", "#5d4037")


# -- the matrix ------------------------------------------------------------------------------


@dataclass
class MatrixRow:
    tenant: Tenant
    communes: list[Municipality]
    states: dict[str, ModuleActivation]  # by module id; a module missing here is not entitled


@dataclass
class Matrix:
    day: date
    district: str | None
    modules: list[Manifest]
    rows: list[MatrixRow]
    uncovered: list[Municipality]  # the canton's communes no active tenant serves on ``day``
    districts: list[str]


def districts(day: date) -> list[str]:
    """The canton's districts (Bezirke) with communes on ``day``."""
    return sorted(db.session.scalars(
        sa.select(Municipality.district).distinct().where(
            Municipality.valid_from <= day, sa.or_(Municipality.valid_to.is_(None), Municipality.valid_to >= day))
    ))


def check_district(district: str | None, day: date) -> str | None:
    known = districts(day)
    if district and district not in known:
        raise UserError(_("Unbekannter Bezirk «%(district)s» (bekannt: %(known)s).",
                          district=district, known=", ".join(known)))
    return district or None


def build_matrix(day: date, district: str | None = None, *, include_archived: bool = False,
                 include_canton: bool = False, reason: str = "rollout matrix") -> Matrix:
    """Every tenant with the communes it serves on ``day`` and each module's state, in three queries.

    ``district`` keeps the tenants serving a commune of that district (and its uncovered communes).
    """
    district = check_district(district, day)
    with canton_scope(reason):
        query = sa.select(Tenant).order_by(Tenant.kind, Tenant.name)
        if not include_canton:
            query = query.where(Tenant.kind != TenantKind.CANTON)
        if not include_archived:
            query = query.where(Tenant.state == TenantState.ACTIVE)
        tenants = db.session.scalars(query).all()
        states = reports.activations_by_tenant()
        served = reports.municipalities_by_tenant(day)
    rows = [
        MatrixRow(tenant, served[tenant.id], states[tenant.id])
        for tenant in tenants
        if district is None or any(m.district == district for m in served[tenant.id])
    ]
    active = _active_ids()
    covered = {m.bfs_number for tenant_id, found in served.items() if tenant_id in active for m in found}
    uncovered = [
        m for m in db.session.scalars(sa.select(Municipality).order_by(Municipality.name))
        if m.valid_on(day) and m.bfs_number not in covered and district in (None, m.district)
    ]
    return Matrix(day, district, modules.registry().modules, rows, uncovered, districts(day))


def _active_ids() -> set[int]:
    return set(db.session.scalars(sa.select(Tenant.id).where(Tenant.state == TenantState.ACTIVE)))


def state_label(state: str | None) -> str:
    return {
        None: _("nicht freigegeben"), "entitled": _("freigegeben"), "scheduled": _("geplant"),
        "active": _("aktiv"), "suspended": _("ausgeschaltet"),
    }.get(state, state)


def matrix_as_dict(matrix: Matrix) -> dict:
    """The matrix for machines (``flask rollout status --json``)."""
    return {
        "day": matrix.day.isoformat(),
        "district": matrix.district,
        "tenants": [
            {
                "slug": row.tenant.slug,
                "name": row.tenant.name,
                "kind": row.tenant.kind,
                "state": row.tenant.state,
                "communes": [{"bfs": m.bfs_number, "name": m.name, "district": m.district} for m in row.communes],
                "modules": {
                    manifest.id: _cell_dict(row.states.get(manifest.id)) for manifest in matrix.modules
                },
            }
            for row in matrix.rows
        ],
        "uncovered": [{"bfs": m.bfs_number, "name": m.name, "district": m.district} for m in matrix.uncovered],
    }


def _cell_dict(activation: ModuleActivation | None) -> dict:
    if activation is None:
        return {"state": None, "from": None}
    return {"state": activation.state,
            "from": activation.effective_from.isoformat() if activation.effective_from else None}


# -- the timeline ----------------------------------------------------------------------------


@dataclass
class Timeline:
    months: list[date]  # the first day of each month, from January 2017
    modules: list[Manifest]
    counts: dict[str, list[int]]  # module id -> communes where it was active, month by month
    served: list[int]  # communes served by any tenant, month by month


def month_starts(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def build_timeline(until: date, district: str | None = None) -> Timeline:
    """How many communes had each module active on the first day of every month since 2017.

    A commune counts through its tenant's link valid on that day (a regional group counts every
    commune it serves); a module counts while it was active, as its audited changes tell
    (``modules.active_periods``): one switched off again counts until that day.
    """
    months = month_starts(FIRST_MONTH, until)
    with canton_scope("rollout timeline"):
        periods = modules.active_periods()
        links = db.session.execute(
            sa.select(TenantMunicipality.tenant_id, TenantMunicipality.bfs_number, TenantMunicipality.valid_from,
                      TenantMunicipality.valid_to, Municipality.district, Tenant.archived_at)
            .join(Municipality, Municipality.bfs_number == TenantMunicipality.bfs_number)
            .join(Tenant, Tenant.id == TenantMunicipality.tenant_id)
        ).all()
    links = [link for link in links if district in (None, link.district)]
    manifests = modules.registry().modules
    counts: dict[str, list[int]] = {m.id: [] for m in manifests}
    served = []
    for day in months:
        valid = [link for link in links if _link_valid(link, day)]
        served.append(len({link.bfs_number for link in valid}))
        for manifest in manifests:
            active = {
                link.bfs_number for link in valid
                if modules.active_in(periods.get((link.tenant_id, manifest.id), []), day)
            }
            counts[manifest.id].append(len(active))
    return Timeline(months, manifests, counts, served)


def _link_valid(link, day: date) -> bool:
    if link.valid_from > day or (link.valid_to is not None and link.valid_to < day):
        return False
    return link.archived_at is None or link.archived_at.astimezone(clock.ZURICH).date() > day


def chart(timeline: Timeline, width: int = 760, height: int = 300) -> dict:
    """The geometry of the timeline as an SVG line chart (drawn by the template, no script)."""
    left, right, top, bottom = 48, 16, 16, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    values = [v for series in timeline.counts.values() for v in series] + timeline.served
    peak = _round_up(max(values, default=0))
    steps = max(len(timeline.months) - 1, 1)

    def x(index: int) -> float:
        return round(left + plot_width * index / steps, 1)

    def y(value: int) -> float:
        return round(top + plot_height - plot_height * value / peak, 1)

    def points(series: Iterable[int]) -> str:
        return " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(series))

    lines = [
        {"label": str(m.title), "colour": COLOURS[n % len(COLOURS)], "points": points(timeline.counts[m.id]),
         "last": timeline.counts[m.id][-1] if timeline.months else 0}
        for n, m in enumerate(timeline.modules)
    ]
    tick = peak // 5
    return {
        "width": width, "height": height, "left": left, "right": width - right, "top": top,
        "bottom": top + plot_height,
        "lines": lines,
        "served": {"points": points(timeline.served), "last": timeline.served[-1] if timeline.months else 0},
        "y_ticks": [(y(v), v) for v in range(0, peak + 1, tick)],
        "x_ticks": [(x(i), day.year) for i, day in enumerate(timeline.months) if day.month == 1],
    }


def _round_up(value: int) -> int:
    """A round upper end for the axis, divisible into five steps."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if value <= step * 5:
            return step * 5
    return -(-value // 1000) * 1000


# -- the page and its export -----------------------------------------------------------------


def _filters() -> tuple[str | None, reports.Period, list[str]]:
    """The district and the year of the figures asked for; a wrong one is named, not fatal."""
    errors = []
    today = clock.today()
    district = request.args.get("bezirk") or None
    try:
        district = check_district(district, today)
    except UserError as error:
        errors.append(str(error))
        district = None
    year = (request.args.get("jahr") or str(today.year)).strip()
    if not (year.isdigit() and 2000 <= int(year) <= 2100):
        errors.append(_("«%(text)s» ist kein Jahr.", text=year))
        year = str(today.year)
    return district, reports.Period.parse(year), errors


def _figures(matrix: Matrix, period: reports.Period):
    rows, keys = reports.canton_figures(period, lambda *args: None, reason=f"rollout figures {period.label}")
    shown = {row.tenant.id for row in matrix.rows}
    labels = [(key, reports.figure_label(key)) for key in keys]
    return [(tenant, figures) for tenant, _communes, figures in rows if tenant.id in shown], labels


@console.get("/rollout")
@requires("core.canton.read")
def rollout():
    district, period, errors = _filters()
    today = clock.today()
    matrix = build_matrix(today, district, reason="rollout dashboard")
    timeline = build_timeline(today, district)
    figures, labels = _figures(matrix, period)
    page = render_template(
        "console/rollout_dashboard.html", matrix=matrix, timeline=timeline, chart=chart(timeline),
        figures=figures, labels=labels, period=period, errors=errors,
    )
    db.session.commit()  # the audit records of the canton scope
    return page


@console.get("/rollout.xlsx")
@requires("core.canton.read")
def rollout_xlsx():
    district, period, _errors = _filters()
    today = clock.today()
    matrix = build_matrix(today, district, reason="rollout export")
    report = rollout_report(matrix, build_timeline(today, district), *_figures(matrix, period), period)
    content = reports.render_xlsx(report)
    db.session.commit()
    name = f"rollout-{today.isoformat()}{'-' + district if district else ''}.xlsx"
    return Response(content, mimetype=reports.FORMATS["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}"'})


def _ascii(name: str) -> str:
    return name.encode("ascii", "replace").decode().replace("?", "_").replace(" ", "_")


def rollout_report(matrix: Matrix, timeline: Timeline, figures, labels, period: reports.Period) -> reports.Report:
    """The dashboard as a report (core.reports renders it as XLSX)."""
    columns = [_("Mandant"), _("Art"), _("Gemeinden")]
    for manifest in matrix.modules:
        columns += [str(manifest.title), _("%(module)s seit", module=manifest.title)]
    rows = []
    for row in matrix.rows:
        cells = [row.tenant.name, kind_label(row.tenant.kind),
                 ", ".join(f"{m.bfs_number} {m.name}" for m in row.communes)]
        for manifest in matrix.modules:
            activation = row.states.get(manifest.id)
            if activation is None:
                cells += [state_label(None), ""]
            else:
                cells += [state_label(activation.state), activation.effective_from or ""]
        rows.append(cells)
    uncovered = reports.Table(_("Gemeinden ohne Mandant"), [_("BFS-Nummer"), _("Gemeinde"), _("Bezirk")],
                              [[m.bfs_number, m.name, m.district] for m in matrix.uncovered])
    subtitle = _("Stand %(day)s", day=format_date(matrix.day, "short"))
    if matrix.district:
        subtitle += " · " + _("Bezirk %(district)s", district=matrix.district)
    history = reports.Table(
        _("Gemeinden mit aktivem Modul, je Monatsanfang"),
        [_("Monat"), *(str(m.title) for m in timeline.modules), _("Gemeinden mit Mandant")],
        [[day, *(timeline.counts[m.id][i] for m in timeline.modules), timeline.served[i]]
         for i, day in enumerate(timeline.months)],
    )
    januaries = [i for i, day in enumerate(timeline.months) if day.month == 1]
    yearly = reports.Chart(_("Gemeinden mit aktivem Modul (jeweils im Januar)"),
                           [str(timeline.months[i].year) for i in januaries],
                           {str(m.title): [timeline.counts[m.id][i] for i in januaries] for m in timeline.modules})
    key_figures = reports.Table(_("Kennzahlen je Mandant %(period)s", period=period.label),
                                [_("Mandant"), *(label for _key, label in labels)],
                                [[tenant.name, *(values.get(key, 0) for key, _label in labels)]
                                 for tenant, values in figures])
    return reports.Report(_("Rollout start.integration"), subtitle, [
        reports.Section(_("Module je Mandant"), [reports.Table(_("Module je Mandant"), columns, rows), uncovered]),
        reports.Section(_("Verlauf"), [history], [yearly] if januaries else []),
        reports.Section(_("Kennzahlen"), [key_figures]),
    ])


def kind_label(kind: str) -> str:
    return {"canton": _("Kanton"), "commune": _("Gemeinde"), "region": _("Region")}.get(kind, kind)


# -- flask rollout status ------------------------------------------------------------------------

rollout_cli = AppGroup("rollout", help="Der Stand der Einführung in den Mandanten.")


@rollout_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@click.option("--district", help="Nur Mandanten mit Gemeinden in diesem Bezirk.")
@operator_command
def status(as_json, district):
    """Welcher Mandant welches Modul seit wann nutzt, und welche Gemeinden noch keinen Mandanten haben."""
    matrix = build_matrix(clock.today(), district, reason="flask rollout status")
    if as_json:
        click.echo(json.dumps(matrix_as_dict(matrix), ensure_ascii=False, indent=2))
        return
    for line in matrix_lines(matrix):
        click.echo(line)


def matrix_lines(matrix: Matrix) -> list[str]:
    table = [["Mandant", "Art", "Gemeinden", *(m.id for m in matrix.modules)]]
    for row in matrix.rows:
        table.append([
            row.tenant.slug, row.tenant.kind, ", ".join(f"{m.bfs_number} {m.name}" for m in row.communes) or "–",
            *(_cell_text(row.states.get(m.id)) for m in matrix.modules),
        ])
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [f"Stand {matrix.day.isoformat()}" + (f", Bezirk {matrix.district}" if matrix.district else "")]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
              for line in table]
    lines.append(f"Gemeinden ohne Mandant: {len(matrix.uncovered)}")
    lines += [f"  {m.bfs_number} {m.name} ({m.district})" for m in matrix.uncovered]
    return lines


def _cell_text(activation: ModuleActivation | None) -> str:
    if activation is None:
        return "–"
    day = activation.effective_from.isoformat() if activation.effective_from else ""
    return f"{activation.state} {day}".strip()
