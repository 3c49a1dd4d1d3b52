"""The offer's form and the own kind's form, with every message in the user's language.

WTForms' own messages for input it cannot read are English: the fields below bring German ones
(translated like every UI string). The checks across fields (an end before its start, an age
range reversed) are here too, so each error stands beside its field.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from core import content_languages
from core.content_languages import GERMAN
from core.errors import UserError
from core.form_fields import MultiCheckboxField, with_message
from core.i18n import language as ui_language
from core.money import format_chf, parse_chf
from core.translations_field import TranslationsField
from plugins.foerdern import offers, published
from plugins.foerdern.models import TARGET_GROUPS, URL_LENGTH

MAX_AGE = 120


DayField = with_message(DateField, _l("Bitte ein gültiges Datum eingeben."))
AgeField = with_message(IntegerField, _l("Bitte ein Alter in ganzen Jahren eingeben."))
ChoiceField = with_message(RadioField, _l("Bitte eine der angebotenen Möglichkeiten wählen."))
ChecklistField = with_message(MultiCheckboxField, _l("Bitte nur Einträge der Liste wählen."))


class OptionalTranslationsField(TranslationsField):
    """A translated text that may be left empty; once any language is written, German is required."""

    def pre_validate(self, form):
        if self.data:
            super().pre_validate(form)

    @property
    def value(self) -> dict | None:
        return self.data or None


def _stripped(text):
    return text.strip() if isinstance(text, str) else text


def _optional_text(max_length: int):
    return {"filters": [_stripped], "validators": [Optional(), Length(max=max_length, message=_l(
        "Höchstens %(max)d Zeichen."))]}


class OfferForm(FlaskForm):
    form_key = HiddenField()  # made when a new offer's form is shown; becomes its id (a second post finds it)
    title = TranslationsField(_l("Titel"), multiline=False)
    description = OptionalTranslationsField(_l("Beschreibung"))
    kind = SelectField(_l("Art des Angebots"), validate_choice=False)  # checked by validate_kind
    provider_name = StringField(_l("Organisation"), **_optional_text(200))
    provider_contact = TextAreaField(_l("Kontaktperson"), description=_l("Name, Telefon, E-Mail"),
                                     **_optional_text(1000))
    address = TextAreaField(_l("Adresse"), **_optional_text(1000))
    municipality = SelectField(_l("Gemeinde"), validate_choice=False)  # checked by validate_municipality
    online = BooleanField(_l("online"))
    timing = ChoiceField(_l("Wann"), default="ongoing")
    starts_on = DayField(_l("Beginn"), validators=[Optional()], description=_l("bei «von – bis»"))
    ends_on = DayField(_l("Ende"), validators=[Optional()], description=_l("bei «von – bis»; leer: offen"))
    schedule = OptionalTranslationsField(_l("Zeitplan"), multiline=False,
                                         description=_l("bei «regelmässig», zum Beispiel: jeden Dienstag, 14 bis 16 "
                                                        "Uhr"))
    languages = ChecklistField(_l("Sprachen im Angebot"))
    target_groups = ChecklistField(_l("Zielgruppen"))
    age_min = AgeField(_l("Alter von"), validators=[Optional(), NumberRange(0, MAX_AGE, _l(
        "Bitte ein Alter zwischen %(min)s und %(max)s Jahren eingeben."))])
    age_max = AgeField(_l("Alter bis"), validators=[Optional(), NumberRange(0, MAX_AGE, _l(
        "Bitte ein Alter zwischen %(min)s und %(max)s Jahren eingeben."))])
    women_only = BooleanField(_l("nur für Frauen"))
    childcare = BooleanField(_l("mit Kinderbetreuung"))
    cost = StringField(_l("Kosten (CHF)"), description=_l("Leer lassen oder 0, wenn das Angebot kostenlos ist."))
    reduced_cost = StringField(_l("Reduzierte Kosten (CHF)"), description=_l("für wen, sagen die Bedingungen"))
    reduction_conditions = OptionalTranslationsField(_l("Bedingungen für die Reduktion"), multiline=False)
    registration_url = StringField(_l("Link zur Anmeldung"), description=_l("beginnt mit https:// oder http://"),
                                   **_optional_text(URL_LENGTH))
    registration_contact = TextAreaField(_l("Anmeldung bei"), description=_l("Telefon, E-Mail oder Ort"),
                                         **_optional_text(1000))
    valid_from = DayField(_l("Gültig ab"), validators=[Optional()])
    valid_until = DayField(_l("Gültig bis"), validators=[Optional()],
                           description=_l("Danach gilt das Angebot als abgelaufen."))
    reach = ChoiceField(_l("Wer zeigt das Angebot"))
    recipients = ChecklistField(_l("Geteilt mit"), coerce=int,
                                description=_l("bei «regional»: die Gemeinden und Regionen, die es auch zeigen"))

    def __init__(self, *args, municipalities: dict[int, str], tenant, **kwargs):
        super().__init__(*args, **kwargs)
        language = ui_language()
        self.reach.choices = [(key, str(offers.REACH_LABELS[key])) for key in published.reach_choices(tenant)]
        if not self.reach.data:
            self.reach.data = self.reach.choices[0][0]
        regional = published.REGIONAL in dict(self.reach.choices)
        self.recipients.choices = [(t.id, t.name) for t in published.neighbours(tenant)] if regional else []
        self.kind.choices = offers.kind_choices(language)
        self.municipality.choices = [("", _("– keine –")), *((str(bfs), name) for bfs, name in municipalities.items())]
        self.timing.choices = [(key, str(label)) for key, label in offers.TIMING_LABELS.items()]
        self.languages.choices = sorted(((code, content_languages.name_in(code, language))
                                         for code in content_languages.CODES), key=lambda c: c[1].casefold())
        self.target_groups.choices = [(key, str(offers.TARGET_GROUP_LABELS[key])) for key in TARGET_GROUPS]
        self.rappen: dict[str, int | None] = {}

    # -- checks of one field --------------------------------------------------------------------

    def validate_kind(self, field):
        try:
            offers.split_kind(field.data or "")
        except UserError as error:
            raise ValidationError(str(error)) from None

    def validate_municipality(self, field):
        if field.data and field.data not in dict(field.choices):
            raise ValidationError(_("Bitte eine Gemeinde der Liste wählen."))

    def validate_cost(self, field):
        self.rappen["cost"] = self._amount(field) or 0

    def validate_reduced_cost(self, field):
        self.rappen["reduced_cost"] = self._amount(field)

    @staticmethod
    def _amount(field) -> int | None:
        if not (field.data or "").strip():
            return None
        try:
            rappen = parse_chf(field.data)
        except UserError as error:
            raise ValidationError(str(error)) from None
        if rappen < 0:
            raise ValidationError(_("Die Kosten können nicht negativ sein."))
        return rappen

    def validate_registration_url(self, field):
        if field.data and not is_web_link(field.data):
            raise ValidationError(_("Bitte einen Link angeben, der mit https:// oder http:// beginnt "
                                    "(zum Beispiel https://www.beispiel.ch/anmeldung)."))

    # -- checks across fields --------------------------------------------------------------------

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_("Das Ende liegt vor dem Beginn."))

    def validate_schedule(self, field):
        if self.timing.data == "recurring" and not field.data:
            raise ValidationError(_("Bitte den Zeitplan auf Deutsch angeben."))

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_("«Gültig bis» liegt vor «Gültig ab»."))

    def validate_age_max(self, field):
        if field.data is not None and self.age_min.data is not None and field.data < self.age_min.data:
            raise ValidationError(_("Das höchste Alter liegt unter dem tiefsten."))

    def validate_recipients(self, field):
        if self.reach.data == published.REGIONAL and not field.data:
            raise ValidationError(_("Bitte mindestens eine Gemeinde oder Region wählen, mit der das Angebot geteilt "
                                    "wird."))

    def validate_reduction_conditions(self, field):
        if self.rappen.get("reduced_cost") is not None and not field.data:
            raise ValidationError(_("Bitte angeben, wer die reduzierten Kosten bezahlt."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Here, not in validate_starts_on: an empty optional field ends its own checks.
        if self.timing.data == "dates" and self.starts_on.data is None and not self.starts_on.errors:
            self.starts_on.errors = [_("Bitte den Beginn angeben (oder «laufend» wählen).")]
            valid = False
        return valid

    def values(self) -> dict:
        """The offer's columns from the validated form."""
        kind, own_kind_id = offers.split_kind(self.kind.data)
        dated = self.timing.data == "dates"
        return {
            "title": self.title.data, "description": self.description.value, "kind": kind,
            "own_kind_id": own_kind_id, "provider_name": self.provider_name.data or None,
            "provider_contact": self.provider_contact.data or None, "address": self.address.data or None,
            "municipality_bfs": int(self.municipality.data) if self.municipality.data else None,
            "online": self.online.data, "timing": self.timing.data,
            "starts_on": self.starts_on.data if dated else None, "ends_on": self.ends_on.data if dated else None,
            "schedule": self.schedule.value if self.timing.data == "recurring" else None,
            "languages": [code for code in content_languages.CODES if code in (self.languages.data or [])],
            "target_groups": [key for key in TARGET_GROUPS if key in (self.target_groups.data or [])],
            "age_min": self.age_min.data, "age_max": self.age_max.data,
            "women_only": self.women_only.data, "childcare": self.childcare.data,
            "cost": self.rappen.get("cost") or 0, "reduced_cost": self.rappen.get("reduced_cost"),
            "reduction_conditions": self.reduction_conditions.value,
            "registration_url": self.registration_url.data or None,
            "registration_contact": self.registration_contact.data or None,
            "valid_from": self.valid_from.data, "valid_until": self.valid_until.data, "reach": self.reach.data,
        }

    def recipient_ids(self) -> list[int]:
        """The tenants a regional offer is shared with (none for another reach)."""
        return sorted(self.recipients.data or []) if self.reach.data == published.REGIONAL else []


