"""Fields and checks Fordern's forms share, with every message in the user's language."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from core.form_fields import with_message

DAY_MESSAGE = _l("Bitte ein gültiges Datum eingeben.")
DayField = with_message(DateField, DAY_MESSAGE)
ChoiceField = with_message(SelectField, _l("Bitte eine der angebotenen Möglichkeiten wählen."))
TEXT_LENGTH = 4000


def stripped(text):
    return text.strip() if isinstance(text, str) else text


def text_field(label, required_message=None, **kwargs):
    required = [DataRequired(required_message)] if required_message else []  # checked after stripping
    return TextAreaField(label, filters=[stripped], validators=[*required, Length(max=TEXT_LENGTH, message=_l(
        "Höchstens %(max)d Zeichen."))], **kwargs)


def day_field(label, **kwargs):
    return DayField(label, validators=[InputRequired(DAY_MESSAGE)], **kwargs)


def check_step_day(on: date | None, today: date, last: date) -> None:
    """A step's day: not in the future, not before the case's last step."""
    if on is None:
        return
    if on > today:
        raise ValidationError(_("Das Datum darf nicht in der Zukunft liegen."))
    if on < last:
        raise ValidationError(_("Der Schritt kann nicht vor dem letzten (%(day)s) liegen.",
                                day=last.strftime("%d.%m.%Y")))
