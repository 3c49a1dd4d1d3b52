"""The rollout dashboard: the matrix, the timeline and the tenants' key figures, as a page and as XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from core import clock, reports
from core.access import requires
from core.console.rollout.export import rollout_report
from core.console.rollout.timeline import build_timeline, chart
from core.db import db
from core.errors import UserError
from core.module_matrix import Matrix, build_matrix, check_district

blueprint = Blueprint("rollout", __name__, template_folder="templates")


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
    return [(tenant, {key: reports.shown(key, value) for key, value in figures.items()})
            for tenant, _communes, figures in rows if tenant.id in shown], labels


@blueprint.get("/rollout")
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


@blueprint.get("/rollout.xlsx")
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

