"""The interview pages: a person's interviews, invitation and outcome forms, the list of open ones; the
checklist's actions on the settings page."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from core import clock, events, i18n
from core.access import can, requires
from core.clock import ZURICH
from core.db import db
from core.errors import UserError
from core.input_guard import page_number
from plugins.informieren.blueprints import blueprint, person_or_404, refuse_if_anonymised
from plugins.informieren.interviews.checklist import (
    MAX_TOPIC_LABEL,
    add_topic,
    checklist,
    german_topic_label,
    move_topic,
    remove_topic,
    topic_label,
)
from plugins.informieren.interviews.forms import InvitationForm, OutcomeForm, language_choices
from plugins.informieren.interviews.records import (
    INVITATION_LABELS,
    NEEDS_HANDED_OVER,
    OUTCOME_LABELS,
    interviews_of,
    invite,
    record_outcome,
)
from plugins.informieren.models import Interview, Newcomer

PAGE_SIZE = 100


def _interview_or_404(interview_id: uuid.UUID) -> Interview:
    interview = db.session.get(Interview, (g.tenant.id, interview_id))
    if interview is None:
        abort(404)
    return interview


def handover_available() -> bool:
    """Whether an active module (Fördern) takes hand-overs in the current tenant."""
    return bool(events.subscribers(g.tenant, NEEDS_HANDED_OVER.id))


# -- pages ------------------------------------------------------------------------------------------


def person_url(person_id) -> str:
    """The person's page (core's, with Informieren's panel)."""
    return url_for("people.person", person_id=person_id)


def _page_context(person: Newcomer) -> dict:
    return {
        "person": person, "person_url": person_url(person.id), "outcome_labels": OUTCOME_LABELS,
        "invitation_labels": INVITATION_LABELS, "language_name": i18n.language_name, "topic_label": topic_label,
        "may_edit": can("informieren.interviews.edit") and person.anonymised_on is None,
    }


@blueprint.get("/personen/<uuid:person_id>/gespraeche")
@requires("informieren.interviews.read")
def person_interviews(person_id):
    person = person_or_404(person_id)
    return render_template("informieren/interview_person.html", interviews=interviews_of(person.id),
                           **_page_context(person))


@blueprint.route("/personen/<uuid:person_id>/gespraeche/neu", methods=["GET", "POST"])
@requires("informieren.interviews.edit")
def interview_new(person_id):
    person = person_or_404(person_id)
    return _invitation_page(person, None)


@blueprint.route("/gespraeche/<uuid:interview_id>/einladung", methods=["GET", "POST"])
@requires("informieren.interviews.edit")
def interview_invitation(interview_id):
    interview = _interview_or_404(interview_id)
    return _invitation_page(person_or_404(interview.person_id), interview)


def _invitation_page(person: Newcomer, interview: Interview | None):
    if refusal := refuse_if_anonymised(person):
        return refusal
    form = InvitationForm(obj=None if interview is None else _invitation_values(interview))
    form.interpreter_language.choices = language_choices()
    if request.method == "GET" and interview is None:
        form.invited_on.data = clock.today()
        form.invitation.data = "appointment"
    if form.validate_on_submit():
        invite(person, form, interview)
        db.session.commit()
        flash(_("Die Einladung ist gespeichert."))
        return redirect(url_for("informieren.person_interviews", person_id=person.id))
    return render_template("informieren/interview_invitation.html", form=form, interview=interview,
                           **_page_context(person))


class _Values:
    def __init__(self, **values):
        self.__dict__.update(values)


def _invitation_values(interview: Interview) -> _Values:
    local = interview.appointment_at.astimezone(ZURICH) if interview.appointment_at else None
    return _Values(
        invitation=interview.invitation, invited_on=interview.invited_on, place=interview.place,
        appointment_date=local.date() if local else None, appointment_time=local.time() if local else None,
        interpreter_language=interview.interpreter_language or "",
    )


