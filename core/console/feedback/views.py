"""The feedback's pages: the canton's rounds and their answers, a tenant's answer."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core import clock, reports
from core.access import requires
from core.console.feedback.models import FeedbackRequest, FeedbackRound
from core.console.feedback.service import (
    answers_report,
    create_round,
    deadline_problem,
    hours_text,
    move_deadline,
    notice_text,
    notify,
    parse_hours,
    recipients_choice,
    round_answers,
    save_answer,
    send_round,
    summary,
)
from core.db import db
from core.errors import UserError
from core.form_fields import MultiCheckboxField
from core.tenancy import Tenant, canton_scope, tenant_scope

blueprint = Blueprint("feedback", __name__, template_folder="templates")


def _future_deadline(form, field):
    if field.data and (problem := deadline_problem(field.data)):
        raise ValidationError(problem)


class RoundForm(FlaskForm):
    year = IntegerField(_l("Jahr"), validators=[DataRequired(), NumberRange(2017, 2100)])
    deadline = DateField(_l("Frist"), validators=[DataRequired(), _future_deadline])
    note = TextAreaField(_l("Hinweis an die Gemeinden"), validators=[Optional(), Length(max=5000)])
    tenants = MultiCheckboxField(_l("An"), coerce=int)

    def validate_year(self, field):
        if field.data and db.session.get(FeedbackRound, (g.tenant.id, field.data)) is not None:
            raise ValidationError(_("Für %(year)s gibt es schon eine Umfrage.", year=field.data))

    def validate_tenants(self, field):
        if not field.data:
            raise ValidationError(_("Bitte mindestens einen Mandanten wählen."))


class SendForm(FlaskForm):
    tenants = MultiCheckboxField(_l("An weitere Mandanten"), coerce=int)

    def validate_tenants(self, field):
        if not field.data:
            raise ValidationError(_("Bitte mindestens einen Mandanten wählen."))


class DeadlineForm(FlaskForm):
    deadline = DateField(_l("Neue Frist"), validators=[DataRequired(), _future_deadline])


class AnswerForm(FlaskForm):
    worked = TextAreaField(_l("Was hat funktioniert?"), validators=[Optional(), Length(max=10000)])
    effort = StringField(_l("Aufwand in Stunden"), validators=[Optional()],
                         description=_l("Stunden im Jahr, zum Beispiel 40 oder 12,5"))
    problems = TextAreaField(_l("Welche Probleme gab es?"), validators=[Optional(), Length(max=10000)])
    remarks = TextAreaField(_l("Bemerkungen"), validators=[Optional(), Length(max=10000)])

    def validate_effort(self, field):
        try:
            parse_hours(field.data)
        except ValueError:
            raise ValidationError(_("«%(text)s» ist keine Anzahl Stunden; bitte eine Zahl wie 40 oder 12,5 angeben.",
                                    text=field.data)) from None


def _tenant_choices(tenants) -> list[SelectChoice]:
    return [SelectChoice(tenant.id, tenant.name) for tenant in tenants]


# -- the canton's pages -------------------------------------------------------------------------


def _round(year: int) -> FeedbackRound:
    feedback_round = db.session.get(FeedbackRound, (g.tenant.id, year))
    if feedback_round is None:
        abort(404)
    return feedback_round


@blueprint.route("/rueckmeldungen", methods=["GET", "POST"])
@requires("core.feedback.manage")
def feedback_rounds():
    candidates = recipients_choice()
    form = RoundForm()
    form.tenants.choices = _tenant_choices(candidates)
    if not form.is_submitted():
        form.year.data = clock.today().year
        form.tenants.data = [t.id for t in candidates]  # to all, unless the canton picks some
    step = _step() if form.validate_on_submit() else None
    if step == "preview":
        return _preview(form, [t for t in candidates if t.id in form.tenants.data], form.year.data,
                        form.deadline.data, form.note.data, url_for("feedback.feedback_rounds"))
    if step == "send":
        try:
            feedback_round = create_round(form.year.data, form.deadline.data, form.note.data)
        except UserError as error:
            form.year.errors.append(str(error))
        else:
            sent = send_round(feedback_round, set(form.tenants.data))
            try:
                db.session.commit()
            except sa.exc.IntegrityError:  # the same round, sent twice at once: the first one stands
                db.session.rollback()
                flash(_("Für %(year)s gibt es schon eine Umfrage.", year=form.year.data))
                return redirect(url_for("feedback.feedback_round", year=form.year.data))
            _notify_all(sent, feedback_round.year)
            flash(ngettext("Die Umfrage %(year)s ist an %(num)s Mandanten gegangen.",
                           "Die Umfrage %(year)s ist an %(num)s Mandanten gegangen.", len(sent),
                           year=feedback_round.year))
            return redirect(url_for("feedback.feedback_round", year=feedback_round.year))
    rounds = db.session.scalars(sa.select(FeedbackRound).order_by(FeedbackRound.year.desc())).all()
    counts = _answer_counts()
    db.session.commit()  # the canton scope's audit record
    return render_template("console/feedback_rounds.html", form=form, rounds=rounds, counts=counts), (
        400 if form.errors else 200)


def _step() -> str:
    """Where a valid form goes: "send" after the preview, "change" back to the form, else "preview"."""
    if "change" in request.form:
        return "change"
    return "send" if request.form.get("confirmed") == "1" else "preview"


def _preview(form, tenants: list[Tenant], year: int, deadline, note: str, action: str):
    """What goes out before it does: to whom, by when, and the mail as the first of them will read it."""
    sample = FeedbackRequest(tenant_id=tenants[0].id, year=year, deadline=deadline, note=note or "")
    subject, body = notice_text(tenants[0], sample)
    db.session.commit()  # the canton scope's audit record
    return render_template("console/feedback_preview.html", form=form, tenants=tenants, year=year,
                           deadline=deadline, note=note, subject=subject, body=body, action=action)


def _notify_all(tenants: list[Tenant], year: int) -> None:
    """Tell the tenants a round was sent, after the commit: a mail server's trouble does not undo it."""
    for tenant in tenants:
        with tenant_scope(tenant):
            notify(tenant, db.session.get(FeedbackRequest, (tenant.id, year)))


