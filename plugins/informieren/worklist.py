"""Worklist and deadlines: the module's start page (due and overdue), the settings page, the daily digest.

A newcomer's welcome letter is due within ``informieren.letter_deadline_days`` of the arrival
and their first-information interview within ``informieren.interview_deadline_days``.  Who is
due or overdue is decided in SQL (one count and one page of rows per list), so the page stays
fast for tens of thousands of persons.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from core import audit, clock, mail, modules, provisioning
from core.access import Membership, Role, requires, role_permissions
from core.auth import User
from core.db import db
from core.jobs import PeriodicJob, each_tenant
from core.tenancy import tenant_scope
from plugins.informieren import interviews, retention
from plugins.informieren.blueprints import blueprint, link_if
from plugins.informieren.models import Interview, Outcome, Person, WelcomeLetter

log = logging.getLogger(__name__)

LETTER_DAYS, INTERVIEW_DAYS = "informieren.letter_deadline_days", "informieren.interview_deadline_days"
DIGEST = "informieren.digest"
DIGEST_ACTION = "informieren.digest"
DIGEST_ROLES = (Role.INTEGRATION_OFFICER, Role.RESIDENTS_SERVICES)
PREVIEW, PAGE_SIZE = 10, 100


@dataclass(frozen=True)
class WorkList:
    """One list of the worklist: its kind, what makes a person belong to it, how its deadline is counted."""

    kind: str
    title: object
    task: str  # "letter" or "interview"
    overdue: bool


LISTS = (
    WorkList("letter_overdue", _l("Begrüssungsschreiben überfällig"), "letter", True),
    WorkList("letter_due", _l("Begrüssungsschreiben fällig"), "letter", False),
    WorkList("interview_overdue", _l("Erstinformationsgespräch überfällig"), "interview", True),
    WorkList("interview_due", _l("Erstinformationsgespräch fällig"), "interview", False),
)
BY_KIND = {item.kind: item for item in LISTS}
# Who works on which task: what the role's permissions in the tenant allow.
TASK_PERMISSIONS = {"letter": "informieren.letters.manage", "interview": "informieren.interviews.edit"}


def deadlines(tenant) -> dict[str, int]:
    return {"letter": provisioning.get_setting(tenant, LETTER_DAYS),
            "interview": provisioning.get_setting(tenant, INTERVIEW_DAYS)}


def _open(task: str):
    """SQL: the person still waits for the task (no letter yet; no interview held or declined yet)."""
    if task == "letter":
        done = sa.select(WelcomeLetter.person_id).where(
            WelcomeLetter.tenant_id == Person.tenant_id, WelcomeLetter.person_id == Person.id)
    else:
        done = sa.select(Interview.id).where(
            Interview.tenant_id == Person.tenant_id, Interview.person_id == Person.id,
            Interview.outcome.in_([Outcome.HELD, Outcome.DECLINED]))
    return ~done.exists()


def condition(item: WorkList, days: int, today: date):
    """SQL: the person is on the list (the deadline is the arrival plus ``days``)."""
    cutoff = today - timedelta(days=days)  # arrived before it: the deadline has passed
    arrived = Person.arrival_date < cutoff if item.overdue else Person.arrival_date >= cutoff
    return sa.and_(_open(item.task), arrived, Person.anonymised_on.is_(None))


def counts(tenant, today: date | None = None, days: dict[str, int] | None = None) -> dict[str, int]:
    today = today or clock.today()
    days = days or deadlines(tenant)
    return {
        item.kind: db.session.scalar(
            sa.select(sa.func.count()).select_from(Person).where(condition(item, days[item.task], today)))
        for item in LISTS
    }


def rows(tenant, item: WorkList, limit: int, offset: int = 0, today: date | None = None,
         days: dict[str, int] | None = None) -> list[dict]:
    """A page of the list, earliest deadline first."""
    today = today or clock.today()
    days = (days or deadlines(tenant))[item.task]
    found = db.session.execute(
        sa.select(Person.id, Person.first_name, Person.official_name, Person.arrival_date, Person.stage)
        .where(condition(item, days, today))
        .order_by(Person.arrival_date, Person.official_name, Person.id)
        .limit(limit).offset(offset)
    ).all()
    return [{"id": r.id, "name": f"{r.first_name} {r.official_name}".strip(), "arrival": r.arrival_date,
             "stage": r.stage, "deadline": r.arrival_date + timedelta(days=days)} for r in found]


def home_items(tenant) -> list:
    with tenant_scope(tenant):
        found = counts(tenant)
    interviews_ = f"{found['interview_due']} / {found['interview_overdue']}"
    return [
        (_("Begrüssungsschreiben fällig / überfällig"), f"{found['letter_due']} / {found['letter_overdue']}"),
        (_("Erstinformationsgespräche fällig / überfällig"), interviews_),
    ]


# -- the start page ------------------------------------------------------------------------------------


def _index():
    from plugins.informieren import manifest

    kind = request.args.get("liste")
    page = max(request.args.get("seite", 1, type=int), 1)
    if kind is not None and kind not in BY_KIND:
        abort(404)
    shown = [BY_KIND[kind]] if kind else list(LISTS)
    limit = PAGE_SIZE if kind else PREVIEW
    today, days = clock.today(), deadlines(g.tenant)
    found = counts(g.tenant, today, days)
    return render_template(
        "informieren/worklist_index.html",
        lists=[(item, found[item.kind], rows(g.tenant, item, limit, (page - 1) * limit, today, days))
               for item in shown],
        counts=found, kind=kind, page=page, limit=limit, deadlines=days,
        person_url=interviews.person_url,
        persons_url=link_if("informieren.persons", "informieren.newcomers.read"),
        imports_url=link_if("informieren.import_index", "informieren.imports.run"),
        letters_url=link_if("informieren.letters", "informieren.letters.manage"),
        interviews_url=link_if("informieren.interviews", "informieren.interviews.read"),
        settings_url=link_if("informieren.settings", "informieren.settings.manage"),
        manifest=manifest,
    )


blueprint.add_url_rule("/", "index", requires("informieren.newcomers.read")(_index))


# -- the settings page ------------------------------------------------------------------------------------


def _number_field(label, low: int, high: int):
    message = _l("Bitte eine ganze Zahl von %(low)s bis %(high)s eingeben.", low=low, high=high)
    field = interviews.german_field(IntegerField, message)
    return field(label, validators=[InputRequired(message=message), NumberRange(low, high, message=message)])


def _days_field(label):
    return _number_field(label, 1, 365)


class SettingsForm(FlaskForm):
    letter_deadline_days = _days_field(_l("Frist für das Begrüssungsschreiben (Tage ab Zuzug)"))
    interview_deadline_days = _days_field(_l("Frist für das Erstinformationsgespräch (Tage ab Zuzug)"))
    digest = BooleanField(_l("Tägliche Übersicht per E-Mail an die Mitarbeitenden"))
    retention_years = _number_field(retention.LABEL, retention.MIN_YEARS, retention.MAX_YEARS)


@blueprint.route("/einstellungen", methods=["GET", "POST"])
@requires("informieren.settings.manage")
def settings():
    tenant = g.tenant
    form = SettingsForm(data=None if request.method == "POST" else {
        "letter_deadline_days": provisioning.get_setting(tenant, LETTER_DAYS),
        "interview_deadline_days": provisioning.get_setting(tenant, INTERVIEW_DAYS),
        "digest": provisioning.get_setting(tenant, DIGEST),
        "retention_years": provisioning.get_setting(tenant, retention.RETENTION_YEARS),
    })
    if form.validate_on_submit():
        provisioning.set_setting(tenant, LETTER_DAYS, form.letter_deadline_days.data)
        provisioning.set_setting(tenant, INTERVIEW_DAYS, form.interview_deadline_days.data)
        provisioning.set_setting(tenant, DIGEST, bool(form.digest.data))
        provisioning.set_setting(tenant, retention.RETENTION_YEARS, form.retention_years.data)
        db.session.commit()
        flash(_("Die Einstellungen sind gespeichert."))
        return redirect(url_for("informieren.settings"))
    topics = interviews.checklist(tenant)
    removed = [(key, interviews.topic_label(key)) for key in interviews.DEFAULT_TOPICS
               if key not in dict(topics)]
    return render_template("informieren/worklist_settings.html", form=form, topics=topics, removed=removed,
                           new_label=request.args.get("label", ""))


# -- the daily digest -------------------------------------------------------------------------------------


def periodic_jobs() -> list:
    return [PeriodicJob("informieren.digest", "0 7 * * *", lambda: each_tenant(send_digest))]


def digest_sent(day: date) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(audit.AuditEvent)
        .where(audit.AuditEvent.action == DIGEST_ACTION, audit.AuditEvent.object_id == day.isoformat())
    ) > 0


def recipients(tenant) -> list[tuple[User, set[str]]]:
    """Members with an officer's role and an e-mail address, each once, with the tasks their roles allow."""
    grants = role_permissions(tenant)
    found: dict[int, tuple[User, set[str]]] = {}
    members = db.session.execute(
        sa.select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.role.in_(DIGEST_ROLES), User.email != "").order_by(User.id)
    ).all()
    for user, role in members:
        _user, tasks = found.setdefault(user.id, (user, set()))
        tasks.update(task for task, permission in TASK_PERMISSIONS.items() if permission in grants.get(role, ()))
    return [entry for entry in found.values() if entry[1]]


