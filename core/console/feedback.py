"""Experience from the communes: the canton's yearly feedback round and the tenants' answers.

Who owns what (tenant isolation):

- A round (:class:`FeedbackRound`: year, deadline, a note) belongs to the canton's tenant.
- Sending it writes one :class:`FeedbackRequest` into each recipient tenant, owned by that tenant,
  carrying the year, the deadline and the note; the tenant answers in that row and reads nothing of
  the canton's.  The canton reads the answers only inside ``canton_scope`` (audited), and changes
  the requests' deadline there when it moves the round's.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import Response, abort, flash, g, has_request_context, redirect, render_template, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import DateField, IntegerField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core import audit, clock, mail, reports
from core.access import can, holders, requires
from core.admin import MultiCheckboxField
from core.console import console
from core.db import TenantScoped, UTCDateTime, db
from core.errors import UserError
from core.tenancy import Tenant, TenantKind, TenantState, canton_scope, tenant_scope

MAX_MINUTES = 100_000 * 60
ANSWER = "core.feedback.answer"
REMIND_DAYS_BEFORE = 7  # an unanswered request is recalled a week before its deadline
log = logging.getLogger(__name__)


class FeedbackRound(TenantScoped, db.Model):
    """The canton's feedback round of one year; owned by the canton's tenant."""

    __tablename__ = "feedback_rounds"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deadline: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class FeedbackRequest(TenantScoped, db.Model):
    """A round as a recipient tenant received it, and that tenant's answer; owned by the recipient."""

    __tablename__ = "feedback_requests"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deadline: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    worked: Mapped[str] = mapped_column(sa.Text, default="")  # what worked
    effort_minutes: Mapped[int | None]  # the effort, in minutes (entered as hours)
    problems: Mapped[str] = mapped_column(sa.Text, default="")
    remarks: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (sa.CheckConstraint("effort_minutes >= 0", name="effort"),)

    def is_open(self, today: date) -> bool:
        return today <= self.deadline

    @property
    def effort_hours(self) -> Decimal | None:
        if self.effort_minutes is None:
            return None
        return (Decimal(self.effort_minutes) / 60).quantize(Decimal("0.01")).normalize()


# -- hours ---------------------------------------------------------------------------------------


def parse_hours(text: str | None) -> int | None:
    """Minutes from hours as people type them: ``12``, ``12.5``, ``12,5``, ``1'200``; empty: None."""
    text = (text or "").strip().replace("’", "").replace("'", "").replace(" ", "")
    if not text:
        return None
    if not re.fullmatch(r"\d+([.,]\d{1,2})?", text):
        raise ValueError(text)
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    minutes = int((hours * 60).to_integral_value())
    if minutes > MAX_MINUTES:
        raise ValueError(text)
    return minutes