def _answer_counts() -> dict[int, tuple[int, int]]:
    """{year: (tenants asked, answers)} over all tenants, in the canton scope."""
    with canton_scope("feedback rounds: counts"):
        rows = db.session.execute(
            sa.select(FeedbackRequest.year, sa.func.count(), sa.func.count(FeedbackRequest.answered_at))
            .group_by(FeedbackRequest.year)
        ).all()
    return {year: (asked, answered) for year, asked, answered in rows}


@blueprint.get("/rueckmeldungen/<int:year>")
@requires("core.feedback.manage")
def feedback_round(year):
    return _round_page(_round(year))


def _round_page(feedback_round, send_form=None, deadline_form=None, status=200):
    rows = round_answers(feedback_round.year)
    asked = {tenant.id for _request, tenant in rows}
    send_form = send_form or SendForm()
    send_form.tenants.choices = _tenant_choices(t for t in recipients_choice() if t.id not in asked)
    deadline_form = deadline_form or DeadlineForm(deadline=feedback_round.deadline)
    page = render_template("console/feedback_round.html", round=feedback_round, rows=rows, facts=summary(rows),
                           send_form=send_form, deadline_form=deadline_form, today=clock.today())
    db.session.commit()  # the canton scope's audit record
    return page, status


@blueprint.post("/rueckmeldungen/<int:year>/senden")
@requires("core.feedback.manage")
def feedback_send(year):
    feedback_round = _round(year)
    form = SendForm()
    with canton_scope(f"feedback round {year}: recipients"):
        asked = set(db.session.scalars(sa.select(FeedbackRequest.tenant_id).where(FeedbackRequest.year == year)))
    form.tenants.choices = _tenant_choices(t for t in recipients_choice() if t.id not in asked)
    if not form.validate_on_submit():
        return _round_page(feedback_round, send_form=form, status=400)
    if _step() == "change":
        return _round_page(feedback_round, send_form=form)
    if _step() == "preview":
        return _preview(form, [t for t in recipients_choice() if t.id in form.tenants.data], year,
                        feedback_round.deadline, feedback_round.note, url_for("feedback.feedback_send", year=year))
    sent = send_round(feedback_round, set(form.tenants.data))
    db.session.commit()
    _notify_all(sent, year)
    flash(ngettext("Die Umfrage %(year)s ist an %(num)s weiteren Mandanten gegangen.",
                   "Die Umfrage %(year)s ist an %(num)s weitere Mandanten gegangen.", len(sent), year=year))
    return redirect(url_for("feedback.feedback_round", year=year))


@blueprint.post("/rueckmeldungen/<int:year>/frist")
@requires("core.feedback.manage")
def feedback_deadline(year):
    feedback_round = _round(year)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return _round_page(feedback_round, deadline_form=form, status=400)
    move_deadline(feedback_round, form.deadline.data)
    db.session.commit()
    flash(_("Die Frist ist jetzt der %(day)s.", day=format_date(form.deadline.data, "short")))
    return redirect(url_for("feedback.feedback_round", year=year))


@blueprint.get("/rueckmeldungen/<int:year>.xlsx")
@requires("core.feedback.manage")
def feedback_xlsx(year):
    feedback_round = _round(year)
    content = reports.render_xlsx(answers_report(feedback_round, round_answers(year)))
    db.session.commit()
    return Response(content, mimetype=reports.FORMATS["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="rueckmeldungen-{year}.xlsx"'})


# -- the tenants' pages --------------------------------------------------------------------------


@blueprint.get("/rueckmeldung")
@requires("core.feedback.answer")
def feedback():
    requests_ = db.session.scalars(sa.select(FeedbackRequest).order_by(FeedbackRequest.year.desc())).all()
    return render_template("console/feedback_list.html", requests=requests_, today=clock.today())


@blueprint.route("/rueckmeldung/<int:year>", methods=["GET", "POST"])
@requires("core.feedback.answer")
def feedback_answer(year):
    request_ = db.session.get(FeedbackRequest, (g.tenant.id, year))
    if request_ is None:
        abort(404)
    form = AnswerForm(obj=request_)
    if not form.is_submitted():
        form.effort.data = hours_text(request_.effort_minutes)
    is_open = request_.is_open(clock.today())
    if form.validate_on_submit():
        try:
            save_answer(request_, form)
        except UserError as error:
            db.session.rollback()
            flash(str(error))
            return render_template("console/feedback_answer.html", form=form, request_=request_,
                                   is_open=False), 400
        db.session.commit()
        flash(_("Ihre Rückmeldung ist gespeichert; Sie können sie bis zur Frist ändern."))
        return redirect(url_for("feedback.feedback"))
    return render_template("console/feedback_answer.html", form=form, request_=request_, is_open=is_open), (
        400 if form.errors else 200)


@blueprint.app_template_filter("hours")
def format_hours(value) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0.##")
