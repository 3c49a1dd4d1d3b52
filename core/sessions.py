"""Server-side sessions: the signed cookie names a random session id, which must still be live here.

Flask's cookie session alone cannot be ended: a copy of the cookie taken before logout would
work until it times out.  So every login opens a row in ``user_sessions`` and puts a random id
in the cookie; each request looks the row up (one primary-key lookup, joined to the user's own
lookup), and logout, a removed membership or a sign-out everywhere delete rows.

Not tenant-owned: a session belongs to a user, who may work for several tenants in it (like the
``users`` table).  Only a digest of the id is stored: the table alone opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import UTCDateTime, db


class UserSession(db.Model):
    """A live login of a user: deleted at logout, at a removed membership, or once too old."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 of the cookie's id
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(user_id: int) -> str:
    """A new live session of ``user_id``; returns the id for the cookie.  Sessions too old go too."""
    oldest = utcnow() - timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    db.session.execute(sa.delete(UserSession).where(UserSession.created_at < oldest))
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=digest(session_id), user_id=user_id))
    return session_id


def live(session_id: str | None):
    """A clause: the session ``session_id`` is live (to join to the lookup of its user)."""
    return UserSession.id == digest(session_id or "")


def end_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(sa.delete(UserSession).where(live(session_id)))


def end_sessions_of(user_id: int) -> None:
    """End every session of ``user_id`` (their rights changed, or they are to sign in again)."""
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))