def is_web_link(text: str) -> bool:
    """An absolute http(s) link to a host, without spaces (no ``javascript:``, no ``//host``)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in text)


def offer_form_data(offer) -> dict:
    """What the form shows for a stored offer."""
    return {
        "title": offer.title, "description": offer.description or {}, "kind": offers.kind_value(offer),
        "provider_name": offer.provider_name, "provider_contact": offer.provider_contact, "address": offer.address,
        "municipality": str(offer.municipality_bfs or ""), "online": offer.online, "timing": offer.timing,
        "starts_on": offer.starts_on, "ends_on": offer.ends_on, "schedule": offer.schedule or {},
        "languages": offer.languages, "target_groups": offer.target_groups, "age_min": offer.age_min,
        "age_max": offer.age_max, "women_only": offer.women_only, "childcare": offer.childcare,
        "cost": format_amount(offer.cost) if offer.cost else "",
        "reduced_cost": format_amount(offer.reduced_cost) if offer.reduced_cost is not None else "",
        "reduction_conditions": offer.reduction_conditions or {}, "registration_url": offer.registration_url,
        "registration_contact": offer.registration_contact, "valid_from": offer.valid_from,
        "valid_until": offer.valid_until, "reach": offer.reach, "recipients": published.recipients_of(offer),
    }


def format_amount(rappen: int) -> str:
    return format_chf(rappen, symbol=False)


class KindForm(FlaskForm):
    name = TranslationsField(_l("Bezeichnung"), multiline=False)

    def validate_name(self, field):
        taken = {kind.name[GERMAN].casefold() for kind in offers.own_kinds() if kind.id != self.kind_id}
        with force_locale(GERMAN):  # the names are compared in German, the language every kind has
            taken |= {str(label).casefold() for label in offers.KIND_LABELS.values()}
        if field.data.get(GERMAN, "").casefold() in taken:
            raise ValidationError(_("Eine Art mit diesem Namen gibt es schon."))

    kind_id = None


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a deletion's confirmation."""
