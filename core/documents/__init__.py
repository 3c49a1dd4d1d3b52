"""Printed documents: the PDF layout every module shares.

- :mod:`core.documents.fonts` — the font stack (DejaVu Sans, Abyssinica SIL; ``LETTER_FONT_DIRS``),
  :func:`~core.documents.fonts.unprintable` / ``unprintable_error`` (the characters no font has),
  runs of one font and their widths.
- :mod:`core.documents.text` — right-to-left shaping (``arabic-reshaper``) and ordering (``python-bidi``),
  :func:`~core.documents.text.is_rtl_language`, line breaking.
- :mod:`core.documents.layout` — A4 geometry for a Swiss window envelope (SN 010130, window on the
  right), :class:`~core.documents.layout.Page` (a top-down line writer with page breaks),
  :func:`~core.documents.layout.letterhead`, :func:`~core.documents.layout.address_block`,
  :func:`~core.documents.layout.new_canvas`.
- :mod:`core.documents.letter` — a whole letter (:class:`~core.documents.letter.Letter`):
  ``render``, ``render_each``.

See ``docs/documents.md``.
"""
