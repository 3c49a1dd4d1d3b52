"""The communes' yearly feedback: rounds, requests, notices and reminders, answers and their evaluation.

Who owns which row: :mod:`core.console.feedback.models`.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import format_date
from flask_babel import gettext as _

from core import audit, clock, mail, reports
from core.access import can, holders
from core.console.feedback.models import FeedbackRequest, FeedbackRound
from core.db import db
from core.errors import UserError
from core.public import external_url
from core.tenancy import Tenant, TenantKind, TenantState, canton_scope, tenant_scope

if TYPE_CHECKING:
    from flask_wtf import FlaskForm

MAX_MINUTES = 100_000 * 60
ANSWER = "core.feedback.answer"
REMIND_DAYS_BEFORE = 7  # an unanswered request is recalled a week before its deadline
log = logging.getLogger(__name__)


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


def deadline_problem(deadline: date) -> str | None:
    """Why a round cannot have this deadline (translated), or None: a deadline already past asks the impossible."""
    if deadline < clock.today():
        return _("Die Frist %(day)s ist schon vorbei; bitte ein Datum ab heute wählen.",
                 day=format_date(deadline, "medium"))
    return None


def _check_deadline(deadline: date) -> None:
    if problem := deadline_problem(deadline):
        raise UserError(problem)


def create_round(year: int, deadline: date, note: str) -> FeedbackRound:
    """A new round in the canton's tenant (the current scope); one per year."""
    _check_deadline(deadline)
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
            subject, body = notice_text(tenant, request_, reminder)
        try:
            mail.send(user.email, subject, body)
            sent += 1
        except (smtplib.SMTPException, OSError):
            log.exception("feedback notice for %s to %s not sent", tenant.slug, user.email)
    return sent


def notice_text(tenant: Tenant, request_: FeedbackRequest, reminder: bool = False) -> tuple[str, str]:
    """The mail's subject and body in the current language, with a full link where the server's name is known."""
    deadline = format_date(request_.deadline, "long")
    if reminder:
        subject = _("Erinnerung: Rückmeldung %(year)s an den Kanton bis %(day)s", year=request_.year, day=deadline)
    else:
        subject = _("Der Kanton bittet um Ihre Rückmeldung %(year)s", year=request_.year)
    lines = [
        _("Guten Tag"), "",
        _("Die Fachstelle Integration des Kantons möchte wissen, wie start.integration in %(tenant)s läuft: "
          "was sich bewährt hat, wie viel Aufwand es war und wo es Probleme gab.", tenant=tenant.name),
        _("Bitte antworten Sie bis %(day)s in start.integration unter «Rückmeldung»: %(link)s",
          day=deadline, link=_answer_link(tenant, request_.year)),
    ]
    if request_.note:
        lines += ["", request_.note]
    return subject, "\n".join(lines) + "\n"


def _answer_link(tenant: Tenant, year: int) -> str:
    path = f"/{tenant.slug}/rueckmeldung/{year}"  # outside a request and without SERVER_NAME: no host to name
    return external_url("feedback.feedback_answer", tenant=tenant.slug, year=year) or path


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
    _check_deadline(deadline)
    feedback_round.deadline = deadline
    with canton_scope(f"feedback round {feedback_round.year}: deadline"):
        db.session.execute(sa.update(FeedbackRequest).where(FeedbackRequest.year == feedback_round.year)
                           .values(deadline=deadline), execution_options={"synchronize_session": False})
        audit.record("feedback.deadline", object_type="feedback_round", object_id=feedback_round.year,
                     detail={"deadline": deadline.isoformat()}, tenant_id=feedback_round.tenant_id)


def open_rounds() -> list[tuple[FeedbackRound, int, int]]:
    """The canton's rounds whose deadline has not passed, with the tenants asked and the answers so far."""
    rounds = db.session.scalars(sa.select(FeedbackRound).where(FeedbackRound.deadline >= clock.today())
                                .order_by(FeedbackRound.year)).all()
    if not rounds:
        return []
    with canton_scope("canton start page: open feedback"):
        counts = dict((year, (asked, answered)) for year, asked, answered in db.session.execute(
            sa.select(FeedbackRequest.year, sa.func.count(), sa.func.count(FeedbackRequest.answered_at))
            .where(FeedbackRequest.year.in_([r.year for r in rounds])).group_by(FeedbackRequest.year)))
    return [(r, *counts.get(r.year, (0, 0))) for r in rounds]


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


def save_answer(request_: FeedbackRequest, form: FlaskForm) -> None:
    """Store the answer form in ``request_`` while its deadline has not passed."""
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
    if tenant.is_canton or not (has_request_context() and can(ANSWER)):
        return []
    return [(_("Rückmeldung an den Kanton %(year)s", year=request_.year),
             _("noch offen, Frist %(day)s", day=format_date(request_.deadline, "short")))
            for request_ in open_requests(tenant)]

