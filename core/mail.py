"""Outgoing e-mail: SMTP with ``MAIL_SERVER``, else .eml files in ``instance/outbox/`` (embedded default).

Modules call :func:`send`; what they send is plain text in the recipient's language
(render it inside :func:`in_language`).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from core.clock import utcnow
from core.i18n import REGION

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str  # "text/calendar"
    content: bytes
    params: dict = field(default_factory=dict)  # of the content type: {"method": "PUBLISH"} for a calendar


def send(to: str | Iterable[str], subject: str, body: str, attachments: Iterable[Attachment] = ()) -> EmailMessage:
    """Send a plain-text mail (with files attached) to one or more addresses; returns the message sent (or written)."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("a mail needs at least one recipient")
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or None)
    message.set_content(body)
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        if maintype == "text":  # named as UTF-8, so that mail programs read "Einführung" as written
            message.add_attachment(attachment.content.decode("utf-8"), subtype=subtype, charset="utf-8",
                                   filename=attachment.filename, params=attachment.params)
        else:
            message.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                                   filename=attachment.filename, params=attachment.params)
    if config["MAIL_SERVER"]:
        _deliver(message, recipients, config)
        log.info("mail %r sent to %s", subject, ", ".join(recipients))
    else:
        path = _write_to_outbox(message)
        log.info("mail %r to %s written to %s (no MAIL_SERVER)", subject, ", ".join(recipients), path)
    return message


def _deliver(message: EmailMessage, recipients: list[str], config) -> None:
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message, to_addrs=recipients)


def outbox() -> Path:
    return Path(current_app.instance_path) / "outbox"


def _write_to_outbox(message: EmailMessage) -> Path:
    folder = outbox()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    return path


def language_of(user) -> str:
    """The UI language the user last chose or logged in with (``User.language``), else German."""
    language = user.language
    return language if language in current_app.config["LANGUAGES"] else current_app.config["LANGUAGES"][0]


@contextlib.contextmanager
def in_language(language: str):
    """Render a mail's text in ``language`` (outside requests too)."""
    with force_locale(REGION.get(language, REGION["de"])):
        yield
