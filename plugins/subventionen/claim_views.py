"""The tenant's pages of its claims: the list (the module's start page), a claim line by line with its costs and
receipts, and the buttons that compute, submit and withdraw it; the year's credit and rules as the canton set them.

Every change is refused with a message, and changes nothing, once the claim is with the canton.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from core import activity, clock
from core.access import can, requires
from core.db import db
from core.errors import UserError
from core.provisioning import get_setting
from plugins.subventionen import claims, credit
from plugins.subventionen.access import CLAIMS_EDIT, CLAIMS_READ, CLAIMS_SUBMIT
from plugins.subventionen.claim_forms import ButtonForm, CostForm, PrepareForm
from plugins.subventionen.models import Claim, Cost
from plugins.subventionen.pages import blueprint
from plugins.subventionen.rules import period_days


def claim_or_404(claim_id: uuid.UUID) -> Claim:
    return db.get_or_404(Claim, (g.tenant.id, claim_id))


def _years_to_prepare() -> list[int]:
    """The years with a credit and rules for which the tenant has no open claim."""
    versions = credit.current_versions()
    taken = {claim.year for claim in claims.claims() if claim.state != claims.WITHDRAWN}
    return [found.year for found in credit.credits() if found.year in versions and found.year not in taken]


@blueprint.get("/", endpoint="index")
@requires(CLAIMS_READ)
def index():
    form = PrepareForm(years=_years_to_prepare())
    return render_template("subventionen/claims.html", claims=claims.claims(), form=form,
                           state_labels=claims.STATE_LABELS, credits=credit.credits(),
                           versions=credit.current_versions(), may_edit=can(CLAIMS_EDIT))


@blueprint.post("/abrechnungen", endpoint="prepare")
@requires(CLAIMS_EDIT)
def prepare():
    form = PrepareForm(years=_years_to_prepare())
    if not form.validate_on_submit():
        flash(_("Für dieses Jahr kann keine Abrechnung vorbereitet werden: bitte eines der angebotenen Jahre "
                "wählen."))
        return redirect(url_for("subventionen.index"))
    try:
        claim = claims.prepare(g.tenant, int(form.year.data))
    except UserError as refused:
        db.session.rollback()
        flash(str(refused))
        return redirect(url_for("subventionen.index"))
    db.session.commit()
    flash(_("Die Abrechnung %(year)s ist vorbereitet: Aktivitäten und Beträge sind berechnet.", year=claim.year))
    return redirect(url_for("subventionen.claim", claim_id=claim.id))


@blueprint.get("/abrechnungen/<uuid:claim_id>", endpoint="claim")
@requires(CLAIMS_READ)
def show(claim_id):
    return _claim_page(claim_or_404(claim_id), None)


def _claim_page(claim: Claim, cost_form: CostForm | None, error: str | None = None, status: int = 200):
    found = credit.credit_of(claim.year)
    days = claims.served_days(found, g.tenant) if found else {}
    names = claims.commune_names(list(days))
    lines, costs = claims.lines_of(claim), claims.costs_of(claim)
    names.update(claims.commune_names([line.bfs_number for line in lines] + [cost.bfs_number for cost in costs]))
    costs_total = sum(cost.amount for cost in costs)
    editable = claim.state in claims.EDITABLE
    stale = _quietly(claims.stale_reason, claim) if editable else None
    return render_template(
        "subventionen/claim.html", claim=claim, credit=found, lines=lines, costs=costs, costs_total=costs_total,
        receipts=claims.receipts_of([cost.id for cost in costs]), names=names, days=days,
        period_length=period_days(found.claims_from, found.claims_until) if found else 0,
        label=claims.line_label, detail=claims.line_detail, state_labels=claims.STATE_LABELS,
        cost_form=cost_form or CostForm(communes=names, formdata=None), button=ButtonForm(),
        editable=editable, stale=stale, error=error, today=clock.today(),
        late=editable and claims.is_late(claim), submission=claims.submission_of(claim),
        returned_note=claims.returned_note(claim) if claim.state == claims.RETURNED else "",
        iban=get_setting(g.tenant, claims.IBAN_SETTING), may_edit=editable and can(CLAIMS_EDIT),
        may_submit=editable and can(CLAIMS_SUBMIT),
    ), status


def _quietly(check, claim):
    try:
        return check(claim)
    except UserError as refused:
        return str(refused)


def _act(claim_id, action, done):
    """Run ``action(claim)`` on the locked claim; commit and say ``done(result)``, or roll back and say why not."""
    claim = claims.locked(claim_id) or abort(404)
    try:
        result = action(claim)
    except UserError as refused:
        db.session.rollback()
        flash(str(refused))
        return None
    db.session.commit()
    flash(done(result))
    return result


@blueprint.post("/abrechnungen/<uuid:claim_id>/berechnen", endpoint="recompute")
@requires(CLAIMS_EDIT)
def recompute(claim_id):
    if ButtonForm().validate_on_submit():
        attribution = _act(claim_id, lambda claim: claims.recompute(g.tenant, claim),
                           lambda _result: _("Die Abrechnung ist neu berechnet."))
        if attribution and attribution.unattributed:
            flash(_("Nicht angerechnet, weil der Mandant die Gemeinde an diesem Tag nicht betreute: %(what)s.",
                    what=", ".join(f"{number} × {activity.label(key)}"
                                   for key, number in sorted(attribution.unattributed.items()))))
    return redirect(url_for("subventionen.claim", claim_id=claim_id))


@blueprint.post("/abrechnungen/<uuid:claim_id>/kosten", endpoint="cost_add")
@requires(CLAIMS_EDIT)
def add_cost(claim_id):
    claim = claim_or_404(claim_id)
    names = claims.commune_names(claims.served_days(credit.credit_of(claim.year), g.tenant)) if credit.credit_of(
        claim.year) else {}
    form = CostForm(communes=names)
    if not form.validate_on_submit():
        return _claim_page(claim, form, _("Die Kosten sind nicht erfasst: bitte die markierten Felder prüfen."), 400)
    claim = claims.locked(claim_id)
    try:
        claims.add_cost(g.tenant, claim, form.description.data, form.amount.rappen, form.spent_on.data,
                        form.bfs_number, [form.receipt.upload])
    except UserError as refused:
        db.session.rollback()
        return _claim_page(claim_or_404(claim_id), form, str(refused), 400)
    db.session.commit()
    flash(_("Die Kosten sind erfasst und die Abrechnung neu berechnet."))
    return redirect(url_for("subventionen.claim", claim_id=claim_id) + "#kosten")


@blueprint.post("/abrechnungen/<uuid:claim_id>/kosten/<uuid:cost_id>/entfernen", endpoint="cost_remove")
@requires(CLAIMS_EDIT)
def remove_cost(claim_id, cost_id):
    if ButtonForm().validate_on_submit():
        def remove(claim):
            cost = db.session.scalar(sa.select(Cost).where(Cost.id == cost_id, Cost.claim_id == claim.id))
            if cost is None:
                raise UserError(_("Diese Kosten sind schon entfernt."))
            claims.remove_cost(g.tenant, claim, cost)

        _act(claim_id, remove, lambda _result: _("Die Kosten sind entfernt und die Abrechnung neu berechnet."))
    return redirect(url_for("subventionen.claim", claim_id=claim_id) + "#kosten")


@blueprint.post("/abrechnungen/<uuid:claim_id>/einreichen", endpoint="submit")
@requires(CLAIMS_SUBMIT)
def submit(claim_id):
    claim_or_404(claim_id)
    if ButtonForm().validate_on_submit():
        _act(claim_id, lambda claim: claims.submit(g.tenant, claim.id),
             lambda submission: _("Die Abrechnung ist beim Kanton eingereicht: %(number)s.", number=submission.number))
    return redirect(url_for("subventionen.claim", claim_id=claim_id))


@blueprint.post("/abrechnungen/<uuid:claim_id>/zurueckziehen", endpoint="withdraw")
@requires(CLAIMS_SUBMIT)
def withdraw(claim_id):
    claim_or_404(claim_id)
    if ButtonForm().validate_on_submit():
        _act(claim_id, claims.withdraw,
             lambda _result: _("Die Abrechnung ist zurückgezogen. Sie können eine neue vorbereiten."))
    return redirect(url_for("subventionen.claim", claim_id=claim_id))


@blueprint.get("/regeln/<int:year>", endpoint="rules")
@requires(CLAIMS_READ)
def rules_page(year):
    found = credit.credit_of(year)
    current = credit.current_version(year)
    if found is None:
        abort(404)
    return render_template("subventionen/rules_public.html", credit=found, current=current,
                           rules=credit.rules_of(year, current.version) if current else [],
                           describe=credit.shown)
