"""One worklist: what is due and overdue in a tenant, whichever module it comes from.

Modules contribute :class:`WorkItem` counts through the ``worklist_items`` hook.  The
tenant's start page shows each member the items their permissions allow (an item may be
one member's alone, such as their own cases), and a daily digest mails each member the
same, once a day per tenant.  The mail holds counts and the
earliest deadline only: names stay in the application.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from core import audit, clock, mail, modules, provisioning
from core.access import Membership, role_permissions
from core.auth import User
from core.db import db
from core.tenancy import Tenant, tenant_scope

log = logging.getLogger(__name__)

DIGEST_SETTING = "core.digest"
DIGEST_ACTION = "core.digest"


@dataclass(frozen=True)
class WorkItem:
    """A list of things to do: how many, who works on them, where they are."""

    key: str  # "<module id>.<name>", stable
    title: Any  # a lazy translatable text
    count: int
    permission: str  # the members holding it work on the item
    endpoint: str  # the page of the list, in the tenant
    url_values: tuple[tuple[str, str], ...] = ()
    overdue: bool = False
    earliest: date | None = None  # the earliest deadline among them
    member: str | None = None  # an actor ("user:7"): the item is this member's alone (their own cases)

    def url(self, tenant: Tenant, external: bool = False) -> str:
        return url_for(self.endpoint, tenant=tenant.slug, _external=external, **dict(self.url_values))


def items(tenant: Tenant, day: date | None = None) -> list[WorkItem]:
    """Every active module's items in ``tenant`` on ``day`` (today), overdue ones first."""
    day = day or clock.today()
    with tenant_scope(tenant):
        found = [item for group in modules.tenant_hooks(tenant, day).worklist_items(tenant=tenant, day=day)
                 for item in group]
    return sorted(found, key=lambda item: (not item.overdue, item.earliest or date.max))


def allowed(found: list[WorkItem], permissions, actor: str | None = None) -> list[WorkItem]:
    """The items ``permissions`` allow, without other members' own items."""
    return [item for item in found if item.permission in permissions and item.member in (None, actor)]


# -- the daily digest ---------------------------------------------------------------------------


def digest_sent(day: date) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(audit.AuditEvent)
        .where(audit.AuditEvent.action == DIGEST_ACTION, audit.AuditEvent.object_id == day.isoformat())
    ) > 0


def recipients(tenant: Tenant) -> list[tuple[User, set[str]]]:
    """Members with an e-mail address, each once, with the permissions of all their roles."""
    grants = role_permissions(tenant)
    found: dict[int, tuple[User, set[str]]] = {}
    with tenant_scope(tenant):
        members = db.session.execute(
            sa.select(User, Membership.role).join(Membership, Membership.user_id == User.id)
            .where(User.email != "").order_by(User.id)
        ).all()
    for user, role in members:
        found.setdefault(user.id, (user, set()))[1].update(grants.get(role, ()))
    return list(found.values())


def send_digest(tenant: Tenant) -> object:
    """Mail each member of ``tenant`` what is due and overdue for them; at most once a day per tenant."""
    if not provisioning.get_setting(tenant, DIGEST_SETTING):
        return "off"
    today = clock.today()
    with tenant_scope(tenant):
        if digest_sent(today):
            return "already sent"
    due = [item for item in items(tenant, today) if item.count]
    sent = failed = 0
    for user, permissions in recipients(tenant) if due else ():
        theirs = allowed(due, permissions, f"user:{user.id}")
        if not theirs:
            continue  # nothing for them: no mail
        with mail.in_language(mail.language_of(user)):
            subject, body = digest_text(tenant, user, theirs, today)
        try:
            mail.send(user.email, subject, body)
            sent += 1
        except (smtplib.SMTPException, OSError):
            log.exception("digest of %s to %s not sent", tenant.slug, user.email)
            failed += 1
    if sent or not failed:  # when every mail failed, a second run may try again
        with tenant_scope(tenant):
            audit.record(DIGEST_ACTION, object_type="digest", object_id=today.isoformat(),
                         detail={"sent": sent, "failed": failed})
    return {"sent": sent, "failed": failed}


def digest_text(tenant: Tenant, user: User, due: list[WorkItem], today: date) -> tuple[str, str]:
    day = format_date(today, "medium")
    subject = _("start.integration %(tenant)s: fällige Aufgaben am %(day)s", tenant=tenant.name, day=day)
    lines = [_("Guten Tag %(name)s", name=user.name).strip(), "",
             _("Stand der Fristen in %(tenant)s am %(day)s:", tenant=tenant.name, day=day), ""]
    for item in due:
        earliest = format_date(item.earliest, "medium") if item.earliest else "–"
        lines.append(_("%(title)s: %(count)s (früheste Frist %(day)s)", title=item.title, count=item.count,
                       day=earliest))
    lines += ["", _("Die Namen finden Sie in start.integration: %(link)s", link=_home_link(tenant)),
              "", _("Diese Übersicht schaltet die Administration des Mandanten in den Einstellungen ab.")]
    return subject, "\n".join(lines) + "\n"


def _home_link(tenant: Tenant) -> str:
    """A full link where the server's name is configured, else the path."""
    if current_app.config.get("SERVER_NAME") or has_request_context():
        return url_for("shell.tenant_home", tenant=tenant.slug, _external=True)
    return f"/{tenant.slug}/"