def send_digest(tenant) -> object:
    """Mail each officer of ``tenant`` what is due and overdue for them; at most once a day per tenant."""
    if "informieren" not in modules.active_modules(tenant):
        return "inactive"
    if not provisioning.get_setting(tenant, DIGEST):
        return "off"
    today = clock.today()
    if digest_sent(today):
        return "already sent"
    days = deadlines(tenant)
    found = counts(tenant, today, days)
    sent = failed = 0
    for user, tasks in recipients(tenant):
        items = [item for item in LISTS if item.task in tasks and found[item.kind]]
        if not items:
            continue  # nothing due for them: no mail
        with mail.in_language(mail.language_of(user)):
            subject, body = _digest_text(tenant, user, items, found, today, days)
        try:
            mail.send(user.email, subject, body)
            sent += 1
        except (smtplib.SMTPException, OSError):
            log.exception("digest of %s to %s not sent", tenant.slug, user.email)
            failed += 1
    if sent or not failed:  # when every mail failed, a second run may try again
        audit.record(DIGEST_ACTION, object_type="digest", object_id=today.isoformat(),
                     detail={"sent": sent, "failed": failed})
    return {"sent": sent, "failed": failed}


def _digest_text(tenant, user, items, found, today, days) -> tuple[str, str]:
    subject = _("Informieren %(tenant)s: fällige Aufgaben am %(day)s", tenant=tenant.name,
                day=format_date(today, "medium"))
    lines = [_("Guten Tag %(name)s", name=user.name).strip(), "",
             _("Stand der Fristen in %(tenant)s am %(day)s:", tenant=tenant.name, day=format_date(today, "medium")),
             ""]
    for item in items:
        first = rows(tenant, item, 1, today=today, days=days)
        lines.append(_("%(title)s: %(count)s (früheste Frist %(day)s)", title=item.title, count=found[item.kind],
                       day=format_date(first[0]["deadline"], "medium") if first else "–"))
    lines += ["", _("Fristen: Begrüssungsschreiben %(letter)s Tage, Erstinformationsgespräch %(interview)s Tage "
                    "ab Zuzug.", letter=days["letter"], interview=days["interview"]),
              _("Die Namen finden Sie in start.integration unter Informieren: %(link)s", link=_worklist_link(tenant)),
              "", _("Diese Übersicht schalten Sie in den Einstellungen von Informieren ab.")]
    return subject, "\n".join(lines) + "\n"


def _worklist_link(tenant) -> str:
    """A full link where the server's name is configured, else the path."""
    if current_app.config.get("SERVER_NAME"):
        return url_for("informieren.index", tenant=tenant.slug, _external=True)
    return f"/{tenant.slug}/informieren/"
