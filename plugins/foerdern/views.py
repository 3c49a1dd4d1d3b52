"""Fördern's staff pages below /<tenant>/foerdern: the offers (list, page, editor, deletion) and the own kinds.

Core answers 404 where the module is not active and to users who are not members of the tenant;
each view declares its permission. An offer of another tenant is not found (404), as the tenant
scope never loads it.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import clock, content_languages, i18n
from core.access import can, forbid, requires
from core.auth import actor_names
from core.content_languages import pick
from core.db import db
from core.errors import UserError
from core.form_fields import form_key
from core.i18n import language as ui_language
from core.tenancy import Municipality, Tenant, served_municipalities
from plugins.foerdern import offers, published
from plugins.foerdern.forms import ConfirmForm, KindForm, OfferForm, offer_form_data
from plugins.foerdern.models import Offer, OwnKind

READ, EDIT = "foerdern.offers.read", "foerdern.offers.edit"

blueprint = Blueprint("foerdern", __name__, template_folder="templates")


def offer_or_404(offer_id: uuid.UUID) -> Offer:
    return db.get_or_404(Offer, (g.tenant.id, offer_id))


def kind_or_404(kind_id: uuid.UUID) -> OwnKind:
    return db.get_or_404(OwnKind, (g.tenant.id, kind_id))


def municipalities(offer: Offer | None = None) -> dict[int, str]:
    """The communes an offer may name: the tenant's first, then the canton's others (an offer may lie next door)."""
    today = clock.today()
    served = {m.bfs_number: m.name for m in served_municipalities(g.tenant, today)}
    others = i18n.sorted_by_name(db.session.scalars(sa.select(Municipality)), lambda m: m.name)
    rest = {m.bfs_number: m.name for m in others
            if m.bfs_number not in served and (m.valid_on(today) or (offer and m.bfs_number == offer.municipality_bfs))}
    return {**served, **rest}


# -- the list and an offer's page ------------------------------------------------------------------


@blueprint.get("/", endpoint="index")
@requires(READ)
def index():
    """The module's start page: how many offers are current and expired, and the way to them."""
    return render_template("foerdern/index.html", counts=offers.counts(clock.today()), may_edit=can(EDIT))


@blueprint.get("/angebote", endpoint="offers")
@requires(READ)
def offer_list():
    validity = request.args.get("gueltig", offers.CURRENT)
    if validity not in (offers.CURRENT, offers.EXPIRED, offers.ALL):
        validity = offers.CURRENT
    filters = offers.Filters(text=request.args.get("suche", "").strip()[:200], kind=request.args.get("art", ""),
                             validity=validity)
    language, today = ui_language(), clock.today()
    own = {kind.id: kind for kind in offers.own_kinds()}
    shared = published.shared(today)
    return render_template("foerdern/offers.html", found=offers.listing(filters, today), filters=filters,
                           kinds=offers.kind_choices(language), own=own, language=language, today=today,
                           pick=pick, kind_label=offers.kind_label, may_edit=can(EDIT), validities=(
                               (offers.CURRENT, _("aktuelle")), (offers.EXPIRED, _("abgelaufene")),
                               (offers.ALL, _("alle"))),
                           shared=shared, hidden=published.hidden_keys(), publishers=published.publishers(shared),
                           shared_kind_label=offers.shared_kind_label, reach_labels=offers.REACH_LABELS,
                           confirm=ConfirmForm())



@blueprint.get("/angebote/<uuid:offer_id>", endpoint="offer")
@requires(READ)
def offer_page(offer_id):
    offer = offer_or_404(offer_id)
    language = ui_language()
    commune = db.session.get(Municipality, offer.municipality_bfs) if offer.municipality_bfs else None
    recipients = published.recipients_of(offer)
    names = {t.id: t.name for t in db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(recipients)))}
    return render_template("foerdern/offer.html", offer=offer, language=language, pick=pick, commune=commune,
                           kind=offers.kind_label(offer, language), audience=offers.audience(offer),
                           language_name=lambda code: content_languages.name_in(code, language),
                           updated_by=actor_names([offer.updated_by]).get(offer.updated_by, offer.updated_by),
                           reach=offers.REACH_LABELS[offer.reach], recipients=sorted(names.values()),
                           today=clock.today(), may_edit=can(EDIT))


# -- the other tenants' offers: read, hide, show again -----------------------------------------------


def shared_or_404(publisher_id: int, offer_id: uuid.UUID):
    row = published.shared_offer(publisher_id, offer_id)
    if row is None:
        abort(404)
    return row


@blueprint.get("/angebote/geteilt/<int:publisher_id>/<uuid:offer_id>", endpoint="shared_offer")
@requires(READ)
def shared_offer_page(publisher_id, offer_id):
    """Another tenant's regional or the canton's offer, as shared with this tenant: read only."""
    row = shared_or_404(publisher_id, offer_id)
    offer, language = published.as_offer(row), ui_language()
    commune = db.session.get(Municipality, offer.municipality_bfs) if offer.municipality_bfs else None
    return render_template("foerdern/offer.html", offer=offer, language=language, pick=pick, commune=commune,
                           kind=offers.shared_kind_label(row, language), audience=offers.audience(offer),
                           language_name=lambda code: content_languages.name_in(code, language),
                           publisher=db.session.get(Tenant, row.tenant_id), reach=offers.REACH_LABELS[row.reach],
                           hidden=(row.tenant_id, row.offer_id) in published.hidden_keys(),
                           today=clock.today(), may_edit=can(EDIT), confirm=ConfirmForm())


