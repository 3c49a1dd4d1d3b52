"""Form fields for declared settings: one kind of field per type, German messages, the declaration's checks.

A secret gets a password field that is never filled in (empty: the value stays) and a
box to clear it.  Every field runs :func:`core.setting_values.problem`, the check
``set_setting`` runs again when the form is saved.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import ValidationError

from core import setting_values
from core.plugins import Setting, SettingType


def field_name(setting: Setting) -> str:
    return f"s-{setting.key}"


def clear_name(setting: Setting) -> str:
    return f"c-{setting.key}"


def _strip(text):
    return text.strip() if isinstance(text, str) else text


class _Declared:
    """A field that knows its setting's declaration (for its messages and parsing)."""

    def __init__(self, *args, setting: Setting, **kwargs):
        super().__init__(*args, **kwargs)
        self.setting = setting


class _Integer(_Declared, IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(setting_values.problem(self.setting, None)) from None


class _Choice(_Declared, SelectField):
    def pre_validate(self, form):
        if self.data not in [value for value, _label in self.setting.choice_items]:
            raise ValidationError(setting_values.problem(self.setting, None))


class _Text(_Declared, TextAreaField):
    """A value edited as text in a text area: a list (one entry a line) or JSON."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]  # what was typed, when it did not parse
        if self.data is None:
            return ""
        if self.setting.type == SettingType.LIST:
            return "\n".join(self.data)
        return json.dumps(self.data, ensure_ascii=False, indent=2)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = setting_values.from_text(self.setting, valuelist[0])
            except Exception as error:  # a UserError naming the problem
                self.data = None
                raise ValueError(str(error)) from None


def _checked(setting: Setting, tenant):
    def check(form, field):
        if field.process_errors or (setting.secret and not field.data):
            return  # unreadable input is reported already; an empty secret keeps its value
        found = setting_values.problem(setting, field.data, tenant)
        if found:
            raise ValidationError(found)

    return check


def field_for(setting: Setting, tenant):
    """An unbound form field for ``setting``, checked as ``set_setting`` checks it."""
    options: dict[str, Any] = {"validators": [_checked(setting, tenant)], "description": setting.help}
    if setting.secret:
        field = PasswordField(setting.label, render_kw={"autocomplete": "new-password"}, **options)
    elif setting.type == SettingType.INTEGER:
        limits = {k: v for k, v in (("min", setting.min), ("max", setting.max)) if v is not None}
        field = _Integer(setting.label, setting=setting, render_kw=limits, **options)
    elif setting.type == SettingType.BOOLEAN:
        field = BooleanField(setting.label, **options)
    elif setting.type == SettingType.CHOICE:
        by_text = {str(value): value for value, _label in setting.choice_items}
        choices = [SelectChoice(str(v), label) for v, label in setting.choice_items]
        field = _Choice(setting.label, setting=setting, choices=choices,
                        coerce=lambda text: by_text.get(str(text), text), **options)
    elif setting.type in (SettingType.LIST, SettingType.MAPPING, SettingType.JSON):
        field = _Text(setting.label, setting=setting, render_kw={"rows": 6}, **options)
    elif setting.type == SettingType.MULTILINE:
        field = TextAreaField(setting.label, render_kw={"rows": 4}, filters=[_strip], **options)
    elif setting.type == SettingType.URL:
        field = URLField(setting.label, filters=[_strip], **options)
    else:
        field = StringField(setting.label, filters=[_strip], **options)
    return field


def _secret_clear(setting: Setting):
    def check(form, field):
        if field.data and form[field_name(setting)].data:
            raise ValidationError(_("Entweder einen neuen Wert eingeben oder den bisherigen löschen."))

    return BooleanField(_l("bisherigen Wert löschen"), validators=[check])


def form_for(settings: list[Setting], tenant, values: dict[str, Any]) -> FlaskForm:
    """A form with a field for each of ``settings``; ``values`` fill the fields (and stay where none is sent)."""

    class SettingsForm(FlaskForm):
        pass

    data = {}
    for setting in settings:
        setattr(SettingsForm, field_name(setting), field_for(setting, tenant))
        if setting.secret:
            setattr(SettingsForm, clear_name(setting), _secret_clear(setting))
        else:
            data[field_name(setting)] = values[setting.key]
    return SettingsForm(data=data)


def submitted_value(form: FlaskForm, setting: Setting) -> tuple[bool, Any]:
    """(whether to store, the value) for ``setting`` from a validated form; an empty secret is kept."""
    value = form[field_name(setting)].data
    if setting.secret:
        if form[clear_name(setting)].data:
            return True, ""
        return bool(value), value
    return True, value
