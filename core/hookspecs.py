"""The whole contract between core and its modules: every hook a plugin may implement.

Each hook is documented in ``docs/plugin_hooks.md``; a test fails when one is not.
A plugin is a module (or object) with a ``manifest`` attribute (see
:class:`core.plugins.Manifest`) and functions marked with ``@hookimpl``.
Hooks called for a tenant reach only the plugins active in that tenant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from datetime import date

    from core.attachments import Attachment, Verdict
    from core.auth import User
    from core.documents.letter import LetterLink
    from core.submissions import Submission, SubmissionEvent
    from core.tenancy import Tenant

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
def home_panels(tenant):
    """Return a list of core.plugins.HomePanel: sections this plugin adds to the tenant's start page.

    Called in a request, in the tenant's scope, for the active modules and core's plugins; check the
    user's permissions (``core.access.can``) and return nothing they may not see. The canton's start
    page is made of them: the rollout's progress, open feedback, upcoming courses, open submissions.
    """


@hookspec
def worklist_items(tenant, day):
    """Return a list of core.worklist.WorkItem: what is due and overdue in the tenant on ``day``, with counts.

    Called for the modules active in the tenant, in its scope: for the start page and the daily digest.
    An item with ``member`` set (an actor) is shown to that member only.
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
    """Return a list of core.people.TimelineEntry: what this module did with or for the person."""


@hookspec
def person_panels(tenant, person):
    """Return a list of core.people.Panel: what this module shows on core's page of the person (a core.people.Person).

    Called for the modules active in the tenant, in its scope, during the request; show only what
    the current user may see (core.access.can).
    """


@hookspec
def person_export(tenant, person):
    """Return {section title: JSON-able data}: everything this module holds about the person (the right of access).

    Called for every installed module, active or not (a suspended module still holds data), in the tenant's scope.
    """


@hookspec
def retention_holds(tenant, today):
    """Return a SQL selectable of one column, the ids of the persons whose data this module must still keep.

    Called for every installed module, active or not, in the tenant's scope.  Core anonymises a person no module
    holds any more (core.people.retention).
    """


@hookspec
def retention_erase(tenant, person_ids, today):
    """Erase this module's personal data about the persons ``person_ids`` (being anonymised); keep what figures need.

    Called for every installed module in the tenant's scope, in the transaction that anonymises the persons.
    """


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
def letter_links(tenant: Tenant, language: str) -> list[LetterLink]:
    """Return a list of core.documents.letter.LetterLink: what a letter to newcomers in ``language`` should point to.

    Called for the modules active in the tenant, in its scope, by a module writing to newcomers
    (Informieren's welcome letters, through core.documents.letter.links_for); each link is printed
    after the letter's body with its label, its address and, if asked, a QR code.  ``language`` is the
    letter's (any Babel code, not only a content language); the URL must be absolute.
    """


@hookspec
def offer_choices(tenant: Tenant, day: date) -> list[tuple[str, str]]:
    """Return a list of (key, label) pairs: the integration offers a person may be sent to in ``tenant`` on ``day``.

    Called for the modules active in the tenant, in its scope, by a module that lets its users name an
    offer (Fordern's measures); all answers are joined.  ``key`` is stable and opaque to the caller
    ("<tenant id>:<offer id>" for Fördern's offers, as its events name them), ``label`` is in the
    current user's language.
    """


@hookspec
def demo_data(tenant):
    """Add the module's demonstration records to a tenant where it is active (``flask demo load``); idempotent."""


@hookspec
def scan_attachment(tenant: Tenant, filename: str, data: bytes) -> Verdict | None:
    """Scan an uploaded file before it is stored; return a core.attachments.Verdict, or None when not scanning.

    Every plugin is asked (not first-result): one infected verdict refuses the file.  Raise
    core.attachments.ScanUnavailable when a configured scanner cannot decide: the file is refused too.
    """


@hookspec(firstresult=True)
def attachment_permission(tenant: Tenant, attachment: Attachment, user: User, action: str) -> bool | None:
    """May ``user`` do ``action`` ("read", "delete") with a file attached to an object of this module?

    The module owning ``attachment.owner_type`` answers True or False, every other returns None;
    the first non-None answer wins.  No answer at all: the file is not found (404).
    """


@hookspec
def submission_changed(tenant: Tenant, submission: Submission, event: SubmissionEvent) -> None:
    """A submission of one of this module's kinds changed state: update the module's own object.

    Called only for the module that declared the kind, where it is active, in the submitting
    tenant's scope and transaction; results are ignored.
    """
