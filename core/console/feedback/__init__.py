"""Built-in plugin: the communes' yearly feedback to the canton (experience, effort, problems).

The canton sends a round (``/<canton>/rueckmeldungen``) and evaluates the answers; each commune or
regional group answers in its own tenant (``/<tenant>/rueckmeldung``), is reminded a week before the
deadline and sees an open round on its start page.  The tables are in ``models``, the rules in
``service``, the pages in ``views``.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import jobs
from core.access import Role, can
from core.console import ROLLOUT_MENU
from core.console.feedback import service
from core.console.feedback.views import blueprint
from core.hookspecs import hookimpl
from core.jobs import PeriodicJob
from core.plugins import HomePanel, Manifest, MenuEntry, Permission

POSITION = 820  # in the menu: after the courses, before the submissions

manifest = Manifest(
    id="core.feedback",
    title=_l("Rückmeldungen der Gemeinden"),
    version="0.1.0",
    always_on=True,
    position=POSITION,
    permissions=(
        Permission("core.feedback.manage", _l("Rückmeldungen der Gemeinden einholen und auswerten"),
                   (Role.CANTON_ADMIN, Role.CANTON_OFFICE), canton_only=True),
        Permission(service.ANSWER, _l("Die Rückmeldung an den Kanton geben"), (Role.TENANT_ADMIN,),
                   commune_only=True),
    ),
    blueprint=blueprint,
    url_prefix="",  # its pages keep their paths right below the tenant: /<tenant>/rueckmeldung…
    menu=(
        MenuEntry(_l("Rückmeldungen"), "feedback.feedback_rounds", "core.feedback.manage", POSITION,
                  group=ROLLOUT_MENU),
        MenuEntry(_l("Rückmeldung"), "feedback.feedback", service.ANSWER, POSITION),
    ),
)


@hookimpl
def tenant_home_items(tenant):
    """The rounds the tenant still has to answer."""
    return service.home_items(tenant)


@hookimpl
def home_panels(tenant):
    if not (tenant.is_canton and can("core.feedback.manage")):
        return []
    return [HomePanel(_("Offene Rückmeldungen"), "console/_home_feedback.html", {"rounds": service.open_rounds()}, 20)]


@hookimpl
def periodic_jobs():
    return [PeriodicJob("feedback.remind", "0 8 * * *", lambda: jobs.each_tenant(service.remind))]
