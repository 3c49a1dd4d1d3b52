"""The offers and the tenant's own kinds: labels, the list's query, saving and deleting (audited).

The callers validate (``forms``); this module writes, and each change is one audited step of the
caller's transaction: the caller commits once, so an offer is never saved half.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.content_languages import GERMAN, pick
from core.db import db
from core.errors import UserError
from plugins.foerdern import published
from plugins.foerdern.models import OWN_KIND, Offer, OwnKind

KIND_LABELS = {
    "language_course": _l("Sprachkurs"),
    "childcare": _l("Kinderbetreuung"),
    "parents_group": _l("Elterngruppe"),
    "club": _l("Verein"),
    "counselling": _l("Beratung"),
    "work": _l("Arbeit"),
    "health": _l("Gesundheit"),
    "other": _l("Anderes"),
}
TARGET_GROUP_LABELS = {
    "children": _l("Kinder"),
    "youth": _l("Jugendliche"),
    "adults": _l("Erwachsene"),
    "parents": _l("Eltern"),
    "families": _l("Familien"),
    "seniors": _l("Seniorinnen und Senioren"),
}
TIMING_LABELS = {
    "dates": _l("von – bis (Daten)"),
    "recurring": _l("regelmässig (Zeitplan)"),
    "ongoing": _l("laufend"),
}
REACH_LABELS = {
    "own": _l("nur hier"),
    "regional": _l("regional: auch bei den gewählten Gemeinden und Regionen"),
    "cantonal": _l("kantonal: in allen Gemeinden und Regionen mit «Fördern»"),
}
CURRENT, EXPIRED, ALL = "aktuell", "abgelaufen", "alle"  # the list's filter by validity, in its URLs
OWN_PREFIX = "own:"  # a kind choice naming one of the tenant's own kinds: "own:<uuid>"


# -- kinds ---------------------------------------------------------------------------------------


def own_kinds() -> list[OwnKind]:
    return sorted(db.session.scalars(sa.select(OwnKind)), key=lambda kind: kind.name[GERMAN].casefold())


def kind_choices(language: str) -> list[tuple[str, str]]:
    """Every kind a tenant may choose: the built-in ones, then its own (``own:<id>``), by name in ``language``."""
    own = [(f"{OWN_PREFIX}{kind.id}", pick(kind.name, language).text) for kind in own_kinds()]
    return [*((key, str(label)) for key, label in KIND_LABELS.items()), *own]


def kind_value(offer: Offer) -> str:
    """The offer's kind as a choice of :func:`kind_choices`."""
    return f"{OWN_PREFIX}{offer.own_kind_id}" if offer.kind == OWN_KIND else offer.kind


def split_kind(value: str) -> tuple[str, uuid.UUID | None]:
    """``(kind, own_kind_id)`` of a choice; a UserError for a kind the tenant does not have."""
    if value in KIND_LABELS:
        return value, None
    if value.startswith(OWN_PREFIX):
        try:
            kind_id = uuid.UUID(value.removeprefix(OWN_PREFIX))
        except ValueError:
            kind_id = None
        if kind_id is not None and db.session.get(OwnKind, (g.tenant.id, kind_id)) is not None:
            return OWN_KIND, kind_id
    raise UserError(_("Diese Art von Angebot gibt es nicht; bitte eine der Liste wählen."))


def kind_label(offer: Offer, language: str, own: dict[uuid.UUID, OwnKind] | None = None) -> str:
    if offer.kind != OWN_KIND:
        return str(KIND_LABELS[offer.kind])
    kind = (own or {}).get(offer.own_kind_id) or db.session.get(OwnKind, (offer.tenant_id, offer.own_kind_id))
    return pick(kind.name, language).text


def shared_kind_label(row, language: str) -> str:
    """The kind of another tenant's published offer: a built-in one's label, else the name it published."""
    if row.kind != OWN_KIND:
        return str(KIND_LABELS[row.kind])
    return pick(row.document.get("kind_name"), language).text


def add_kind(name: dict) -> OwnKind:
    kind = OwnKind(id=uuid.uuid4(), name=name)
    db.session.add(kind)
    audit.record("foerdern.kind.create", object_type="foerdern_kind", object_id=kind.id,
                 detail={"name": name[GERMAN]})
    return kind


