"""What the public offers page and its feeds show: the offers the tenant shows today, searched and filtered.

Read only through :func:`plugins.foerdern.published.visible` (never ``Offer``): so the canton's
offers and the regional ones shared with the tenant are there, the ones it hid and the expired
ones are not.  Each offer is its published document (stable field names) with what the page
needs beside it: who published it (when it is not the tenant itself) and its kind's key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from core import content_languages
from core.content_languages import pick
from core.db import db
from core.people.models import name_variants
from core.tenancy import Tenant, TenantKind
from plugins.foerdern import offers, published
from plugins.foerdern.models import BUILTIN_KINDS, OWN_KIND, TARGET_GROUPS

MAX_QUERY = 200
# The page's GET parameters (beside core.public's ``lang``): short, German like the page's addresses.
PARAMETERS = {"text": "q", "kind": "art", "language": "sprache", "group": "fuer", "free": "kostenlos"}


@dataclass(frozen=True)
class Filters:
    text: str = ""
    kind: str = ""  # a built-in kind, or "own:<uuid>" (a tenant's own kind)
    language: str = ""  # a language spoken in the offer
    group: str = ""  # a target group
    free: bool = False

    @classmethod
    def from_args(cls, args) -> Filters:
        """The filters of a request's arguments; whatever is not a plain text is dropped, never an error."""
        def value(name: str) -> str:
            found = args.get(PARAMETERS[name], "")
            return found.strip() if isinstance(found, str) else ""

        return cls(text=" ".join(value("text").split())[:MAX_QUERY], kind=value("kind")[:60],
                   language=value("language")[:10], group=value("group")[:20],
                   free=value("free") in ("1", "on", "ja", "true"))

    def within(self, choices: Choices) -> Filters:
        """Only the choices the page offers: an unknown kind, language or group filters nothing."""
        return Filters(self.text, self.kind if self.kind in dict(choices.kinds) else "",
                       self.language if self.language in choices.languages else "",
                       self.group if self.group in choices.groups else "", self.free)

    @property
    def active(self) -> bool:
        return bool(self.text or self.kind or self.language or self.group or self.free)

    def arguments(self) -> dict[str, str]:
        """The filters as the page's GET parameters (for the feeds' links)."""
        values = {"text": self.text, "kind": self.kind, "language": self.language, "group": self.group,
                  "free": "1" if self.free else ""}
        return {PARAMETERS[name]: text for name, text in values.items() if text}


@dataclass(frozen=True)
class Shown:
    """An offer as the page shows it: its published document, its publisher and its kind's key."""

    offer_id: uuid.UUID
    reach: str
    document: dict
    publisher: Tenant
    own: bool  # published by the tenant itself
    published_at: object = None

    @property
    def kind_key(self) -> str:
        kind = self.document["kind"]
        return f"{offers.OWN_PREFIX}{self.document['own_kind_id']}" if kind == OWN_KIND else kind

    @property
    def free(self) -> bool:
        return not self.document["cost"]["amount"]

    @property
    def starts_on(self) -> date | None:
        return _date(self.document.get("starts_on"))

    @property
    def ends_on(self) -> date | None:
        return _date(self.document.get("ends_on"))

    @property
    def audience(self) -> list[str]:
        """For whom, in words of the UI language (target groups, ages, women only, childcare)."""
        return offers.audience(_Audience(**{key: self.document.get(key) for key in _Audience.__annotations__}))

    def publisher_note(self) -> str:
        """Who offers it, where it is not the tenant itself: «Angebot des Kantons», «Regionales Angebot von …»."""
        if self.own:
            return ""
        if self.reach == published.CANTONAL or self.publisher.kind == TenantKind.CANTON:
            return _("Angebot des Kantons")
        return _("Regionales Angebot von %(publisher)s", publisher=self.publisher.name)

    def search_text(self) -> list[str]:
        """What the search reads: titles and descriptions in every language, the provider."""
        doc = self.document
        return [*doc["title"].values(), *(doc.get("description") or {}).values(), doc["provider"].get("name") or ""]


@dataclass
class _Audience:
    """The fields :func:`plugins.foerdern.offers.audience` reads, from a document."""

    target_groups: list = field(default_factory=list)
    age_min: int | None = None
    age_max: int | None = None
    women_only: bool = False
    childcare: bool = False


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Choices:
    """What the filters offer: only kinds, languages and target groups some shown offer has."""

    kinds: list[tuple[str, object]]  # (key, label: a UI text, or an own kind's {language: name})
    languages: list[str]
    groups: list[str]


# -- reading ----------------------------------------------------------------------------------------


def shown(day: date, tenant: Tenant, language: str) -> list[Shown]:
    """Every offer the tenant shows on ``day``, by title in ``language``."""
    rows = published.visible(day)
    publishers = _tenants({row.tenant_id for row in rows})
    items = [Shown(row.offer_id, row.reach, row.document, publishers[row.tenant_id], row.tenant_id == tenant.id,
                   row.published_at) for row in rows]
    return sorted(items, key=lambda item: (pick(item.document["title"], language).text.casefold(),
                                           str(item.offer_id)))


def _tenants(ids: set[int]) -> dict[int, Tenant]:
    return {tenant.id: tenant for tenant in db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids)))} \
        if ids else {}


def choices(items: list[Shown], language: str) -> Choices:
    kinds: dict[str, object] = {}
    for key in BUILTIN_KINDS:
        if any(item.kind_key == key for item in items):
            kinds[key] = offers.KIND_LABELS[key]
    own = {item.kind_key: item.document.get("kind_name") or {} for item in items if item.document["kind"] == OWN_KIND}
    for key, name in sorted(own.items(), key=lambda pair: pick(pair[1], language).text.casefold()):
        kinds[key] = name
    spoken = {code for item in items for code in item.document.get("languages") or ()}
    groups = {group for item in items for group in item.document.get("target_groups") or ()}
    return Choices(list(kinds.items()), [code for code in content_languages.CODES if code in spoken],
                   [group for group in TARGET_GROUPS if group in groups])


def matching(items: list[Shown], filters: Filters) -> list[Shown]:
    """The offers that pass every filter; the search wants each of its words somewhere, accents and script aside."""
    words = [name_variants(word) for word in filters.text.split()]
    found = []
    for item in items:
        if filters.kind and item.kind_key != filters.kind:
            continue
        if filters.language and filters.language not in (item.document.get("languages") or ()):
            continue
        if filters.group and filters.group not in (item.document.get("target_groups") or ()):
            continue
        if filters.free and not item.free:
            continue
        if words and not _contains_all(item, words):
            continue
        found.append(item)
    return found


def _contains_all(item: Shown, words: list[list[str]]) -> bool:
    haystack = name_variants(*item.search_text())
    return all(any(variant in text for variant in variants for text in haystack) for variants in words)
