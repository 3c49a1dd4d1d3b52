"""Programme activity per commune and period, for the subsidy accounting and the reports.

Each module declares its activity keys in its manifest (``Manifest.activity_keys``) and
counts them through the ``activity_counts`` hook, per commune served (BFS number).  Core
asks every module that was active in the tenant at some time in the period, so a module
switched off since still counts what it did while it was on.
"""

from __future__ import annotations

from core import modules
from core.plugins import PluginError
from core.reports import figure_label
from core.tenancy import Tenant, tenant_scope

Counts = dict[str, dict[int, int]]  # activity key -> {BFS number: count}


def counts(tenant: Tenant, period) -> Counts:
    """Every activity of ``tenant`` in ``period``, per key and commune."""
    registry = modules.registry()
    active = modules.active_during(tenant, period.start, period.end)
    found: Counts = {}
    with tenant_scope(tenant):
        for impl in registry.hook.activity_counts.get_hookimpls():
            if impl.plugin_name not in active and not registry.is_core(impl.plugin_name):
                continue
            answer = impl.function(tenant=tenant, period=period) or {}
            declared = {figure.key for figure in registry.manifests[impl.plugin_name].activity_keys}
            if set(answer) - declared:
                raise PluginError(f"{impl.plugin_name!r} counts undeclared activities {sorted(set(answer) - declared)}")
            for key, per_commune in answer.items():
                into = found.setdefault(key, {})
                for bfs_number, number in per_commune.items():
                    into[bfs_number] = into.get(bfs_number, 0) + number
    return found


def totals(tenant: Tenant, period) -> dict[str, int]:
    """Every activity of ``tenant`` in ``period``, summed over its communes."""
    return {key: sum(per_commune.values()) for key, per_commune in counts(tenant, period).items()}


label = figure_label  # an activity key's label is its figure's: one lookup for both
