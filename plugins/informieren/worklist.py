"""Worklist and deadlines: the module's start page (due and overdue), the daily digest.

Stub: owned by the interviews work package.
"""

from core.access import requires
from core.web import module_start_page
from plugins.informieren.blueprints import blueprint


def periodic_jobs() -> list:
    return []


def home_items(tenant) -> list:
    return []


def _index():
    from plugins.informieren import manifest

    return module_start_page(manifest)()


blueprint.add_url_rule("/", "index", requires("informieren.newcomers.read")(_index))
