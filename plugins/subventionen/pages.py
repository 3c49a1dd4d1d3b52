"""Subventionen's blueprint, below /<tenant>/subventionen, on which every view module registers its pages; and
the year a page shows (``?jahr=``)."""

from flask import Blueprint, request
from flask_babel import gettext as _

from core import clock
from plugins.subventionen import ledger

blueprint = Blueprint("subventionen", __name__, template_folder="templates")


def default_year() -> int:
    """The latest year with a credit up to this one; this year where there is none."""
    today = clock.today().year
    years = [y for y in ledger.years_shown() if y <= today and ledger.credit_of(y) is not None]
    return max(years) if years else today


def chosen_year() -> tuple[int, str | None]:
    """The year asked for (``?jahr=``), or the default with a message saying why."""
    text = (request.args.get("jahr") or "").strip()
    if not text:
        return default_year(), None
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text), None
    return default_year(), _("«%(text)s» ist kein Jahr.", text=text[:20])
