"""The canton's pages of the review and the payments (permission REVIEW: the canton's finance role only).

``/<canton>/subventionen/pruefung?jahr=2017`` the year's submitted claims, the credit left, the shortfall
and its pro-rata proposal; ``…/pruefung/<number>`` one claim's snapshot, line by line, and the decisions.
``/<canton>/subventionen/zahlungslaeufe?jahr=2017`` the claims due and the runs; ``…/<run>`` one run with
its files.  In a commune these pages answer 404 (a canton-only permission); these pages read core's
submission rows and the canton's own tables only.
"""

from __future__ import annotations

import uuid

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core import audit, clock
from core.access import requires
from core.db import db
from core.errors import UserError
from core.money import format_chf, parse_chf
from core.plugins import MenuEntry
from core.reports import figure_label
from core.tenancy import Municipality, Tenant, canton_tenant
from plugins.subventionen import decisions, ledger, payment_files, payment_runs
from plugins.subventionen.access import REVIEW
from plugins.subventionen.models import COMMUNE_CAP, COST_SHARE, FLAT_COMMUNE, FLAT_TENANT, PER_ACTIVITY
from plugins.subventionen.pages import blueprint, chosen_year

MENU = (MenuEntry(_l("Abrechnungen prüfen"), "subventionen.reviews", REVIEW, group=_l("Integrationskredit")),
        MenuEntry(_l("Zahlungsläufe"), "subventionen.payment_runs", REVIEW, group=_l("Integrationskredit")))
RULE_LABELS = {FLAT_TENANT: _l("Pauschale je Mandant"), FLAT_COMMUNE: _l("Pauschale je Gemeinde"),
               PER_ACTIVITY: _l("Betrag je Tätigkeit"), COST_SHARE: _l("Anteil an den Kosten"),
               COMMUNE_CAP: _l("Obergrenze je Gemeinde")}
REQUIRED = _l("Bitte ausfüllen.")


def _stripped(text):
    return text.strip() if isinstance(text, str) else text


class DecisionForm(FlaskForm):
    version = IntegerField(validators=[DataRequired()])  # the snapshot the person decided on
    amount = StringField(_l("Genehmigter Betrag (CHF)"), filters=[_stripped], validators=[Optional()])
    reason = TextAreaField(_l("Begründung"), filters=[_stripped], validators=[Optional(), Length(max=5000)])


class ProRataForm(FlaskForm):
    digest = HiddenField(validators=[DataRequired()])


class RunForm(FlaskForm):
    execution_date = DateField(_l("Ausführungsdatum"),
                               validators=[DataRequired(_l("Bitte ein gültiges Datum eingeben."))])


class ConfirmForm(FlaskForm):
    pass


# -- the year ------------------------------------------------------------------------------------------


# -- the review ----------------------------------------------------------------------------------------


@blueprint.get("/pruefung", endpoint="reviews")
@requires(REVIEW)
def reviews(year: int | None = None, error: str | None = None):
    chosen, year_error = chosen_year()
    year = year or chosen
    error = error or year_error
    rows, unreadable = decisions.listing(year)
    page = render_template("subventionen/reviews.html", year=year, years=ledger.years_shown(), rows=rows,
                           unreadable=unreadable, proposal=decisions.proposal(year, rows), error=error,
                           figures=ledger.year_figures([year])[0], form=ProRataForm(formdata=None))
    db.session.commit()  # the audited reads of the submissions
    return page, 400 if error else 200


def _found(number: str) -> decisions.Reviewed:
    found = decisions.reviewed(number)
    if found is None:
        abort(404)
    return found


def _communes(rows) -> dict[int, str]:
    numbers = {line.get("bfs_number") for line in rows if isinstance(line.get("bfs_number"), int)}
    if not numbers:
        return {}
    return {m.bfs_number: m.name for m in db.session.scalars(
        db.select(Municipality).where(Municipality.bfs_number.in_(numbers)))}


def _page(number: str, status: int = 200, error: str | None = None, form: DecisionForm | None = None):
    found = _found(number)
    lines = found.codes.lines if found.codes else []
    page = render_template("subventionen/review.html", claim=found, lines=lines, communes=_communes(lines),
                           rule_labels=RULE_LABELS, error=error, form=form or DecisionForm(formdata=None),
                           activity_label=_activity_label)
    db.session.commit()
    return page, status


