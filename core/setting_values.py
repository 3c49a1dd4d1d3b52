"""Values of the settings modules declare: checked by their type, shown without secrets, read from text.

:func:`core.provisioning.set_setting` calls :func:`clean` for every value it stores, whoever
writes it (the settings page, a module's own page, ``tenants/*.toml``, the CLI).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _

from core.errors import UserError
from core.plugins import Setting, SettingType

REDACTED = "***"  # what listings, dry runs and the audit log show instead of a secret


def label_of(setting: Setting) -> str:
    return str(setting.label) if setting.label else setting.key


def _is_line(value: Any) -> bool:
    return isinstance(value, str) and "\n" not in value and "\r" not in value


def _integer_problem(setting: Setting, value: Any) -> str | None:
    low, high = setting.min, setting.max
    if isinstance(value, int) and not isinstance(value, bool) and (low is None or value >= low) and (
            high is None or value <= high):
        return None
    if low is not None and high is not None:
        return _("Bitte eine ganze Zahl von %(low)s bis %(high)s eingeben.", low=low, high=high)
    if low is not None:
        return _("Bitte eine ganze Zahl ab %(low)s eingeben.", low=low)
    if high is not None:
        return _("Bitte eine ganze Zahl bis %(high)s eingeben.", high=high)
    return _("Bitte eine ganze Zahl eingeben.")


def _url_problem(value: Any) -> str | None:
    if value == "":
        return None  # not set
    parts = urlsplit(value) if _is_line(value) and " " not in value else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Bitte eine Adresse eingeben, die mit https:// (oder http://) beginnt.")
    return None


def _type_problem(setting: Setting, value: Any) -> str | None:
    kind = setting.type
    if kind == SettingType.TEXT:
        return None if _is_line(value) else _("Bitte einen Text auf einer Zeile eingeben.")
    if kind == SettingType.MULTILINE:
        return None if isinstance(value, str) else _("Bitte einen Text eingeben.")
    if kind == SettingType.INTEGER:
        return _integer_problem(setting, value)
    if kind == SettingType.BOOLEAN:
        return None if isinstance(value, bool) else _("Bitte «ja» oder «nein» angeben.")
    if kind == SettingType.CHOICE:
        values = [v for v, _label in setting.choice_items]
        if value in values:
            return None
        return _("Bitte eine der Möglichkeiten wählen: %(choices)s.", choices=", ".join(map(str, values)))
    if kind == SettingType.LIST:
        if isinstance(value, list) and all(_is_line(item) and item.strip() for item in value):
            return None
        return _("Bitte eine Liste von Einträgen angeben, einen je Zeile.")
    if kind == SettingType.MAPPING:
        if isinstance(value, dict) and all(isinstance(k, str) and k.strip() and isinstance(v, str)
                                           for k, v in value.items()):
            return None
        return _('Bitte Zuordnungen von Text zu Text angeben, als JSON-Objekt: {"Gruppe": "Rolle"}.')
    if kind == SettingType.JSON:
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = None
        return None if isinstance(value, dict | list) else _("Bitte ein JSON-Objekt oder eine JSON-Liste angeben.")
    if kind == SettingType.URL:
        return _url_problem(value)
    return _("Unbekannte Art von Einstellung.")


def problem(setting: Setting, value: Any, tenant=None) -> str | None:
    """What is wrong with ``value`` for ``setting`` (translated), or None; ``tenant`` for its own check."""
    found = _type_problem(setting, value)
    if found is None and tenant is not None and setting.validate is not None:
        found = setting.validate(value, tenant)
    return found


def clean(setting: Setting, value: Any, tenant=None) -> Any:
    """``value`` when it fits the declaration; otherwise a UserError naming the setting."""
    if isinstance(value, tuple):
        value = list(value)
    found = problem(setting, value, tenant)
    if found:
        raise UserError(_("Einstellung «%(label)s»: %(problem)s", label=label_of(setting), problem=found))
    return value


def is_set(value: Any) -> bool:
    return value not in ("", None, [], {})


def public_value(setting: Setting, value: Any) -> Any:
    """The value as listings and dry runs may show it: a secret only as set or not."""
    if setting.secret:
        return REDACTED if is_set(value) else ""
    return value


def shown(setting: Setting, value: Any) -> str:
    """The value as text for people (the settings page, the CLI); a secret as «gesetzt»."""
    if setting.secret:
        return _("gesetzt") if is_set(value) else _("nicht gesetzt")
    if setting.type == SettingType.BOOLEAN:
        return _("ja") if value else _("nein")
    if setting.type == SettingType.CHOICE:
        return str(dict(setting.choice_items).get(value, value))
    if setting.type == SettingType.LIST:
        return ", ".join(value) or "–"
    if setting.type in (SettingType.MAPPING, SettingType.JSON):
        return json.dumps(value, ensure_ascii=False)
    return str(value) if is_set(value) else "–"


_TRUE, _FALSE = {"ja", "yes", "true", "1", "on"}, {"nein", "no", "false", "0", "off"}


def from_text(setting: Setting, text: str) -> Any:
    """A value typed as text (the CLI, a form's text area) in the setting's type; UserError if it is none."""
    kind = setting.type
    try:
        if kind == SettingType.INTEGER:
            return int(text.strip())
        if kind == SettingType.BOOLEAN:
            word = text.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise ValueError(text)
        if kind == SettingType.LIST:
            return [line.strip() for line in text.splitlines() if line.strip()]
        if kind in (SettingType.MAPPING, SettingType.JSON):
            return json.loads(text) if text.strip() else ({} if kind == SettingType.MAPPING else [])
    except ValueError:
        raise UserError(_("Einstellung «%(label)s»: %(problem)s", label=label_of(setting),
                          problem=_type_problem(setting, None) or text)) from None
    if kind == SettingType.CHOICE:
        matching = [value for value, _label in setting.choice_items if str(value) == text.strip()]
        return matching[0] if matching else text
    return text.strip() if kind in (SettingType.TEXT, SettingType.URL) else text
