"""Public pages: a module's pages that need no login (Fördern's offers page), for newcomers.

A module puts them in its manifest's ``public_blueprint``, mounted like its blueprint at
``/<tenant><url_prefix>`` and answering 404 where the module is not active; each view is
marked :func:`public_page` (start-up refuses an unmarked one, and one that answers more than
GET).  Such a page:

- looks the same for everybody: it neither reads nor writes the session, so a logged-in user
  is not recognised there (no staff menu) and no response carries a ``Set-Cookie``;
- is cacheable: ``Cache-Control: public, max-age=PUBLIC_CACHE_SECONDS``, an ETag, and
  ``Vary: Accept-Language`` where the browser's languages chose anything;
- is in the content language of ``?lang=xx`` when the tenant offers it, else the best of the
  browser's languages among the tenant's, else German.  Its own words (headings) are in the
  UI language: the content language if it is one of the UI's, else the browser's, else German.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask_babel
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

from core import content_languages
from core.access import public
from core.content_languages import GERMAN, ContentLanguage, Picked
from core.plugins import PluginError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def public_page(view):
    """Declare a view a public page: no login, no session, cacheable (GET only)."""
    view = public(view)
    view.public_page = True
    return view


def is_public_page(endpoint: str | None = None) -> bool:
    """Whether the current request (or ``endpoint``) is a public page."""
    if endpoint is None:
        if not has_request_context():
            return False
        endpoint = request.endpoint
    return getattr(current_app.view_functions.get(endpoint or ""), "public_page", False)


# -- language ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLanguage:
    content: ContentLanguage  # the language of the page's content
    ui: str  # the language of its own words (one of config LANGUAGES)
    offered: tuple[ContentLanguage, ...]  # the tenant's content languages
    from_header: bool  # whether Accept-Language decided anything (then: Vary)


def best_match(codes) -> str | None:
    """The browser's most wanted language among ``codes``; ``ti-ER`` counts as ``ti`` at its own rank.

    (Werkzeug's best_match would prefer a lesser exact match: ``en`` in ``ti-ER, en;q=0.5``.)
    """
    for value, quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        for candidate in (tag, tag.split("-")[0]):
            if quality > 0 and candidate in codes:
                return candidate
    return None


def negotiate(offered: list[str]) -> PageLanguage:
    """The page's languages from ``?lang=``, else Accept-Language, else German."""
    content = request.args.get("lang", "")
    from_header = content not in offered
    if from_header:
        content = best_match(offered) or GERMAN
    ui_languages = current_app.config["LANGUAGES"]
    ui = content
    if ui not in ui_languages:
        ui = best_match(ui_languages) or ui_languages[0]
        from_header = True
    return PageLanguage(
        content_languages.language(content), ui, tuple(content_languages.language(c) for c in offered), from_header
    )


def _prepare() -> None:
    if not is_public_page():
        return
    tenant = g.get("tenant")
    g.public_language = negotiate(content_languages.offered(tenant) if tenant else [GERMAN])
    flask_babel.refresh()  # in case anything asked for the locale before the page's language was known


# -- caching and the session ----------------------------------------------------------------


def _cache_headers(response):
    if not is_public_page():
        return response
    page = g.get("public_language")
    if page is not None:
        response.headers["Content-Language"] = page.content.code
        if page.from_header:
            response.vary.add("Accept-Language")
    if response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["PUBLIC_CACHE_SECONDS"]
        response.add_etag()
        response.make_conditional(request)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a public page never saves it.

    Not even a logged-in user's cookie is refreshed there: a response that a shared cache may
    keep must never carry anybody's session.
    """

    def save_session(self, app, session, response) -> None:
        if is_public_page():
            if session.modified:
                raise RuntimeError("a public page must not change the session")
            return
        super().save_session(app, session, response)


# -- templates ------------------------------------------------------------------------------


def _page_code() -> str:
    page = g.get("public_language")
    if page is not None:
        return page.content.code
    from core.i18n import language

    return language()


def lang_attrs(code: str) -> Markup:
    """`` lang=".." dir=".."`` for a block in ``code`` inside a page in another language, else nothing."""
    page = _page_code()
    if code == page:
        return Markup("")
    attrs = Markup(' lang="{}"').format(code)
    if content_languages.direction(code) != content_languages.direction(page):
        attrs += Markup(' dir="{}"').format(content_languages.direction(code))
    return attrs


def ui_attrs() -> Markup:
    """``lang``/``dir`` for the page's own words (a heading) where they are not in its content language.

    Such an element keeps the page's alignment (``data-ui``, see public.css): a German heading in an
    Arabic page stands on the right, read left to right.
    """
    from core.i18n import language

    attrs = lang_attrs(language())
    return attrs + Markup(" data-ui") if attrs else attrs


def translated(translations: dict | None) -> Picked:
    """The text of ``translations`` for this page's language (German, marked, where it is missing)."""
    return content_languages.pick(translations, _page_code())


def public_url(code: str, **kwargs) -> str:
    """This page in the content language ``code`` (its other query arguments kept)."""
    args = {**request.args.to_dict(), **(request.view_args or {}), **kwargs, "lang": code}
    return url_for(request.endpoint, **args)


def external_url(endpoint: str, **values) -> str | None:
    """An absolute URL, for links that leave the screen (a letter's QR code, a mail); None where no host is known.

    In a request it is on ``SERVER_NAME`` if set, else on the request's host; outside a request (a worker,
    the CLI) on ``SERVER_NAME`` with ``PREFERRED_URL_SCHEME`` only.
    """
    if not (has_request_context() or current_app.config.get("SERVER_NAME")):
        return None
    return url_for(endpoint, _external=True, **values)


def _context() -> dict:
    page = g.get("public_language")
    return {"page_language": page} if page is not None else {}


# -- mounting -------------------------------------------------------------------------------


def check_routes(app: Flask, public_blueprints: set[str]) -> None:
    """Refuse a public blueprint's view that is not a public page, and a public page that is not GET-only."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        in_public_blueprint = rule.endpoint.split(".")[0] in public_blueprints
        if in_public_blueprint and not getattr(view, "public_page", False):
            raise PluginError(f"{rule.endpoint} ({rule.rule}) is in a public blueprint but not a @public_page")
        if getattr(view, "public_page", False) and set(rule.methods or ()) - SAFE_METHODS:
            raise PluginError(f"public page {rule.endpoint} ({rule.rule}) answers {sorted(rule.methods)}: GET only")


def init_app(app: Flask) -> None:
    """Before the user and CSRF are loaded: the page's language; after: the cache headers."""
    app.session_interface = SessionInterface()
    app.before_request(_prepare)
    app.after_request(_cache_headers)
    app.context_processor(_context)
    app.jinja_env.globals.update(
        lang_attrs=lang_attrs, ui_attrs=ui_attrs, translated=translated, public_url=public_url,
        content_language=content_languages.language,
    )
