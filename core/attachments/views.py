"""The download and the deletion of an attachment: only for a user the owning module lets see its object.

``GET /<tenant>/anhang/<id>`` serves the content as a download (never shown
inline, never cached, never sniffed by the browser); ``POST …/loeschen``
deletes it.  Another tenant's id, a deleted file, or an owner no active module
answers for: 404; a module that says no: 403.
"""

from __future__ import annotations

import io
import uuid

from flask import Blueprint, abort, flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _

from core.access import authenticated
from core.attachments import service
from core.attachments.models import Attachment
from core.db import db
from core.security import safe_next

attachments = Blueprint("attachments", __name__, url_prefix="/<tenant>/anhang")


def _permitted(attachment_id: uuid.UUID, action: str) -> Attachment:
    attachment = service.get(attachment_id)
    if attachment is None or attachment.deleted:
        abort(404)
    allowed = service.may(g.tenant, attachment, g.user, action)
    if allowed is None:
        abort(404)  # no active module vouches for the object (its module is off, or it is unknown)
    if not allowed:
        abort(403)
    return attachment


@attachments.get("/<uuid:attachment_id>", endpoint="download")
@authenticated  # a member of the tenant; the owning module decides about the object
def download(attachment_id):
    attachment = _permitted(attachment_id, service.READ)
    data = service.read(attachment)
    db.session.commit()  # the audited read
    response = send_file(io.BytesIO(data), mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, etag=False, conditional=False)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@attachments.post("/<uuid:attachment_id>/loeschen", endpoint="delete")
@authenticated
def delete(attachment_id):
    attachment = _permitted(attachment_id, service.DELETE)
    service.delete(attachment)
    db.session.commit()
    flash(_("Der Anhang «%(name)s» ist gelöscht.", name=attachment.filename))
    return redirect(_back())


def _back() -> str:
    """Where the form came from (``next``, a path on this site), else the tenant's home."""
    return safe_next(request.form.get("next"), default=url_for("shell.tenant_home"))
