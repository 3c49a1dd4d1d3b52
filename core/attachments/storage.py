"""Where attachment content lives: a table of its own (default) or files in ``ATTACHMENTS_DIR``.

In the directory a file is named ``<tenant id>/<attachment uuid>``, never by the
user's file name, and the directory lies outside the web root: content is only
ever served through the permission-checked download.  Files follow the
database transaction: one written in a transaction that rolls back is removed,
and one erased is removed only once the deletion is committed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.attachments.models import DATABASE, DIRECTORY, Attachment, AttachmentContent
from core.db import db
from core.errors import NotFound

_WRITTEN, _ERASED = "attachment_files_written", "attachment_files_erased"


def configured() -> str:
    """The storage new attachments go to."""
    return DIRECTORY if current_app.config["ATTACHMENTS_DIR"] else DATABASE


def _path(attachment: Attachment) -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"]) / str(attachment.tenant_id) / str(attachment.id)


def write(attachment: Attachment, data: bytes) -> None:
    """Store the content of a new attachment (its row added to the session, ``tenant_id`` set)."""
    if attachment.storage == DATABASE:
        db.session.add(AttachmentContent(tenant_id=attachment.tenant_id, attachment_id=attachment.id, content=data))
        return
    path = _path(attachment)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # a reader sees the whole file or none
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_WRITTEN, []).append(path)


def read(attachment: Attachment) -> bytes:
    """The content; :class:`NotFound` when it has been erased (or is missing from the directory)."""
    if attachment.storage == DATABASE:
        row = db.session.get(AttachmentContent, (attachment.tenant_id, attachment.id))
        if row is None:
            raise NotFound(_gone())
        return row.content
    try:
        return _path(attachment).read_bytes()
    except FileNotFoundError:
        raise NotFound(_gone()) from None


def erase(attachment: Attachment) -> None:
    """Remove the content (a deleted attachment keeps only its row); files go when the transaction commits."""
    if attachment.storage == DATABASE:
        db.session.execute(sa.delete(AttachmentContent).where(AttachmentContent.attachment_id == attachment.id))
        return
    db.session.info.setdefault(_ERASED, []).append(_path(attachment))


def _gone() -> str:
    from flask_babel import gettext as _

    return _("Der Inhalt dieses Anhangs ist nicht mehr vorhanden.")


@event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_ERASED, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is not None:
        return
    # Still listed after the outermost transaction: it was rolled back, not committed.
    for path in session.info.pop(_WRITTEN, ()):
        path.unlink(missing_ok=True)
    session.info.pop(_ERASED, None)
