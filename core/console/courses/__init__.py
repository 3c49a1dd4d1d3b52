"""Built-in plugin: the introductory courses (Einführungskurse) of the canton's Fachstelle Integration.

The canton publishes course dates and records attendance (``/<canton>/kurse/verwalten``); the staff
of communes and regional groups register themselves and cancel (``/<tenant>/kurse``).  The tables
are in ``models``, the rules in ``service``, the pages in ``views``.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import Role, can
from core.console import ROLLOUT_MENU
from core.console.courses.service import upcoming_courses
from core.console.courses.views import blueprint
from core.hookspecs import hookimpl
from core.plugins import HomePanel, Manifest, MenuEntry, Permission

POSITION = 810  # in the menu: after the rollout dashboard, before the feedback

manifest = Manifest(
    id="core.courses",
    title=_l("Einführungskurse"),
    version="0.1.0",
    always_on=True,
    position=POSITION,
    permissions=(
        Permission("core.courses.manage", _l("Einführungskurse ausschreiben und Anwesenheit erfassen"),
                   (Role.CANTON_ADMIN, Role.CANTON_OFFICE), canton_only=True),
        Permission("core.courses.attend", _l("Sich für Einführungskurse des Kantons anmelden"),
                   (Role.TENANT_ADMIN, Role.RESIDENTS_SERVICES, Role.INTEGRATION_OFFICER, Role.READ_ONLY),
                   commune_only=True),
    ),
    blueprint=blueprint,
    url_prefix="",  # its pages keep their paths right below the tenant: /<tenant>/kurse…
    menu=(
        # One entry each side: the permissions never meet in one tenant.
        MenuEntry(_l("Einführungskurse"), "courses.course_admin", "core.courses.manage", POSITION,
                  group=ROLLOUT_MENU),
        MenuEntry(_l("Einführungskurse"), "courses.courses", "core.courses.attend", POSITION),
    ),
)


@hookimpl
def home_panels(tenant):
    if not (tenant.is_canton and can("core.courses.manage")):
        return []
    return [HomePanel(_("Nächste Einführungskurse"), "console/_home_courses.html",
                      {"courses": upcoming_courses(tenant)}, 30)]
