"""QR codes in printed documents: drawn as vector squares (segno's matrix), so they stay sharp at any print size."""

from __future__ import annotations

import segno

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def matrix(text: str) -> tuple[bytearray, ...]:
    """The code's modules (1 dark, 0 light), without the quiet zone; error correction M (15 %)."""
    return segno.make(text, error="m", micro=False, boost_error=False).matrix


def draw(canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw ``text`` as a QR code whose square, quiet zone included, has its lower left corner at (x, y)."""
    rows = matrix(text)
    module = size / (len(rows) + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    for number, row in enumerate(rows):
        top = y + size - (QUIET_ZONE + number + 1) * module
        start = None
        for column, dark in enumerate((*row, 0)):  # a trailing light module closes the last run
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                canvas.rect(x + (QUIET_ZONE + start) * module, top, (column - start) * module, module,
                            stroke=0, fill=1)
                start = None
    canvas.restoreState()
