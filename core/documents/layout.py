"""A4 pages for Swiss window envelopes: the canvas, a top-down line writer, letterhead and address block.

Geometry (SN 010130, window on the right, C5/C4 envelope): the address field is
118 mm from the left edge and 50 mm from the top, 80 mm wide and 40 mm high;
the letterhead (the sender) sits top left, 20 mm from the top.  Everything is in
PDF points (1/72 inch); ``MM`` converts.  The address block is always drawn
left-to-right, even in a right-to-left document, as the post reads it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from core.documents import fonts, text

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
LEFT, RIGHT, BOTTOM = 22 * MM, 20 * MM, 22 * MM
TEXT_WIDTH = PAGE_WIDTH - LEFT - RIGHT
CONTINUATION_TOP = 25 * MM  # where text resumes on a following page
SIZE, LEADING = 10.5, 14.5  # body text

LETTERHEAD_TOP, LETTERHEAD_WIDTH = 20 * MM, 85 * MM
WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT = 118 * MM, 50 * MM, 80 * MM, 40 * MM
ADDRESS_SIZE, ADDRESS_MIN_SIZE = 10.5, 7.0
CONTENT_TOP = 100 * MM  # below the window: place and date, subject, body


def new_canvas(buffer: io.BytesIO, title: str = ""):
    """A ReportLab canvas for A4 pages, fonts registered, reproducible output (``invariant``)."""
    from reportlab.pdfgen.canvas import Canvas

    fonts.fonts()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    canvas.setAuthor("start.integration")
    if title:
        canvas.setTitle(title)
    return canvas


class Page:
    """Draws lines top-down on a canvas (``y``: the baseline of the next line), with page breaks.

    ``rtl``: the document's direction; its lines are right-aligned unless a call says otherwise.
    """

    def __init__(self, canvas, rtl: bool = False):
        self.canvas, self.rtl = canvas, rtl
        self.y = PAGE_HEIGHT

    def at(self, from_top: float) -> Page:
        """Continue at ``from_top`` points below the top edge of the page."""
        self.y = PAGE_HEIGHT - from_top
        return self

    def line(self, line: str, x: float, line_width: float, size: float = SIZE, bold: bool = False,
             align_right: bool | None = None) -> None:
        """Draw one line (shaped, logical order) at the current baseline, each character in its font."""
        drawn = text.visual(line, self.rtl)
        right = self.rtl if align_right is None else align_right
        start = x + line_width - fonts.width(drawn, size, bold) if right else x
        for name, part in fonts.runs(drawn, bold):
            self.canvas.setFont(name, size)
            self.canvas.drawString(start, self.y, part)
            start += self.canvas.stringWidth(part, name, size)

    def block(self, content: str, x: float = LEFT, line_width: float = TEXT_WIDTH, size: float = SIZE,
              bold: bool = False, leading: float = LEADING, align_right: bool | None = None) -> None:
        """Draw ``content`` wrapped to ``line_width``, moving down; a full page continues on the next."""
        for line in text.wrap(text.shaped(text.keep_phone_numbers_together(content)), line_width, size, bold):
            if self.y < BOTTOM:
                self.canvas.showPage()
                self.at(CONTINUATION_TOP)
            self.line(line, x, line_width, size, bold, align_right)
            self.y -= leading

    def paragraphs(self, body: str, gap: float = 6) -> None:
        """Body text: paragraphs separated by a blank line, a single newline breaks the line."""
        for paragraph in body.replace("\r\n", "\n").split("\n\n"):
            if paragraph.strip():
                self.block(paragraph.strip("\n"))
                self.y -= gap


def letterhead(page: Page, sender: Sequence[str]) -> None:
    """The sender top left: its first line (the tenant) in bold, then the contact lines, always left-aligned."""
    page.at(LETTERHEAD_TOP)
    for number, line in enumerate(sender):
        line = text.keep_postcode_with_town(line)
        page.block(line, LEFT, LETTERHEAD_WIDTH, size=9, bold=number == 0, leading=11.5, align_right=False)


def address_size(recipient: Sequence[str]) -> float:
    """The largest size (10.5 pt down to 7 pt) at which the address fits the window's height."""
    size = ADDRESS_SIZE
    while size > ADDRESS_MIN_SIZE:
        if _address_height(recipient, size) <= WINDOW_HEIGHT:
            break
        size -= 0.5
    return size


def _address_height(recipient: Sequence[str], size: float) -> float:
    lines = sum(len(text.wrap(text.shaped(line), WINDOW_WIDTH, size)) for line in recipient)
    return size + (lines - 1) * _address_leading(size)


def _address_leading(size: float) -> float:
    return size * 13 / 10.5


def address_block(page: Page, recipient: Sequence[str]) -> None:
    """The recipient's address in the envelope's window, left-aligned, smaller where it has many lines."""
    size = address_size(recipient)
    page.at(WINDOW_TOP + size * 0.85)  # the first line's cap height touches the field's top
    for line in recipient:
        page.block(line, WINDOW_LEFT, WINDOW_WIDTH, size=size, leading=_address_leading(size), align_right=False)
