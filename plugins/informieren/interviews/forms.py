"""The interview's forms, with German messages for input WTForms cannot take (its own are English)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from core import clock, i18n
from core.clock import ZURICH
from core.form_fields import MultiCheckboxField, with_message
from plugins.informieren.interviews.records import INVITATION_LABELS, OUTCOME_LABELS, lines
from plugins.informieren.models import Outcome


def language_choices() -> list[SelectChoice]:
    """The interpreter's language: none, or an ISO 639-1 language by its name in the user's language."""
    return [SelectChoice("", str(_l("kein Dolmetschen"))),
            *(SelectChoice(code, name) for code, name in i18n.languages().items())]


def _required(message):
    return InputRequired(message=message)


DayField = with_message(DateField, _l("Bitte ein gültiges Datum eingeben."))
ClockField = with_message(TimeField, _l("Bitte eine gültige Uhrzeit eingeben (HH:MM)."))
ChoiceField = with_message(RadioField, _l("Bitte eine der angebotenen Möglichkeiten wählen."))
LanguageField = with_message(SelectField, _l("Unbekannte Sprache."))
TopicsField = with_message(MultiCheckboxField, _l("Unbekanntes Thema; bitte nur Themen der Liste wählen."))


class InvitationForm(FlaskForm):
    invitation = ChoiceField(
        _l("Einladung"),
        choices=[SelectChoice(key, label) for key, label in INVITATION_LABELS.items()],
        validators=[_required(_l("Bitte wählen Sie, ob per Brief oder mit einem Termin eingeladen wird."))],
    )
    invited_on = DayField(_l("Eingeladen am"),
                           validators=[_required(_l("Bitte geben Sie das Datum der Einladung an."))])
    appointment_date = DayField(_l("Datum des Termins"), validators=[Optional()])
    appointment_time = ClockField(_l("Uhrzeit"), validators=[Optional()])
    place = StringField(_l("Ort"), validators=[Optional(), Length(max=200, message=_l("Höchstens 200 Zeichen."))])
    interpreter_language = LanguageField(_l("Dolmetschen in"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.invited_on.data and self.invited_on.data > clock.today():
            self.invited_on.errors.append(_("Das Datum der Einladung darf nicht in der Zukunft liegen."))
            valid = False
        if self.invitation.data == "appointment":
            if not self.appointment_date.data and not self.appointment_date.errors:
                self.appointment_date.errors.append(_("Für einen Termin braucht es ein Datum."))
                valid = False
            if not self.appointment_time.data and not self.appointment_time.errors:
                self.appointment_time.errors.append(_("Für einen Termin braucht es eine Uhrzeit."))
                valid = False
            day, invited = self.appointment_date.data, self.invited_on.data
            if day and invited and day < invited:
                self.appointment_date.errors.append(_("Der Termin kann nicht vor der Einladung liegen."))
                valid = False
        return valid

    def appointment_at(self) -> datetime | None:
        """The appointment as UTC (entered in Swiss time)."""
        if self.invitation.data != "appointment":
            return None
        local = datetime.combine(self.appointment_date.data, self.appointment_time.data, tzinfo=ZURICH)
        return local.astimezone(UTC)


class OutcomeForm(FlaskForm):
    outcome = ChoiceField(
        _l("Ergebnis"),
        choices=[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()],
        validators=[_required(_l("Bitte wählen Sie das Ergebnis."))],
    )
    held_on = DayField(
        _l("Datum"), validators=[Optional()],
        description=_l("Beim geführten Gespräch nötig; sonst der Tag der Absage (leer: Termin bzw. heute)."),
    )
    topics = TopicsField(_l("Besprochene Themen"), validators=[Optional()])
    notes = TextAreaField(_l("Notizen"),
                          validators=[Optional(), Length(max=10000, message=_l("Höchstens 10000 Zeichen."))])
    needs = TextAreaField(_l("Bedürfnisse (eines pro Zeile)"),
                          validators=[Optional(), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))])
    offers = TextAreaField(_l("Vorgeschlagene Angebote (eines pro Zeile)"),
                           validators=[Optional(), Length(max=5000, message=_l("Höchstens 5000 Zeichen."))])

    handover_open = False  # the view sets it: a module takes hand-overs and none was made yet

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        held = self.outcome.data == Outcome.HELD
        if held and not self.held_on.data and not self.held_on.errors:
            self.held_on.errors.append(_("Für ein geführtes Gespräch braucht es das Datum."))
            valid = False
        if self.held_on.data and self.held_on.data > clock.today():
            self.held_on.errors.append(_("Das Datum darf nicht in der Zukunft liegen."))
            valid = False
        if self.handover_open and not held and (lines(self.needs.data) or lines(self.offers.data)):
            self.needs.errors.append(_("Eine Übergabe an Fördern ist nur nach einem geführten Gespräch möglich."))
            valid = False
        return valid
