"""The escalation to the canton: the commune submits a case, the canton pre-checks it and concludes an
agreement (with a printable PDF), issues a recommendation (the only choice for an EU national) or returns
it; the commune's case follows and shows the outcome."""

from __future__ import annotations

import io
import os
import re
import shutil

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from core import submissions
from core.attachments import Attachment
from core.db import db
from core.submissions import Submission
from core.tenancy import tenant_scope
from plugins.fordern import escalation, states
from plugins.fordern.escalation_models import CaseOutcome, LegalBasis, Review
from plugins.fordern.models import Case
from tests.conftest import login_as
from tests.fordern.escalation_world import (
    case_under_review,
    document_form,
    escalation_form,
    field_error,
    legal_basis,
    post,
    precheck_form,
    text,
    world,
)


@pytest.fixture
def tenants(ctx):
    return world()


@pytest.fixture
def officer(app, tenants):
    client = app.test_client()
    login_as(client, (tenants[1], "integration_officer"), name="Greta Gerber")
    return client


@pytest.fixture
def reviewer(app, tenants):
    client = app.test_client()
    login_as(client, (tenants[0], escalation.REVIEWER), name="Fabio Bernasconi")
    return client


def case_url(case, tenant="grenchen") -> str:
    return f"/{tenant}/fordern/faelle/{case.id}"


def review_url(number: str) -> str:
    return f"/kanton/fordern/eskalationen/{number}"


def reload(tenant, case) -> Case:
    with tenant_scope(tenant):
        return db.session.scalar(sa.select(Case).where(Case.id == case.id).execution_options(populate_existing=True))


def escalate(officer, case, **overrides) -> str:
    response = post(officer, f"{case_url(case)}/eskalieren", f"{case_url(case)}/eskalieren",
                    escalation_form(**overrides))
    assert response.status_code == 302, text(response)
    return re.search(r"FO-\d{4}-\d{4}", text(officer.get(case_url(case)))).group(0)


def precheck(reviewer, canton, number, **overrides):
    return post(reviewer, review_url(number), f"{review_url(number)}/vorpruefung",
                precheck_form(legal_basis(canton, "AuG").id, **overrides))


def test_a_case_is_escalated_pre_checked_and_concluded_as_an_agreement_with_a_printable_pdf(
        tenants, officer, reviewer, tmp_path):
    canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    page = text(officer.get(f"{case_url(case)}/eskalieren"))
    assert '<option selected value="ER">' in page  # core's person says the nationality
    number = escalate(officer, case)
    assert reload(grenchen, case).state == states.SUBMITTED

    inbox = text(reviewer.get("/kanton/fordern/eskalationen"))
    assert number in inbox and "Grenchen" in inbox
    page = text(reviewer.get(review_url(number)))
    assert "Tesfay Ghebre" in page and "Nach zwei Runden von Massnahmen keine Verbesserung." in page

    assert precheck(reviewer, canton, number).status_code == 302
    page = text(reviewer.get(review_url(number)))
    assert "Ergebnis: Eine Integrationsvereinbarung ist möglich." in page
    assert "Drittstaatsangehörige mit Bewilligung B, C, L" in page

    response = post(reviewer, review_url(number), f"{review_url(number)}/dokument", document_form())
    assert response.status_code == 302, text(response)

    case = reload(grenchen, case)
    assert case.state == states.AGREEMENT_CONCLUDED
    with tenant_scope(grenchen):
        [outcome] = db.session.scalars(sa.select(CaseOutcome)).all()
        [submission] = db.session.scalars(sa.select(Submission)).all()
        assert submission.state == submissions.State.ACCEPTED
    assert (outcome.decision, outcome.decided_on.isoformat()) == ("agreement_concluded", "2018-06-15")

    page = text(officer.get(case_url(case)))
    assert "Integrationsvereinbarung abgeschlossen" in page and "15.06.2018" in page
    pdf = officer.get(f"{case_url(case)}/entscheide/{outcome.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.data))
    german = "\n".join(page.extract_text() for page in reader.pages[:-1])
    for expected in (f"Integrationsvereinbarung {number}", "Tesfay Ghebre", "12.04.1988", "Eritrea",
                     "Gemeinde Grenchen", "AuG", "Deutschkurs A2 bei ECAP", "31.08.2018: Anmeldung zum Deutschkurs A2",
                     "Konsequenzen", "Unterschriften", "Greta Gerber"):
        assert expected in german, expected
    aid = reader.pages[-1].extract_text()
    assert "Aide à la traduction" in aid and "Seul le texte allemand fait foi." in aid
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf.data)
    image = document[0].render(scale=1).to_pil()
    assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1  # A4 at 72 dpi
    shots = os.environ.get("FORDERN_SHOTS")
    for number_, page in enumerate(document):
        page.render(scale=150 / 72).to_pil().save(tmp_path / f"agreement-{number_ + 1}.png")
        if shots:
            os.makedirs(shots, exist_ok=True)
            name = f"agreement-{number_ + 1}.png"
            shutil.copyfile(tmp_path / name, os.path.join(shots, name))


