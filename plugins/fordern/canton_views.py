"""The canton's pages of the escalation (canton-only permissions: in a commune they answer 404).

``/<canton>/fordern/eskalationen`` the submitted cases; ``…/<number>`` one case's review: the snapshot,
the legal pre-check, the agreement or recommendation and its PDF, the return, the outcome.
``/<canton>/fordern/rechtsgrundlagen`` the legal bases with their validity. These pages read core's
submission rows and the canton's own tables only.
"""

from __future__ import annotations

import io
import uuid
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from core import clock
from core.access import requires
from core.auth import actor_names
from core.db import db
from core.errors import UserError
from core.i18n import country_name
from core.people.permits import PERMITS
from core.submissions import State, Submission
from core.tenancy import Tenant
from plugins.fordern import agreement_pdf, escalation, legal, review
from plugins.fordern.escalation import LEGAL_BASES, REVIEW
from plugins.fordern.escalation_forms import (
    DEADLINE_OUTCOME_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    DocumentForm,
    LegalBasisForm,
    OutcomeForm,
    PreCheckForm,
    ReturnForm,
    deadline_outcomes,
)
from plugins.fordern.escalation_models import AGREEMENT, RECOMMENDATION, LegalBasis
from plugins.fordern.pages import blueprint


def _found(number: str) -> Submission:
    found = review.submission(number)
    if found is None:
        abort(404)
    return found


def _escalated_on(found: Submission) -> date:
    day = escalation.codes(review.snapshot(found).payload).get("escalated_on")
    return date.fromisoformat(day) if day else found.submitted_at.date()


@blueprint.get("/eskalationen", endpoint="reviews")
@requires(REVIEW)
def reviews():
    return render_template("fordern/reviews.html", rows=review.listing(), kind_labels=KIND_LABELS,
                           decision_labels=escalation.DECISION_LABELS)


def _forms(found: Submission, current) -> dict:
    """The page's forms, filled from the review (or, for a new one, from the snapshot)."""
    known = escalation.codes(review.snapshot(found).payload)
    precheck = PreCheckForm(formdata=None, escalated_on=_escalated_on(found), data={
        "nationality": current.nationality if current and current.checked_at else known.get("nationality", ""),
        "permit": current.permit if current and current.checked_at else known.get("permit", ""),
        "refugee": current.refugee if current and current.checked_at else bool(known.get("refugee")),
        "decision_day": current.decision_day if current and current.decision_day else clock.today(),
        "legal_basis": str(current.legal_basis_id) if current and current.legal_basis_id else "",
        "commune_agrees": {True: "yes", False: "no"}.get(current.commune_agrees) if current else None,
        "commune_note": current.commune_note if current else "",
        "reasons": current.reasons if current else ""})
    return {"precheck": precheck, "document": _document_form(found, current, formdata=None),
            "give_back": ReturnForm(formdata=None),
            "outcome": OutcomeForm(formdata=None, data={
                "on": clock.today(), "outcome": current.outcome if current else "",
                "note": current.outcome_note if current else ""})}


def _document_form(found: Submission, current, formdata=None) -> DocumentForm:
    allowed = bool(current and current.agreement_allowed and current.version == found.version)
    if formdata is not None:
        return DocumentForm(allowed=allowed)
    deadlines = review.deadlines(current) if current else []
    payload = review.snapshot(found).payload
    measures = current.measures if current and current.measures else "\n".join(
        line for line in payload.get(escalation.MEASURES, []) if isinstance(line, str) and line != "keine erfasst")
    known = escalation.codes(payload)
    return DocumentForm(formdata=None, allowed=allowed, data={
        "kind": (current.kind if current and current.kind else (AGREEMENT if allowed else RECOMMENDATION)),
        "goals": current.goals if current else "", "measures": measures,
        "consequences": current.consequences if current else "",
        "deadlines": [{"label": d.label, "due_on": d.due_on} for d in deadlines],
        "place": (current.place if current and current.place else "Solothurn"),
        "commune_signatory": current.commune_signatory if current else "",
        "canton_signatory": current.canton_signatory if current else "",
        "aid_language": current.aid_language if current and current.aid_language else known.get("language", ""),
        "aid_text": current.aid_text if current else "",
        "reason": current.decision_reason if current else ""})


def _page(found: Submission, status: int = 200, error: str | None = None, **forms):
    current = review.review_of(found)
    all_forms = {**_forms(found, current), **forms}
    version = review.snapshot(found)
    owner = db.session.get(Tenant, found.tenant_id)
    return render_template(
        "fordern/review.html", submission=found, version=version, owner=owner, review=current,
        findings=review.findings(current) if current else [], basis=review.basis_of(current) if current else None,
        deadlines=review.deadlines(current) if current else [], error=error,
        is_open=found.state in (State.SUBMITTED, State.IN_REVIEW),
        stale=bool(current and current.checked_at and current.version != found.version),
        names=actor_names(a for a in (current.checked_by, current.decided_by) if a) if current else {},
        kind_labels=KIND_LABELS, decision_labels=escalation.DECISION_LABELS, rules=legal.STATUS_RULES,
        deadline_labels=DEADLINE_OUTCOME_LABELS, outcome_labels=OUTCOME_LABELS, permits=PERMITS,
        country_name=country_name, today_date=clock.today(), **all_forms), status


@blueprint.get("/eskalationen/<number>", endpoint="review")
@requires(REVIEW)
def show(number):
    return _page(_found(number))


def _refused(number: str, refused: UserError, **forms):
    db.session.rollback()
    return _page(_found(number), 400, str(refused), **forms)


