"""A form field for a translated text: one textarea per content language of the tenant, German required.

``title = TranslationsField(_l("Titel"), multiline=False)`` in a FlaskForm; ``form.title.data`` is
``{language: text}`` (empty texts dropped), ready for a :func:`core.content_languages.translated_column`.
The inputs are named ``title-de``, ``title-ar`` …; texts already held in a language the tenant no
longer offers are kept, not lost.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from core import content_languages
from core.content_languages import GERMAN


class TranslationsWidget:
    def __call__(self, field, **kwargs) -> Markup:
        from core.i18n import language as ui_language

        rows = []
        for code in field.languages:
            lang = content_languages.language(code)
            name, input_id = f"{field.name}-{code}", f"{field.id}-{code}"
            text = field.data.get(code, "")
            required = Markup(" required") if code == GERMAN else Markup("")
            if field.multiline:
                control = Markup('<textarea id="{}" name="{}" lang="{}" dir="{}" rows="4"{}>{}</textarea>').format(
                    input_id, name, code, lang.direction, required, text)
            else:
                control = Markup('<input type="text" id="{}" name="{}" lang="{}" dir="{}" value="{}"{}>').format(
                    input_id, name, code, lang.direction, text, required)
            label = Markup('<label for="{}"><span lang="{}">{}</span>').format(input_id, code, lang.endonym)
            local = content_languages.name_in(code, ui_language())
            if local != lang.endonym:
                label += Markup(' <span class="muted">({})</span>').format(local)
            rows.append(Markup("<div>{}</label><br>{}</div>").format(label, control))
        return Markup('<fieldset id="{}" class="translations"><legend>{}</legend>{}</fieldset>').format(
            field.id, field.label.text, Markup("").join(rows))


class TranslationsField(Field):
    widget = TranslationsWidget()

    def __init__(self, label=None, validators=None, *, languages=None, multiline=True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self._languages = languages
        self.multiline = multiline

    @property
    def languages(self) -> list[str]:
        """The languages offered: as given, else the current tenant's content languages."""
        if self._languages is not None:
            return content_languages.normalize(self._languages)
        tenant = g.get("tenant") if has_request_context() else None
        return content_languages.offered(tenant) if tenant is not None else [GERMAN]

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = dict(data or {})
        self.raw_data = []
        if formdata is not None:
            names = [f"{self.name}-{code}" for code in self.languages]
            if any(name in formdata for name in names):
                self.raw_data = [formdata.get(name, "") for name in names]
                for code, text in zip(self.languages, self.raw_data, strict=True):
                    self.data[code] = text
        self.data = {code: text.strip() for code, text in self.data.items() if isinstance(text, str) and text.strip()}

    def pre_validate(self, form):
        if GERMAN not in self.data:
            raise StopValidation(_("Der deutsche Text fehlt; er ist Pflicht, die Übersetzungen sind freiwillig."))
