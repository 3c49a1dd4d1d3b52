"""The rollout over time: how many communes each module reached, month by month since 2017, as a chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from core import clock, modules
from core.db import db
from core.plugins import Manifest
from core.tenancy import Municipality, Tenant, TenantMunicipality, canton_scope

FIRST_MONTH = date(2017, 1, 1)  # 2017 is the introduction year: the rollout starts here
COLOURS = ("#d40f14", "#1f5fa8", "#11702b", "#8a5a00", "#6b3fa0", "#00838f", "#5d4037")


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

