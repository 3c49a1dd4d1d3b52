"""Who did something, as a person reads it: "Greta Gerber", "System", "API-Schlüssel «Register»".

The audit log, jobs, imports and every record that keeps a ``*_by`` column store an actor string
(``user:<id>``, ``api_token:<id>``, ``cli:<login>``, ``job:<id>``, ``system[:<what>]``, see
``core.audit.current_actor``).  Pages show it with the template filter ``actor``; a page that lists
many calls :func:`prefetch` first, so that the names come in one query per kind of actor.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _

from core.db import db

_USER = re.compile(r"user:(\d+)")
_TOKEN = re.compile(r"api_token:([0-9a-f-]{36})")


def _cache() -> dict[str, str]:
    if not has_app_context():
        return {}
    cache = g.get("_actor_labels")
    if cache is None:
        cache = g._actor_labels = {}
    return cache


def prefetch(actors: Iterable[str | None]) -> dict[str, str]:
    """The labels of ``actors``, looked up together (users in one query, API keys in another)."""
    cache = _cache()
    missing = {actor for actor in actors if actor and actor not in cache}
    cache.update(_user_labels(missing))
    cache.update(_token_labels(missing))
    for actor in missing - cache.keys():
        cache[actor] = _plain_label(actor)
    return cache


def label(actor: str | None) -> str:
    """One actor's label (looked up, unless a :func:`prefetch` of the page found it already)."""
    if not actor:
        return ""
    found = _cache().get(actor)
    return found if found is not None else prefetch([actor])[actor]


def _user_labels(actors: set[str]) -> dict[str, str]:
    from core.auth import User

    ids = {int(match[1]) for actor in actors if (match := _USER.fullmatch(actor))}
    if not ids:
        return {}
    found = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())
    return {f"user:{user_id}": found.get(user_id) or _("Benutzer/in Nr. %(id)s", id=user_id) for user_id in ids}


def _token_labels(actors: set[str]) -> dict[str, str]:
    """API keys of the current tenant by name (a key of another tenant is named as a key only)."""
    from core.api import ApiToken

    ids = {uuid.UUID(match[1]) for actor in actors if (match := _TOKEN.fullmatch(actor))}
    if not ids or g.get("tenant") is None:
        return {}
    found = dict(db.session.execute(sa.select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids))).all())
    return {f"api_token:{token_id}": _("API-Schlüssel «%(name)s»", name=found[token_id])
            for token_id in ids if token_id in found}


def _plain_label(actor: str) -> str:
    kind, _sep, rest = actor.partition(":")
    if kind == "api_token":
        return _("API-Schlüssel")
    if kind == "cli":
        return _("Kommandozeile (%(login)s)", login=rest) if rest else _("Kommandozeile")
    if kind == "job":
        return _("Hintergrundauftrag")
    if kind == "system":
        return _("System")
    return actor


def init_app(app) -> None:
    app.add_template_filter(label, "actor")
