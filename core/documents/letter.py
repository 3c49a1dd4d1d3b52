"""A Swiss letter as PDF: letterhead, window address, place and date, subject, body; one or many per file.

Informieren's welcome letters, Fordern's agreements and the subsidy's payment
advices are all such letters; each module fills a :class:`Letter` (its texts
already translated and filled in) and calls :func:`render`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.documents import fonts, layout, text


@dataclass(frozen=True)
class Letter:
    """What one letter says, ready to draw."""

    language: str
    rtl: bool  # right-to-left: the text is right-aligned (the address block never is)
    sender: tuple[str, ...]  # first line in bold: the tenant
    recipient: tuple[str, ...]
    place_date: str
    subject: str
    body: str  # paragraphs separated by a blank line; a single newline breaks the line


def draw(canvas, letter: Letter) -> None:
    """Draw one letter (one or more pages) and end its last page."""
    page = layout.Page(canvas, letter.rtl)
    canvas.setTitle(letter.subject)
    layout.letterhead(page, letter.sender)
    layout.address_block(page, letter.recipient)
    page.at(layout.CONTENT_TOP).block(letter.place_date)
    page.y -= 2 * layout.LEADING
    page.block(letter.subject, size=12, bold=True, leading=16)
    page.y -= layout.LEADING
    page.paragraphs(letter.body)
    canvas.showPage()


def render(letters: Iterable[Letter]) -> bytes:
    """One PDF with all ``letters``, one after the other."""
    buffer = io.BytesIO()
    canvas = layout.new_canvas(buffer)
    for letter in letters:
        draw(canvas, letter)
    canvas.save()
    return buffer.getvalue()


def render_each(letters: list[Letter], progress: Callable[[int], None] | None = None,
                each: Callable[[int, bytes], None] | None = None) -> tuple[bytes, list[bytes]]:
    """The combined PDF to print and one PDF per letter; the caches of names are dropped afterwards.

    With ``each``, every single PDF is handed to it (number, bytes) as soon as it is rendered instead of
    being collected, so a large batch holds one at a time (written into a ZIP on disk, say).
    """
    try:
        singles = []
        for number, letter in enumerate(letters, 1):
            single = render([letter])
            if each is None:
                singles.append(single)
            else:
                each(number, single)
            if progress is not None:
                progress(number)
        return render(letters), singles
    finally:
        forget()


def forget() -> None:
    """Drop every cached line: they hold names and addresses, which a worker need not keep."""
    fonts.forget()
    text.forget()
