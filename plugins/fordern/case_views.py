"""The case pages below /<tenant>/fordern: the list, opening a case for a person, the case with its
history and next steps, the change of owner. Every page answers 404 to whoever may not read cases.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, clock, i18n
from core.access import can, requires
from core.db import db
from core.form_fields import form_key
from core.people import Person, matching
from plugins.fordern import cases, escalation, interviews, measures, states
from plugins.fordern.case_forms import OpenCaseForm, OwnerForm, TransitionForm, generic_next
from plugins.fordern.models import Case
from plugins.fordern.pages import (
    EDIT,
    READ,
    blueprint,
    case_or_404,
    editable_or_404,
    may_edit,
    names,
    officers,
    person_of,
)

MINE, ALL = "meine", "alle"
LIST_TITLES = {MINE: _l("Meine Fälle"), ALL: _l("Alle Fälle")}
OPEN = "offen"
SEARCH_LIMIT = 20


@blueprint.get("/", endpoint="index")
@requires(READ)
def index():
    kind = request.args.get("liste", MINE)
    state = request.args.get("stand", OPEN)
    if kind not in LIST_TITLES or state not in (OPEN, "", *states.STATES):
        abort(404)
    query = sa.select(Case, Person).join(Person, sa.and_(Person.tenant_id == Case.tenant_id,
                                                         Person.id == Case.person_id))
    if kind == MINE:
        query = query.where(Case.owner == audit.current_actor())
    if state == OPEN:
        query = query.where(Case.state != states.CLOSED)
    elif state:
        query = query.where(Case.state == state)
    rows = db.session.execute(query.order_by(Case.state_on.desc(), Person.sort_name, Case.id)).all()
    return render_template("fordern/index.html", rows=rows, kind=kind, state=state, lists=LIST_TITLES,
                           state_labels=states.STATE_LABELS, outcome_labels=states.OUTCOME_LABELS,
                           who=names(case.owner for case, _person in rows), may_open=can(EDIT))


@blueprint.route("/faelle/neu", methods=["GET", "POST"], endpoint="case_new")
@requires(EDIT)
def new_case():
    person_id = request.values.get("person", "")
    person = _person_or_none(person_id)
    if person is None:  # first find the person
        text = request.args.get("suche", "").strip()[:200]
        found = db.session.scalars(sa.select(Person).where(matching(text), Person.anonymised_on.is_(None))
                                   .order_by(Person.sort_name, Person.id).limit(SEARCH_LIMIT)
                                   ).all() if text else []
        return render_template("fordern/case_person.html", text=text, found=found), \
            400 if request.method == "POST" else 200
    today = clock.today()
    form = OpenCaseForm(officers=officers(), today=today)
    if request.method == "GET":
        form.form_key.data, form.on.data, form.owner.data = str(uuid.uuid4()), today, audit.current_actor()
        return _open_form(person, form)
    key = form_key(form.form_key.data)
    if key is not None and db.session.get(Case, (g.tenant.id, key)) is not None:
        flash(_("Dieser Fall war schon eröffnet (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".case", case_id=key))
    if not form.validate_on_submit():
        return _open_form(person, form)
    case = cases.open_case(person, form.reason.data, form.owner.data, form.on.data, case_id=key)
    db.session.commit()
    flash(_("Der Fall ist eröffnet."))
    return redirect(url_for(".case", case_id=case.id))


def _person_or_none(person_id: str) -> Person | None:
    try:
        person = db.session.get(Person, (g.tenant.id, uuid.UUID(person_id))) if person_id else None
    except ValueError:
        return None
    return None if person is None or person.anonymised_on else person


def _open_form(person: Person, form: OpenCaseForm):
    existing = db.session.scalars(sa.select(Case).where(Case.person_id == person.id,
                                                        Case.state != states.CLOSED)).all()
    return render_template("fordern/case_new.html", person=person, form=form, existing=existing,
                           state_labels=states.STATE_LABELS), 400 if form.errors else 200


@blueprint.get("/faelle/<uuid:case_id>", endpoint="case")
@requires(READ)
def show(case_id):
    case = case_or_404(case_id)
    return _case_page(case)


def _case_page(case: Case, failed: TransitionForm | None = None, error: str | None = None):
    today = clock.today()
    forms = {}
    for to in generic_next(case.state):
        form = failed if failed is not None and failed.to_state.data == to else TransitionForm(case=case, today=today,
                                                                                              formdata=None)
        if form is not failed:
            form.after.data, form.to_state.data, form.on.data = case.steps, to, today
        forms[to] = form
    history = cases.history(case)
    who = names([case.owner, *(entry.by for entry in history)])
    status = 400 if (failed is not None and failed.errors) or error else 200
    return render_template(
        "fordern/case.html", case=case, person=person_of(case), history=history, who=who, forms=forms, error=error,
        interview=interviews.of(case), measures=measures.of_case(case), measure_label=measures.label,
        result_labels=measures.RESULT_LABELS, state_labels=states.STATE_LABELS,
        outcome_labels=states.OUTCOME_LABELS, may_edit=may_edit(case), may_draft=measures.may_draft(case),
        owner_form=_owner_form(case) if may_edit(case) else None, states=states,
        language_name=i18n.language_name, **escalation.panel(case),
    ), status


def _owner_form(case: Case) -> OwnerForm:
    form = OwnerForm(officers=officers(), formdata=None)
    form.owner.data = case.owner
    return form


@blueprint.post("/faelle/<uuid:case_id>/schritt", endpoint="case_step")
@requires(EDIT)
def step(case_id):
    case = editable_or_404(case_id)
    form = TransitionForm(case=case, today=clock.today())
    if form.after.data is not None and form.after.data != case.steps:
        if _repeated(case, form):
            flash(_("Dieser Schritt war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
            return redirect(url_for(".case", case_id=case.id))
        return _case_page(case, form, _("Der Fall wurde inzwischen geändert: bitte den neuen Stand prüfen und den "
                                        "Schritt noch einmal eingeben."))
    if not form.validate_on_submit():
        return _case_page(case, form)
    outcome = form.outcome.data if form.to_state.data == states.CLOSED else None
    cases.move(case, form.to_state.data, form.on.data, form.reason.data or "", outcome)
    db.session.commit()
    flash(_("Der Schritt ist gespeichert: %(state)s.", state=states.STATE_LABELS[case.state]))
    return redirect(url_for(".case", case_id=case.id))


def _repeated(case: Case, form: TransitionForm) -> bool:
    """The form was sent before: the step after the one it showed is the one it asks for."""
    last = cases.history(case)[-1]
    return form.after.data == last.seq - 1 and (last.to_state, last.on) == (form.to_state.data, form.on.data)


@blueprint.post("/faelle/<uuid:case_id>/zustaendig", endpoint="case_owner")
@requires(EDIT)
def change_owner(case_id):
    case = editable_or_404(case_id)
    form = OwnerForm(officers=officers())
    if not form.validate_on_submit():
        return _case_page(case, error=_("Die Zuständigkeit ist nicht geändert: bitte eine Person der Liste wählen."))
    if form.owner.data != case.owner:
        audit.record("fordern.case.owner", object_type="fordern_case", object_id=case.id,
                     detail={"from": case.owner, "to": form.owner.data})
        case.owner = form.owner.data
        db.session.commit()
        flash(_("Zuständig ist jetzt %(name)s.", name=officers()[case.owner]))
    return redirect(url_for(".case", case_id=case.id))
