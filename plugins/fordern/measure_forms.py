"""The measures' forms: a new measure (its offer one of the ``offer_choices``), agreeing, the follow-up."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import ValidationError

from core.attachments import DOCUMENTS
from core.attachments.forms import AttachmentField
from core.form_fields import with_message
from plugins.fordern.form_parts import ChoiceField, check_step_day, day_field, text_field
from plugins.fordern.measure_models import KINDS, LEVELS, RESULTS
from plugins.fordern.measures import KIND_LABELS, RESULT_LABELS

OfferField = with_message(ChoiceField, _l("Dieses Angebot gibt es hier nicht (mehr); bitte eines der Liste wählen."))


class MeasureForm(FlaskForm):
    form_key = HiddenField()  # the measure's id: sent twice, drafted once
    kind = ChoiceField(_l("Art"))
    level = ChoiceField(_l("Zielniveau"), default="", description=_l("nur bei «Sprachkurs»"))
    goal = text_field(_l("Ziel"), _l("Bitte das Ziel der Massnahme angeben."))
    deadline = day_field(_l("Frist"))
    offer = OfferField(_l("Angebot aus Fördern"), default="", render_kw={"style": "max-width: 100%"})  # long titles

    def __init__(self, *args, offers: list[tuple[str, str]], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.offers = today, dict(offers)
        self.kind.choices = [(key, str(KIND_LABELS[key])) for key in KINDS]
        self.level.choices = [("", _("– keines –")), *((level, level) for level in LEVELS)]
        self.offer.choices = [("", _("– kein Angebot –")), *offers]

    def validate_level(self, field):
        if field.data and self.kind.data != "language_course":
            raise ValidationError(_("Ein Zielniveau gibt es nur bei einem Sprachkurs."))

    def validate_deadline(self, field):
        if field.data and field.data <= self.today:
            raise ValidationError(_("Die Frist muss in der Zukunft liegen."))

    @property
    def chosen_offer(self) -> tuple[str, str] | None:
        return (self.offer.data, self.offers[self.offer.data]) if self.offer.data else None


class AgreeForm(FlaskForm):
    after = HiddenField()  # the number of steps the page showed
    on = day_field(_l("Vereinbart am"))

    def __init__(self, *args, case, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.today = case, today

    def validate_on(self, field):
        check_step_day(field.data, self.today, self.case.state_on)


class FollowUpForm(FlaskForm):
    result = ChoiceField(_l("Ergebnis"))
    on = day_field(_l("Beurteilt am"))
    note = text_field(_l("Bemerkung"))
    evidence = AttachmentField(_l("Nachweis"), allowed=DOCUMENTS)

    def __init__(self, *args, measure, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure, self.today = measure, today
        self.result.choices = [(key, str(RESULT_LABELS[key])) for key in RESULTS]

    def validate_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError(_("Das Datum darf nicht in der Zukunft liegen."))
        if field.data and self.measure.agreed_on and field.data < self.measure.agreed_on:
            raise ValidationError(_("Das Ergebnis kann nicht vor der Vereinbarung (%(day)s) liegen.",
                                    day=self.measure.agreed_on.strftime("%d.%m.%Y")))
