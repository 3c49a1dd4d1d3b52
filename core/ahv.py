"""AHV numbers (AHVN13, the Swiss social security number, ``vn`` in eCH-0044), checked by python-stdnum.

Stored as the 13 digits (``7569217076985``), shown as ``756.9217.0769.85``. People type dots,
spaces or dashes; the number must begin with 756 and carry the right EAN-13 check digit.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from stdnum.ch import ssn
from stdnum.exceptions import InvalidChecksum, ValidationError

from core.errors import UserError

_SEPARATORS = re.compile(r"[.\s\-]")


def normalize_ahv(text: str | None) -> str | None:
    """The 13 digits of an AHV number; None for none (None or blank); a :class:`UserError` for a wrong one.

    The message says what is wrong: the form (``756.XXXX.XXXX.XX``) or the check digit.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    digits = _SEPARATORS.sub("", text) if isinstance(text, str) else ""
    try:
        return ssn.validate(digits)
    except InvalidChecksum:
        raise UserError(_("Die Prüfziffer der AHV-Nummer stimmt nicht; bitte die Nummer prüfen.")) from None
    except ValidationError:
        raise UserError(_("Die AHV-Nummer hat die Form 756.XXXX.XXXX.XX.")) from None


def format_ahv(vn: str | None) -> str:
    """``756.9217.0769.85`` for the stored 13 digits; an empty string for none."""
    return ssn.format(vn) if vn else ""
