"""The whole contract between core and its modules: every hook a plugin may implement.

Each hook is documented in ``docs/plugin_hooks.md``; a test fails when one is not.
A plugin is a module (or object) with a ``manifest`` attribute (see
:class:`core.plugins.Manifest`) and functions marked with ``@hookimpl``.
Hooks called for a tenant reach only the plugins active in that tenant.
"""

import pluggy

hookspec = pluggy.HookspecMarker("start_integration")
hookimpl = pluggy.HookimplMarker("start_integration")


@hookspec(historic=True)
def app_ready(app):
    """The application is configured and every plugin is loaded."""


@hookspec
def install(tenant):
    """Seed the plugin's defaults in a tenant where it has just been activated; must be idempotent."""


@hookspec
def health_checks():
    """Return a dict of name -> callable that raises when that dependency is unhealthy."""


@hookspec
def tenant_home_items(tenant):
    """Return a list of (label, value) pairs this module shows on the tenant's home page."""


@hookspec
def worklist_items(tenant, day):
    """Return a list of core.worklist.WorkItem: what is due and overdue in the tenant on ``day``, with counts.

    Called for the modules active in the tenant, in its scope: for the start page and the daily digest.
    """


@hookspec
def job_kinds():
    """Return a list of core.jobs.JobKind: the background jobs this plugin runs."""


@hookspec
def periodic_jobs():
    """Return a list of core.jobs.PeriodicJob: work the scheduler starts by itself (rq cron)."""


@hookspec
def report_sections(tenant, period):
    """Return a list of core.reports.Section for the tenant's report over the period."""


@hookspec
def report_figures(tenant, period):
    """Return a dict of figure key -> number: the tenant's key figures for the period (one row of the canton report).

    The keys are declared in the plugin's Manifest.figures, with their labels.
    """


@hookspec
def person_timeline(tenant, person_id):
    """Return a list of core.people.TimelineEntry: what this module did with or for the newcomer."""


@hookspec
def activity_counts(tenant, period):
    """Return {activity key: {BFS number: count}}: the tenant's programme activity in the period, per commune.

    The keys are declared in the plugin's Manifest.activity_keys.  Called (by core.activity) for
    every module that was active in the tenant at some time in the period, in the tenant's scope.
    """


@hookspec
def handle_event(tenant, event):
    """Take a core.events.Event of a type the plugin subscribes to (Manifest.subscribes), in the tenant's scope.

    Called by core.events.emit for the subscribers active in the tenant; every answer that is not None
    (a short text of what was recorded) is returned to the emitter.
    """


@hookspec
def demo_data(tenant):
    """Add the module's demonstration records to a tenant where it is active (``flask demo load``); idempotent."""
