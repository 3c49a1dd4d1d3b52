"""The forms of cases: opening one, a transition of the state machine, the change of owner.

A new case's form carries a key that becomes its id (sent twice: one case); a transition's form
carries the number of steps its page showed (sent twice: one step, see ``case_views``).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import ValidationError

from plugins.fordern import states
from plugins.fordern.form_parts import ChoiceField, check_step_day, day_field, text_field

# The transitions the case page offers as they are: the others have pages of their own (the interview,
# the measures) or belong to the escalation and to the canton.
GENERIC = (states.UNDER_REVIEW, states.CLOSED)


def generic_next(state: str) -> tuple[str, ...]:
    return tuple(to for to in states.next_states(state) if to in GENERIC)


class OpenCaseForm(FlaskForm):
    form_key = HiddenField()
    reason = text_field(_l("Grund"), _l("Bitte den Grund für den Fall angeben."),
                        description=_l("Weshalb die Gemeinde die Integration einfordert."))
    owner = ChoiceField(_l("Zuständig"))
    on = day_field(_l("Eröffnet am"))

    def __init__(self, *args, officers: dict[str, str], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.owner.choices = list(officers.items())

    def validate_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError(_("Das Datum darf nicht in der Zukunft liegen."))


class TransitionForm(FlaskForm):
    after = IntegerField(widget=HiddenField.widget)  # the number of steps the page showed
    to_state = HiddenField()  # one of generic_next(case.state)
    on = day_field(_l("Am"))
    outcome = ChoiceField(_l("Ergebnis"), validate_choice=False)  # checked by validate_outcome
    reason = text_field(_l("Begründung"))

    def __init__(self, *args, case, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.today = case, today
        self.outcome.choices = [("", _("– bitte wählen –")), *(
            (key, str(states.OUTCOME_LABELS[key])) for key in states.allowed_outcomes(case.state))]

    def validate_to_state(self, field):
        if field.data not in generic_next(self.case.state):
            raise ValidationError(_("Von «%(state)s» aus geht es hier nicht so weiter.",
                                    state=states.STATE_LABELS[self.case.state]))

    def validate_on(self, field):
        check_step_day(field.data, self.today, self.case.state_on)

    def validate_outcome(self, field):
        if self.to_state.data != states.CLOSED:
            field.data = None
        elif field.data not in states.allowed_outcomes(self.case.state):
            raise ValidationError(_("Bitte das Ergebnis wählen.") if not field.data
                                  else _("Bitte eine der angebotenen Möglichkeiten wählen."))

    def validate_reason(self, field):
        if self.to_state.data in states.NEEDS_REASON and not field.data:
            raise ValidationError(_("Bitte einen Grund angeben."))


class OwnerForm(FlaskForm):
    owner = ChoiceField(_l("Zuständig"))

    def __init__(self, *args, officers: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = list(officers.items())
