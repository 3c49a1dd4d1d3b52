"""Errors a user can act on: their message is shown as it is (already translated).

A :class:`UserError` that a view does not catch itself is answered in one way (``core.web``): a form
sent from a page of this site goes back to that page with the message on it (a refused module switch,
a step not allowed any more), so nobody is left on a dead end at the form's POST address; anything
else gets the error page with the message (400).
"""

from __future__ import annotations

from urllib.parse import urlsplit


class UserError(Exception):
    """Bad input or a refused operation; ``str(error)`` is the message for the user."""


class NotFound(UserError):
    """The named thing does not exist (or is not visible in this scope)."""


def form_origin(method: str, referrer: str | None, host: str) -> str | None:
    """The page a refused form was sent from, to go back to; ``None`` when there is none to trust
    (not a POST, no referrer, another site's page)."""
    if method != "POST" or not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
