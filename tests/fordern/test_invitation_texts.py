"""The commune's own invitation texts for the languages Fordern does not translate: written on their page
(refused with a clear message and kept when wrong), offered on the invitation, printed after the German letter."""

from __future__ import annotations

import io

from pypdf import PdfReader

from core import content_languages, provisioning
from core.db import db
from plugins.fordern import invitation_texts
from tests.fordern.support import BASE, NEXT_WEEK, field_error, open_case, person, send, text

PAGE = f"{BASE}/einladungstexte"
PORTUGUESE = """Convite para uma entrevista de integração
Olá {name},
convidamo-lo para uma entrevista no dia {datum} às {zeit}, em {ort}.
Intérprete: {dolmetschen}"""


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def offer(tenant, *codes):
    content_languages.set_offered(tenant, ["de", *codes])
    db.session.commit()


def test_the_page_lists_the_communes_further_languages_and_refuses_unknown_placeholders(officer, grenchen):
    offer(grenchen, "pt", "ti", "fr")
    page = text(officer.get(PAGE))
    assert 'name="text-pt"' in page and 'name="text-ti"' in page and 'dir="ltr"' in page
    assert 'name="text-fr"' not in page  # French is Fordern's own
    wrong = PORTUGUESE + "\n{0.__class__} {ort"
    response, _ = send(officer, PAGE, {"text-pt": wrong})
    page = text(response)
    assert response.status_code == 400 and "{0.__class__}" in field_error(page, "text-pt")
    assert "convidamo-lo para uma entrevista" in page  # nothing typed is lost
    assert provisioning.get_setting(grenchen, invitation_texts.SETTING) == {}
    response, _ = send(officer, PAGE, {"text-pt": "Só uma linha"})
    assert response.status_code == 400 and "Betreff" in field_error(text(response), "text-pt")


def test_the_letter_follows_the_german_one_in_the_persons_language(officer, grenchen):
    offer(grenchen, "pt")
    response, _ = send(officer, PAGE, {"text-pt": PORTUGUESE})
    assert response.status_code == 302
    assert provisioning.get_setting(grenchen, invitation_texts.SETTING) == {"pt": PORTUGUESE}
    case = open_case(grenchen, person(grenchen, first_name="João", official_name="Pereira", languages=("pt",)))
    url = f"{BASE}/faelle/{case.id}/gespraech"
    page = text(officer.get(url))
    assert '<option selected value="pt">' in page or '<option value="pt" selected>' in page
    assert "gibt es keinen Einladungstext" not in page
    response, _ = send(officer, url, {"day": NEXT_WEEK.isoformat(), "time": "09:15", "place": "Stadthaus Grenchen",
                                      "interpreter": "pt", "letter_language": "pt"})
    assert response.status_code == 302
    letter = officer.get(f"{url}/einladung.pdf")
    printed = pdf_text(letter.data)
    assert len(PdfReader(io.BytesIO(letter.data)).pages) == 2
    assert "Einladung zum Integrationsgespräch" in printed and "Convite para uma entrevista" in printed
    assert "Olá João Pereira" in printed and "às 09:15, em Stadthaus Grenchen" in printed
    assert "Intérprete: português" in printed and NEXT_WEEK.strftime("%Y") in printed
    assert "{" not in printed

    # The text removed again: the letter is German only, and the invitation says why.
    response, _ = send(officer, PAGE, {"text-pt": ""})
    assert response.status_code == 302 and provisioning.get_setting(grenchen, invitation_texts.SETTING) == {}
    assert len(PdfReader(io.BytesIO(officer.get(f"{url}/einladung.pdf").data)).pages) == 1
    assert "Für Portugiesisch gibt es keinen Einladungstext." in text(officer.get(url))


def test_a_text_in_a_language_no_longer_offered_is_kept(officer, grenchen):
    offer(grenchen, "pt", "tr")
    send(officer, PAGE, {"text-pt": PORTUGUESE, "text-tr": "Davet\nMerhaba {name}"})
    offer(grenchen, "pt")  # Turkish no longer offered: its text stays editable rather than lost
    page = text(officer.get(PAGE))
    assert 'name="text-tr"' in page and "Merhaba {name}" in page
    send(officer, PAGE, {"text-pt": PORTUGUESE, "text-tr": "Davet\nMerhaba {name}"})
    assert set(provisioning.get_setting(grenchen, invitation_texts.SETTING)) == {"pt", "tr"}


def test_the_setting_refuses_what_the_page_would(grenchen):
    assert invitation_texts.check_setting({"xx": "Betreff\nText"}, grenchen)
    assert "{foo}" in invitation_texts.check_setting({"pt": "Betreff\nText {foo}"}, grenchen)
    assert invitation_texts.check_setting({"pt": PORTUGUESE}, grenchen) is None
