"""The measures' pages: the case's measures with the form for a new one, agreeing them, removing a
draft, and each measure's follow-up with its evidence (core's attachments). Mounted on Fordern's blueprint.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import attachments, clock
from core.access import can, requires
from core.db import db
from core.form_fields import form_key
from plugins.fordern import cases, measures, states
from plugins.fordern.measure_forms import AgreeForm, FollowUpForm, MeasureForm
from plugins.fordern.measure_models import Measure
from plugins.fordern.pages import EDIT, READ, blueprint, case_or_404, editable_or_404, may_edit, person_of

OWNER_TYPE = "fordern.measure"


def evidence_owner(measure: Measure) -> attachments.Owner:
    return attachments.Owner.of(OWNER_TYPE, measure.id)


@blueprint.route("/faelle/<uuid:case_id>/massnahmen", methods=["GET", "POST"], endpoint="measures")
@requires(READ)
def index(case_id):
    case = case_or_404(case_id)
    today = clock.today()
    form = MeasureForm(offers=measures.offer_choices(g.tenant, today), today=today)
    if request.method == "POST":
        if not can(EDIT):
            abort(404)
        return _add(editable_or_404(case_id), form)
    form.form_key.data = str(uuid.uuid4())
    return _page(case, form)


def _add(case, form: MeasureForm):
    key = form_key(form.form_key.data)
    if key is not None and db.session.get(Measure, (g.tenant.id, key)) is not None:
        flash(_("Diese Massnahme war schon erfasst (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".measures", case_id=case.id))
    if not measures.may_draft(case):
        return _page(case, form, _("Massnahmen werden nach dem Gespräch oder nach einer Überprüfung vereinbart."))
    if not form.validate_on_submit():
        return _page(case, form)
    measures.add(case, form.kind.data, form.level.data or None, form.goal.data, form.deadline.data,
                 form.chosen_offer, measure_id=key)
    db.session.commit()
    flash(_("Die Massnahme ist erfasst. Vereinbaren Sie die Massnahmen, wenn alle erfasst sind."))
    return redirect(url_for(".measures", case_id=case.id))


def _page(case, form: MeasureForm, error: str | None = None, agree_form: AgreeForm | None = None):
    today = clock.today()
    if agree_form is None:
        agree_form = AgreeForm(case=case, today=today, formdata=None)
        agree_form.on.data, agree_form.after.data = today, str(case.steps)
    listed = measures.of_case(case)
    failed = bool(form.errors or agree_form.errors or error)
    return render_template(
        "fordern/measures.html", case=case, person=person_of(case), form=form, agree_form=agree_form, error=error,
        measures=listed, drafts=[m for m in listed if m.agreed_on is None], label=measures.label,
        result_labels=measures.RESULT_LABELS, referral_labels=measures.REFERRAL_LABELS,
        may_edit=may_edit(case), may_draft=measures.may_draft(case) and may_edit(case),
        has_offers=len(form.offer.choices) > 1, state_labels=states.STATE_LABELS,
    ), 400 if failed else 200


@blueprint.post("/faelle/<uuid:case_id>/massnahmen/vereinbaren", endpoint="measures_agree")
@requires(EDIT)
def agree(case_id):
    case = editable_or_404(case_id)
    today = clock.today()
    agree_form = AgreeForm(case=case, today=today)
    if agree_form.after.data and agree_form.after.data != str(case.steps) and case.state == states.MEASURES_AGREED:
        flash(_("Die Massnahmen waren schon vereinbart (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".case", case_id=case.id))
    form = MeasureForm(offers=measures.offer_choices(g.tenant, today), today=today, formdata=None)
    form.form_key.data = str(uuid.uuid4())
    if not agree_form.validate_on_submit():
        return _page(case, form, agree_form=agree_form)
    try:
        measures.agree(case, agree_form.on.data)
    except cases.TransitionRefused as refused:
        db.session.rollback()
        return _page(case_or_404(case_id), form, str(refused))
    db.session.commit()
    flash(_("Die Massnahmen sind vereinbart."))
    return redirect(url_for(".case", case_id=case.id))


def _measure_or_404(case, measure_id) -> Measure:
    measure = db.get_or_404(Measure, (g.tenant.id, measure_id))
    if measure.case_id != case.id:
        abort(404)
    return measure


@blueprint.post("/faelle/<uuid:case_id>/massnahmen/<uuid:measure_id>/loeschen", endpoint="measure_delete")
@requires(EDIT)
def delete(case_id, measure_id):
    case = editable_or_404(case_id)
    measure = db.session.get(Measure, (g.tenant.id, measure_id))
    if measure is None:  # removed already (sent twice)
        return redirect(url_for(".measures", case_id=case.id))
    if measure.case_id != case.id:
        abort(404)
    try:
        measures.remove_draft(measure)
    except cases.TransitionRefused as refused:
        flash(str(refused))
        return redirect(url_for(".measures", case_id=case.id))
    db.session.commit()
    flash(_("Der Entwurf der Massnahme ist entfernt."))
    return redirect(url_for(".measures", case_id=case.id))


@blueprint.route("/faelle/<uuid:case_id>/massnahmen/<uuid:measure_id>", methods=["GET", "POST"],
                 endpoint="measure")
@requires(READ)
def follow_up(case_id, measure_id):
    case = case_or_404(case_id)
    measure = _measure_or_404(case, measure_id)
    form = FollowUpForm(measure=measure, today=clock.today())
    if request.method == "POST":
        if not can(EDIT):
            abort(404)
        editable_or_404(case_id)
        if measure.agreed_on is not None and form.validate_on_submit():
            measures.follow_up(measure, form.result.data, form.on.data, form.note.data or "")
            if form.evidence.upload:
                attachments.add(evidence_owner(measure), form.evidence.upload)
            db.session.commit()
            flash(_("Das Ergebnis der Massnahme ist gespeichert."))
            return redirect(url_for(".measure", case_id=case.id, measure_id=measure.id))
    else:
        form.result.data = measure.result or measures.SUGGESTED.get(measure.referral_outcome or "")
        form.on.data, form.note.data = measure.result_on or clock.today(), measure.result_note
    return render_template(
        "fordern/measure.html", case=case, person=person_of(case), measure=measure, form=form,
        files=attachments.listing(evidence_owner(measure)), label=measures.label,
        result_labels=measures.RESULT_LABELS, referral_labels=measures.REFERRAL_LABELS,
        may_edit=may_edit(case) and measure.agreed_on is not None,
    ), 400 if form.errors else 200
