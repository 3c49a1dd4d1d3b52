"""Attaching files to a module's objects: check and scan an upload, store it, read it, delete it; all audited.

A module names its object with an :class:`Owner` ("fordern.case", the case's
id) and answers the ``attachment_permission`` hook for its owner types: core
serves a file only to a user the owning module lets read that object.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core import audit
from core.attachments import scanning, storage
from core.attachments.filetypes import DOCUMENTS, FileType, clean_filename, identify, labels
from core.attachments.models import Attachment
from core.clock import utcnow
from core.db import db
from core.errors import UserError

READ, DELETE = "read", "delete"


@dataclass(frozen=True)
class Owner:
    """The object a file is attached to: ``type`` is "<module id>.<kind>", ``id`` the object's id as text."""

    type: str
    id: str

    @classmethod
    def of(cls, type_: str, id_: object) -> Owner:
        module = type_.split(".", 1)[0]
        if "." not in type_ or module not in current_app.extensions["plugins"].manifests:
            raise ValueError(f"owner type {type_!r} is not '<installed module>.<kind>'")
        return cls(type_, str(id_))


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks of :func:`prepare` (size, type, virus scan), ready to :func:`add`."""

    filename: str
    file_type: FileType
    data: bytes
    sha256: str


def max_bytes() -> int:
    """The largest attachment (``ATTACHMENT_MAX_MB``, default 20 MB)."""
    return current_app.config["ATTACHMENT_MAX_BYTES"]


def megabytes(size: int) -> str:
    """«20», «2.5»: a size in MB for a message."""
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".")


def prepare(tenant, filename: str, data: bytes, allowed: tuple[FileType, ...] = DOCUMENTS) -> Upload:
    """Check an uploaded file for ``tenant``; a :class:`UserError` in German says why it is refused.

    Refused: an empty file, one larger than :func:`max_bytes`, one whose content
    (not its name or claimed type) is none of the ``allowed`` types, and one a
    virus scanner finds infected (audited) or cannot check.
    """
    shown = (filename or "").replace("\\", "/").rsplit("/", 1)[-1] or _("ohne Namen")
    if not data:
        raise UserError(_("Die Datei «%(name)s» ist leer.", name=shown))
    if len(data) > max_bytes():
        raise UserError(_("Die Datei «%(name)s» ist zu gross; erlaubt sind höchstens %(max)s MB.",
                          name=shown, max=megabytes(max_bytes())))
    file_type = identify(data, allowed)
    if file_type is None:
        raise UserError(_("Die Datei «%(name)s» hat keinen erlaubten Dateityp (geprüft wird ihr Inhalt, nicht ihr "
                          "Name). Erlaubt sind: %(types)s.", name=shown, types=labels(allowed)))
    upload = Upload(clean_filename(filename, file_type), file_type, data, hashlib.sha256(data).hexdigest())
    _scan(tenant, upload)
    return upload


def _scan(tenant, upload: Upload) -> None:
    try:
        verdicts = scanning.scan(tenant, upload.filename, upload.data)
    except scanning.ScanUnavailable:
        raise UserError(_("Die Datei «%(name)s» konnte nicht auf Viren geprüft werden. Bitte versuchen Sie es "
                          "später noch einmal.", name=upload.filename)) from None
    infected = [verdict for verdict in verdicts if verdict.infected]
    if infected:
        signatures = ", ".join(verdict.signature or verdict.scanner for verdict in infected)
        audit.record_at_once("attachment.infected", tenant_id=tenant.id, object_type="attachment", detail={
            "filename": upload.filename, "size": len(upload.data), "sha256": upload.sha256,
            "verdicts": [{"scanner": v.scanner, "signature": v.signature} for v in infected]})
        raise UserError(_("Die Datei «%(name)s» enthält Schadsoftware (%(signature)s) und wird nicht angenommen.",
                          name=upload.filename, signature=signatures))


def add(owner: Owner, upload: Upload) -> Attachment:
    """Attach a prepared upload to ``owner`` in the current tenant (stored as configured); audited.

    The same content sent again for the same owner (a form submitted twice) returns the attachment
    already there instead of a copy.
    """
    existing = db.session.scalar(sa.select(Attachment).where(
        Attachment.owner_type == owner.type, Attachment.owner_id == owner.id, Attachment.sha256 == upload.sha256,
        Attachment.deleted_at.is_(None)).limit(1))
    if existing is not None:
        return existing
    attachment = Attachment(
        id=uuid.uuid4(), owner_type=owner.type, owner_id=owner.id, filename=upload.filename,
        content_type=upload.file_type.mime, size=len(upload.data), sha256=upload.sha256,
        storage=storage.configured(), uploaded_by=audit.current_actor(), uploaded_at=utcnow(),
    )
    db.session.add(attachment)  # stamps the current tenant
    storage.write(attachment, upload.data)
    audit.record("attachment.upload", object_type="attachment", object_id=attachment.id, detail={
        "owner": f"{owner.type}:{owner.id}", "filename": upload.filename, "content_type": attachment.content_type,
        "size": attachment.size, "sha256": attachment.sha256})
    return attachment


def listing(owner: Owner, *, deleted: bool = False) -> list[Attachment]:
    """The attachments of ``owner`` in the current tenant, oldest first (with the deleted ones if asked)."""
    query = sa.select(Attachment).where(Attachment.owner_type == owner.type, Attachment.owner_id == owner.id)
    if not deleted:
        query = query.where(Attachment.deleted_at.is_(None))
    return list(db.session.scalars(query.order_by(Attachment.uploaded_at, Attachment.id)))


def get(attachment_id: uuid.UUID) -> Attachment | None:
    """The attachment with this id in the current tenant (another tenant's: None)."""
    return db.session.scalar(sa.select(Attachment).where(Attachment.id == attachment_id))


def may(tenant, attachment: Attachment, user, action: str = READ) -> bool | None:
    """Whether the owning module lets ``user`` ``action`` ("read", "delete") the file; None: no module answers."""
    return tenant_hooks(tenant).attachment_permission(tenant=tenant, attachment=attachment, user=user, action=action)


def tenant_hooks(tenant):
    """The hooks of the modules active in ``tenant``: the request's own when it is the request's tenant."""
    from flask import g, has_request_context

    from core import modules

    if has_request_context() and g.get("hooks") is not None and getattr(g.get("tenant"), "id", None) == tenant.id:
        return g.hooks
    return modules.tenant_hooks(tenant)


def read(attachment: Attachment) -> bytes:
    """The content of an attachment (a :class:`core.errors.NotFound` once deleted); the read is audited."""
    data = storage.read(attachment)
    audit.record("attachment.download", object_type="attachment", object_id=attachment.id,
                 detail={"owner": f"{attachment.owner_type}:{attachment.owner_id}", "filename": attachment.filename})
    return data


def delete(attachment: Attachment) -> None:
    """Soft-delete: the content is erased, the row keeps who deleted it and when; audited. Twice: a UserError."""
    if attachment.deleted:
        raise UserError(_("Der Anhang «%(name)s» ist schon gelöscht.", name=attachment.filename))
    attachment.deleted_at, attachment.deleted_by = utcnow(), audit.current_actor()
    storage.erase(attachment)
    audit.record("attachment.delete", object_type="attachment", object_id=attachment.id, detail={
        "owner": f"{attachment.owner_type}:{attachment.owner_id}", "filename": attachment.filename,
        "sha256": attachment.sha256})
