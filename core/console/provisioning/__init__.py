"""Built-in plugin: the canton's provisioning console, and a tenant's own modules.

In the canton's tenant: the tenants with their communes and module states (``/<canton>/mandanten``),
new communes and regional groups, communes joining and leaving, mergers, invitations, and the module
plan of every tenant (``/<canton>/modulplan``).  In every tenant: its administrator switches the
modules the canton entitled on and off (``/<tenant>/module``).  The views call :mod:`core.provisioning`
and :mod:`core.modules`, the code paths of the CLI and the tenant files; the permissions they need
are core's (``core.canton.read``, ``core.tenants.manage``, ``core.modules.entitle``,
``core.modules.activate``), which those share.
"""

from flask_babel import lazy_gettext as _l

from core.console import ROLLOUT_MENU
from core.console.provisioning.views import blueprint
from core.plugins import Manifest, MenuEntry

manifest = Manifest(
    id="core.provisioning",
    title=_l("Mandanten"),
    version="0.1.0",
    always_on=True,
    position=790,
    blueprint=blueprint,
    url_prefix="",  # its pages keep their paths right below the tenant: /<canton>/mandanten…
    menu=(
        # The canton's (canton-only permissions): shown in the canton's tenant only.
        MenuEntry(_l("Mandanten"), "console.tenants", "core.canton.read", 790),
        MenuEntry(_l("Modulplan"), "console.module_plan", "core.canton.read", 805, group=ROLLOUT_MENU),
        # A tenant administrator's, among the tenant's administration.
        MenuEntry(_l("Module"), "console.own_modules", "core.modules.activate", 915),
    ),
)
