"""Text for printing: right-to-left shaping and ordering, and line breaking with the font stack.

ReportLab 5.1 shapes and reorders only with ``rlbidi``, which is not on PyPI, so
Arabic is shaped with ``arabic-reshaper`` (contextual letter forms, lam-alef
ligatures) and put into visual order per line with ``python-bidi``, after line
breaking in logical order.  Known limit: the reshaper drops Arabic vowel marks
(harakat); names and letters are normally written without them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from anyascii import anyascii
from babel import Locale, UnknownLocaleError
from babel.core import get_global

from core.documents.fonts import width

_RTL_CLASSES = {"R", "AL"}
NBSP = "\u00a0"
# A Swiss or international phone number written in groups: "032 000 00 00", "+41 32 000 00 00",
# "0800 123 456". Its spaces become non-breaking so that a line never breaks inside it.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3} ?(?:\(0\) ?)?|0)\d{1,4}(?: \d{2,4}){2,4}(?![\w])")
_POSTCODE = re.compile(r"(?<![\d.'’])((?:CH-)?\d{4}) (?=[A-ZÄÖÜÀ-Ý])")
# Unicode's script names (the first word of a letter's character name) as ISO 15924 codes, as Babel names them.
_SCRIPT_CODES = {"LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "GREEK": "Grek", "HEBREW": "Hebr",
                 "ETHIOPIC": "Ethi", "ARMENIAN": "Armn", "GEORGIAN": "Geor", "DEVANAGARI": "Deva", "THAI": "Thai",
                 "TAMIL": "Taml", "BENGALI": "Beng", "HANGUL": "Hang", "CJK": "Hani", "HIRAGANA": "Jpan",
                 "KATAKANA": "Jpan", "SYRIAC": "Syrc", "THAANA": "Thaa", "TIBETAN": "Tibt"}


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (Arabic, Hebrew, Persian...)."""
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def is_rtl_language(language: str) -> bool:
    """Whether ``language`` (a Babel locale code) is written right to left: its documents are right-aligned."""
    try:
        return Locale.parse(language).character_order == "right-to-left"
    except (UnknownLocaleError, ValueError):
        return False


def keep_phone_numbers_together(text: str) -> str:
    """``text`` with the spaces inside phone numbers non-breaking (a letterhead's number never breaks)."""
    return _PHONE.sub(lambda match: match.group(0).replace(" ", NBSP), text)


def keep_postcode_with_town(text: str) -> str:
    """A Swiss postal code and the town after it non-breaking ("2540 Grenchen"), for a letterhead's address."""
    return _POSTCODE.sub(lambda match: match.group(1) + NBSP, text)


def scripts(text: str) -> set[str]:
    """The ISO 15924 scripts of the letters in ``text`` ("Latn", "Cyrl", "Arab" …); digits and marks count not."""
    found = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            word = name.split(" ", 1)[0]
            found.add(_SCRIPT_CODES.get(word, word.title()))
    return found


def is_latin(text: str) -> bool:
    """Whether every letter of ``text`` is Latin (what Swiss Post can read on an envelope)."""
    return scripts(text) <= {"Latn"}


def language_script(language: str) -> str | None:
    """The script a language is usually written in (CLDR's likely subtags): "uk" → "Cyrl", "de" → "Latn"."""
    subtags = get_global("likely_subtags").get(language.split("_")[0].lower())
    parts = subtags.split("_") if subtags else []
    return parts[1] if len(parts) > 1 and len(parts[1]) == 4 else None


def latin_spelling(text: str) -> str:
    """A Latin transliteration (anyascii) for an envelope: "Олена" → "Olena"; Latin text stays as it is.

    Scripts without capitals (Arabic, Ethiopic, Hebrew …) get capitalised words, and anyascii's marks for
    the ayn and hamza (backtick, apostrophe) become apostrophes, as in the passports' spellings.
    """
    if is_latin(text):
        return text
    words = []
    for word in text.split():
        if is_latin(word):
            words.append(word)
            continue
        latin = anyascii(word).replace("`", "'").strip("'")
        words.append(latin if latin[:1].isupper() else latin[:1].upper() + latin[1:])
    return " ".join(word for word in words if word)


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