def _activity_label(key: str | None) -> str:
    return figure_label(key) if key else ""


@blueprint.get("/pruefung/<number>", endpoint="review")
@requires(REVIEW)
def show(number):
    return _page(number)


def _decide(number: str, step) -> Response | tuple:
    found = _found(number)
    form = DecisionForm()
    if not form.validate_on_submit():
        errors = " ".join(e for errors in form.errors.values() for e in errors)
        return _page(number, 400, errors or _("Bitte das Formular nochmals senden."), form)
    try:
        message = step(found, form)
    except UserError as refused:
        db.session.rollback()
        return _page(number, 400, str(refused), form)
    db.session.commit()
    flash(message)
    return redirect(url_for("subventionen.review", number=number))


@blueprint.post("/pruefung/<number>/genehmigen", endpoint="approve")
@requires(REVIEW)
def approve(number):
    def step(found, form):
        amount = decisions.approve(found.submission, reason=form.reason.data or "", version=form.version.data)
        return _("Abrechnung %(number)s ist genehmigt: %(amount)s.", number=number, amount=format_chf(amount))
    return _decide(number, step)


@blueprint.post("/pruefung/<number>/kuerzen", endpoint="reduce")
@requires(REVIEW)
def reduce(number):
    def step(found, form):
        amount = decisions.reduce(found.submission, parse_chf(form.amount.data or ""), form.reason.data or "",
                                  version=form.version.data)
        return _("Abrechnung %(number)s ist gekürzt genehmigt: %(amount)s.", number=number, amount=format_chf(amount))
    return _decide(number, step)


@blueprint.post("/pruefung/<number>/zurueckweisen", endpoint="give_back")
@requires(REVIEW)
def give_back(number):
    def step(found, form):
        decisions.give_back(found.submission, form.reason.data or "", version=form.version.data)
        return _("Abrechnung %(number)s ist an die Gemeinde zurückgewiesen.", number=number)
    return _decide(number, step)


@blueprint.post("/pruefung/jahr/<int:year>/anteilig", endpoint="pro_rata")
@requires(REVIEW)
def pro_rata(year: int):
    form = ProRataForm()
    if not form.validate_on_submit():
        return reviews(year, _("Bitte das Formular nochmals senden."))
    try:
        done = decisions.approve_pro_rata(year, form.digest.data)
    except UserError as refused:
        db.session.rollback()
        return reviews(year, str(refused))
    db.session.commit()
    flash(_("%(count)s Abrechnungen sind anteilig genehmigt, zusammen %(amount)s.", count=len(done),
            amount=format_chf(sum(amount for _number, amount in done))))
    return redirect(url_for("subventionen.reviews", jahr=year))


# -- the payment runs ----------------------------------------------------------------------------------


def _tenants(ids) -> dict[int, Tenant]:
    return {t.id: t for t in db.session.scalars(db.select(Tenant).where(Tenant.id.in_(set(ids))))}


def _iban_or_problem(tenant: Tenant) -> tuple[str | None, str | None]:
    try:
        return payment_runs.tenant_iban(tenant), None
    except UserError as problem:
        return None, str(problem)


def runs_page(form: RunForm | None = None, status: int = 200, error: str | None = None):
    year, year_error = chosen_year()
    due = payment_runs.due(year)
    tenants = _tenants(b.claimant_tenant_id for b in due)
    accounts = {tenant_id: _iban_or_problem(tenant) for tenant_id, tenant in tenants.items()}
    all_runs = payment_runs.runs(year)
    page = render_template(
        "subventionen/payment_runs.html", year=year, years=ledger.years_shown(), due=due, tenants=tenants,
        accounts=accounts, runs=all_runs, totals={run.id: payment_runs.total(run) for run in all_runs},
        form=form or RunForm(formdata=None, execution_date=clock.today()), error=error or year_error,
        debtor_problem=_debtor_problem())
    return page, 400 if (error or year_error) else status


def _debtor_problem() -> str | None:
    try:
        payment_runs.debtor(canton_tenant())
    except UserError as problem:
        return str(problem)
    return None


