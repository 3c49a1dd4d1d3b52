"""Attachments: files a module attaches to its objects, with limits, a virus scan and a permission check.

- :func:`prepare` checks an upload (not empty, at most ``ATTACHMENT_MAX_MB``, its
  *content* one of the allowed :mod:`~core.attachments.filetypes`, no virus); :func:`add`
  stores it for an :class:`Owner`; :func:`listing`, :func:`get`, :func:`read`, :func:`delete`
  (soft: content erased, row kept).  Upload, download, deletion and a refused infected file
  are audited.
- :class:`~core.attachments.forms.AttachmentField`: the form field that does :func:`prepare`.
- The download ``/<tenant>/anhang/<id>`` (:mod:`core.attachments.views`) asks the owning
  module through the ``attachment_permission`` hook; ``scan_attachment`` is the virus-scan hook
  (core's own scanner: clamd, when configured).

See ``docs/documents.md``.
"""

from core.attachments.filetypes import DOCUMENTS, IMAGES, JPEG, OFFICE, PDF, PNG, FileType
from core.attachments.models import Attachment, AttachmentContent
from core.attachments.scanning import ScanUnavailable, Verdict
from core.attachments.service import (
    DELETE,
    READ,
    Owner,
    Upload,
    add,
    delete,
    get,
    listing,
    max_bytes,
    may,
    prepare,
    read,
)

__all__ = [
    "DELETE", "DOCUMENTS", "IMAGES", "JPEG", "OFFICE", "PDF", "PNG", "READ", "Attachment", "AttachmentContent",
    "FileType", "Owner", "ScanUnavailable", "Upload", "Verdict", "add", "delete", "get", "listing", "max_bytes",
    "may", "prepare", "read",
]
