"""Built-in plugin: the canton's rollout dashboard (``/<canton>/rollout``) and ``flask rollout status``.

Which tenant runs which module since when (the matrix of :mod:`core.module_matrix`), how many
communes each module reached month by month (``timeline``), the tenants' key figures, and the
canton's communes without a tenant; as a page, as XLSX (``export``) and on the command line (``cli``).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock
from core.access import can
from core.console import ROLLOUT_MENU
from core.console.rollout import cli
from core.console.rollout.progress import progress
from core.console.rollout.views import blueprint
from core.hookspecs import hookimpl
from core.plugins import HomePanel, Manifest, MenuEntry

POSITION = 800  # in the menu: after the canton's tenant list and module plan

manifest = Manifest(
    id="core.rollout",
    title=_l("Rollout"),
    version="0.1.0",
    always_on=True,
    position=POSITION,
    # Reading across tenants is core's canton-only permission "core.canton.read": it declares none.
    blueprint=blueprint,
    url_prefix="",  # its pages keep their paths right below the tenant: /<canton>/rollout…
    menu=(MenuEntry(_l("Rollout-Übersicht"), "rollout.rollout", "core.canton.read", POSITION, group=ROLLOUT_MENU),),
)


@hookimpl
def home_panels(tenant):
    if not (tenant.is_canton and can("core.canton.read")):
        return []
    values = progress(clock.today())
    panels = [HomePanel(_("Stand des Rollouts"), "console/_home_rollout.html", values, 10)]
    if values["uncovered"]:
        panels.append(HomePanel(_("Gemeinden ohne Mandant nach Bezirk"), "console/_home_uncovered.html", values, 90))
    return panels


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.rollout_cli)