def test_an_eu_national_can_only_end_in_a_recommendation(tenants, officer, reviewer):
    canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen, name=("Ana", "Moreira"), nationalities=("PT",), languages=("pt",))
    number = escalate(officer, case, nationality="PT", permit="B", language="pt")
    precheck(reviewer, canton, number, nationality="PT")
    page = text(reviewer.get(review_url(number)))
    assert "Ergebnis: Nur eine Integrationsempfehlung ist möglich." in page
    assert "Freizügigkeitsabkommen" in page
    assert '<input disabled id="kind-0" name="kind" required type="radio" value="agreement">' in page

    forged = post(reviewer, review_url(number), f"{review_url(number)}/dokument", document_form(aid_language=""))
    assert forged.status_code == 400
    assert field_error(text(forged), "kind") == ("Nach der Vorprüfung ist keine Integrationsvereinbarung zulässig: "
                                                 "nur eine Integrationsempfehlung.")
    assert reload(grenchen, case).state == states.SUBMITTED

    issued = post(reviewer, review_url(number), f"{review_url(number)}/dokument",
                  document_form(kind="recommendation", consequences="", aid_language="pt",
                                aid_text="Recomendamos que frequente o curso de alemão A2."))
    assert issued.status_code == 302, text(issued)
    assert reload(grenchen, case).state == states.RECOMMENDATION_ISSUED
    assert "Integrationsempfehlung abgegeben" in text(officer.get(case_url(case)))


def test_returned_the_communes_case_is_returned_with_the_cantons_reason(tenants, officer, reviewer):
    _canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    number = escalate(officer, case)
    empty = post(reviewer, review_url(number), f"{review_url(number)}/zurueckgeben", {"reason": " "})
    assert empty.status_code == 400 and field_error(text(empty), "reason") == "Bitte ausfüllen."
    response = post(reviewer, review_url(number), f"{review_url(number)}/zurueckgeben",
                    {"reason": "Die Massnahmen der zweiten Runde sind noch nicht abgelaufen."})
    assert response.status_code == 302
    case = reload(grenchen, case)
    assert case.state == states.RETURNED
    page = text(officer.get(case_url(case)))
    assert "an die Gemeinde zurückgegeben" in page and "noch nicht abgelaufen" in page


def test_the_commune_cannot_withdraw_nor_the_canton_accept_outside_its_review_page(tenants, officer, reviewer):
    _canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    number = escalate(officer, case)
    withdraw = post(officer, f"/grenchen/eingaben/{number}", f"/grenchen/eingaben/{number}/zurueckziehen",
                    {"note": ""})
    assert withdraw.status_code == 400
    assert "kann nicht zurückgezogen werden" in text(withdraw)
    start = post(reviewer, f"/kanton/eingaben/{number}", f"/kanton/eingaben/{number}/pruefen", {"note": ""})
    assert start.status_code == 302  # core's inbox starts the review: nothing is decided yet
    accept = post(reviewer, f"/kanton/eingaben/{number}", f"/kanton/eingaben/{number}/annehmen", {"note": "ok"})
    assert accept.status_code == 400
    assert "schliesst der Kanton auf seiner Prüfseite ab" in text(accept)
    assert reload(grenchen, case).state == states.SUBMITTED


def test_a_case_escalated_twice_is_refused_clearly(tenants, officer):
    _canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    escalate(officer, case)
    again = post(officer, case_url(case), f"{case_url(case)}/eskalieren", escalation_form())
    assert again.status_code == 400
    assert "Nur ein Fall «in Überprüfung» wird an den Kanton übergeben" in text(again)
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1


def test_bad_input_gets_field_errors_in_german_and_saves_nothing(tenants, officer, reviewer):
    canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    bad = post(officer, f"{case_url(case)}/eskalieren", f"{case_url(case)}/eskalieren",
               escalation_form(reason="", nationality="XX", permit="Z", on="2018-04-01"))
    assert bad.status_code == 400
    page = text(bad)
    assert field_error(page, "reason") == "Bitte ausfüllen."
    assert field_error(page, "nationality") == "Bitte eine der angebotenen Möglichkeiten wählen."
    assert field_error(page, "permit") == "Bitte eine der angebotenen Möglichkeiten wählen."
    assert field_error(page, "on") == "Das Datum liegt vor dem letzten Schritt des Falls (02.05.2018)."
    assert reload(grenchen, case).state == states.UNDER_REVIEW

    number = escalate(officer, case)
    bad = precheck(reviewer, canton, number, decision_day="2018-05-01", commune_agrees="", reasons="")
    assert bad.status_code == 400
    page = text(bad)
    assert field_error(page, "decision_day") == "Der Entscheidtag liegt zwischen der Übergabe (01.06.2018) und heute."
    assert field_error(page, "commune_agrees") == "Bitte angeben, ob die Gemeinde zustimmt."
    assert field_error(page, "reasons") == "Bitte ausfüllen."

    precheck(reviewer, canton, number)
    bad = post(reviewer, review_url(number), f"{review_url(number)}/dokument", document_form(
        goals="", consequences="", **{"deadlines-0-due_on": "", "deadlines-1-due_on": "31.02.2019"},
        aid_language="ti", aid_text=""))
    assert bad.status_code == 400
    page = text(bad)
    assert field_error(page, "goals") == "Bitte ausfüllen."
    assert field_error(page, "consequences") == "Eine Vereinbarung nennt die Konsequenzen."
    assert field_error(page, "deadlines-0-label") == "Eine Frist braucht beides: wofür und bis wann."
    assert field_error(page, "deadlines-1-due_on") == "Bitte ein gültiges Datum eingeben."
    assert field_error(page, "aid_text").startswith("Für diese Sprache hat die Plattform keine Standardtexte")
    with tenant_scope(canton):
        assert db.session.scalar(sa.select(Review)).kind is None
    assert reload(grenchen, case).state == states.SUBMITTED


