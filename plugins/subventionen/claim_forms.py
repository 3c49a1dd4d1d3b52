"""The tenant's forms: starting a claim for a year, a documented cost with its receipt, the buttons' forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from core.attachments import DOCUMENTS
from core.attachments.forms import AttachmentField
from plugins.subventionen.credit_forms import DAY_MESSAGE, ChoiceField, DayField, money


def stripped(text):
    return text.strip() if isinstance(text, str) else text


class PrepareForm(FlaskForm):
    year = ChoiceField(_l("Jahr"))

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [(str(year), str(year)) for year in years]


class CostForm(FlaskForm):
    description = StringField(_l("Beschreibung"), filters=[stripped], validators=[
        DataRequired(_l("Bitte beschreiben, wofür die Kosten angefallen sind.")),
        Length(max=500, message=_l("Höchstens %(max)d Zeichen."))])
    amount = StringField(_l("Betrag (CHF)"), description=_l("zum Beispiel 1'250.00"))
    spent_on = DayField(_l("Datum"), validators=[InputRequired(DAY_MESSAGE)])
    commune = ChoiceField(_l("Gemeinde"), default="")
    receipt = AttachmentField(_l("Beleg"), allowed=DOCUMENTS, required=True)

    def __init__(self, *args, communes: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.commune.choices = [("", _("– für alle Gemeinden –")),
                                *((str(bfs), name) for bfs, name in sorted(communes.items(), key=lambda c: c[1]))]

    def validate_amount(self, field):
        rappen = money(field, required=True)
        if rappen <= 0:
            raise ValidationError(_("Bitte einen Betrag über null angeben."))
        field.rappen = rappen

    @property
    def bfs_number(self) -> int | None:
        return int(self.commune.data) if self.commune.data else None


class ButtonForm(FlaskForm):
    """A button's form: the CSRF token alone (recompute, submit, withdraw, remove a cost)."""
