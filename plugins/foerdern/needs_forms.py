"""The forms of needs and referrals, every message in the user's language.

A new need's and a new referral's forms carry a key that becomes the record's id, so a form sent
twice records one. A step's form carries the number of steps its page showed, so that the same
step sent twice is recognised (see ``referral_views``).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core.errors import UserError
from core.form_fields import with_message
from plugins.foerdern import needs, referrals
from plugins.foerdern.needs_models import CATEGORIES, FIRST_STATES, LEVELS, NEED_STATES

NOTE_LENGTH = 2000
DAY_MESSAGE = _l("Bitte ein gültiges Datum eingeben.")
DayField = with_message(DateField, DAY_MESSAGE)
ChoiceField = with_message(SelectField, _l("Bitte eine der angebotenen Möglichkeiten wählen."))
CategoryField = with_message(SelectField, _l("Diesen Bereich gibt es nicht; bitte einen der Liste wählen."))
OfferField = with_message(SelectField, _l("Dieses Angebot ist hier nicht aktuell; bitte eines der Liste wählen."))
LevelField = with_message(SelectField, _l("Dieses Sprachniveau gibt es nicht; bitte eines der Liste wählen."))


def _stripped(text):
    return text.strip() if isinstance(text, str) else text


def _note_field():
    return TextAreaField(_l("Notiz"), filters=[_stripped], validators=[Optional(), Length(max=NOTE_LENGTH, message=_l(
        "Höchstens %(max)d Zeichen."))])


def _day_field(label):
    return DayField(label, validators=[InputRequired(DAY_MESSAGE)], description=_l("nicht in der Zukunft"))


def _check_day(on: date | None, today: date, after: date | None = None) -> None:
    if on is None:
        return
    try:
        referrals.check_day(on, today, after)
    except UserError as error:
        raise ValidationError(str(error)) from None


class NeedForm(FlaskForm):
    form_key = HiddenField()  # a new need's id: the same form sent twice records one need
    category = CategoryField(_l("Bereich"))
    level = LevelField(_l("Sprachniveau gewünscht"), default="", description=_l("nur bei «Sprache»"))
    note = _note_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(key, str(needs.CATEGORY_LABELS[key])) for key in CATEGORIES]
        self.level.choices = [("", _("– nicht angegeben –")), *((key, str(needs.LEVEL_LABELS[key])) for key in LEVELS)]

    def validate_level(self, field):
        if field.data and self.category.data != "language":
            raise ValidationError(_("Ein Sprachniveau gibt es nur bei «Sprache»."))

    @property
    def level_value(self) -> str | None:
        return self.level.data or None if self.category.data == "language" else None


class NeedStateForm(FlaskForm):
    state = ChoiceField(_l("Stand"))
    on = _day_field(_l("Am"))

    def __init__(self, *args, current: str, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.state.choices = [(key, str(needs.STATE_LABELS[key])) for key in NEED_STATES if key != current]

    def validate_on(self, field):
        _check_day(field.data, self.today)


class ReferralForm(FlaskForm):
    form_key = HiddenField()  # the referral's id: the same form sent twice refers once
    offer = OfferField(_l("Angebot"))
    need = ChoiceField(_l("Für das Bedürfnis"))
    state = ChoiceField(_l("Stand"))
    on = _day_field(_l("Am"))
    note = _note_field()

    def __init__(self, *args, offers: list, open_needs: list, today: date, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.offer.choices = [("", _("– bitte wählen –")),
                              *((offer.key, needs.offer_label(offer, language)) for offer in offers)]
        self.need.choices = [("", _("– keines –")), *((str(need.id), needs.need_label(need)) for need in open_needs)]
        self.state.choices = [(key, str(referrals.STATE_LABELS[key])) for key in FIRST_STATES]

    def validate_offer(self, field):
        if not field.data:
            raise ValidationError(_("Bitte ein Angebot wählen."))

    def validate_on(self, field):
        _check_day(field.data, self.today)


class StepForm(FlaskForm):
    after = IntegerField(widget=HiddenField.widget)  # the number of steps the page showed
    state = ChoiceField(_l("Nächster Schritt"))
    on = _day_field(_l("Am"))
    note = _note_field()
    need_met = BooleanField(_l("Das Bedürfnis ist damit erfüllt"), default=True)

    def __init__(self, *args, referral, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral, self.today = referral, today
        self.state.choices = [(key, str(referrals.STATE_LABELS[key])) for key in referrals.next_states(referral)]

    def validate_on(self, field):
        _check_day(field.data, self.today, self.referral.state_on)
