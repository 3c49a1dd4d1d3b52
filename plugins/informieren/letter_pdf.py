"""Welcome letters as PDF: an A4 letter for a Swiss window envelope, in any script the fonts cover.

Layout (SN 010130, window on the right): the sender (the tenant) at the top
left, the recipient's address in the window 118 mm from the left and 50 mm
from the top, then place and date, the subject in bold and the body.

Fonts: DejaVu Sans (Debian ``fonts-dejavu-core``) covers Latin, Greek, Cyrillic,
Arabic, Hebrew, Armenian and Georgian; Abyssinica SIL (``fonts-sil-abyssinica``)
is used, when installed, for the Ethiopic script of Tigrinya and Amharic.  Each
character is drawn with the first font of the stack that has it, so a Tigrinya
name in a German letter is no row of boxes.  Right-to-left text (Arabic, Hebrew,
Persian...) is shaped (``arabic_reshaper``: the joined letter forms) and put into
visual order per line (``python-bidi``); a letter in such a language is
right-aligned.
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

FONT_DIRS = [
    *filter(None, os.environ.get("LETTER_FONT_DIRS", "").split(os.pathsep)),
    str(Path(__file__).parent / "fonts"),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/abyssinica",
    "/usr/local/share/fonts",
]
# (font name, file, bold file or None, required): the stack, in the order characters look for a font.
FONT_FILES = (
    ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", True),
    ("AbyssinicaSIL", "AbyssinicaSIL-Regular.ttf", None, False),
)

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
LEFT, RIGHT, BOTTOM = 22 * MM, 20 * MM, 22 * MM
WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH = 118 * MM, 50 * MM, 80 * MM
SIZE, LEADING, PARAGRAPH_GAP = 10.5, 14.5, 6


class FontMissing(RuntimeError):
    """The letter font is not installed (Debian: ``apt-get install fonts-dejavu-core``)."""


@dataclass(frozen=True)
class Letter:
    """What one letter says, ready to draw (placeholders already filled in)."""

    language: str
    rtl: bool
    sender: tuple[str, ...]  # first line in bold: the tenant
    recipient: tuple[str, ...]
    place_date: str
    subject: str
    body: str  # paragraphs separated by a blank line; a single newline breaks the line


@dataclass(frozen=True)
class _Font:
    name: str
    bold: str
    chars: frozenset[int]


@cache
def fonts() -> tuple[_Font, ...]:
    """Register the font stack with ReportLab once per process."""
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
        stack.append(_Font(name, bold_name, frozenset(font.face.charToGlyph)))
    return tuple(stack)


def _find(filename: str) -> str | None:
    for directory in FONT_DIRS:
        candidate = Path(directory) / filename
        if candidate.is_file():
            return str(candidate)
    return None


def covered(text: str) -> bool:
    """Whether every character of ``text`` has a glyph in the font stack."""
    return all(_font_for(char, fonts()) is not None for char in text if not char.isspace())


def _font_for(char: str, stack) -> _Font | None:
    code = ord(char)
    return next((font for font in stack if code in font.chars), None)


# -- text: shaping, direction, runs of one font -------------------------------------------------

_RTL_CLASSES = {"R", "AL"}


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


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
    """One line (already shaped) in the order it is drawn from left to right."""
    if not has_rtl(line):
        return line
    from bidi import get_display

    return get_display(line, base_dir="R" if rtl else "L")


@lru_cache(maxsize=16384)  # the lines of a template recur in every letter of its language
def _runs(text: str, bold: bool) -> tuple[tuple[str, str], ...]:
    """Split ``text`` into (font name, text) runs: each character in the first font that has it."""
    stack = fonts()
    runs: list[tuple[str, str]] = []
    for char in text:
        font = _font_for(char, stack)
        if font is None:
            decomposed = unicodedata.normalize("NFKC", char)  # e.g. a ligature the font lacks
            if decomposed != char and all(_font_for(c, stack) for c in decomposed):
                runs.extend(_runs(decomposed, bold))
                continue
            font = stack[0]  # nothing has it: the primary font's empty box
        name = font.bold if bold else font.name
        if runs and (runs[-1][0] == name or char == " "):
            runs[-1] = (runs[-1][0], runs[-1][1] + char)
        else:
            runs.append((name, char))
    return tuple(runs)


@lru_cache(maxsize=65536)
def width(text: str, size: float = SIZE, bold: bool = False) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(part, name, size) for name, part in _runs(text, bold))


@lru_cache(maxsize=4096)
def wrap(text: str, max_width: float, size: float = SIZE, bold: bool = False) -> tuple[str, ...]:
    """Greedy line breaking at spaces (logical order); a word wider than the line is cut."""
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


# -- drawing -------------------------------------------------------------------------------------


class _Writer:
    """Draws lines on a canvas top-down, starting a new page when the page is full."""

    def __init__(self, canvas, rtl: bool):
        self.canvas, self.rtl = canvas, rtl
        self.y = 0.0

    def line(self, text: str, x: float, line_width: float, size: float = SIZE, bold: bool = False,
             align_right: bool | None = None) -> None:
        drawn = visual(text, self.rtl)
        right = self.rtl if align_right is None else align_right
        start = x + line_width - width(drawn, size, bold) if right else x
        for name, part in _runs(drawn, bold):
            self.canvas.setFont(name, size)
            self.canvas.drawString(start, self.y, part)
            start += self.canvas.stringWidth(part, name, size)

    def block(self, text: str, x: float, line_width: float, size: float = SIZE, bold: bool = False,
              leading: float = LEADING, align_right: bool | None = None) -> None:
        for line in wrap(shaped(text), line_width, size, bold):
            if self.y < BOTTOM:
                self.canvas.showPage()
                self.y = PAGE_HEIGHT - 25 * MM
            self.line(line, x, line_width, size, bold, align_right)
            self.y -= leading


def draw(canvas, letter: Letter) -> None:
    """Draw one letter (one or more pages) and end its last page."""
    text_width = PAGE_WIDTH - LEFT - RIGHT
    writer = _Writer(canvas, letter.rtl)
    canvas.setTitle(letter.subject)
    # The sender, top left; the address block of a window envelope is always left-to-right.
    writer.y = PAGE_HEIGHT - 20 * MM
    for number, line in enumerate(letter.sender):
        writer.block(line, LEFT, 85 * MM, size=9, bold=number == 0, leading=11.5, align_right=False)
    writer.y = PAGE_HEIGHT - WINDOW_TOP - 9
    for line in letter.recipient:
        writer.block(line, WINDOW_LEFT, WINDOW_WIDTH, leading=13, align_right=False)
    writer.y = PAGE_HEIGHT - 100 * MM
    writer.block(letter.place_date, LEFT, text_width)
    writer.y -= 2 * LEADING
    writer.block(letter.subject, LEFT, text_width, size=12, bold=True, leading=16)
    writer.y -= LEADING
    for paragraph in letter.body.replace("\r\n", "\n").split("\n\n"):
        if paragraph.strip():
            writer.block(paragraph.strip("\n"), LEFT, text_width)
            writer.y -= PARAGRAPH_GAP
    canvas.showPage()


def _canvas(buffer):
    from reportlab.pdfgen.canvas import Canvas

    fonts()
    return Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)


def render(letters: Iterable[Letter]) -> bytes:
    """One PDF with all ``letters``, one after the other."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer)
    canvas.setAuthor("start.integration")
    for letter in letters:
        draw(canvas, letter)
    canvas.save()
    return buffer.getvalue()


def render_each(letters: list[Letter], progress: Callable[[int], None] | None = None) -> tuple[bytes, list[bytes]]:
    """The combined PDF to print and one PDF per letter."""
    try:
        singles = []
        for number, letter in enumerate(letters, 1):
            singles.append(render([letter]))
            if progress is not None:
                progress(number)
        return render(letters), singles
    finally:
        forget()


def forget() -> None:
    """Drop the cached lines: they hold names and addresses, which a worker need not keep."""
    for cached in (width, wrap, visual, shaped, _runs):
        cached.cache_clear()
