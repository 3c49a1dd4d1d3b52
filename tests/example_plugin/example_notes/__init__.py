"""An example third-party module: a commune's counselling notes about persons (``Beratungsnotizen``).

It is its own distribution (see ``setup.cfg``: the entry point is all core needs) and imports
nothing but ``core``.  Read it as the documentation by example of ``docs/plugin_hooks.md``:

- ``models.py``: its tables, referencing core's person by composite key; a money column; a
  translated column; a migration branch of its own (``migrations/``, row-level security);
- ``notes.py``: the shared services: an event it emits and one of Informieren's it takes,
  attachments, a submission to the canton, retention and the right of access;
- ``views.py``: its pages, a public page in the tenant's content languages, the panel and timeline
  entries on core's person page;
- this file: the manifest (permissions, a role of its own, settings, a secret among them) and the hooks;
- ``translations/``: its own catalogue (French, Italian, English), compiled when the distribution is built.
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core import attachments
from core.access import Role, can
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission, RoleDeclaration, Setting, SettingType
from example_notes import notes, views

COUNSELLOR = "example_notes.counsellor"

manifest = Manifest(
    id="example_notes",
    title=_l("Beratungsnotizen"),
    version="2.0.0",
    description=_l("Notizen der Beratung zu Personen, Sprechstunden auf einer öffentlichen Seite."),
    permissions=(
        Permission("example_notes.read", _l("Beratungsnotizen lesen"), (Role.INTEGRATION_OFFICER, COUNSELLOR),
                   commune_only=True),
        Permission("example_notes.write", _l("Beratungsnotizen schreiben"), (Role.INTEGRATION_OFFICER, COUNSELLOR),
                   commune_only=True),
        Permission("example_notes.hours", _l("Sprechstunden bearbeiten"), (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN),
                   commune_only=True),
    ),
    # A counsellor of the commune: reads and writes notes and sees core's person pages, nothing else.
    roles=(RoleDeclaration(COUNSELLOR, _l("Beratung"), commune_only=True,
                           permissions=("core.tenant.view", "core.persons.read")),),
    settings=(
        Setting(notes.RETENTION_YEARS, 10, _l("Aufbewahrungsfrist der Beratungsnotizen (Jahre)"),
                type=SettingType.INTEGER, min=1, max=30,
                help=_l("Danach werden Text und Beilagen einer Notiz gelöscht, wenn kein Modul die Person mehr "
                        "braucht.")),
        # For a connector to the commune's records archive (not part of the example): a secret, typed like any setting.
        Setting("example_notes.archive_token", "", _l("Zugangsschlüssel des Aktenarchivs"), type=SettingType.TEXT,
                secret=True, help=_l("Wird nie angezeigt und nie ins Protokoll geschrieben.")),
    ),
    blueprint=views.blueprint,
    public_blueprint=views.public,
    url_prefix="/beratung",
    menu=(MenuEntry(_l("Beratung"), "example_notes.index", "example_notes.read"),
          MenuEntry(_l("Sprechstunden"), "example_notes.edit_hours", "example_notes.hours")),
    events=(notes.NOTE_ADDED,),
    subscribes=(notes.HANDOVER,),  # Informieren's; fine when Informieren is not installed at all
    submission_kinds=(notes.KIND,),
    alembic_branch="example_notes",
    migrations=Path(__file__).parent / "migrations",
    translations=Path(__file__).parent / "translations",
)


@hookimpl
def person_panels(tenant, person):
    return views.panels(person)


@hookimpl
def person_timeline(tenant, person_id):
    return views.timeline(person_id)


@hookimpl
def person_export(tenant, person):
    return notes.export(person)


@hookimpl
def retention_holds(tenant, today):
    return notes.holds(tenant, today)


@hookimpl
def retention_erase(tenant, person_ids, today):
    notes.erase(person_ids)


@hookimpl
def handle_event(tenant, event):
    if event.type == notes.HANDOVER:
        return notes.from_handover(tenant, event.payload)
    return None


@hookimpl
def submission_changed(tenant, submission, event):
    notes.follow(submission, event)


@hookimpl
def attachment_permission(tenant, attachment, user, action):
    if attachment.owner_type != notes.OWNER:
        return None  # another module's file: not ours to answer
    return can("example_notes.write" if action == attachments.DELETE else "example_notes.read")


@hookimpl
def tenant_home_items(tenant):
    return [(_l("Beratungsnotizen"), str(notes.count()))]
