"""A person's needs: categories and the kinds of offer that cover them, the current offers, recording and changing.

The callers validate (``needs_forms``); this module writes, and each change is one audited step
of the caller's transaction (ids and field names, never a note). ``current_offers`` is the one
place that says which offers the tenant's officers may refer to and count as covering a need.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.content_languages import GERMAN, pick
from core.db import db
from core.errors import UserError
from core.i18n import language as ui_language
from core.people import Person
from plugins.foerdern import published
from plugins.foerdern.models import OWN_KIND, OwnKind, PublishedOffer
from plugins.foerdern.needs_models import Need
from plugins.foerdern.offers import KIND_LABELS, shared_kind_label

READ, EDIT = "foerdern.needs.read", "foerdern.needs.edit"  # needs are personal: the officer and the administration
CATEGORY_LABELS = {
    "language": _l("Sprache"),
    "childcare": _l("Kinderbetreuung"),
    "work": _l("Arbeit"),
    "housing": _l("Wohnen"),
    "health": _l("Gesundheit"),
    "education": _l("Bildung und Schule"),
    "social": _l("Soziale Kontakte"),
    "other": _l("Anderes"),
}
LEVEL_LABELS = {"alpha": _l("Alphabetisierung"), "A1": "A1", "A2": "A2", "B1": "B1", "B2": "B2", "C1": "C1",
                "C2": "C2"}
SOURCE_LABELS = {"direct": _l("direkt erfasst"), "interview": _l("aus dem Erstinformationsgespräch")}
STATE_LABELS = {"open": _l("offen"), "met": _l("erfüllt"), "withdrawn": _l("zurückgezogen")}
# The kinds of offer that can cover a need of each category (the tenant's own kinds count as "other").
CATEGORY_KINDS = {
    "language": ("language_course",),
    "childcare": ("childcare", "parents_group"),
    "work": ("work", "counselling"),
    "housing": ("counselling",),
    "health": ("health", "counselling"),
    "education": ("counselling", "parents_group"),
    "social": ("club", "parents_group"),
    "other": ("other", OWN_KIND, "counselling"),
}


# -- the current offers --------------------------------------------------------------------------


def current_offers(day: date) -> list[PublishedOffer]:
    """The offers current in this tenant on ``day`` (its own, regional, cantonal; not hidden): the one access
    to them for needs and referrals."""
    return published.visible(day)


def find_offer(key: str, day: date):
    """The current offer a form names (``<tenant id>:<offer id>``), or None."""
    return next((offer for offer in current_offers(day) if offer.key == key), None)


def offer_choices(day: date) -> list[tuple[str, str]]:
    """The current offers as choices for other modules (hook ``offer_choices``): key and label in the UI language."""
    return [(offer.key, offer_label(offer, ui_language())) for offer in current_offers(day)]


def kind_name(kind: str, language: str, own_kind_id: uuid.UUID | None = None, tenant_id: int | None = None) -> str:
    """A kind of offer in words; another tenant's own kind is not readable here: "eigene Art"."""
    if kind != OWN_KIND:
        return str(KIND_LABELS.get(kind, kind))
    own = db.session.get(OwnKind, (tenant_id, own_kind_id)) if own_kind_id and tenant_id else None
    return pick(own.name, language).text if own is not None else _("eigene Art")


def offer_label(offer: PublishedOffer, language: str) -> str:
    """A current offer as a choice: its title in ``language`` (else German) and its kind."""
    return f"{pick(offer.title, language).text} ({shared_kind_label(offer, language)})"


def offer_languages(offer) -> list[str]:
    """The languages an offer is held in; one that names none is held in German."""
    return list(offer.languages or ()) or [GERMAN]


def covers(offer, category: str, person_languages: list[str]) -> bool:
    """Whether ``offer`` covers a need of ``category`` of a person who speaks ``person_languages``.

    Its kind must fit the category and it must be held in one of the person's languages. A language
    course is the exception: it teaches the language it is held in, to those who do not speak it
    yet. A person whose languages are unknown is covered by an offer in any language.
    """
    if offer.kind not in CATEGORY_KINDS[category]:
        return False
    if category == "language" or not person_languages:
        return True
    return bool(set(offer_languages(offer)) & set(person_languages))


# -- the person; reading -------------------------------------------------------------------------


def person_or_404(person_id: uuid.UUID) -> Person:
    """The current tenant's person, for a page (another tenant's is not found: 404)."""
    return db.get_or_404(Person, (g.tenant.id, person_id))


def refuse_if_anonymised(person: Person) -> None:
    """An anonymised person's records stay for the figures; nothing is added or changed any more."""
    if person.anonymised_on is not None:
        raise UserError(_("Diese Person ist anonymisiert; ihre Angaben werden nicht mehr geändert."))


def needs_of(person_id: uuid.UUID) -> list[Need]:
    """The person's needs, the open ones first, then the newest."""
    found = db.session.scalars(sa.select(Need).where(Need.person_id == person_id)
                               .order_by(Need.state_on.desc(), Need.created_at.desc())).all()
    return sorted(found, key=lambda need: need.state != "open")


def need_label(need: Need) -> str:
    label = str(CATEGORY_LABELS[need.category])
    return f"{label} ({LEVEL_LABELS[need.level]})" if need.level else label


# -- changes -----------------------------------------------------------------------------------------


def add(person: Person, category: str, level: str | None, note: str, on: date, *, need_id: uuid.UUID | None = None,
        interview_id: uuid.UUID | None = None, line: int | None = None, suggested: list | None = None) -> Need:
    """Record a need of ``person``, open from ``on`` (from an interview's hand-over when ``interview_id``)."""
    actor = audit.current_actor()
    need = Need(id=need_id or uuid.uuid4(), person_id=person.id, category=category, level=level, note=note or "",
                suggested=list(suggested or ()), source="interview" if interview_id else "direct",
                interview_id=interview_id, interview_line=line, state="open", state_on=on, state_by=actor,
                created_by=actor)
    db.session.add(need)
    audit.record("foerdern.need.create", object_type="foerdern_need", object_id=need.id,
                 detail={"person_id": str(person.id), "source": need.source})
    return need


def update(need: Need, category: str, level: str | None, note: str) -> list[str]:
    """Change what the need is; returns the names of the fields changed (audited, not their values)."""
    values = {"category": category, "level": level if category == "language" else None, "note": note or ""}
    changed = sorted(name for name, value in values.items() if getattr(need, name) != value)
    for name in changed:
        setattr(need, name, values[name])
    if changed:
        audit.record("foerdern.need.update", object_type="foerdern_need", object_id=need.id,
                     detail={"person_id": str(need.person_id), "fields": changed})
    return changed


def set_state(need: Need, state: str, on: date) -> bool:
    """Mark the need open, met or withdrawn as of ``on``; False when it is in that state already."""
    if need.state == state:
        return False
    previous = need.state
    need.state, need.state_on, need.state_by = state, on, audit.current_actor()
    audit.record("foerdern.need.state", object_type="foerdern_need", object_id=need.id,
                 detail={"person_id": str(need.person_id), "from": previous, "to": state, "on": on.isoformat()})
    return True
