"""Figures for others: report sections, the canton report's key figures, activity counts for subsidies.

Stub: owned by the interviews work package.
"""


def report_sections(tenant, period) -> list:
    return []


def report_figures(tenant, period) -> dict:
    return {}


def activity_counts(tenant, period) -> dict:
    return {}
