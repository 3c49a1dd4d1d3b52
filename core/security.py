"""Request security: CSRF on every form, cookie flags, security headers with a strict CSP, safe redirects."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core.public import is_public_page

csrf = CSRFProtect()


def _origin(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _unsafe_character(text: str) -> bool:
    """Whitespace, control characters and backslashes: browsers drop or reinterpret them in a URL."""
    return any(ch.isspace() or ch == "\\" or unicodedata.category(ch).startswith("C") for ch in text)


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``: every redirect to a user-supplied target.

    Parsed as a URL, then checked: no scheme, no host, a single leading ``/``, and neither the
    target nor its decoded path holds whitespace, control characters or a backslash (browsers
    strip a tab in ``/%09/evil.example`` and read ``/\\evil`` as ``//evil``: another site).
    """
    if not isinstance(target, str) or _unsafe_character(target):
        return default
    parts = urlsplit(target)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if path.startswith("//") or _unsafe_character(path):
        return default
    return target


def _content_security_policy() -> str:
    # Logging out posts a form that the provider's end-session page answers: allow its origin.
    form_targets = " ".join(filter(None, ["'self'", _origin(current_app.config["OIDC_ISSUER"])]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_targets}"
    )


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.extensions["content_security_policy"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static" and not is_public_page():
        # Staff pages, the API and downloads show personal data: no browser or proxy keeps them
        # (forced, over send_file's "no-cache", which allows storing).  Public pages keep theirs.
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    if app.debug:
        app.config["SESSION_COOKIE_SECURE"] = False  # `make run` serves plain http on 127.0.0.1
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: the provider's redirect back must carry the session
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_MAX_HOURS"]),
    )
    csrf.init_app(app)
    proxies = app.config.get("PROXY_FIX") or 0
    if proxies:  # the client's address (throttle, audit), scheme (HSTS, cookies) and host, as the proxy saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    with app.app_context():
        app.extensions["content_security_policy"] = _content_security_policy()
    app.after_request(_headers)
