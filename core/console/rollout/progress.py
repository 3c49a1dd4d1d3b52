"""The rollout at a glance, for the canton's start page: how many communes each module reached, and
the communes without a tenant by district (the dashboard has the details)."""

from __future__ import annotations

from datetime import date
from itertools import groupby

from core.module_matrix import build_matrix


def progress(day: date) -> dict:
    """{"communes": the canton's communes on ``day``, "served": those with a tenant, "tenants": active
    tenants, "modules": [(manifest, communes reached)], "uncovered": [(district, [communes without a tenant])]}."""
    matrix = build_matrix(day, reason="canton start page: rollout")
    served = sum(len(row.communes) for row in matrix.rows)
    reached = [
        (manifest, sum(len(row.communes) for row in matrix.rows
                       if (state := row.states.get(manifest.id)) is not None and state.is_active_on(day)))
        for manifest in matrix.modules if manifest.ready
    ]
    by_district = sorted(matrix.uncovered, key=lambda m: (m.district or "", m.name))
    return {
        "communes": served + len(matrix.uncovered),
        "served": served,
        "tenants": len(matrix.rows),
        "modules": reached,
        "uncovered": [(district, list(found)) for district, found in groupby(by_district, lambda m: m.district)],
    }
