"""The forms of the escalation: the commune's submission, the canton's pre-check, document, return, outcome,
and the legal bases; every message in the user's language."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core import clock, content_languages, i18n
from core.documents.fonts import unprintable_error
from core.form_fields import with_message
from core.people.permits import PERMITS
from plugins.fordern import agreement_pdf, legal
from plugins.fordern.escalation_models import AGREEMENT, DEADLINE_OUTCOMES, RECOMMENDATION

TEXT_LENGTH = 5000
DAY_MESSAGE = _l("Bitte ein gültiges Datum eingeben.")
CHOICE_MESSAGE = _l("Bitte eine der angebotenen Möglichkeiten wählen.")
DayField = with_message(DateField, DAY_MESSAGE)
ChoiceField = with_message(SelectField, CHOICE_MESSAGE)
Choices = with_message(RadioField, CHOICE_MESSAGE)

DEADLINE_OUTCOME_LABELS = {"met": _l("erfüllt"), "partly_met": _l("teilweise erfüllt"),
                           "not_met": _l("nicht erfüllt")}
OUTCOME_LABELS = {"fulfilled": _l("erfüllt"), "partly_fulfilled": _l("teilweise erfüllt"),
                  "not_fulfilled": _l("nicht erfüllt")}
KIND_LABELS = {AGREEMENT: _l("Integrationsvereinbarung"), RECOMMENDATION: _l("Integrationsempfehlung")}


def _stripped(text):
    return text.strip() if isinstance(text, str) else text


def _length(length: int) -> Length:
    return Length(max=length, message=_l("Höchstens %(max)d Zeichen."))


def _text(label, required: bool = False, length: int = TEXT_LENGTH, inline: bool = False, **kw):
    """A text; ``inline``: checked further by the form (an Optional() would skip that check when empty)."""
    first = [DataRequired(_l("Bitte ausfüllen."))] if required else ([] if inline else [Optional()])
    return TextAreaField(label, filters=[_stripped], validators=[*first, _length(length)], **kw)


def _line(label, required: bool = False, length: int = 200, inline: bool = False, **kw):
    first = [DataRequired(_l("Bitte ausfüllen."))] if required else ([] if inline else [Optional()])
    return StringField(label, filters=[_stripped], validators=[*first, _length(length)], **kw)


def _printable(form, field) -> None:
    problem = unprintable_error(field.data or "")
    if problem:
        raise ValidationError(problem)


def country_choices() -> list[tuple[str, str]]:
    return [("", _("bitte wählen")), *i18n.countries().items()]


def permit_choices() -> list[tuple[str, str]]:
    return [("", _("bitte wählen"))] + [(code, str(label)) for code, label in PERMITS.items()]


def aid_language_choices() -> list[tuple[str, str]]:
    """The content languages (not German) a translation aid can be in, each by its name and endonym."""
    return [("", _("keine Übersetzungshilfe"))] + [
        (code, f"{i18n.language_name(code)} ({lang.endonym})")
        for code, lang in content_languages.LANGUAGES.items() if code != "de"]


class EscalationForm(FlaskForm):
    """The commune hands the case to the canton, stating what core's person does not say."""

    reason = _text(_l("Begründung der Eskalation"), required=True,
                   description=_l("Warum die Massnahmen nicht genügt haben; der Kanton liest sie."))
    nationality = ChoiceField(_l("Staatsangehörigkeit"), validators=[InputRequired(CHOICE_MESSAGE)])
    permit = ChoiceField(_l("Bewilligung"), validators=[InputRequired(CHOICE_MESSAGE)])
    refugee = BooleanField(_l("anerkannter Flüchtling"))
    language = ChoiceField(_l("Sprache der Person (für die Übersetzungshilfe)"), validators=[Optional()])
    on = DayField(_l("Datum der Übergabe"), validators=[InputRequired(DAY_MESSAGE)],
                  description=_l("nicht in der Zukunft"))

    def __init__(self, *args, since: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since = since
        self.nationality.choices = country_choices()
        self.permit.choices = permit_choices()
        self.language.choices = aid_language_choices()

    def validate_on(self, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_("Das Datum liegt in der Zukunft."))
        if field.data and self.since and field.data < self.since:
            raise ValidationError(_("Das Datum liegt vor dem letzten Schritt des Falls (%(day)s).",
                                    day=self.since.strftime("%d.%m.%Y")))


class PreCheckForm(FlaskForm):
    """The canton's legal pre-check: the person's status, the legal basis valid on the day, the commune's say."""

    nationality = ChoiceField(_l("Staatsangehörigkeit"), validators=[InputRequired(CHOICE_MESSAGE)])
    permit = ChoiceField(_l("Bewilligung"), validators=[InputRequired(CHOICE_MESSAGE)])
    refugee = BooleanField(_l("anerkannter Flüchtling"))
    decision_day = DayField(_l("Entscheidtag"), validators=[InputRequired(DAY_MESSAGE)],
                            description=_l("Angeboten wird die Rechtsgrundlage, die an diesem Tag gilt."))
    legal_basis = SelectField(_l("Rechtsgrundlage"), validate_choice=False, validators=[InputRequired(_l(
        "Bitte die Rechtsgrundlage wählen, die am Entscheidtag gilt."))])
    commune_agrees = Choices(_l("Stimmt die Gemeinde einer Vereinbarung zu?"),
                             choices=[SelectChoice("yes", _l("ja")), SelectChoice("no", _l("nein"))],
                             validators=[InputRequired(_l("Bitte angeben, ob die Gemeinde zustimmt."))])
    commune_note = _text(_l("Bemerkung zur Zustimmung der Gemeinde"))
    reasons = _text(_l("Begründung der Vorprüfung"), required=True)

    def __init__(self, *args, escalated_on: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.escalated_on = escalated_on
        self.nationality.choices = country_choices()
        self.permit.choices = permit_choices()
        day = self.decision_day.data if isinstance(self.decision_day.data, date) else clock.today()
        self.bases = legal.valid_on(day)
        self.legal_basis.choices = [("", _("bitte wählen"))] + [(str(b.id), legal.label(b)) for b in self.bases]
        if not self.legal_basis.data and len(self.bases) == 1:
            self.legal_basis.data = str(self.bases[0].id)

    def validate_legal_basis(self, field) -> None:
        """Only the basis valid on the decision day; refused otherwise, and that one offered instead."""
        if any(str(basis.id) == field.data for basis in self.bases) or not self.bases:
            return
        field.data = str(self.bases[0].id)
        day = self.decision_day.data if isinstance(self.decision_day.data, date) else clock.today()
        raise ValidationError(_("Am %(day)s gilt «%(basis)s»: bitte diese Rechtsgrundlage bestätigen.",
                                day=day.strftime("%d.%m.%Y"), basis=self.bases[0].short))

    def validate_decision_day(self, field) -> None:
        if field.data and (field.data < self.escalated_on or field.data > clock.today()):
            raise ValidationError(_("Der Entscheidtag liegt zwischen der Übergabe (%(day)s) und heute.",
                                    day=self.escalated_on.strftime("%d.%m.%Y")))
        if field.data and not self.bases:
            raise ValidationError(_("An diesem Tag gilt keine Rechtsgrundlage: bitte die Tabelle der "
                                    "Rechtsgrundlagen ergänzen."))


class DeadlineForm(Form):
    label = _line(_l("Frist für"), length=300, inline=True)
    due_on = DayField(_l("bis"), validators=[Optional()])

    def validate_label(self, field) -> None:
        if bool(field.data) != bool(self.due_on.raw_data and self.due_on.raw_data[0]):
            raise ValidationError(_("Eine Frist braucht beides: wofür und bis wann."))


class DocumentForm(FlaskForm):
    """The agreement or recommendation the canton drafts; an agreement only where the pre-check allows it."""

    kind = Choices(_l("Art"), validators=[InputRequired(CHOICE_MESSAGE)])
    goals = _text(_l("Ziele"), required=True)
    measures = _text(_l("Massnahmen"), required=True)
    consequences = _text(_l("Konsequenzen bei Nichteinhaltung"), inline=True,
                         description=_l("Für eine Vereinbarung nötig."))
    deadlines = FieldList(FormField(DeadlineForm), min_entries=4, max_entries=12)
    place = _line(_l("Ort"), length=100)
    commune_signatory = _line(_l("Unterschrift der Gemeinde (Name, Funktion)"))
    canton_signatory = _line(_l("Unterschrift des Kantons (Name, Funktion)"))
    aid_language = ChoiceField(_l("Sprache der Übersetzungshilfe"), validators=[Optional()])
    aid_text = TextAreaField(_l("Übersetzung des Inhalts (in dieser Sprache)"), filters=[_stripped],
                             validators=[_length(TEXT_LENGTH), _printable])
    reason = _text(_l("Begründung des Entscheids"), description=_l("Die Gemeinde sieht sie beim Fall."))

    def __init__(self, *args, allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        # Both kinds stay choices, so that a forged agreement is refused with the pre-check's reason.
        self.kind.choices = [SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]
        self.aid_language.choices = aid_language_choices()

    def validate_kind(self, field) -> None:
        if field.data == AGREEMENT and not self.allowed:
            raise ValidationError(legal.not_allowed_message())

    def validate_consequences(self, field) -> None:
        if self.kind.data == AGREEMENT and not field.data:
            raise ValidationError(_("Eine Vereinbarung nennt die Konsequenzen."))

    def validate_aid_text(self, field) -> None:
        language = self.aid_language.data
        if language and not agreement_pdf.has_standard_aid(language) and not field.data:
            raise ValidationError(_("Für diese Sprache hat die Plattform keine Standardtexte: bitte die "
                                    "Übersetzung eingeben."))

    def filled_deadlines(self) -> list[tuple[str, date]]:
        return [(entry.form.label.data, entry.form.due_on.data) for entry in self.deadlines
                if entry.form.label.data and entry.form.due_on.data]


class ReturnForm(FlaskForm):
    reason = _text(_l("Begründung der Rückgabe"), required=True)


class OutcomeForm(FlaskForm):
    """The overall outcome; each deadline's comes as ``deadline-<seq>`` (see :meth:`deadline_outcomes`)."""

    outcome = ChoiceField(_l("Ergebnis insgesamt"), validators=[Optional()])
    on = DayField(_l("festgestellt am"), validators=[InputRequired(DAY_MESSAGE)])
    note = _text(_l("Bemerkung"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", _("noch offen"))] + [(k, str(v)) for k, v in OUTCOME_LABELS.items()]


def deadline_outcomes(form_data, seqs: list[int]) -> tuple[dict[int, str | None], list[str]]:
    """Each deadline's outcome from the form, and the errors of values that are none of the outcomes."""
    found, errors = {}, []
    for seq in seqs:
        value = form_data.get(f"deadline-{seq}", "")
        if value and value not in DEADLINE_OUTCOMES:
            errors.append(str(CHOICE_MESSAGE))
        found[seq] = value or None
    return found, errors


class LegalBasisForm(FlaskForm):
    short = _line(_l("Kurzbezeichnung"), required=True, length=40, description=_l("zum Beispiel AIG"))
    title = _line(_l("Titel"), required=True, length=300)
    reference = _line(_l("Fundstelle"), required=True, length=200, description=_l("zum Beispiel SR 142.20, Art. 58b"))
    valid_from = DayField(_l("gültig ab"), validators=[InputRequired(DAY_MESSAGE)])
    valid_to = DayField(_l("gültig bis (letzter Tag)"), validators=[Optional()],
                        description=_l("leer: bis auf Weiteres"))

    def validate_valid_to(self, field) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_("Das Ende der Gültigkeit liegt vor ihrem Beginn."))