@blueprint.post("/zahlungslaeufe", endpoint="create_run")
@requires(REVIEW)
def create_run():
    year, _error = chosen_year()
    form = RunForm()
    if not form.validate_on_submit():
        return runs_page(form, 400)
    try:
        run = payment_runs.create(canton_tenant(), year, form.execution_date.data)
    except UserError as refused:
        db.session.rollback()
        return runs_page(form, 400, str(refused))
    db.session.commit()
    flash(_("Der Zahlungslauf %(id)s ist erstellt: Laden Sie die Zahlungsdatei herunter und geben Sie sie der Bank.",
            id=run.message_id))
    return redirect(url_for("subventionen.payment_run", run_id=run.id))


def _run(run_id: uuid.UUID):
    run = payment_runs.run_or_none(run_id)
    if run is None:
        abort(404)
    return run


@blueprint.get("/zahlungslaeufe/<uuid:run_id>", endpoint="payment_run")
@requires(REVIEW)
def run_page(run_id: uuid.UUID, status: int = 200, error: str | None = None):
    run = _run(run_id)
    rows = payment_runs.items(run)
    return render_template("subventionen/payment_run.html", run=run, items=rows,
                           tenants=_tenants(i.claimant_tenant_id for i in rows), total=sum(i.amount for i in rows),
                           form=ConfirmForm(formdata=None), error=error), status


def _run_step(run_id: uuid.UUID, step, message: str, back_to_year: bool = False):
    run = _run(run_id)
    if not ConfirmForm().validate_on_submit():
        return run_page(run.id, 400, _("Bitte das Formular nochmals senden."))
    try:
        step(run.id)
    except UserError as refused:
        db.session.rollback()
        return run_page(run.id, 400, str(refused))
    db.session.commit()
    flash(message % {"id": run.message_id})
    if back_to_year:
        return redirect(url_for("subventionen.payment_runs", jahr=run.year))
    return redirect(url_for("subventionen.payment_run", run_id=run.id))


@blueprint.post("/zahlungslaeufe/<uuid:run_id>/ausgefuehrt", endpoint="execute_run")
@requires(REVIEW)
def execute_run(run_id: uuid.UUID):
    return _run_step(run_id, payment_runs.mark_executed,
                     _("Der Zahlungslauf %(id)s ist ausgeführt: Die Zahlungen sind gebucht."))


@blueprint.post("/zahlungslaeufe/<uuid:run_id>/verwerfen", endpoint="discard_run")
@requires(REVIEW)
def discard_run(run_id: uuid.UUID):
    return _run_step(run_id, payment_runs.discard,
                     _("Der Zahlungslauf %(id)s ist verworfen: Seine Abrechnungen sind wieder zur Zahlung bereit."),
                     back_to_year=True)


def _download(content: bytes | None, mimetype: str, name: str) -> Response:
    if content is None:
        abort(404)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                         "Cache-Control": "no-store"})


def _file(run_id: uuid.UUID, make, mimetype: str, name: str, action: str):
    run = _run(run_id)
    try:
        content = make(run)
    except UserError as refused:
        db.session.rollback()
        return run_page(run.id, 400, str(refused))
    audit.record(f"subventionen.payment_run.{action}", object_type="subventionen_payment_run", object_id=run.id,
                 detail={"file": name})
    db.session.commit()
    return _download(content, mimetype, name)


@blueprint.get("/zahlungslaeufe/<uuid:run_id>/pain001.xml", endpoint="run_pain001")
@requires(REVIEW)
def pain001_file(run_id: uuid.UUID):
    return _file(run_id, payment_files.pain001, "application/xml", f"pain001-{run_id.hex[:8]}.xml", "pain001")


@blueprint.get("/zahlungslaeufe/<uuid:run_id>/zahlungen.xlsx", endpoint="run_sheet")
@requires(REVIEW)
def sheet_file(run_id: uuid.UUID):
    return _file(run_id, payment_files.sheet,
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 f"zahlungen-{run_id.hex[:8]}.xlsx", "sheet")


@blueprint.get("/zahlungslaeufe/<uuid:run_id>/avis/<number>.pdf", endpoint="run_advice")
@requires(REVIEW)
def advice_file(run_id: uuid.UUID, number: str):
    return _file(run_id, lambda run: payment_files.advice(run, number), "application/pdf",
                 f"zahlungsavis-{number}.pdf", "advice")


@blueprint.get("/zahlungslaeufe", endpoint="payment_runs")
@requires(REVIEW)
def payment_runs_view():
    return runs_page()