@blueprint.route("/gespraeche/<uuid:interview_id>/ergebnis", methods=["GET", "POST"])
@requires("informieren.interviews.edit")
def interview_outcome(interview_id):
    interview = _interview_or_404(interview_id)
    person = person_or_404(interview.person_id)
    if refusal := refuse_if_anonymised(person):
        return refusal
    # The tenant's checklist, and the topics the interview recorded even if no longer on it.
    choices = dict(checklist(g.tenant))
    recorded = {item["key"]: item.get("label") for item in interview.topics or []}
    for key, label in recorded.items():
        choices.setdefault(key, topic_label(key, label))
    form = OutcomeForm(obj=_outcome_values(interview))
    form.topics.choices = [SelectChoice(key, label) for key, label in choices.items()]
    form.handover_open = handover_available() and interview.handed_over is None
    if form.validate_on_submit():
        labels = {key: recorded.get(key) or german_topic_label(key) for key in choices}
        record_outcome(person, interview, form, labels)
        db.session.commit()
        flash(_("Das Ergebnis ist gespeichert."))
        return redirect(url_for("informieren.person_interviews", person_id=person.id))
    return render_template("informieren/interview_outcome.html", form=form, interview=interview,
                           **_page_context(person))


def _outcome_values(interview: Interview) -> _Values:
    handed = interview.handed_over or {}
    return _Values(
        outcome=interview.outcome, held_on=interview.held_on, topics=[t["key"] for t in interview.topics or []],
        notes=interview.notes, needs="\n".join(handed.get("needs", [])), offers="\n".join(handed.get("offers", [])),
    )


@blueprint.get("/gespraeche")
@requires("informieren.interviews.read")
def interviews():
    """Upcoming appointments, and invitations whose outcome is still to be recorded."""
    page = page_number(request.args.get("seite"))
    start_of_today = clock.start_of(clock.today())
    open_ = Interview.outcome.is_(None)
    upcoming = sa.and_(open_, Interview.appointment_at >= start_of_today)
    pending = sa.and_(open_, sa.or_(Interview.appointment_at.is_(None), Interview.appointment_at < start_of_today))
    lists = {
        "upcoming": _interview_rows(upcoming, [Interview.appointment_at], page),
        "pending": _interview_rows(pending, [Interview.invited_on, Interview.appointment_at], page),
    }
    counts = {name: _count(condition) for name, condition in (("upcoming", upcoming), ("pending", pending))}
    return render_template(
        "informieren/interview_list.html", lists=lists, counts=counts, page=page, page_size=PAGE_SIZE,
        person_url=person_url, invitation_labels=INVITATION_LABELS, language_name=i18n.language_name,
        may_edit=can("informieren.interviews.edit"),
    )


def _interview_rows(condition, order, page: int):
    return db.session.execute(
        sa.select(Interview, Newcomer.first_name, Newcomer.official_name)
        .join(Newcomer, sa.and_(Newcomer.tenant_id == Interview.tenant_id, Newcomer.id == Interview.person_id))
        .where(condition).order_by(*order, Newcomer.sort_name)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()


def _count(condition) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Interview).where(condition))


# -- the settings page's checklist actions ----------------------------------------------------------------


@blueprint.post("/einstellungen/themen")
@requires("informieren.settings.manage")
def settings_topics():
    action, key = request.form.get("action", ""), request.form.get("key", "")
    try:
        if action == "add":
            add_topic(g.tenant, request.form.get("label", ""))
        elif action == "remove":
            remove_topic(g.tenant, key)
        elif action in ("up", "down"):
            move_topic(g.tenant, key, -1 if action == "up" else 1)
        else:
            raise UserError(_("Unbekannte Aktion."))
    except UserError as error:
        db.session.rollback()
        flash(str(error))
        return redirect(url_for("informieren.settings", label=request.form.get("label", "")[:MAX_TOPIC_LABEL]))
    db.session.commit()
    flash(_("Die Themenliste ist gespeichert."))
    return redirect(url_for("informieren.settings"))