def hours_text(minutes: int | None) -> str:
    """Hours for a form field (``12.5``), the inverse of :func:`parse_hours`."""
    if minutes is None:
        return ""
    return format((Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize(), "f")


# -- the canton's side ---------------------------------------------------------------------------


def recipients_choice() -> list[Tenant]:
    """The tenants a round can go to: every active commune and regional group."""
    return db.session.scalars(
        sa.select(Tenant).where(Tenant.kind != TenantKind.CANTON, Tenant.state == TenantState.ACTIVE)
        .order_by(Tenant.name)
    ).all()


def create_round(year: int, deadline: date, note: str) -> FeedbackRound:
    """A new round in the canton's tenant (the current scope); one per year."""
    if db.session.scalar(sa.select(FeedbackRound).where(FeedbackRound.year == year)) is not None:
        raise UserError(_("Für %(year)s gibt es schon eine Umfrage.", year=year))
    feedback_round = FeedbackRound(year=year, deadline=deadline, note=note or "", created_by=audit.current_actor())
    db.session.add(feedback_round)
    audit.record("feedback.round", object_type="feedback_round", object_id=year,
                 detail={"deadline": deadline.isoformat()})
    return feedback_round


def send_round(feedback_round: FeedbackRound, tenant_ids: set[int]) -> list[Tenant]:
    """Give the round to these tenants (each a request of its own); those who have it keep theirs."""
    with canton_scope(f"feedback round {feedback_round.year}: send"):
        have = set(db.session.scalars(
            sa.select(FeedbackRequest.tenant_id).where(FeedbackRequest.year == feedback_round.year)))
        tenants = [t for t in recipients_choice() if t.id in tenant_ids and t.id not in have]
        for tenant in tenants:
            db.session.add(FeedbackRequest(tenant_id=tenant.id, year=feedback_round.year,
                                           deadline=feedback_round.deadline, note=feedback_round.note))
            audit.record("feedback.received", object_type="feedback_request", object_id=feedback_round.year,
                         tenant_id=tenant.id)
        audit.record("feedback.send", object_type="feedback_round", object_id=feedback_round.year,
                     detail={"tenants": [t.slug for t in tenants]}, tenant_id=feedback_round.tenant_id)
    return tenants


# -- telling the communes ------------------------------------------------------------------------


def notify(tenant: Tenant, request_: FeedbackRequest, *, reminder: bool = False) -> int:
    """Mail the tenant's members who answer feedback that a round waits for them; returns mails sent.

    A mail that cannot be sent is logged, not raised: the request is on the tenant's home page anyway.
    """
    sent = 0
    for user in holders(tenant, ANSWER):
        with mail.in_language(mail.language_of(user)):
            subject, body = _notice(tenant, request_, reminder)
        try:
            mail.send(user.email, subject, body)
            sent += 1
        except (smtplib.SMTPException, OSError):
            log.exception("feedback notice for %s to %s not sent", tenant.slug, user.email)
    return sent


def _notice(tenant: Tenant, request_: FeedbackRequest, reminder: bool) -> tuple[str, str]:
    deadline = format_date(request_.deadline, "long")
    if reminder:
        subject = _("Erinnerung: Rückmeldung %(year)s an den Kanton bis %(day)s", year=request_.year, day=deadline)
    else:
        subject = _("Der Kanton bittet um Ihre Rückmeldung %(year)s", year=request_.year)
    lines = [
        _("Guten Tag"), "",
        _("Die Fachstelle Integration des Kantons möchte wissen, wie start.integration in %(tenant)s läuft: "
          "was sich bewährt hat, wie viel Aufwand es war und wo es Probleme gab.", tenant=tenant.name),
        _("Bitte antworten Sie bis %(day)s in start.integration unter «Rückmeldung» (%(path)s).",
          day=deadline, path=f"/{tenant.slug}/rueckmeldung/{request_.year}"),
    ]
    if request_.note:
        lines += ["", request_.note]
    return subject, "\n".join(lines) + "\n"


def remind(tenant: Tenant, today: date | None = None) -> int:
    """A week before the deadline, recall each unanswered request of ``tenant`` (once); returns mails sent."""
    today = today or clock.today()
    due = db.session.scalars(sa.select(FeedbackRequest).where(
        FeedbackRequest.answered_at.is_(None), FeedbackRequest.deadline == today + timedelta(days=REMIND_DAYS_BEFORE)
    )).all()
    sent = 0
    for request_ in due:
        done = db.session.scalar(sa.select(audit.AuditEvent.id).where(
            audit.AuditEvent.action == "feedback.reminded", audit.AuditEvent.object_id == str(request_.year)))
        if done is None:
            sent += notify(tenant, request_, reminder=True)
            audit.record("feedback.reminded", object_type="feedback_request", object_id=request_.year,
                         detail={"deadline": request_.deadline.isoformat()})
    return sent


def move_deadline(feedback_round: FeedbackRound, deadline: date) -> None:
    """A new deadline for the round and every request of it."""
    feedback_round.deadline = deadline
    with canton_scope(f"feedback round {feedback_round.year}: deadline"):
        db.session.execute(sa.update(FeedbackRequest).where(FeedbackRequest.year == feedback_round.year)
                           .values(deadline=deadline), execution_options={"synchronize_session": False})
        audit.record("feedback.deadline", object_type="feedback_round", object_id=feedback_round.year,
                     detail={"deadline": deadline.isoformat()}, tenant_id=feedback_round.tenant_id)


def round_answers(year: int) -> list[tuple[FeedbackRequest, Tenant]]:
    """Every request of a year's round with its tenant: the canton's evaluation, read in the canton scope."""
    with canton_scope(f"feedback round {year}: answers"):
        return db.session.execute(
            sa.select(FeedbackRequest, Tenant).join(Tenant, Tenant.id == FeedbackRequest.tenant_id)
            .where(FeedbackRequest.year == year).order_by(Tenant.name)
            .execution_options(populate_existing=True)
        ).all()


def summary(rows) -> dict:
    answered = [request for request, _tenant in rows if request.answered_at is not None]
    efforts = [request.effort_minutes for request in answered if request.effort_minutes is not None]
    return {
        "asked": len(rows),
        "answered": len(answered),
        "effort_total": Decimal(sum(efforts)) / 60 if efforts else None,
        "effort_mean": Decimal(sum(efforts)) / 60 / len(efforts) if efforts else None,
    }


def answers_report(feedback_round: FeedbackRound, rows) -> reports.Report:
    """The answers of a round as a report (rendered as XLSX by core.reports)."""
    columns = [_("Mandant"), _("Beantwortet am"), _("Aufwand (Stunden)"), _("Was hat funktioniert?"),
               _("Probleme"), _("Bemerkungen")]
    table = reports.Table(_("Antworten"), columns, [
        [tenant.name, request.answered_at.astimezone(clock.ZURICH).date() if request.answered_at else _("offen"),
         float(request.effort_hours) if request.effort_hours is not None else "",
         request.worked, request.problems, request.remarks]
        for request, tenant in rows
    ])
    facts = summary(rows)
    totals = reports.Table(_("Zusammenfassung"), [_("Kennzahl"), _("Wert")], [
        [_("Angefragte Mandanten"), facts["asked"]],
        [_("Antworten"), facts["answered"]],
        [_("Aufwand total (Stunden)"), round(float(facts["effort_total"]), 2) if facts["effort_total"] else 0],
        [_("Aufwand im Mittel (Stunden)"), round(float(facts["effort_mean"]), 2) if facts["effort_mean"] else 0],
    ])
    return reports.Report(
        _("Rückmeldungen der Gemeinden %(year)s", year=feedback_round.year),
        _("Frist %(day)s", day=format_date(feedback_round.deadline, "short")),
        [reports.Section(_("Rückmeldungen %(year)s", year=feedback_round.year), [table, totals])],
    )


# -- the tenant's side ---------------------------------------------------------------------------


def open_requests(tenant: Tenant) -> list[FeedbackRequest]:
    """The tenant's requests that still await its answer (before their deadline)."""
    with tenant_scope(tenant):
        rows = db.session.scalars(sa.select(FeedbackRequest).where(FeedbackRequest.answered_at.is_(None),
                                                                   FeedbackRequest.deadline >= clock.today()))
        return rows.all()


def save_answer(request_: FeedbackRequest, form: AnswerForm) -> None:
    if not request_.is_open(clock.today()):
        raise UserError(_("Die Frist ist am %(day)s abgelaufen; die Antwort kann nicht mehr geändert werden.",
                          day=format_date(request_.deadline, "short")))
    request_.worked = form.worked.data or ""
    request_.effort_minutes = parse_hours(form.effort.data)
    request_.problems = form.problems.data or ""
    request_.remarks = form.remarks.data or ""
    first = request_.answered_at is None
    request_.answered_at = clock.utcnow()
    request_.answered_by = audit.current_actor()
    audit.record("feedback.answer" if first else "feedback.change", object_type="feedback_request",
                 object_id=request_.year)


def home_items(tenant: Tenant) -> list[tuple[str, str]]:
    """For the tenant's home page: the rounds it still has to answer."""
    if tenant.is_canton or not (has_request_context() and can("core.feedback.answer")):
        return []
    return [(_("Rückmeldung an den Kanton %(year)s", year=request_.year),
             _("noch offen, Frist %(day)s", day=format_date(request_.deadline, "short")))
            for request_ in open_requests(tenant)]


# -- forms ----------------------------------------------------------------------------------------


class RoundForm(FlaskForm):
    year = IntegerField(_l("Jahr"), validators=[DataRequired(), NumberRange(2017, 2100)])
    deadline = DateField(_l("Frist"), validators=[DataRequired()])
    note = TextAreaField(_l("Hinweis an die Gemeinden"), validators=[Optional(), Length(max=5000)])
    tenants = MultiCheckboxField(_l("An"), coerce=int)

    def validate_tenants(self, field):
        if not field.data:
            raise ValidationError(_("Bitte mindestens einen Mandanten wählen."))


class SendForm(FlaskForm):
    tenants = MultiCheckboxField(_l("An weitere Mandanten"), coerce=int)

    def validate_tenants(self, field):
        if not field.data:
            raise ValidationError(_("Bitte mindestens einen Mandanten wählen."))


class DeadlineForm(FlaskForm):
    deadline = DateField(_l("Neue Frist"), validators=[DataRequired()])


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


@console.route("/rueckmeldungen", methods=["GET", "POST"])
@requires("core.feedback.manage")
def feedback_rounds():
    candidates = recipients_choice()
    form = RoundForm()
    form.tenants.choices = _tenant_choices(candidates)
    if not form.is_submitted():
        form.year.data = clock.today().year
        form.tenants.data = [t.id for t in candidates]  # to all, unless the canton picks some
    if form.validate_on_submit():
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
                return redirect(url_for("console.feedback_round", year=form.year.data))
            _notify_all(sent, feedback_round.year)
            flash(ngettext("Die Umfrage %(year)s ist an %(num)s Mandanten gegangen.",
                           "Die Umfrage %(year)s ist an %(num)s Mandanten gegangen.", len(sent),
                           year=feedback_round.year))
            return redirect(url_for("console.feedback_round", year=feedback_round.year))
    rounds = db.session.scalars(sa.select(FeedbackRound).order_by(FeedbackRound.year.desc())).all()
    counts = _answer_counts()
    db.session.commit()  # the canton scope's audit record
    return render_template("console/feedback_rounds.html", form=form, rounds=rounds, counts=counts), (
        400 if form.errors else 200)


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


@console.get("/rueckmeldungen/<int:year>")
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


@console.post("/rueckmeldungen/<int:year>/senden")
@requires("core.feedback.manage")
def feedback_send(year):
    feedback_round = _round(year)
    form = SendForm()
    with canton_scope(f"feedback round {year}: recipients"):
        asked = set(db.session.scalars(sa.select(FeedbackRequest.tenant_id).where(FeedbackRequest.year == year)))
    form.tenants.choices = _tenant_choices(t for t in recipients_choice() if t.id not in asked)
    if not form.validate_on_submit():
        return _round_page(feedback_round, send_form=form, status=400)
    sent = send_round(feedback_round, set(form.tenants.data))
    db.session.commit()
    _notify_all(sent, year)
    flash(ngettext("Die Umfrage %(year)s ist an %(num)s weiteren Mandanten gegangen.",
                   "Die Umfrage %(year)s ist an %(num)s weitere Mandanten gegangen.", len(sent), year=year))
    return redirect(url_for("console.feedback_round", year=year))


@console.post("/rueckmeldungen/<int:year>/frist")
@requires("core.feedback.manage")
def feedback_deadline(year):
    feedback_round = _round(year)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return _round_page(feedback_round, deadline_form=form, status=400)
    move_deadline(feedback_round, form.deadline.data)
    db.session.commit()
    flash(_("Die Frist ist jetzt der %(day)s.", day=format_date(form.deadline.data, "short")))
    return redirect(url_for("console.feedback_round", year=year))


@console.get("/rueckmeldungen/<int:year>.xlsx")
@requires("core.feedback.manage")
def feedback_xlsx(year):
    feedback_round = _round(year)
    content = reports.render_xlsx(answers_report(feedback_round, round_answers(year)))
    db.session.commit()
    return Response(content, mimetype=reports.FORMATS["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="rueckmeldungen-{year}.xlsx"'})


# -- the tenants' pages --------------------------------------------------------------------------


@console.get("/rueckmeldung")
@requires("core.feedback.answer")
def feedback():
    requests_ = db.session.scalars(sa.select(FeedbackRequest).order_by(FeedbackRequest.year.desc())).all()
    return render_template("console/feedback_list.html", requests=requests_, today=clock.today())


@console.route("/rueckmeldung/<int:year>", methods=["GET", "POST"])
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
        return redirect(url_for("console.feedback"))
    return render_template("console/feedback_answer.html", form=form, request_=request_, is_open=is_open), (
        400 if form.errors else 200)


@console.app_template_filter("hours")
def format_hours(value) -> str:
    return "–" if value is None else format_decimal(value, format="#,##0.##")
