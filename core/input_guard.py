"""Hostile input refused at the door: NUL bytes and lone surrogates in query strings and form values
answer 400 with a message (PostgreSQL cannot store them, drivers fail on them: a 500 otherwise),
and page numbers are parsed into a range every database column holds."""

from __future__ import annotations

import re

from flask import render_template, request
from flask_babel import gettext as _

from core.api import PREFIX, error_response

# NUL, and UTF-16 surrogates (never valid on their own in a Python str decoded from UTF-8).
_BAD = re.compile("[\x00\ud800-\udfff]")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

# Far beyond any real list (a page of 100 rows at this page is still a 32-bit offset).
MAX_PAGE = 1_000_000


def has_bad_characters(value: str) -> bool:
    return _BAD.search(value) is not None


def page_number(raw: str | None) -> int:
    """A page number from a query parameter: 1 for anything but ASCII digits, at most MAX_PAGE."""
    if not (raw and raw.isascii() and raw.isdigit()):
        return 1
    if len(raw) > len(str(MAX_PAGE)):  # int() of thousands of digits is refused, and slow before that
        return MAX_PAGE
    return min(max(int(raw), 1), MAX_PAGE)


def _bad_input() -> bool:
    sources = [request.args]
    if request.mimetype in _FORMS:  # other bodies (XML, JSON) are their parsers' business
        sources.append(request.form)
    return any(has_bad_characters(key) or has_bad_characters(value)
               for source in sources for key, values in source.lists() for value in [key, *values])


def refuse_bad_characters():
    """Before every request: the refusal, or None to go on."""
    if not _bad_input():
        return None
    if request.path.startswith(PREFIX + "/"):
        return error_response(400, "invalid_characters",
                              "The request contains a NUL byte or a lone surrogate; nothing was changed.")
    message = _("Die Anfrage enthält unzulässige Zeichen (ein Nullbyte oder ein ungültiges Unicode-Zeichen); "
                "nichts wurde geändert. Bitte die Eingabe prüfen.")
    return render_template("error.html", message=message), 400


def init_app(app) -> None:
    app.before_request(refuse_bad_characters)
