"""The pages of referrals below /<tenant>/foerdern: refer a person, a referral with its steps, the lists.

Mounted on Fördern's blueprint (endpoints ``foerdern.referrals.*``). A step's form carries the
number of steps its page showed: the same step sent twice is recorded once, a step sent from a
page that is out of date is refused with a message.
"""

from __future__ import annotations

import math
import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import clock
from core.access import can, requires
from core.auth import actor_names
from core.content_languages import pick
from core.db import db
from core.form_fields import form_key
from core.i18n import language as ui_language
from core.input_guard import page_number
from core.people import Person
from plugins.foerdern import needs, referrals
from plugins.foerdern.models import Offer
from plugins.foerdern.needs_forms import ReferralForm, StepForm
from plugins.foerdern.needs_models import OUTCOMES, Need, Referral

READ, EDIT = needs.READ, needs.EDIT
blueprint = Blueprint("referrals", __name__, template_folder="templates")
PAGE_SIZE = 100
FOLLOW_UP, OPEN, ALL = "nachfragen", "offen", "alle"  # the lists, in their URLs
LIST_TITLES = {FOLLOW_UP: _l("Ohne Ergebnis: nachfragen"), OPEN: _l("Ohne Ergebnis"), ALL: _l("Alle Zuweisungen")}


def referral_or_404(referral_id: uuid.UUID) -> Referral:
    return db.get_or_404(Referral, (g.tenant.id, referral_id))


# -- refer a person to an offer --------------------------------------------------------------------


@blueprint.route("/personen/<uuid:person_id>/zuweisen", methods=["GET", "POST"], endpoint="new")
@requires(EDIT)
def new_referral(person_id):
    person = needs.person_or_404(person_id)
    needs.refuse_if_anonymised(person)
    today = clock.today()
    open_needs = [need for need in needs.needs_of(person.id) if need.state == "open"]
    wanted = next((need for need in open_needs if str(need.id) == request.args.get("beduerfnis")), None)
    offers = _offers_for(person, wanted, today)
    form = ReferralForm(offers=offers, open_needs=open_needs, today=today, language=ui_language())
    if request.method == "GET":
        form.form_key.data, form.on.data = str(uuid.uuid4()), today
        form.need.data = str(wanted.id) if wanted else ""
        return _referral_form(person, form, offers)
    key = form_key(form.form_key.data)
    if key is not None and db.session.get(Referral, (g.tenant.id, key)) is not None:
        flash(_("Diese Zuweisung war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".show", referral_id=key))
    if not form.validate_on_submit():
        return _referral_form(person, form, offers)
    offer = needs.find_offer(form.offer.data, today)
    need = db.session.get(Need, (g.tenant.id, uuid.UUID(form.need.data))) if form.need.data else None
    referral = referrals.refer(person, offer, need, form.state.data, form.on.data, form.note.data, today,
                               referral_id=key)
    db.session.commit()
    flash(_("Die Zuweisung ist gespeichert."))
    return redirect(url_for(".show", referral_id=referral.id))


def _offers_for(person: Person, need: Need | None, today) -> list:
    """The current offers; those that cover the need (if one is named) first."""
    offers = needs.current_offers(today)
    if need is None:
        return offers
    return sorted(offers, key=lambda offer: not needs.covers(offer, need.category, list(person.languages or ())))


def _referral_form(person: Person, form: ReferralForm, offers: list):
    return render_template("foerdern/referral_new.html", person=person, form=form, offers=offers), \
        400 if form.errors else 200


# -- a referral and its steps ----------------------------------------------------------------------


@blueprint.get("/zuweisungen/<uuid:referral_id>", endpoint="show")
@requires(READ)
def show(referral_id):
    referral = referral_or_404(referral_id)
    form = StepForm(referral=referral, today=clock.today())
    form.after.data, form.on.data = referral.steps, clock.today()
    return _referral_page(referral, form)


def _referral_page(referral: Referral, form: StepForm, error: str | None = None):
    person = needs.person_or_404(referral.person_id)
    need = db.session.get(Need, (g.tenant.id, referral.need_id)) if referral.need_id else None
    steps = referrals.steps_of(referral.id)
    # A link to the offer where it is this tenant's and still there (its snapshot is shown in any case).
    offer_here = referral.offer_tenant_id == g.tenant.id and can("foerdern.offers.read") and \
        db.session.get(Offer, (g.tenant.id, referral.offer_id)) is not None
    status = 400 if form.errors or error else 200
    return render_template(
        "foerdern/referral.html", referral=referral, person=person, need=need, form=form, error=error,
        offer_here=offer_here,
        steps=steps, referral_states=referrals.STATE_LABELS, who=_who(steps), labels=needs, pick=pick,
        language=ui_language(), kind=needs.kind_name(referral.offer_kind, ui_language()),
        may_edit=can(EDIT) and person.anonymised_on is None and not referral.ended,
    ), status


def _who(steps):
    names = actor_names([step.by for step in steps])
    return lambda actor: names.get(actor, actor)


@blueprint.post("/zuweisungen/<uuid:referral_id>/schritt", endpoint="step")
@requires(EDIT)
def step(referral_id):
    referral = referral_or_404(referral_id)
    needs.refuse_if_anonymised(needs.person_or_404(referral.person_id))
    today = clock.today()
    form = StepForm(referral=referral, today=today)
    if form.after.data is not None and form.after.data != referral.steps:
        if _repeated(referral, form):
            return _already_recorded(referral)
        return _referral_page(referral, form, _("Die Zuweisung wurde inzwischen geändert: bitte den neuen Stand "
                                                "prüfen und den Schritt noch einmal eingeben."))
    if not form.validate_on_submit():
        return _referral_page(referral, form)
    try:
        referrals.take_step(g.tenant, referral, form.state.data, form.on.data, form.note.data, today,
                            need_met=form.need_met.data)
        db.session.commit()
    except IntegrityError:  # a step sent at the same moment took this number first (a flush may come early)
        db.session.rollback()
        return _already_recorded(referral)
    flash(_("Der Schritt ist gespeichert."))
    return redirect(url_for(".show", referral_id=referral.id))


def _repeated(referral: Referral, form: StepForm) -> bool:
    """The form was sent before: the step after the one it showed is the one it asks for."""
    last = referrals.steps_of(referral.id)[-1]
    return form.after.data == last.seq - 1 and (last.state, last.taken_on) == (form.state.data, form.on.data)


def _already_recorded(referral: Referral):
    flash(_("Dieser Schritt war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
    return redirect(url_for(".show", referral_id=referral.id))


# -- the lists ---------------------------------------------------------------------------------------


@blueprint.get("/zuweisungen", endpoint="index")
@requires(READ)
def index():
    kind = request.args.get("liste", OPEN)
    if kind not in LIST_TITLES:
        abort(404)
    page, today, days = page_number(request.args.get("seite")), clock.today(), referrals.follow_up_days(g.tenant)
    condition = {FOLLOW_UP: referrals.waiting(today, days), OPEN: Referral.state.not_in(OUTCOMES),
                 ALL: sa.true()}[kind]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Referral).where(condition))
    rows = db.session.execute(
        sa.select(Referral, Person).join(Person, sa.and_(Person.tenant_id == Referral.tenant_id,
                                                         Person.id == Referral.person_id))
        .where(condition).order_by(Referral.state_on, Person.sort_name, Referral.id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template("foerdern/referrals.html", rows=rows, kind=kind, lists=LIST_TITLES, total=total,
                           page=page, pages=max(math.ceil(total / PAGE_SIZE), 1), days=days, today=today,
                           referral_states=referrals.STATE_LABELS, pick=pick, language=ui_language())
