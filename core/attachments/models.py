"""The attachment tables: the file's record, and its content apart (so listing never loads a blob)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, tenant_fk, uuid_pk

DATABASE, DIRECTORY = "database", "directory"


class Attachment(TenantScoped, db.Model):
    """A file attached to an object of a module, named by ``owner_type`` ("fordern.case") and ``owner_id``.

    Deleting is soft: the content is erased, the row stays with who deleted it and when.
    """

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_type: Mapped[str] = mapped_column(sa.String(100))  # "<module id>.<kind>"
    owner_id: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(200))  # shown and offered on download, never a path
    content_type: Mapped[str] = mapped_column(sa.String(100))  # what the content is (sniffed), not what was claimed
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage: Mapped[str] = mapped_column(sa.String(20))  # where the content is: database or directory
    uploaded_by: Mapped[str] = mapped_column(sa.String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.Index("ix_attachments_owner", "tenant_id", "owner_type", "owner_id"),
        sa.CheckConstraint(f"storage IN ('{DATABASE}', '{DIRECTORY}')", name="storage"),
        sa.CheckConstraint("size > 0", name="size"),
    )

    @property
    def module(self) -> str:
        """The id of the module that owns the object the file is attached to."""
        return self.owner_type.split(".", 1)[0]

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class AttachmentContent(TenantScoped, db.Model):
    """The bytes of an attachment stored in the database (the default storage)."""

    __tablename__ = "attachment_contents"

    attachment_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)

    __table_args__ = (tenant_fk(["attachment_id"], "attachments", ondelete="CASCADE"),)
