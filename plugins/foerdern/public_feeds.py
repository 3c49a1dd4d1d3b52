"""The public page's feeds: an iCalendar file of the dated offers and a JSON document of every offer.

Both take the offers the page shows (:mod:`plugins.foerdern.public_offers`), in one content
language: each text is in that language where it is translated, else in German, and says which.
The JSON's field names are stable (documented in docs/foerdern.md); they are the published
document's (:func:`plugins.foerdern.published.document`), with each translated text replaced by
``{"text", "language", "fallback"}``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from flask_babel import gettext as _

from core.content_languages import GERMAN, pick
from core.money import format_chf
from core.tenancy import Tenant
from plugins.foerdern import offers
from plugins.foerdern.public_offers import Shown

FEED_VERSION = 1
PRODUCT = "-//start.integration//Foerdern offers//DE"
TRANSLATED = ("title", "description", "schedule", "kind_name")


def _text(translations: dict | None, language: str) -> dict | None:
    if not translations:
        return None
    picked = pick(translations, language)
    return {"text": picked.text, "language": picked.language, "fallback": picked.is_fallback}


# -- JSON ------------------------------------------------------------------------------------------


def offer_json(item: Shown, language: str) -> dict:
    """One offer: the published document, its texts picked for ``language``, and who publishes it."""
    doc = dict(item.document)
    for name in TRANSLATED:
        doc[name] = _text(doc.get(name), language)
    doc["cost"] = {**doc["cost"], "free": item.free,
                   "reduction_conditions": _text(doc["cost"].get("reduction_conditions"), language)}
    doc["publisher"] = {"slug": item.publisher.slug, "name": item.publisher.name}
    return doc


def feed(items: list[Shown], language: str, *, tenant: Tenant, page_url: str, filters: dict,
         offered: list[str]) -> dict:
    return {
        "version": FEED_VERSION,
        "tenant": {"slug": tenant.slug, "name": tenant.name},
        "language": language,
        "languages": offered,
        "page": page_url,
        "filters": filters,
        "offers": [offer_json(item, language) for item in items],
    }


# -- iCalendar -------------------------------------------------------------------------------------


def calendar(items: list[Shown], language: str, *, host: str, name: str, page_url: str) -> bytes:
    """An RFC 5545 calendar: one all-day event per dated offer, from its first to its last day."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for item in items:
        if item.document["timing"] == "dates" and item.starts_on:
            cal.add_component(_event(item, language, host, page_url))
    return cal.to_ical()


def _event(item: Shown, language: str, host: str, page_url: str) -> icalendar.Event:
    doc = item.document
    event = icalendar.Event()
    event.add("uid", f"{item.offer_id}@{host}")
    stamp = item.published_at or datetime.now(UTC)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("last-modified", stamp.astimezone(UTC))
    event.add("dtstart", item.starts_on)
    event.add("dtend", (item.ends_on or item.starts_on) + timedelta(days=1))  # the end of an all-day event is exclusive
    _add_text(event, "summary", doc["title"], language)
    texts_language = pick(doc["description"], language).language if doc.get("description") else language
    event.add("description", _description(item, language), parameters=_language(texts_language))
    place = ", ".join(part for part in (doc["place"].get("address"), doc["place"].get("municipality")) if part)
    if doc["place"].get("online"):
        place = ", ".join(filter(None, (place, _("online"))))
    if place:
        event.add("location", place)
    event.add("categories", [_kind(item, language)])
    event.add("url", doc["registration"].get("url") or f"{page_url}#angebot-{item.offer_id}")
    event.add("transp", "TRANSPARENT")  # an offer does not make anyone busy
    return event


def _language(code: str) -> dict:
    return {"LANGUAGE": code}


def _add_text(event, name: str, translations: dict, language: str) -> None:
    picked = pick(translations, language)
    event.add(name, picked.text, parameters=_language(picked.language))


def _kind(item: Shown, language: str) -> str:
    if item.document["kind"] in offers.KIND_LABELS:
        return str(offers.KIND_LABELS[item.document["kind"]])
    return pick(item.document.get("kind_name"), language).text


def _description(item: Shown, language: str) -> str:
    """The description, then the facts a calendar has no field for: schedule, for whom, cost, registration."""
    doc, lines = item.document, []
    if doc.get("description"):
        lines += [pick(doc["description"], language).text, ""]
    if doc.get("schedule"):
        lines.append(pick(doc["schedule"], language).text)
    if item.audience:
        lines.append(f"{_('Für wen')}: {', '.join(item.audience)}")
    lines.append(f"{_('Kosten')}: {_cost(item, language)}")
    provider = doc["provider"]
    if provider.get("name") or provider.get("contact"):
        lines.append(f"{_('Anbieter')}: {', '.join(filter(None, (provider.get('name'), provider.get('contact'))))}")
    registration = doc["registration"]
    if registration.get("url") or registration.get("contact"):
        parts = filter(None, (registration.get("url"), registration.get("contact")))
        lines.append(f"{_('Anmeldung')}: {', '.join(parts)}")
    if item.publisher_note():
        lines.append(item.publisher_note())
    if language != GERMAN and pick(doc["title"], language).is_fallback:
        lines.append(_("Auf Deutsch, noch nicht übersetzt."))
    return "\n".join(lines).strip()


def _cost(item: Shown, language: str) -> str:
    cost = item.document["cost"]
    text = _("kostenlos") if item.free else format_chf(cost["amount"])
    if cost.get("reduced") is not None:
        conditions = pick(cost.get("reduction_conditions"), language).text
        text += "; " + _("reduziert %(amount)s", amount=format_chf(cost["reduced"]))
        text += f" ({conditions})" if conditions else ""
    return text