@blueprint.post("/angebote/geteilt/<int:publisher_id>/<uuid:offer_id>/<any(ausblenden, einblenden):action>",
                endpoint="shared_visibility")
@requires(EDIT)
def shared_visibility(publisher_id, offer_id, action):
    """Hide another tenant's offer from this tenant's pages, or show it again (a repeated click changes nothing)."""
    row = shared_or_404(publisher_id, offer_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Das Formular ist abgelaufen; bitte noch einmal versuchen."))
    elif action == "ausblenden":
        published.hide(row)
        db.session.commit()
        flash(_("«%(title)s» wird hier nicht mehr gezeigt.", title=pick(row.title, ui_language()).text))
    else:
        published.show(row)
        db.session.commit()
        flash(_("«%(title)s» wird hier wieder gezeigt.", title=pick(row.title, ui_language()).text))
    if request.form.get("back") == "list":
        return redirect(url_for(".offers"))
    return redirect(url_for(".shared_offer", publisher_id=publisher_id, offer_id=offer_id))


# -- the editor ------------------------------------------------------------------------------------


def _editor(form: OfferForm, offer: Offer | None):
    status = 400 if form.errors else 200
    return render_template("foerdern/offer_form.html", form=form, offer=offer, language=ui_language(),
                           pick=pick), status


@blueprint.route("/angebote/neu", methods=["GET", "POST"], endpoint="offer_new")
@requires(EDIT)
def offer_new():
    form = OfferForm(municipalities=municipalities(), tenant=g.tenant)
    if request.method == "GET":
        form.form_key.data = str(uuid.uuid4())
        return _editor(form, None)
    key = form_key(form.form_key.data)
    if key is not None and db.session.get(Offer, (g.tenant.id, key)) is not None:
        flash(_("Dieses Angebot war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".offer", offer_id=key))
    if not form.validate_on_submit():
        return _editor(form, None)
    offer = Offer(id=key or uuid.uuid4())
    offers.save(offer, form.values(), new=True, recipients=form.recipient_ids())
    db.session.commit()
    flash(_("Das Angebot ist gespeichert."))
    return redirect(url_for(".offer", offer_id=offer.id))


@blueprint.route("/angebote/<uuid:offer_id>/bearbeiten", methods=["GET", "POST"], endpoint="offer_edit")
@requires(EDIT)
def offer_edit(offer_id):
    offer = offer_or_404(offer_id)
    form = OfferForm(municipalities=municipalities(offer), tenant=g.tenant, data=None if request.method == "POST"
                     else offer_form_data(offer))
    if not form.validate_on_submit():
        return _editor(form, offer)
    changed = offers.save(offer, form.values(), new=False, recipients=form.recipient_ids())
    db.session.commit()
    flash(_("Das Angebot ist gespeichert.") if changed else _("Nichts geändert."))
    return redirect(url_for(".offer", offer_id=offer.id))


@blueprint.route("/angebote/<uuid:offer_id>/loeschen", methods=["GET", "POST"], endpoint="offer_delete")
@requires(EDIT)
def offer_delete(offer_id):
    offer = offer_or_404(offer_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        title = offer.title["de"]
        offers.delete(offer)
        db.session.commit()
        flash(_("Das Angebot «%(title)s» ist gelöscht.", title=title))
        return redirect(url_for(".offers"))
    return render_template("foerdern/offer_delete.html", offer=offer, form=form, language=ui_language(),
                           pick=pick), 400 if form.errors else 200


# -- the tenant's own kinds ----------------------------------------------------------------------


@blueprint.route("/arten", methods=["GET", "POST"], endpoint="kinds")
@requires(READ)
def kinds():
    form = KindForm()
    if request.method == "POST":
        if not can(EDIT):
            forbid(EDIT)
        if form.validate_on_submit():
            offers.add_kind(form.name.data)
            db.session.commit()
            flash(_("Die Art «%(name)s» ist gespeichert.", name=form.name.data["de"]))
            return redirect(url_for(".kinds"))
    return _kinds_page(form)


def _kinds_page(form, status: int | None = None):
    own = offers.own_kinds()
    used = {kind.id: offers.offers_of_kind(kind) for kind in own}
    return render_template("foerdern/kinds.html", form=form, own=own, used=used, builtin=offers.KIND_LABELS,
                           language=ui_language(), pick=pick, may_edit=can(EDIT),
                           delete_form=ConfirmForm()), status or (400 if form.errors else 200)


@blueprint.route("/arten/<uuid:kind_id>/bearbeiten", methods=["GET", "POST"], endpoint="kind_edit")
@requires(EDIT)
def kind_edit(kind_id):
    kind = kind_or_404(kind_id)
    form = KindForm(data=None if request.method == "POST" else {"name": kind.name})
    form.kind_id = kind.id
    if form.validate_on_submit():
        offers.rename_kind(kind, form.name.data)
        db.session.commit()
        flash(_("Die Art «%(name)s» ist gespeichert.", name=form.name.data["de"]))
        return redirect(url_for(".kinds"))
    return render_template("foerdern/kind_form.html", form=form, kind=kind), 400 if form.errors else 200


@blueprint.post("/arten/<uuid:kind_id>/loeschen", endpoint="kind_delete")
@requires(EDIT)
def kind_delete(kind_id):
    kind = kind_or_404(kind_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Das Formular ist abgelaufen; bitte noch einmal versuchen."))
        return redirect(url_for(".kinds"))
    try:
        offers.delete_kind(kind)
    except UserError as refused:
        db.session.rollback()
        flash(str(refused))
        return redirect(url_for(".kinds"))
    db.session.commit()
    flash(_("Die Art ist gelöscht."))
    return redirect(url_for(".kinds"))
