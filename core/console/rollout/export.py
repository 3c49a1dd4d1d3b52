"""The rollout dashboard as a report (core.reports renders it as XLSX)."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from core import reports
from core.console.rollout.timeline import Timeline
from core.module_matrix import Matrix


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


def state_label(state: str | None) -> str:
    return {
        None: _("nicht freigegeben"), "entitled": _("freigegeben"), "scheduled": _("geplant"),
        "active": _("aktiv"), "suspended": _("ausgeschaltet"),
    }.get(state, state)

