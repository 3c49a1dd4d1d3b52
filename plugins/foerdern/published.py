"""The published projection: each offer as the public page and the other tenants read it.

Saving an offer writes its document here in the same transaction (:func:`publish`); deleting it
withdraws it.  What a tenant shows (:func:`visible`) is its own offers, the regional ones shared
with it and the canton's, less those it hid: all read from :class:`PublishedOffer`, which is the
one read path between tenants.  The document has stable field names (the JSON feed's).
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from core import audit, i18n
from core.content_languages import GERMAN
from core.db import current_scope, db
from core.tenancy import Municipality, Tenant, TenantKind
from plugins.foerdern.models import HiddenOffer, Offer, OfferRecipient, OwnKind, PublishedOffer

OWN, REGIONAL, CANTONAL = "own", "regional", "cantonal"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def document(offer: Offer) -> dict:
    """What the public sees of ``offer``, every text in all its languages (the JSON feed's fields)."""
    own_kind = db.session.get(OwnKind, (offer.tenant_id, offer.own_kind_id)) if offer.own_kind_id else None
    commune = db.session.get(Municipality, offer.municipality_bfs) if offer.municipality_bfs else None
    return {
        "id": str(offer.id),
        "reach": offer.reach,
        "kind": offer.kind,
        "own_kind_id": str(offer.own_kind_id) if offer.own_kind_id else None,
        "kind_name": dict(own_kind.name) if own_kind else None,
        "title": dict(offer.title),
        "description": dict(offer.description) if offer.description else None,
        "provider": {"name": offer.provider_name, "contact": offer.provider_contact},
        "place": {"address": offer.address, "municipality_bfs": offer.municipality_bfs,
                  "municipality": commune.name if commune else None, "online": offer.online},
        "timing": offer.timing,
        "starts_on": _day(offer.starts_on),
        "ends_on": _day(offer.ends_on),
        "schedule": dict(offer.schedule) if offer.schedule else None,
        "languages": list(offer.languages or ()),
        "target_groups": list(offer.target_groups or ()),
        "age_min": offer.age_min,
        "age_max": offer.age_max,
        "women_only": offer.women_only,
        "childcare": offer.childcare,
        "cost": {"amount": offer.cost, "reduced": offer.reduced_cost,
                 "reduction_conditions": dict(offer.reduction_conditions) if offer.reduction_conditions else None},
        "registration": {"url": offer.registration_url, "contact": offer.registration_contact},
        "valid_from": _day(offer.valid_from),
        "valid_until": _day(offer.valid_until),
        "created_on": _day(offer.created_at.date() if offer.created_at else None),
    }


def runs_in(row: PublishedOffer, start: date, end: date) -> bool:
    """Whether the offer ran at some time from ``start`` to ``end``: made by then, begun, not yet over."""
    doc = row.document
    dated = doc["timing"] == "dates"
    first = [date.fromisoformat(doc[key]) for key in ("created_on", "valid_from", "starts_on" if dated else "")
             if doc.get(key)]
    last = [date.fromisoformat(doc[key]) for key in ("valid_until", "ends_on" if dated else "") if doc.get(key)]
    return (not first or max(first) <= end) and (not last or min(last) >= start)


def _last_day(offer: Offer) -> date | None:
    """The last day the offer is shown: the earlier of its validity's end and a dated offer's end."""
    ends = [d for d in (offer.valid_until, offer.ends_on if offer.timing == "dates" else None) if d]
    return min(ends) if ends else None


# -- writing: with the offer, in its tenant's scope ----------------------------------------------------


def recipients_of(offer: Offer) -> list[int]:
    """The tenants a regional offer is shared with."""
    return sorted(db.session.scalars(sa.select(OfferRecipient.recipient_tenant_id).where(
        OfferRecipient.tenant_id == offer.tenant_id, OfferRecipient.offer_id == offer.id)))


def publish(offer: Offer, recipients: list[int] = ()) -> None:
    """Write the offer's document (after a change) and, for a regional offer, the tenants it is shared with."""
    db.session.flush()  # the offer's row first: the projection references it
    values = {"reach": offer.reach, "kind": offer.kind, "document": document(offer), "first_day": offer.valid_from,
              "last_day": _last_day(offer)}
    row = db.session.get(PublishedOffer, (offer.tenant_id, offer.id))
    if row is None:
        db.session.add(PublishedOffer(offer_id=offer.id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    _share(offer, set(recipients) if offer.reach == REGIONAL else set())


def _share(offer: Offer, wanted: set[int]) -> None:
    present = set(recipients_of(offer))
    for tenant_id in present - wanted:
        db.session.delete(db.session.get(OfferRecipient, (offer.tenant_id, offer.id, tenant_id)))
    for tenant_id in sorted(wanted - present):
        db.session.add(OfferRecipient(offer_id=offer.id, recipient_tenant_id=tenant_id))
    if wanted != present:
        audit.record("foerdern.offer.share", object_type="foerdern_offer", object_id=offer.id,
                     detail={"recipients": sorted(wanted)})


def withdraw(offer: Offer) -> None:
    """Before the offer is deleted: no tenant and no public page shows it any more."""
    _share(offer, set())
    row = db.session.get(PublishedOffer, (offer.tenant_id, offer.id))
    if row is not None:
        db.session.delete(row)
    db.session.flush()


def republish(offers) -> None:
    """Write the documents of ``offers`` again (an own kind was renamed: the documents carry its name)."""
    for offer in offers:
        publish(offer, recipients_of(offer))


# -- reading: what a tenant shows -----------------------------------------------------------------------


def hidden_keys() -> set[tuple[int, uuid.UUID]]:
    """(publisher tenant id, offer id) of the other tenants' offers this tenant hid."""
    return {tuple(row) for row in db.session.execute(sa.select(HiddenOffer.publisher_tenant_id, HiddenOffer.offer_id))}


def visible(day: date, *, with_hidden: bool = False) -> list[PublishedOffer]:
    """The offers this tenant shows on ``day``: its own, the regional ones shared with it, the canton's.

    Sorted by German title.  ``with_hidden`` keeps those it hid (for the staff's list, which says so).
    """
    rows = db.session.scalars(sa.select(PublishedOffer).where(PublishedOffer.current_clause(day))).all()
    if not with_hidden:
        hidden = hidden_keys()
        rows = [row for row in rows if (row.tenant_id, row.offer_id) not in hidden]
    return sorted(rows, key=lambda row: row.title.get(GERMAN, "").casefold())


def every_offer() -> list[PublishedOffer]:
    """Every offer this tenant may read, whether current or not, hidden or not (for its own staff and API)."""
    return sorted(db.session.scalars(sa.select(PublishedOffer)), key=lambda row: row.title.get(GERMAN, "").casefold())


def publishers(rows) -> dict[int, Tenant]:
    """The tenants that published ``rows``, by id."""
    ids = {row.tenant_id for row in rows}
    return {t.id: t for t in db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids)))} if ids else {}


