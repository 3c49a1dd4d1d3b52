"""The canton's forms: a year's credit, and a new version of its rules (a table of rules, copied from the last)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.errors import UserError
from core.form_fields import with_message
from core.money import format_chf, parse_chf
from plugins.subventionen import credit
from plugins.subventionen.credit import KIND_LABELS, RuleDraft
from plugins.subventionen.models import COST_SHARE, PER_ACTIVITY, RULE_KINDS

DAY_MESSAGE = _l("Bitte ein gültiges Datum eingeben.")
DayField = with_message(DateField, DAY_MESSAGE)
YearField = with_message(IntegerField, _l("Bitte ein Jahr angeben (zum Beispiel 2017)."))
ChoiceField = with_message(SelectField, _l("Bitte eine der angebotenen Möglichkeiten wählen."))
BLANK_RULES = 3  # empty rows the version form offers for new rules
_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?\s*%?$")


def money(field, *, required: bool) -> int | None:
    """The Rappen of a money field, or a ValidationError with core's message (empty: None unless required)."""
    text = (field.data or "").strip()
    if not text and not required:
        return None
    try:
        return parse_chf(text)
    except UserError as refused:
        raise ValidationError(str(refused)) from None


def percent(text: str) -> int:
    """Basis points of «50», «12.5 %», «33,33»; a ValidationError otherwise."""
    match = _PERCENT.match((text or "").strip())
    if match is None:
        raise ValidationError(_("«%(value)s» ist kein Anteil in Prozent (zum Beispiel 50 oder 12.5).",
                                value=(text or "").strip()))
    whole, decimals = match.groups()
    return int(whole) * 100 + int((decimals or "").ljust(2, "0"))


class CreditForm(FlaskForm):
    year = YearField(_l("Jahr"), validators=[InputRequired(_l("Bitte ein Jahr angeben (zum Beispiel 2017).")),
                                             NumberRange(credit.FIRST_YEAR, credit.LAST_YEAR,
                                                         _l("Der Integrationskredit beginnt 2017."))])
    amount = StringField(_l("Kredit (CHF)"), description=_l("zum Beispiel 900'000.00"))
    claims_from = DayField(_l("Abrechnungsperiode von"), validators=[InputRequired(DAY_MESSAGE)])
    claims_until = DayField(_l("bis"), validators=[InputRequired(DAY_MESSAGE)])
    deadline = DayField(_l("Frist für die Abrechnungen"), validators=[InputRequired(DAY_MESSAGE)])

    def validate_amount(self, field):
        rappen = money(field, required=True)
        if rappen <= 0:
            raise ValidationError(_("Der Kredit muss ein Betrag über null sein."))
        field.rappen = rappen

    def validate_claims_until(self, field):
        if field.data and self.claims_from.data and field.data < self.claims_from.data:
            raise ValidationError(_("Das Ende liegt vor dem Beginn der Abrechnungsperiode."))

    def validate_deadline(self, field):
        if field.data and self.claims_until.data and field.data < self.claims_until.data:
            raise ValidationError(_("Die Frist kann nicht vor dem Ende der Abrechnungsperiode liegen."))


class RuleRow(Form):
    """One row of the rules table; a row without a kind is left out (how a rule is removed)."""

    kind = ChoiceField(_l("Art"), default="")
    activity_key = ChoiceField(_l("Aktivität"), default="")
    amount = StringField(_l("Betrag (CHF)"))
    share = StringField(_l("Anteil (%)"))
    ceiling = StringField(_l("Obergrenze (CHF)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _("– keine Regel –")), *((kind, str(KIND_LABELS[kind])) for kind in RULE_KINDS)]
        self.activity_key.choices = [("", "–"), *credit.activity_keys().items()]

    def validate_activity_key(self, field):
        if self.kind.data == PER_ACTIVITY and not field.data:
            raise ValidationError(_("Bitte die Aktivität wählen, die bezahlt wird."))

    def validate_amount(self, field):
        if self.kind.data and self.kind.data != COST_SHARE:
            rappen = money(field, required=True)
            if rappen <= 0:
                raise ValidationError(_("Bitte einen Betrag über null angeben."))

    def validate_share(self, field):
        if self.kind.data == COST_SHARE:
            basis_points = percent(field.data)
            if not 1 <= basis_points <= 10_000:
                raise ValidationError(_("Der Anteil liegt über 0 und höchstens bei 100 %."))

    def validate_ceiling(self, field):
        if self.kind.data == COST_SHARE:
            money(field, required=False)

    def draft(self) -> RuleDraft | None:
        kind = self.kind.data
        if not kind:
            return None
        if kind == COST_SHARE:
            return RuleDraft(kind, share=percent(self.share.data), ceiling=money(self.ceiling, required=False))
        return RuleDraft(kind, amount=parse_chf(self.amount.data),
                         activity_key=self.activity_key.data if kind == PER_ACTIVITY else None)


class VersionForm(FlaskForm):
    based_on = HiddenField()  # the version this one copies: refused if another was saved meanwhile
    rules = FieldList(FormField(RuleRow), min_entries=1)
    note = StringField(_l("Was ändert sich?"), validators=[Optional(), Length(max=500, message=_l(
        "Höchstens %(max)d Zeichen."))], description=_l("Kurz, für die Versionenliste (zum Beispiel «Pauschale "
                                                         "pro Gemeinde erhöht»)."))

    def drafts(self) -> list[RuleDraft]:
        return [found for row in self.rules for found in (row.form.draft(),) if found is not None]

    def validate_rules(self, field):
        if not any(row.form.kind.data for row in field):
            raise ValidationError(_("Eine Version braucht mindestens eine Regel."))


def rows_of(rules) -> list[dict]:
    """The rows of the form for existing rules (the copy of the current version), then empty ones."""
    rows = []
    for rule in rules:
        rows.append({"kind": rule.kind, "activity_key": rule.activity_key or "",
                     "amount": "" if rule.amount is None else plain_chf(rule.amount),
                     "share": "" if rule.share is None else credit.format_share(rule.share).replace(" %", ""),
                     "ceiling": "" if rule.ceiling is None else plain_chf(rule.ceiling)})
    return rows + [{} for _ in range(BLANK_RULES)]


def plain_chf(rappen: int) -> str:
    """An amount as the form shows it to be edited: «900'000.00»."""
    return format_chf(rappen, symbol=False)
