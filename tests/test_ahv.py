"""core.ahv: AHV numbers checked by python-stdnum, stored as 13 digits, shown with dots."""

from __future__ import annotations

import pytest

from core.ahv import format_ahv, normalize_ahv
from core.errors import UserError

FORM = "Die AHV-Nummer hat die Form 756.XXXX.XXXX.XX."
CHECK_DIGIT = "Die Prüfziffer der AHV-Nummer stimmt nicht; bitte die Nummer prüfen."


@pytest.mark.parametrize("text", [
    "756.9217.0769.85", "7569217076985", "756 9217 0769 85", " 756-9217-0769-85 ", "756.92170769.85",
])
def test_an_ahv_number_is_normalised_to_13_digits(text):
    assert normalize_ahv(text) == "7569217076985"


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_number_is_none(text):
    assert normalize_ahv(text) is None


@pytest.mark.parametrize(("text", "message"), [
    ("756.9217.0769.84", CHECK_DIGIT),
    ("7561234567890", CHECK_DIGIT),
    ("123.4567.8910.19", FORM),  # the EAN-13 check digit is right, but it is no Swiss number (756)
    ("756.9217.0769.8", FORM),  # twelve digits
    ("756.9217.0769.850", FORM),
    ("756.9217.O769.85", FORM),  # a letter O for a zero
    ("AHV 756.9217.0769.85", FORM),
    ("756/9217/0769/85", FORM),
])
def test_stdnum_refuses_a_wrong_number_with_a_german_message(ctx, text, message):
    with pytest.raises(UserError) as error:
        normalize_ahv(text)
    assert str(error.value) == message


def test_a_non_string_is_refused(ctx):
    with pytest.raises(UserError, match="hat die Form"):
        normalize_ahv(7569217076985)


def test_format_ahv():
    assert format_ahv("7569217076985") == "756.9217.0769.85"
    assert format_ahv(None) == format_ahv("") == ""
