"""The interview's forms: the invitation (a day and time to come) and the minutes (a day that has been)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, ValidationError

from core import i18n
from core.clock import ZURICH
from core.form_fields import with_message
from plugins.fordern import letters
from plugins.fordern.form_parts import check_step_day, day_field, stripped, text_field

ClockField = with_message(TimeField, _l("Bitte eine gültige Uhrzeit eingeben (HH:MM)."))
LanguageField = with_message(SelectField, _l("Unbekannte Sprache."))


class InvitationForm(FlaskForm):
    day = day_field(_l("Datum des Gesprächs"))
    time = ClockField(_l("Uhrzeit"), validators=[InputRequired(_l("Bitte die Uhrzeit angeben."))])
    place = StringField(_l("Ort"), filters=[stripped], validators=[
        InputRequired(_l("Bitte den Ort angeben.")), Length(max=200, message=_l("Höchstens %(max)d Zeichen."))])
    interpreter = LanguageField(_l("Dolmetschen in"))
    letter_language = LanguageField(_l("Brief auch in"), description=_l("Der Brief ist immer auch auf Deutsch."))

    def __init__(self, *args, today: date, letter_languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.interpreter.choices = [SelectChoice("", str(_l("kein Dolmetschen"))),
                                    *(SelectChoice(code, name) for code, name in i18n.languages().items())]
        self.letter_language.choices = [SelectChoice(letters.GERMAN, _("nur Deutsch")), *(
            SelectChoice(code, i18n.language_name(code)) for code in letter_languages)]

    def validate_day(self, field):
        if field.data and field.data < self.today:
            raise ValidationError(_("Das Gespräch kann nicht in der Vergangenheit liegen."))

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day.data, self.time.data, tzinfo=ZURICH)


class MinutesForm(FlaskForm):
    held_on = day_field(_l("Geführt am"))
    topics = text_field(_l("Themen"), _l("Bitte die Themen des Gesprächs festhalten."))
    person_view = text_field(_l("Sicht der Person"), description=_l("Was die Person selbst sagt, in Ihren Worten."))

    def __init__(self, *args, case, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.today = case, today

    def validate_held_on(self, field):
        check_step_day(field.data, self.today, self.case.state_on)
