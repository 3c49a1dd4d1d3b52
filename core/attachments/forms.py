"""The upload field a module puts into its form: checked and scanned when the form validates.

::

    class NoteForm(FlaskForm):
        text = TextAreaField(_l("Notiz"))
        attachment = AttachmentField(_l("Beilage"), allowed=attachments.DOCUMENTS)

    if form.validate_on_submit():
        ...
        if form.attachment.upload:
            attachments.add(attachments.Owner.of("notes.note", note.id), form.attachment.upload)

A refused file (empty, too large, wrong type, infected) is a field error in
German, like any other; ``upload`` is then None.
"""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms.validators import StopValidation

from core.attachments import service
from core.attachments.filetypes import DOCUMENTS, labels
from core.errors import UserError


class AttachmentField(FileField):
    """A file input whose file passes :func:`core.attachments.prepare`; ``.upload`` is the result (or None)."""

    def __init__(self, label=None, validators=None, *, allowed=DOCUMENTS, required: bool = False, **kwargs):
        self.allowed, self.required = tuple(allowed), required
        render_kw = {"accept": ",".join(f".{ext}" for t in self.allowed for ext in t.extensions),
                     **({"required": True} if required else {}), **kwargs.pop("render_kw", {})}
        description = kwargs.pop("description", None) or _l("Erlaubt: %(types)s; höchstens %(max)s MB.",
                                                             types=labels(self.allowed), max=_MaxMegabytes())
        super().__init__(label, validators, render_kw=render_kw, description=description, **kwargs)
        self.upload: service.Upload | None = None

    def pre_validate(self, form) -> None:
        self.upload = None
        chosen = self.data if getattr(self.data, "filename", "") else None
        if chosen is None:
            if self.required:
                raise StopValidation(_l("Bitte eine Datei wählen."))
            return
        # Read at most one byte past the limit: a larger file is refused without loading it whole.
        data = chosen.stream.read(service.max_bytes() + 1)
        try:
            self.upload = service.prepare(g.tenant, chosen.filename, data, self.allowed)
        except UserError as error:
            raise StopValidation(str(error)) from None


class _MaxMegabytes:
    """The configured limit, read when the description is shown (inside the app)."""

    def __str__(self) -> str:
        return service.megabytes(service.max_bytes())
