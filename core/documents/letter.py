"""A Swiss letter as PDF: letterhead, window address, place and date, subject, body; one or many per file.

Informieren's welcome letters, Fordern's agreements and the subsidy's payment
advices are all such letters; each module fills a :class:`Letter` (its texts
already translated and filled in) and calls :func:`render`.  A letter may end with
links (:class:`LetterLink`), printed as text and, where asked, as a QR code: other
modules contribute them through the ``letter_links`` hook (:func:`links_for`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core import modules
from core.documents import fonts, layout, qr, text

QR_SIZE = 22 * layout.MM  # quiet zone included: a version-4 code's modules are over 0.5 mm, easy for a phone


@dataclass(frozen=True)
class LetterLink:
    """A link printed at the end of a letter: a label, the address and, if ``qr``, its QR code."""

    label: str  # in the letter's language where there is a text for it
    url: str  # absolute (https://…): it leaves the screen
    qr: bool = True


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
    links: tuple[LetterLink, ...] = ()  # printed after the body


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
    for link in letter.links:
        draw_link(page, link)
    canvas.showPage()


def draw_link(page: layout.Page, link: LetterLink) -> None:
    """The link's QR code at the start of the line (the right in a right-to-left letter), label and address beside it.

    The address is printed whole, left to right, so that it can be typed; the block moves to a new page
    rather than being cut.
    """
    height = QR_SIZE if link.qr else 2 * layout.LEADING
    if page.y + layout.SIZE - height < layout.BOTTOM:
        page.canvas.showPage()
        page.at(layout.CONTINUATION_TOP)
    top = page.y + layout.SIZE  # the block's top edge: a line's height above the next baseline
    beside = QR_SIZE + 3 * layout.MM if link.qr else 0
    if link.qr:
        qr_x = layout.LEFT + layout.TEXT_WIDTH - QR_SIZE if page.rtl else layout.LEFT
        # The quiet zone is white already: the code's dark modules start a quiet zone's width inside the square.
        qr.draw(page.canvas, link.url, qr_x, top - QR_SIZE, QR_SIZE)
    text_x = layout.LEFT if page.rtl else layout.LEFT + beside
    page.y = top - QR_SIZE / 2 + layout.LEADING / 2 if link.qr else page.y
    page.block(link.label, text_x, layout.TEXT_WIDTH - beside, bold=True)
    page.block(link.url, text_x, layout.TEXT_WIDTH - beside, align_right=page.rtl)
    page.y = min(page.y, top - height) - layout.LEADING / 2


def links_for(tenant, language: str) -> tuple[LetterLink, ...]:
    """What the modules active in ``tenant`` want printed on a letter in ``language`` (the ``letter_links`` hook)."""
    answers = modules.tenant_hooks(tenant).letter_links(tenant=tenant, language=language)
    return tuple(link for answer in answers for link in answer or ())


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