def rename_kind(kind: OwnKind, name: dict) -> None:
    kind.name = name
    audit.record("foerdern.kind.update", object_type="foerdern_kind", object_id=kind.id,
                 detail={"name": name[GERMAN]})
    published.republish(db.session.scalars(sa.select(Offer).where(Offer.own_kind_id == kind.id)).all())


def offers_of_kind(kind: OwnKind) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Offer).where(Offer.own_kind_id == kind.id))


def delete_kind(kind: OwnKind) -> None:
    """Delete an own kind no offer uses (a UserError saying how many do)."""
    used = offers_of_kind(kind)
    if used:
        raise UserError(_("Diese Art wird von %(count)s Angeboten verwendet; bitte diesen zuerst eine andere Art "
                          "geben.", count=used))
    db.session.delete(kind)
    audit.record("foerdern.kind.delete", object_type="foerdern_kind", object_id=kind.id,
                 detail={"name": kind.name[GERMAN]})


# -- offers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    text: str = ""
    kind: str = ""  # a choice of kind_choices, or "" for every kind
    validity: str = CURRENT


def listing(filters: Filters, today: date) -> list[Offer]:
    """The tenant's offers matching ``filters``, by German title."""
    query = sa.select(Offer)
    if filters.validity == CURRENT:
        query = query.where(~Offer.expired_clause(today))
    elif filters.validity == EXPIRED:
        query = query.where(Offer.expired_clause(today))
    if filters.kind:
        try:
            kind, own_kind_id = split_kind(filters.kind)
        except UserError:
            return []
        query = query.where(Offer.kind == kind)
        if own_kind_id:
            query = query.where(Offer.own_kind_id == own_kind_id)
    offers = db.session.scalars(query).all()
    if filters.text:
        offers = [offer for offer in offers if _matches(offer, filters.text)]
    return sorted(offers, key=lambda offer: offer.title[GERMAN].casefold())


def counts(today: date) -> dict[str, int]:
    """The tenant's offers: how many are current, how many expired."""
    expired = Offer.expired_clause(today)
    current_count, expired_count = db.session.execute(sa.select(
        sa.func.count().filter(~expired), sa.func.count().filter(expired)).select_from(Offer)).one()
    return {CURRENT: current_count, EXPIRED: expired_count}


def _matches(offer: Offer, text: str) -> bool:
    """The search looks at the titles and descriptions in every language and at the provider."""
    needle = text.casefold()
    haystack = [*offer.title.values(), *(offer.description or {}).values(), offer.provider_name or ""]
    return any(needle in value.casefold() for value in haystack)


def audience(offer: Offer) -> list[str]:
    """For whom the offer is, in words: target groups, age range, women only, childcare."""
    words = [str(TARGET_GROUP_LABELS[key]) for key in offer.target_groups if key in TARGET_GROUP_LABELS]
    if offer.age_min is not None and offer.age_max is not None:
        words.append(_("%(min)s bis %(max)s Jahre", min=offer.age_min, max=offer.age_max))
    elif offer.age_min is not None:
        words.append(_("ab %(min)s Jahren", min=offer.age_min))
    elif offer.age_max is not None:
        words.append(_("bis %(max)s Jahre", max=offer.age_max))
    if offer.women_only:
        words.append(_("nur für Frauen"))
    if offer.childcare:
        words.append(_("mit Kinderbetreuung"))
    return words


def save(offer: Offer, values: dict, *, new: bool, recipients: list[int] = ()) -> list[str]:
    """Write ``values`` (validated) into ``offer``, add it when ``new``, publish it (shared with ``recipients``
    if regional); audited with the changed fields' names."""
    changed = sorted(name for name, value in values.items() if new or getattr(offer, name) != value)
    if not new and values.get("reach") == published.REGIONAL and sorted(recipients) != published.recipients_of(offer):
        changed.append("recipients")
    for name, value in values.items():
        setattr(offer, name, value)
    offer.updated_by = audit.current_actor()
    if new:
        db.session.add(offer)
    # Field names and the German title only: the values are on the offer.
    audit.record("foerdern.offer.create" if new else "foerdern.offer.update", object_type="foerdern_offer",
                 object_id=offer.id, detail={"title": offer.title[GERMAN], "fields": changed})
    published.publish(offer, recipients)
    return changed


def delete(offer: Offer) -> None:
    published.withdraw(offer)
    db.session.delete(offer)
    audit.record("foerdern.offer.delete", object_type="foerdern_offer", object_id=offer.id,
                 detail={"title": offer.title[GERMAN]})