def test_the_legal_basis_offered_is_the_one_valid_on_the_decision_day(tenants, officer, reviewer):
    canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    number = escalate(officer, case)
    aug, aig = legal_basis(canton, "AuG"), legal_basis(canton, "AIG")
    june = precheck(reviewer, canton, number, legal_basis=str(aig.id))  # 15.6.2018: AuG only
    assert june.status_code == 400
    assert field_error(text(june), "legal_basis") == "Am 15.06.2018 gilt «AuG»: bitte diese Rechtsgrundlage bestätigen."
    assert f'<option selected value="{aug.id}">' in text(june) and f'value="{aig.id}"' not in text(june)
    assert precheck(reviewer, canton, number).status_code == 302
    with tenant_scope(canton):
        assert db.session.scalar(sa.select(Review)).legal_basis_id == aug.id


def test_the_legal_bases_validity_on_a_day_and_overlaps_refused(tenants, reviewer):
    canton = tenants[0]
    from datetime import date

    from plugins.fordern import legal

    with tenant_scope(canton):
        assert [b.short for b in legal.valid_on(date(2018, 6, 15))] == ["AuG"]
        assert [b.short for b in legal.valid_on(date(2019, 1, 2))] == ["AIG"]
        assert [b.short for b in legal.valid_on(date(2018, 12, 31))] == ["AuG"]
    page = text(reviewer.get("/kanton/fordern/rechtsgrundlagen"))
    assert "AuG" in page and "01.01.2008 – 31.12.2018" in page and "ab 01.01.2019" in page
    overlapping = post(reviewer, "/kanton/fordern/rechtsgrundlagen", "/kanton/fordern/rechtsgrundlagen", {
        "short": "VIntA", "title": "Verordnung über die Integration", "reference": "SR 142.205",
        "valid_from": "2018-12-01", "valid_to": ""})
    assert overlapping.status_code == 400
    assert "überschneidet sich mit «AuG»" in field_error(text(overlapping), "valid_from")
    backwards = post(reviewer, "/kanton/fordern/rechtsgrundlagen", "/kanton/fordern/rechtsgrundlagen", {
        "short": "ANAG", "title": "Aufenthalt und Niederlassung", "reference": "SR 142.20",
        "valid_from": "2007-12-31", "valid_to": "1931-03-26"})
    assert field_error(text(backwards), "valid_to") == "Das Ende der Gültigkeit liegt vor ihrem Beginn."
    added = post(reviewer, "/kanton/fordern/rechtsgrundlagen", "/kanton/fordern/rechtsgrundlagen", {
        "short": "ANAG", "title": "Aufenthalt und Niederlassung", "reference": "SR 142.20",
        "valid_from": "1934-01-01", "valid_to": "2007-12-31"})
    assert added.status_code == 302
    aig = legal_basis(canton, "AIG")
    edited = post(reviewer, f"/kanton/fordern/rechtsgrundlagen/{aig.id}", f"/kanton/fordern/rechtsgrundlagen/{aig.id}",
                  {"short": "AIG", "title": aig.title, "reference": "SR 142.20, Art. 58b",
                   "valid_from": "2019-01-01", "valid_to": "2030-12-31"})
    assert edited.status_code == 302
    db.session.expire_all()
    with tenant_scope(canton):
        assert [b.short for b in legal.valid_on(date(2031, 1, 1))] == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LegalBasis)) == 3


def test_the_pdf_is_kept_as_the_communes_attachment_and_the_canton_can_preview_it(tenants, officer, reviewer):
    canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    number = escalate(officer, case)
    precheck(reviewer, canton, number)
    draft = post(reviewer, review_url(number), f"{review_url(number)}/dokument",
                 document_form(action="draft", aid_language="ar", aid_text="نوصي بدورة اللغة الألمانية."))
    assert draft.status_code == 302
    preview = reviewer.get(f"{review_url(number)}/dokument.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(preview.data)).pages) >= 2  # the translation aid on a page of its own
    assert reload(grenchen, case).state == states.SUBMITTED  # a draft decides nothing
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
