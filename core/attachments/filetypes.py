"""What a file is, judged by its content (magic bytes, with ``filetype``), and the types a caller allows.

The extension and the type the browser claims are not trusted: a ``.pdf`` that
is an executable or an HTML page is refused.  A file whose content is an
allowed type keeps its name with that type's extension (``scan.png`` that is a
JPEG is stored as ``scan.jpg``) and is always served as that type.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

import filetype


@dataclass(frozen=True)
class FileType:
    mime: str
    label: str  # what a message calls it: "PDF", "Word (DOCX)"
    extensions: tuple[str, ...]  # the first is the one a stored name gets


PDF = FileType("application/pdf", "PDF", ("pdf",))
PNG = FileType("image/png", "PNG", ("png",))
JPEG = FileType("image/jpeg", "JPEG", ("jpg", "jpeg"))
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)", ("docx",))
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)", ("xlsx",))
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint (PPTX)",
                ("pptx",))
ODT = FileType("application/vnd.oasis.opendocument.text", "OpenDocument (ODT)", ("odt",))
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument (ODS)", ("ods",))
DOC = FileType("application/msword", "Word (DOC)", ("doc",))
XLS = FileType("application/vnd.ms-excel", "Excel (XLS)", ("xls",))

IMAGES = (PNG, JPEG)
OFFICE = (DOCX, XLSX, PPTX, ODT, ODS, DOC, XLS)
DOCUMENTS = (PDF, *IMAGES, *OFFICE)  # what most forms accept
_KNOWN_EXTENSIONS = {extension for file_type in DOCUMENTS for extension in file_type.extensions}


def identify(data: bytes, allowed: tuple[FileType, ...]) -> FileType | None:
    """The allowed type the content is, by its magic bytes; None for anything else (or nothing known)."""
    mime = filetype.guess_mime(data[:8192])
    return next((file_type for file_type in allowed if file_type.mime == mime), None)


def clean_filename(name: str, file_type: FileType) -> str:
    """The user's file name without any path, control characters or wrong extension; never empty."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip(" .")
    stem, extension = os.path.splitext(name)
    if extension.lower().lstrip(".") in file_type.extensions:
        stem, extension = stem, extension.lower()
    else:
        stem = stem if extension.lower().lstrip(".") in _KNOWN_EXTENSIONS else name  # replace a wrong type's
        extension = "." + file_type.extensions[0]
    return (stem.strip(" .")[:200 - len(extension)] or "datei") + extension


def labels(allowed: tuple[FileType, ...]) -> str:
    """«PDF, PNG, JPEG»: the allowed types, for a message."""
    return ", ".join(dict.fromkeys(file_type.label for file_type in allowed))