def shared(day: date | None = None) -> list[PublishedOffer]:
    """The other tenants' offers this tenant may show (current on ``day``, or all), hidden ones included."""
    query = sa.select(PublishedOffer).where(PublishedOffer.tenant_id != current_scope().tenant_id)
    if day is not None:
        query = query.where(PublishedOffer.current_clause(day))
    return sorted(db.session.scalars(query), key=lambda row: row.title.get(GERMAN, "").casefold())


def shared_offer(publisher_id: int, offer_id: uuid.UUID) -> PublishedOffer | None:
    """Another tenant's offer as this tenant may read it; None where it is not shared with it."""
    if publisher_id == current_scope().tenant_id:
        return None
    return db.session.get(PublishedOffer, (publisher_id, offer_id))


def hide(row: PublishedOffer) -> bool:
    """Stop showing another tenant's offer here; False if it was hidden already."""
    if db.session.get(HiddenOffer, (current_scope().tenant_id, row.tenant_id, row.offer_id)) is not None:
        return False
    db.session.add(HiddenOffer(publisher_tenant_id=row.tenant_id, offer_id=row.offer_id,
                               hidden_by=audit.current_actor()))
    audit.record("foerdern.offer.hide", object_type="foerdern_offer", object_id=row.offer_id,
                 detail={"publisher": row.tenant_id, "title": row.title.get(GERMAN)})
    return True


def show(row: PublishedOffer) -> bool:
    """Show another tenant's hidden offer here again; False if it was not hidden."""
    hidden = db.session.get(HiddenOffer, (current_scope().tenant_id, row.tenant_id, row.offer_id))
    if hidden is None:
        return False
    db.session.delete(hidden)
    audit.record("foerdern.offer.show", object_type="foerdern_offer", object_id=row.offer_id,
                 detail={"publisher": row.tenant_id, "title": row.title.get(GERMAN)})
    return True


def as_offer(row: PublishedOffer) -> Offer:
    """Another tenant's published offer as a transient :class:`Offer` (never added to the session), so the
    staff's pages and their helpers show it like an own one."""
    doc = row.document

    def day(key):
        return date.fromisoformat(doc[key]) if doc.get(key) else None

    return Offer(
        id=row.offer_id, tenant_id=row.tenant_id, reach=row.reach, kind=doc["kind"], own_kind_id=row.own_kind_id,
        title=doc["title"], description=doc.get("description"), provider_name=doc["provider"]["name"],
        provider_contact=doc["provider"]["contact"], address=doc["place"]["address"],
        municipality_bfs=doc["place"]["municipality_bfs"], online=doc["place"]["online"], timing=doc["timing"],
        starts_on=day("starts_on"), ends_on=day("ends_on"), schedule=doc.get("schedule"), languages=doc["languages"],
        target_groups=doc["target_groups"], age_min=doc["age_min"], age_max=doc["age_max"],
        women_only=doc["women_only"], childcare=doc["childcare"], cost=doc["cost"]["amount"],
        reduced_cost=doc["cost"]["reduced"], reduction_conditions=doc["cost"]["reduction_conditions"],
        registration_url=doc["registration"]["url"], registration_contact=doc["registration"]["contact"],
        valid_from=day("valid_from"), valid_until=day("valid_until"), updated_at=row.published_at,
    )


def reach_choices(tenant: Tenant) -> tuple[str, ...]:
    """The reaches a tenant may give its offers: the canton publishes to every tenant, the others own or regional."""
    return (CANTONAL,) if tenant.kind == TenantKind.CANTON else (OWN, REGIONAL)


def neighbours(tenant: Tenant) -> list[Tenant]:
    """The tenants a regional offer may be shared with: every active commune and regional group but itself."""
    return i18n.sorted_by_name(db.session.scalars(sa.select(Tenant).where(
        Tenant.id != tenant.id, Tenant.kind != TenantKind.CANTON, Tenant.state == "active")), lambda t: t.name)