@blueprint.post("/eskalationen/<number>/vorpruefung", endpoint="precheck")
@requires(REVIEW)
def precheck(number):
    found = _found(number)
    form = PreCheckForm(escalated_on=_escalated_on(found))
    if not form.validate_on_submit():
        return _page(found, 400, precheck=form)
    given = review.PreCheckInput(
        nationality=form.nationality.data, permit=form.permit.data, refugee=form.refugee.data,
        decision_day=form.decision_day.data, basis_id=uuid.UUID(form.legal_basis.data),
        commune_agrees=form.commune_agrees.data == "yes", commune_note=form.commune_note.data or "",
        reasons=form.reasons.data)
    try:
        review.record_precheck(found, given)
    except UserError as refused:
        return _refused(number, refused, precheck=form)
    db.session.commit()
    flash(_("Die Vorprüfung ist festgehalten."))
    return redirect(url_for("fordern.review", number=number) + "#dokument")


@blueprint.post("/eskalationen/<number>/dokument", endpoint="document")
@requires(REVIEW)
def document(number):
    found = _found(number)
    current = review.review_of(found)
    try:
        review.prechecked(found, current)
    except UserError as refused:
        return _page(found, 400, str(refused))
    form = _document_form(found, current, formdata=request.form)
    if not form.validate_on_submit():
        return _page(found, 400, document=form)
    draft = review.Draft(
        kind=form.kind.data, goals=form.goals.data, measures=form.measures.data,
        consequences=form.consequences.data or "", deadlines=form.filled_deadlines(), place=form.place.data or "",
        commune_signatory=form.commune_signatory.data or "", canton_signatory=form.canton_signatory.data or "",
        aid_language=form.aid_language.data or "", aid_text=form.aid_text.data or "", reason=form.reason.data or "")
    concluding = request.form.get("action") == "conclude"
    try:
        review.save_draft(found, draft)
        if concluding:
            review.conclude(found, form.reason.data or "")
    except UserError as refused:
        return _refused(number, refused, document=form)
    db.session.commit()
    if concluding:
        flash(_("Eingabe %(number)s: %(decision)s. Die Gemeinde sieht den Entscheid beim Fall.", number=number,
                decision=KIND_LABELS[draft.kind]))
    else:
        flash(_("Der Entwurf ist gespeichert."))
    return redirect(url_for("fordern.review", number=number) + "#dokument")


@blueprint.post("/eskalationen/<number>/zurueckgeben", endpoint="give_back")
@requires(REVIEW)
def give_back(number):
    found = _found(number)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _page(found, 400, give_back=form)
    try:
        review.give_back(found, form.reason.data)
    except UserError as refused:
        return _refused(number, refused, give_back=form)
    db.session.commit()
    flash(_("Eingabe %(number)s ist an die Gemeinde zurückgegeben.", number=number))
    return redirect(url_for("fordern.review", number=number))


@blueprint.get("/eskalationen/<number>/dokument.pdf", endpoint="document_pdf")
@requires(REVIEW)
def pdf(number):
    found = _found(number)
    current = review.review_of(found)
    if current is None or current.kind is None:
        abort(404)
    data = review.render(found, current)
    db.session.commit()  # the audited reads
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                         download_name=f"{found.number}-{agreement_pdf.TITLES[current.kind]}.pdf",
                         etag=False, conditional=False)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/eskalationen/<number>/ergebnis", endpoint="outcome")
@requires(REVIEW)
def outcome(number):
    found = _found(number)
    current = review.review_of(found)
    if current is None:
        abort(404)
    form = OutcomeForm()
    seqs = [d.seq for d in review.deadlines(current)]
    values, errors = deadline_outcomes(request.form, seqs)
    if not form.validate_on_submit() or errors:
        return _page(found, 400, " ".join(errors) or None, outcome=form)
    try:
        review.record_outcomes(current, values, form.outcome.data or None, form.on.data, form.note.data or "")
    except UserError as refused:
        return _refused(number, refused, outcome=form)
    db.session.commit()
    flash(_("Die Ergebnisse sind festgehalten."))
    return redirect(url_for("fordern.review", number=number) + "#ergebnis")


# -- the legal bases ---------------------------------------------------------------------------------


def _basis_or_404(basis_id: uuid.UUID) -> LegalBasis:
    basis = db.session.scalar(sa.select(LegalBasis).where(LegalBasis.id == basis_id))
    if basis is None:
        abort(404)
    return basis


@blueprint.route("/rechtsgrundlagen", methods=["GET", "POST"], endpoint="legal_bases")
@blueprint.route("/rechtsgrundlagen/<uuid:basis_id>", methods=["GET", "POST"], endpoint="legal_basis")
@requires(LEGAL_BASES)
def legal_bases(basis_id: uuid.UUID | None = None):
    basis = _basis_or_404(basis_id) if basis_id else None
    form = LegalBasisForm(obj=basis) if basis and request.method == "GET" else LegalBasisForm()
    if form.validate_on_submit():
        try:
            legal.save(basis, form.short.data, form.title.data, form.reference.data, form.valid_from.data,
                       form.valid_to.data)
        except UserError as refused:
            db.session.rollback()
            basis = _basis_or_404(basis_id) if basis_id else None
            form.valid_from.errors = [*form.valid_from.errors, str(refused)]
        else:
            db.session.commit()
            flash(_("Die Rechtsgrundlage «%(short)s» ist gespeichert.", short=form.short.data))
            return redirect(url_for("fordern.legal_bases"))
    status = 400 if form.errors else 200
    return render_template("fordern/legal_bases.html", bases=legal.bases(), form=form, editing=basis,
                           today=clock.today(), label=legal.label, period=legal.period), status
