"""core.documents: fonts, right-to-left text, the window-envelope layout and whole letters."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from core.documents import fonts, layout, letter, text
from core.errors import UserError

SENDER = ("Einwohnergemeinde Grenchen", "Fachstelle Integration", "Marktplatz 22, 2540 Grenchen")
RECIPIENT = ("Amina Yusuf", "Bahnhofstrasse 12", "2540 Grenchen")
ARABIC = "مرحبا بكم في غرنشن"


def _page_pdf(recipient=RECIPIENT, body_lines=(ARABIC,), rtl=True) -> bytes:
    buffer = io.BytesIO()
    canvas = layout.new_canvas(buffer, title="Test")
    page = layout.Page(canvas, rtl=rtl)
    layout.letterhead(page, SENDER)
    layout.address_block(page, recipient)
    page.at(layout.CONTENT_TOP)
    for line in body_lines:
        page.block(line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _positions(pdf: bytes, page_number: int = 0) -> list[tuple[str, float, float]]:
    """(text, x, y from the top) in millimetres, for every string drawn on the page."""
    found = []

    def visit(text_, cm, tm, font, size):
        if text_.strip():
            found.append((text_.strip(), tm[4] / layout.MM, (layout.PAGE_HEIGHT - tm[5]) / layout.MM))

    PdfReader(io.BytesIO(pdf)).pages[page_number].extract_text(visitor_text=visit)
    return found


def _at(positions, needle):
    return next((x, y) for found, x, y in positions if found == needle)


def test_a_page_with_letterhead_address_block_and_a_right_to_left_line_renders():
    pdf = _page_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and reader.metadata.title == "Test"
    positions = _positions(pdf)
    # The sender top left, 20 mm from the top, beside the 22 mm margin.
    x, y = _at(positions, "Einwohnergemeinde Grenchen")
    assert x == pytest.approx(22, abs=0.1) and y == pytest.approx(20, abs=0.1)  # its first baseline
    # The address in the window: 118 mm from the left, its lines inside 50-90 mm from the top.
    lines = [_at(positions, line) for line in RECIPIENT]
    assert all(x == pytest.approx(118, abs=0.1) for x, _y in lines)
    assert 50 < lines[0][1] < lines[1][1] < lines[2][1] < 90
    # The Arabic line: shaped (presentation forms), right-aligned at the right margin.
    arabic = next((found, x) for found, x, y in positions if "\ufe70" <= found[0] <= "\ufefc")
    drawn_width = fonts.width(text.visual(text.shaped(ARABIC), True), layout.SIZE) / layout.MM
    assert arabic[1] + drawn_width == pytest.approx(210 - 20, abs=0.5)


def test_right_to_left_text_is_shaped_and_put_in_visual_order():
    shaped = text.shaped("لا")  # lam-alef becomes one ligature
    assert shaped != "لا" and len(shaped) == 1
    assert text.visual("abc", True) == "abc"  # no right-to-left letter: unchanged
    assert text.visual(text.shaped("سلام"), True) == text.shaped("سلام")[::-1]
    assert text.is_rtl_language("ar") and text.is_rtl_language("fa") and not text.is_rtl_language("ti")
    assert not text.is_rtl_language("xx-nonsense")


def test_text_in_a_script_no_font_has_is_refused_naming_its_characters(app):
    with app.test_request_context():
        with pytest.raises(UserError) as refused:
            fonts.check_printable("Willkommen வணக்கம் 欢迎")
        message = str(refused.value)
        assert "வ (U+0BB5)" in message and "ண (U+0BA3)" in message and "欢 (U+6B22)" in message
        assert "W" not in message.split(":", 1)[1]  # Latin letters are printable
        for printable in ("Grüezi Ана", "እንቋዕ ብደሓን መጻእኩም", "خوش آمدید", "Բարի գալուստ", "שלום", "  "):
            assert fonts.check_printable(printable) == printable
            assert fonts.unprintable_error(printable) is None
    assert fonts.unprintable("இஇஈ") == ["இ", "ஈ"]  # each character once
    assert fonts.describe(list("abcdefghij")).endswith(" …")


def test_every_character_is_drawn_with_the_first_font_that_has_it():
    runs = fonts.runs("Ana እንቋዕ")
    assert [name for name, _part in runs] == ["DejaVuSans", "AbyssinicaSIL"]
    assert fonts.runs("Ana", bold=True) == (("DejaVuSans-Bold", "Ana"),)


def test_a_long_address_shrinks_to_fit_the_window():
    many = (*(f"Familie Nummer {n}" for n in range(9)), "Bahnhofstrasse 12", "2540 Grenchen")
    size = layout.address_size(many)
    assert layout.ADDRESS_MIN_SIZE <= size < layout.ADDRESS_SIZE
    positions = _positions(_page_pdf(recipient=many, body_lines=("Text",), rtl=False))
    top, bottom = _at(positions, "Familie Nummer 0")[1], _at(positions, "2540 Grenchen")[1]
    assert top > 50 and bottom < 90
    assert layout.address_size(RECIPIENT) == layout.ADDRESS_SIZE


def test_a_long_text_continues_on_another_page():
    pdf = _page_pdf(body_lines=tuple(f"Zeile {n} " * 8 for n in range(80)), rtl=False)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "Zeile 79" in reader.pages[-1].extract_text()
    assert _positions(pdf, 1)[0][2] == pytest.approx(25, abs=0.1)  # continued below the top margin


def test_letters_render_one_after_the_other_and_each_alone():
    welcome = letter.Letter(language="de", rtl=False, sender=SENDER, recipient=RECIPIENT,
                            place_date="Grenchen, 14. März 2017", subject="Willkommen in Grenchen",
                            body="Guten Tag\n\nHerzlich willkommen.\nZweite Zeile.")
    arabic = letter.Letter(language="ar", rtl=True, sender=SENDER, recipient=RECIPIENT, place_date="غرنشن",
                           subject=ARABIC, body=ARABIC)
    seen = []
    combined, singles = letter.render_each([welcome, arabic], seen.append)
    assert seen == [1, 2] and len(singles) == 2
    assert len(PdfReader(io.BytesIO(combined)).pages) == 2
    first = PdfReader(io.BytesIO(singles[0])).pages[0].extract_text()
    assert "Willkommen in Grenchen" in first and "Zweite Zeile." in first
    assert fonts.runs.cache_info().currsize == 0 and text.wrap.cache_info().currsize == 0  # names forgotten
    assert letter.render([welcome]) == singles[0]  # reproducible


def test_a_missing_font_names_the_package(monkeypatch):
    monkeypatch.setattr(fonts, "FONT_DIRS", ["/nonexistent"])
    fonts.fonts.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="fonts-dejavu-core"):
            fonts.fonts()
    finally:
        monkeypatch.undo()
        fonts.fonts.cache_clear()


# -- links with QR codes ----------------------------------------------------------------------------------

OFFERS_URL = "https://integration.so.ch/grenchen/angebote?lang=ar"


def decoded_qr_codes(pdf: bytes, page_number: int = 0) -> list[tuple[str, float]]:
    """The QR codes a phone would read on the printed page: (text, left edge in mm)."""
    import pypdfium2
    import zxingcpp

    scale = 200 / 72  # 200 dpi
    image = pypdfium2.PdfDocument(pdf)[page_number].render(scale=scale).to_pil()
    return [(code.text, code.position.top_left.x / scale / layout.MM) for code in zxingcpp.read_barcodes(image)
            if code.format == zxingcpp.BarcodeFormat.QRCode]


def _letter(links, language="de", rtl=False, body="Willkommen in Grenchen."):
    return letter.Letter(language=language, rtl=rtl, sender=SENDER, recipient=RECIPIENT, place_date="Grenchen",
                         subject="Willkommen", body=body, links=tuple(links))


def test_a_link_is_printed_with_a_qr_code_that_scans():
    link = letter.LetterLink("Integrationsangebote in Ihrer Nähe", OFFERS_URL)
    pdf = letter.render([_letter([link])])
    [(text_, left)] = decoded_qr_codes(pdf)
    assert text_ == OFFERS_URL
    assert 22 < left < 40  # at the start of the line, the left margin
    positions = _positions(pdf)
    assert _at(positions, OFFERS_URL)[0] > 40  # the address beside the code, printed whole to be typed
    assert _at(positions, "Integrationsangebote in Ihrer Nähe")


def test_in_a_right_to_left_letter_the_code_stands_on_the_right():
    link = letter.LetterLink("العروض", OFFERS_URL)
    pdf = letter.render([_letter([link], language="ar", rtl=True, body=ARABIC)])
    [(text_, left)] = decoded_qr_codes(pdf)
    assert text_ == OFFERS_URL and left > 150
    x, _y = _at(_positions(pdf), OFFERS_URL)
    assert x < 150  # left of the code, left to right


def test_a_link_without_qr_code_and_no_links_at_all():
    pdf = letter.render([_letter([letter.LetterLink("Merkblatt", "https://example.org/m", qr=False)])])
    assert decoded_qr_codes(pdf) == [] and "https://example.org/m" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert decoded_qr_codes(letter.render([_letter([])])) == []


def test_a_link_at_the_foot_of_a_full_page_moves_whole_to_the_next():
    link = letter.LetterLink("Angebote", OFFERS_URL)
    pdf = letter.render([_letter([link], body="\n\n".join(["Ein Absatz, der Platz braucht."] * 29))])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert decoded_qr_codes(pdf, 0) == [] and [code for code, _x in decoded_qr_codes(pdf, 1)] == [OFFERS_URL]

