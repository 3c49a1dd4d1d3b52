"""The public offers page and its feeds, without login: ``/<tenant>/angebote`` (``.ics``, ``.json``).

Core mounts them at the manifest's ``public_url_prefix`` (right below the tenant), answers 404
where Fördern is not active, negotiates the language (``?lang=``) and makes every response the
same for everybody and cacheable (:mod:`core.public`).  The offers are read through
:mod:`plugins.foerdern.public_offers` alone, so they are the tenant's own, the regional ones
shared with it and the canton's.

The links printed on the newcomers' letters (the ``letter_links`` hook) point here too.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from core import clock, content_languages
from core.content_languages import GERMAN
from core.documents.letter import LetterLink
from core.public import external_url, public_page
from core.tenancy import Tenant
from plugins.foerdern import offers, public_feeds, public_offers

public = Blueprint("foerdern_public", __name__, template_folder="templates")


class Listing(NamedTuple):
    language: str  # the page's content language
    items: list[public_offers.Shown]  # every offer shown today
    choices: public_offers.Choices
    filters: public_offers.Filters  # the request's
    found: list[public_offers.Shown]  # the offers that pass them


def _listing() -> Listing:
    language = g.public_language.content.code
    items = public_offers.shown(clock.today(), g.tenant, language)
    choices = public_offers.choices(items, language)
    filters = public_offers.Filters.from_args(request.args).within(choices)
    return Listing(language, items, choices, filters, public_offers.matching(items, filters))


@public.get("/angebote", endpoint="offers")
@public_page
def offers_page():
    listing = _listing()
    return render_template("foerdern/public/offers.html", **listing._asdict(), parameters=public_offers.PARAMETERS,
                           kind_labels=offers.KIND_LABELS, group_labels=offers.TARGET_GROUP_LABELS)


@public.get("/angebote.ics", endpoint="calendar")
@public_page
def calendar():
    listing = _listing()
    page = url_for(".offers", lang=listing.language, _external=True)
    body = public_feeds.calendar(listing.found, listing.language, host=urlsplit(page).hostname or "localhost",
                                 name=_("Integrationsangebote – %(tenant)s", tenant=g.tenant.name), page_url=page)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="angebote-{g.tenant.slug}-{listing.language}.ics"'})


@public.get("/angebote.json", endpoint="feed")
@public_page
def feed():
    listing = _listing()
    page = url_for(".offers", lang=listing.language, _external=True)
    document = public_feeds.feed(listing.found, listing.language, tenant=g.tenant, page_url=page,
                                 filters=listing.filters.arguments(),
                                 offered=[language.code for language in g.public_language.offered])
    return current_app.json.response(document)


# -- the letters' link (hook letter_links) ------------------------------------------------------------


def letter_links(tenant: Tenant, language: str) -> list[LetterLink]:
    """This page in the letter's language where the tenant offers it (else the browser chooses), with a QR code."""
    values = {"lang": language} if language in content_languages.offered(tenant) else {}
    url = external_url("foerdern_public.offers", tenant=tenant.slug, **values)
    if url is None:  # outside a request and no SERVER_NAME: no address to print
        return []
    # The label in the letter's language where the UI has it; else German, like the page's own words.
    with force_locale(language if language in current_app.config["LANGUAGES"] else GERMAN):
        label = _("Integrationsangebote in Ihrer Nähe")
    return [LetterLink(label=label, url=url, qr=True)]
