"""Worklist and deadlines: the module's start page (due and overdue), its settings page, items for core's worklist.

A newcomer's welcome letter is due within ``informieren.letter_deadline_days`` of the arrival
and their first-information interview within ``informieren.interview_deadline_days``.  Who is
due or overdue is decided in SQL (one count and one page of rows per list), so the page stays
fast for tens of thousands of persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from core import clock, modules, provisioning
from core.access import requires
from core.db import db
from core.form_fields import with_message
from core.input_guard import page_number
from core.tenancy import tenant_scope
from core.worklist import WorkItem
from plugins.informieren import retention
from plugins.informieren.blueprints import blueprint, link_if
from plugins.informieren.interviews import checklist
from plugins.informieren.models import Interview, Newcomer, Outcome, WelcomeLetter

LETTER_DAYS, INTERVIEW_DAYS = "informieren.letter_deadline_days", "informieren.interview_deadline_days"
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
    """SQL: the person still waits for the task (no letter sent yet; no interview held or declined yet).

    A letter is done when it is posted, not when it is printed: a generated letter nobody sent keeps
    the person on the list.
    """
    if task == "letter":
        done = sa.select(WelcomeLetter.person_id).where(
            WelcomeLetter.tenant_id == Newcomer.tenant_id, WelcomeLetter.person_id == Newcomer.id,
            WelcomeLetter.state == "sent")
    else:
        done = sa.select(Interview.id).where(
            Interview.tenant_id == Newcomer.tenant_id, Interview.person_id == Newcomer.id,
            Interview.outcome.in_([Outcome.HELD, Outcome.DECLINED]))
    return ~done.exists()


def condition(item: WorkList, days: int, today: date):
    """SQL: the person is on the list (the deadline is the arrival plus ``days``)."""
    cutoff = today - timedelta(days=days)  # arrived before it: the deadline has passed
    arrived = Newcomer.arrival_date < cutoff if item.overdue else Newcomer.arrival_date >= cutoff
    return sa.and_(_open(item.task), arrived, Newcomer.anonymised_on.is_(None))


def counts(tenant, today: date | None = None, days: dict[str, int] | None = None) -> dict[str, int]:
    today = today or clock.today()
    days = days or deadlines(tenant)
    return {
        item.kind: db.session.scalar(
            sa.select(sa.func.count()).select_from(Newcomer).where(condition(item, days[item.task], today)))
        for item in LISTS
    }


def rows(tenant, item: WorkList, limit: int, offset: int = 0, today: date | None = None,
         days: dict[str, int] | None = None) -> list[dict]:
    """A page of the list, earliest deadline first."""
    today = today or clock.today()
    days = (days or deadlines(tenant))[item.task]
    found = db.session.execute(
        sa.select(Newcomer.id, Newcomer.first_name, Newcomer.official_name, Newcomer.arrival_date, Newcomer.stage)
        .where(condition(item, days, today))
        .order_by(Newcomer.arrival_date, Newcomer.official_name, Newcomer.id)
        .limit(limit).offset(offset)
    ).all()
    return [{"id": r.id, "name": f"{r.first_name} {r.official_name}".strip(), "arrival": r.arrival_date,
             "stage": r.stage, "deadline": r.arrival_date + timedelta(days=days)} for r in found]


def worklist_items(tenant, day: date) -> list[WorkItem]:
    """The four lists for core's worklist: counts and earliest deadlines, one query each."""
    days = deadlines(tenant)
    found = []
    with tenant_scope(tenant):
        for item in LISTS:
            count, first_arrival = db.session.execute(
                sa.select(sa.func.count(), sa.func.min(Newcomer.arrival_date))
                .where(condition(item, days[item.task], day))
            ).one()
            earliest = first_arrival + timedelta(days=days[item.task]) if first_arrival else None
            found.append(WorkItem(f"informieren.{item.kind}", item.title, count, TASK_PERMISSIONS[item.task],
                                  "informieren.index", (("liste", item.kind),), item.overdue, earliest))
    return found


# -- the start page ------------------------------------------------------------------------------------


def _index():
    kind = request.args.get("liste")
    page = page_number(request.args.get("seite"))
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
        person_url=lambda person_id: url_for("people.person", person_id=person_id),
        persons_url=link_if("informieren.persons", "informieren.newcomers.read"),
        imports_url=link_if("informieren.import_index", "informieren.imports.run"),
        letters_url=link_if("informieren.letters", "informieren.letters.manage"),
        interviews_url=link_if("informieren.interviews", "informieren.interviews.read"),
        settings_url=link_if("informieren.settings", "informieren.settings.manage"),
        manifest=modules.manifest_of("informieren"),
    )


blueprint.add_url_rule("/", "index", requires("informieren.newcomers.read")(_index))


# -- the settings page ------------------------------------------------------------------------------------


def _number_field(label, low: int, high: int):
    message = _l("Bitte eine ganze Zahl von %(low)s bis %(high)s eingeben.", low=low, high=high)
    field = with_message(IntegerField, message)
    return field(label, validators=[InputRequired(message=message), NumberRange(low, high, message=message)])


def _days_field(label):
    return _number_field(label, 1, 365)


class SettingsForm(FlaskForm):
    letter_deadline_days = _days_field(_l("Frist für das Begrüssungsschreiben (Tage ab Zuzug)"))
    interview_deadline_days = _days_field(_l("Frist für das Erstinformationsgespräch (Tage ab Zuzug)"))
    retention_years = _number_field(retention.LABEL, retention.MIN_YEARS, retention.MAX_YEARS)


@blueprint.route("/einstellungen", methods=["GET", "POST"])
@requires("informieren.settings.manage")
def settings():
    tenant = g.tenant
    form = SettingsForm(data=None if request.method == "POST" else {
        "letter_deadline_days": provisioning.get_setting(tenant, LETTER_DAYS),
        "interview_deadline_days": provisioning.get_setting(tenant, INTERVIEW_DAYS),
        "retention_years": provisioning.get_setting(tenant, retention.RETENTION_YEARS),
    })
    if form.validate_on_submit():
        provisioning.set_setting(tenant, LETTER_DAYS, form.letter_deadline_days.data)
        provisioning.set_setting(tenant, INTERVIEW_DAYS, form.interview_deadline_days.data)
        provisioning.set_setting(tenant, retention.RETENTION_YEARS, form.retention_years.data)
        db.session.commit()
        flash(_("Die Einstellungen sind gespeichert."))
        return redirect(url_for("informieren.settings"))
    topics = checklist.checklist(tenant)
    removed = [(key, checklist.topic_label(key)) for key in checklist.DEFAULT_TOPICS
               if key not in dict(topics)]
    return render_template("informieren/worklist_settings.html", form=form, topics=topics, removed=removed,
                           new_label=request.args.get("label", ""))
