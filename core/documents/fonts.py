"""The font stack of printed documents: which font draws which character, and what cannot be printed.

DejaVu Sans (Debian ``fonts-dejavu-core``, required) covers Latin, Greek,
Cyrillic, Arabic, Hebrew, Armenian and Georgian; Abyssinica SIL
(``fonts-sil-abyssinica``, optional) the Ethiopic script of Tigrinya and
Amharic.  Each character is drawn with the first font of the stack that has it,
so a Tigrinya name in a German letter is no row of boxes.  ``LETTER_FONT_DIRS``
(a path list) is searched before the system's font directories.

The fonts are embedded (subset) into every PDF; we do not ship the files:
Debian keeps them patched.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

FONT_DIRS = [
    *filter(None, os.environ.get("LETTER_FONT_DIRS", "").split(os.pathsep)),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/abyssinica",
    "/usr/local/share/fonts",
]
# (font name, file, bold file or None, required): the stack, in the order characters look for a font.
FONT_FILES = (
    ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", True),
    ("AbyssinicaSIL", "AbyssinicaSIL-Regular.ttf", None, False),
)


class FontMissing(RuntimeError):
    """A required font is not installed (Debian: ``apt-get install fonts-dejavu-core``)."""


@dataclass(frozen=True)
class Font:
    name: str
    bold: str  # the bold face's name (the regular one where the font has no bold)
    chars: frozenset[int]


@cache
def fonts() -> tuple[Font, ...]:
    """Register the font stack with ReportLab once per process; raises :class:`FontMissing`."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    stack = []
    for name, regular, bold, required in FONT_FILES:
        path = _find(regular)
        if path is None:
            if required:
                raise FontMissing(f"font {regular} not found in {FONT_DIRS}: install fonts-dejavu-core")
            continue
        font = TTFont(name, path)
        pdfmetrics.registerFont(font)
        bold_name = name
        bold_path = bold and _find(bold)
        if bold_path:
            bold_name = f"{name}-Bold"
            pdfmetrics.registerFont(TTFont(bold_name, bold_path))
        stack.append(Font(name, bold_name, frozenset(font.face.charToGlyph)))
    return tuple(stack)


def _find(filename: str) -> str | None:
    for directory in FONT_DIRS:
        candidate = Path(directory) / filename
        if candidate.is_file():
            return str(candidate)
    return None


def _font_for(char: str, stack) -> Font | None:
    code = ord(char)
    return next((font for font in stack if code in font.chars), None)


# -- what can be printed -------------------------------------------------------------------------


def covered(text: str) -> bool:
    """Whether every character of ``text`` (spaces aside) has a glyph in the font stack."""
    return not unprintable(text)


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` no font of the stack has, each once, in order of appearance.

    They would print as empty boxes (Tamil, Chinese, Thai, Devanagari and Tibetan, say, for now).
    """
    stack = fonts()
    return list(dict.fromkeys(char for char in text if not char.isspace() and _font_for(char, stack) is None))


def describe(chars: list[str], limit: int = 8) -> str:
    """«வ (U+0BB5), ண (U+0BA3)»: characters with their code points, for a message naming them."""
    shown = ", ".join(f"{char} (U+{ord(char):04X})" for char in chars[:limit])
    return shown + (" …" if len(chars) > limit else "")


def unprintable_error(text: str) -> str | None:
    """A German message naming the characters of ``text`` that cannot be printed, or None."""
    from flask_babel import gettext as _

    missing = unprintable(text)
    if not missing:
        return None
    return _("Diese Zeichen können nicht gedruckt werden, es fehlt eine Schrift dafür: %(chars)s.",
             chars=describe(missing))


def check_printable(text: str) -> str:
    """``text`` itself, or a :class:`core.errors.UserError` naming the characters that cannot be printed."""
    from core.errors import UserError

    if error := unprintable_error(text):
        raise UserError(error)
    return text


# -- runs of one font and their widths ---------------------------------------------------------


@lru_cache(maxsize=16384)  # the lines of a template recur in every document of its language
def runs(text: str, bold: bool = False) -> tuple[tuple[str, str], ...]:
    """Split ``text`` into (font name, text) runs: each character in the first font that has it."""
    stack = fonts()
    result: list[tuple[str, str]] = []
    for char in text:
        font = _font_for(char, stack)
        if font is None:
            decomposed = unicodedata.normalize("NFKC", char)  # e.g. a ligature the font lacks
            if decomposed != char and all(_font_for(c, stack) for c in decomposed):
                result.extend(runs(decomposed, bold))
                continue
            font = stack[0]  # nothing has it: the primary font's empty box
        name = font.bold if bold else font.name
        if result and (result[-1][0] == name or char == " "):
            result[-1] = (result[-1][0], result[-1][1] + char)
        else:
            result.append((name, char))
    return tuple(result)


@lru_cache(maxsize=65536)
def width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in points, drawn in the stack at ``size``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(part, name, size) for name, part in runs(text, bold))


def forget() -> None:
    """Drop the cached runs and widths: they hold names and addresses, which a worker need not keep."""
    runs.cache_clear()
    width.cache_clear()
