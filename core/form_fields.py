"""Form fields every part of the platform uses: checkbox lists, fields with our own message for bad input, and
the key a form carries against double submission."""

from __future__ import annotations

import uuid

from wtforms import SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def with_message(field_class, message):
    """The field with our own message for input it cannot take (WTForms has English ones)."""

    class Field(field_class):
        def process_formdata(self, valuelist):
            try:
                super().process_formdata(valuelist)
            except ValueError:
                self.data = None
                raise ValueError(str(message)) from None

        def pre_validate(self, form):
            try:
                super().pre_validate(form)
            except ValueError:
                raise ValidationError(str(message)) from None

    Field.__name__ = field_class.__name__
    return Field


def form_key(text: str | None) -> uuid.UUID | None:
    """The key a new record's form carried (made when it was shown, it becomes the record's id: a form sent
    twice finds the record of the first); None for a key that is missing or no UUID."""
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None
