"""Built-in plugin: the canton's rollout dashboard (``/<canton>/rollout``) and ``flask rollout status``.

Which tenant runs which module since when (the matrix of :mod:`core.module_matrix`), how many
communes each module reached month by month (``timeline``), the tenants' key figures, and the
canton's communes without a tenant; as a page, as XLSX (``export``) and on the command line (``cli``).
"""

from flask_babel import lazy_gettext as _l

from core.console.rollout import cli
from core.console.rollout.views import blueprint
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry

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
    menu=(MenuEntry(_l("Rollout"), "rollout.rollout", "core.canton.read", POSITION),),
)


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.rollout_cli)
