"""The pages of needs below /<tenant>/foerdern: a person's needs and referrals, a need, the needs overview.

Mounted on Fördern's blueprint (endpoints ``foerdern.needs.*``): core answers 404 where the module
is not active and to non-members. A person, need or referral of another tenant is not found (404).
Needs are personal: reading them needs ``foerdern.needs.read``, changing them ``foerdern.needs.edit``.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import clock, i18n
from core.access import can, requires
from core.content_languages import pick
from core.db import db
from core.form_fields import form_key
from core.i18n import language as ui_language
from core.people import Person
from plugins.foerdern import chart, figures, needs, referrals
from plugins.foerdern.needs_forms import NeedForm, NeedStateForm
from plugins.foerdern.needs_models import Need

READ, EDIT = needs.READ, needs.EDIT

blueprint = Blueprint("needs", __name__, template_folder="templates")


def need_or_404(need_id: uuid.UUID) -> Need:
    return db.get_or_404(Need, (g.tenant.id, need_id))


# -- a person's needs and referrals ---------------------------------------------------------------


@blueprint.get("/personen/<uuid:person_id>", endpoint="person")
@requires(READ)
def person_page(person_id):
    person = needs.person_or_404(person_id)
    form = NeedForm()
    form.form_key.data = str(uuid.uuid4())
    return _person_page(person, form)


def _person_page(person: Person, form: NeedForm, status: int = 200):
    return render_template(
        "foerdern/person_needs.html", person=person, form=form, needs=needs.needs_of(person.id),
        referrals=referrals.referrals_of(person.id), labels=needs, referral_states=referrals.STATE_LABELS,
        may_edit=can(EDIT) and person.anonymised_on is None, language=ui_language(), pick=pick,
        language_name=i18n.language_name,
    ), status


@blueprint.post("/personen/<uuid:person_id>/beduerfnisse", endpoint="add")
@requires(EDIT)
def add_need(person_id):
    person = needs.person_or_404(person_id)
    needs.refuse_if_anonymised(person)
    form = NeedForm()
    key = form_key(form.form_key.data)
    if key is not None and db.session.get(Need, (g.tenant.id, key)) is not None:
        flash(_("Dieses Bedürfnis war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".person", person_id=person.id))
    if not form.validate_on_submit():
        return _person_page(person, form, 400)
    needs.add(person, form.category.data, form.level_value, form.note.data, clock.today(), need_id=key)
    db.session.commit()
    flash(_("Das Bedürfnis ist gespeichert."))
    return redirect(url_for(".person", person_id=person.id))


# -- a need: what it is, its state -------------------------------------------------------------------


@blueprint.route("/beduerfnisse/<uuid:need_id>", methods=["GET", "POST"], endpoint="change")
@requires(EDIT)
def change_need(need_id):
    need = need_or_404(need_id)
    person = needs.person_or_404(need.person_id)
    form = NeedForm(data=None if _posted() else {"category": need.category, "level": need.level or "",
                                                 "note": need.note})
    if _posted():
        needs.refuse_if_anonymised(person)
        if form.validate_on_submit():
            changed = needs.update(need, form.category.data, form.level_value, form.note.data)
            db.session.commit()
            flash(_("Das Bedürfnis ist gespeichert.") if changed else _("Nichts geändert."))
            return redirect(url_for(".person", person_id=person.id))
    return _need_page(need, person, form, _state_form(need))


def _posted() -> bool:
    return request.method == "POST"


def _state_form(need: Need, **kwargs) -> NeedStateForm:
    form = NeedStateForm(current=need.state, today=clock.today(), **kwargs)
    if form.on.data is None and not form.on.raw_data:
        form.on.data = clock.today()
    return form


def _need_page(need: Need, person: Person, form: NeedForm, state_form: NeedStateForm):
    status = 400 if form.errors or state_form.errors else 200
    return render_template("foerdern/need.html", need=need, person=person, form=form, state_form=state_form,
                           labels=needs, may_edit=person.anonymised_on is None), status


@blueprint.post("/beduerfnisse/<uuid:need_id>/stand", endpoint="state")
@requires(EDIT)
def change_state(need_id):
    need = need_or_404(need_id)
    person = needs.person_or_404(need.person_id)
    needs.refuse_if_anonymised(person)
    state_form = _state_form(need)
    if not state_form.validate_on_submit():
        form = NeedForm(data={"category": need.category, "level": need.level or "", "note": need.note})
        return _need_page(need, person, form, state_form)
    changed = needs.set_state(need, state_form.state.data, state_form.on.data)
    db.session.commit()
    flash(_("Der Stand ist gespeichert.") if changed else _("Nichts geändert."))
    return redirect(url_for(".person", person_id=person.id))


# -- the overview: needs no current offer covers ---------------------------------------------------


@blueprint.get("/beduerfnisse", endpoint="overview")
@requires(READ)
def overview():
    found = figures.coverage(clock.today())
    labels = {key: str(label) for key, label in needs.CATEGORY_LABELS.items()}
    rows = found.language_rows()
    return render_template(
        "foerdern/needs_overview.html", coverage=found, labels=needs, language_rows=rows,
        kind_names=lambda category: [needs.kind_name(kind, ui_language()) for kind in needs.CATEGORY_KINDS[category]],
        language_name=_language_name,
        by_category=chart.bar_chart([(labels[row.category], row.uncovered) for row in found.categories
                                     if row.uncovered]),
        by_language=chart.bar_chart([(_language_name(code), total) for code, _counts, total in rows]),
    )


def _language_name(code: str) -> str:
    return i18n.language_name(code) if code else _("Sprache unbekannt")
