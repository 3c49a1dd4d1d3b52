"""Text for printing: right-to-left shaping and ordering, and line breaking with the font stack.

ReportLab 5.1 shapes and reorders only with ``rlbidi``, which is not on PyPI, so
Arabic is shaped with ``arabic-reshaper`` (contextual letter forms, lam-alef
ligatures) and put into visual order per line with ``python-bidi``, after line
breaking in logical order.  Known limit: the reshaper drops Arabic vowel marks
(harakat); names and letters are normally written without them.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError

from core.documents.fonts import width

_RTL_CLASSES = {"R", "AL"}


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (Arabic, Hebrew, Persian...)."""
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def is_rtl_language(language: str) -> bool:
    """Whether ``language`` (a Babel locale code) is written right to left: its documents are right-aligned."""
    try:
        return Locale.parse(language).character_order == "right-to-left"
    except (UnknownLocaleError, ValueError):
        return False


@cache
def _reshaper():
    import arabic_reshaper

    return arabic_reshaper.ArabicReshaper()


@lru_cache(maxsize=4096)
def shaped(text: str) -> str:
    """Arabic letters in their joined forms (logical order kept); other text unchanged."""
    return _reshaper().reshape(text) if has_rtl(text) else text


@lru_cache(maxsize=4096)
def visual(line: str, rtl: bool) -> str:
    """One line (already shaped) in the order it is drawn from left to right; ``rtl``: the paragraph's direction."""
    if not has_rtl(line):
        return line
    from bidi import get_display

    return get_display(line, base_dir="R" if rtl else "L")


@lru_cache(maxsize=4096)
def wrap(text: str, max_width: float, size: float, bold: bool = False) -> tuple[str, ...]:
    """Greedy line breaking at spaces (logical order); a single newline breaks; a word wider than the line is cut."""
    space = width(" ", size, bold)
    lines: list[str] = []
    for hard_line in text.split("\n"):
        current, current_width = "", 0.0
        for word in hard_line.split(" "):
            word_width = width(word, size, bold)
            if not current or current_width + space + word_width <= max_width:
                current, current_width = (f"{current} {word}", current_width + space + word_width) if current \
                    else (word, word_width)
                if current_width <= max_width:
                    continue
            else:
                lines.append(current)
                current, current_width = word, word_width
            if current_width > max_width:  # one word alone is too wide: cut it
                *full, current = _cut(current, max_width, size, bold)
                lines.extend(full)
                current_width = width(current, size, bold)
        lines.append(current)
    return tuple(lines)


def _cut(word: str, max_width: float, size: float, bold: bool) -> list[str]:
    pieces, current = [], ""
    for char in word:
        if current and width(current + char, size, bold) > max_width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current]


def forget() -> None:
    """Drop the cached lines (names and addresses)."""
    for cached in (wrap, visual, shaped):
        cached.cache_clear()
