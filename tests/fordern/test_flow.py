"""The commune's whole flow through the pages: open a case, invite (letter PDF, .ics), minutes, measures with
a Fördern offer, follow-up with evidence, under review, closed improved; every read is audited."""

from __future__ import annotations

import re
import uuid
from datetime import date

import sqlalchemy as sa

from core.attachments import Attachment
from core.db import db
from core.tenancy import tenant_scope
from plugins.fordern.interview_models import Interview
from plugins.fordern.measure_models import Measure
from plugins.fordern.models import Case
from tests.foerdern.needs_support import TODAY, add_offer
from tests.fordern.support import BASE, NEXT_WEEK, audit, hidden, pdf_file, person, send, text


def test_an_officer_runs_a_case_from_opening_to_closed_improved(officer, grenchen):
    ana = person(grenchen, first_name="Ana", official_name="Ferreira")
    offer = add_offer(grenchen, title="Deutschkurs A2 Grenchen")

    # Found by the search on Fordern's list, then opened.
    assert "Ferreira, Ana" in text(officer.get(f"{BASE}/faelle/neu?suche=ferreira"))
    response, _ = send(officer, f"{BASE}/faelle/neu?person={ana.id}",
                       {"person": str(ana.id), "reason": "Deutschkurs zweimal abgebrochen",
                        "owner": officer.actor, "on": "2017-06-15"})
    assert response.status_code == 302
    case_url = response.headers["Location"]
    with tenant_scope(grenchen):
        case = db.session.scalar(sa.select(Case))
    assert case_url.endswith(f"{BASE}/faelle/{case.id}")
    assert "Ferreira" in text(officer.get(f"{BASE}/")) and "eröffnet" in text(officer.get(case_url))

    # The invitation: French beside German, suggested from the person's languages.
    page = text(officer.get(f"{case_url}/gespraech"))
    assert re.search(r'<option selected value="fr">|<option value="fr" selected>', page)
    response, _ = send(officer, f"{case_url}/gespraech", {"day": NEXT_WEEK.isoformat(), "time": "14:30",
                                                         "place": "Stadthaus Grenchen, Zimmer 12",
                                                         "interpreter": "ti", "letter_language": "fr"})
    assert response.status_code == 302
    letter = officer.get(f"{case_url}/gespraech/einladung.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf" and letter.data.startswith(b"%PDF")
    assert b"/Count 2" in letter.data  # German, then French
    ics = officer.get(f"{case_url}/gespraech/termin.ics")
    body = ics.get_data(as_text=True)
    assert ics.mimetype == "text/calendar" and "BEGIN:VEVENT" in body and "DTSTART" in body
    assert "Stadthaus Grenchen" in body and "Ana Ferreira" in body

    # The minutes.
    response, _ = send(officer, f"{case_url}/gespraech/protokoll", {
        "held_on": "2017-06-15", "topics": "Deutschkurs, Arbeit", "person_view": "Möchte arbeiten"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/massnahmen")

    # A measure with Fördern's offer, agreed.
    page = text(officer.get(f"{case_url}/massnahmen"))
    assert "Deutschkurs A2 Grenchen" in page
    response, _ = send(officer, f"{case_url}/massnahmen", {
        "kind": "language_course", "level": "A2", "goal": "Deutsch A2 bestehen", "deadline": "2017-12-31",
        "offer": f"{grenchen.id}:{offer.id}"})
    assert response.status_code == 302
    response, _ = send(officer, f"{case_url}/massnahmen", {"on": "2017-06-15"},
                       action=f"{case_url}/massnahmen/vereinbaren", keys=("after",))
    assert response.status_code == 302
    with tenant_scope(grenchen):
        measure = db.session.scalar(sa.select(Measure))
    assert (measure.agreed_on, measure.offer_id, measure.level) == (TODAY, offer.id, "A2")
    assert "Deutschkurs A2 Grenchen" in measure.offer_label

    # The follow-up, with a certificate.
    measure_url = f"{case_url}/massnahmen/{measure.id}"
    page = text(officer.get(measure_url))
    response = officer.post(measure_url, data={"csrf_token": hidden(page, "csrf_token"), "result": "met",
                                               "on": "2017-06-15", "note": "Zertifikat A2",
                                               "evidence": pdf_file()}, content_type="multipart/form-data")
    assert response.status_code == 302
    with tenant_scope(grenchen):
        [evidence] = db.session.scalars(sa.select(Attachment)).all()
        evidence_id = evidence.id
    assert (evidence.owner_type, evidence.owner_id) == ("fordern.measure", str(measure.id))
    assert officer.get(f"/grenchen/anhang/{evidence.id}").status_code == 200

    # Under review, then closed improved.
    response, _ = send(officer, case_url, {"to_state": "under_review", "on": "2017-06-15"},
                       action=f"{case_url}/schritt", keys=("after",))
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', text(response))
    response, _ = send(officer, case_url, {"to_state": "closed", "on": "2017-06-15", "outcome": "improved",
                                           "reason": "Kurs A2 bestanden"},
                       action=f"{case_url}/schritt", keys=("after",))
    assert response.status_code == 302
    page = text(officer.get(case_url))
    assert "abgeschlossen (verbessert)" in page and "Kurs A2 bestanden" in page
    assert "Fall abschliessen" not in page  # nothing more to do
    db.session.expire_all()
    with tenant_scope(grenchen):
        case = db.session.get(Case, (grenchen.id, case.id))
        interview = db.session.get(Interview, (grenchen.id, case.id))
    assert (case.state, case.outcome) == ("closed", "improved")
    assert interview.topics == "Deutschkurs, Arbeit" and interview.interpreter_language == "ti"
    case_id, measure_id = case.id, measure_url.rsplit("/", 1)[1]

    # Every read and change is in the audit log.
    # (Each read names its record; several of one kind read together are one entry listing them.)
    reads = {(event.object_type, object_id) for event in audit(grenchen, "sensitive.read")
             for object_id in (event.detail.get("ids") or [event.object_id])}
    assert ("fordern_cases", str(case_id)) in reads
    assert ("fordern_interviews", str(case_id)) in reads
    assert ("fordern_measures", measure_id) in reads
    assert {event.object_type for event in audit(grenchen, "sensitive.create")} >= {
        "fordern_cases", "fordern_interviews", "fordern_measures"}
    assert {e.action for e in audit(grenchen, "fordern.")} >= {
        "fordern.case.transition", "fordern.interview.letter", "fordern.interview.calendar"}

    # Five years after the closing, the daily job anonymises the case: minutes, goals and the certificate go.
    from plugins.fordern import retention

    with tenant_scope(grenchen):
        assert retention.apply(grenchen, date(2022, 6, 16)) == 1
        db.session.commit()
        db.session.expire_all()
        interview = db.session.get(Interview, (grenchen.id, case_id))
        measure = db.session.get(Measure, (grenchen.id, uuid.UUID(measure_id)))
        evidence = db.session.get(Attachment, (grenchen.id, evidence_id))
        assert (interview.topics, interview.person_view, measure.goal) == ("", "", "")
        assert evidence.deleted_at is not None
    assert officer.get(f"/grenchen/anhang/{evidence_id}").status_code == 404


def test_the_person_page_has_a_panel_to_open_a_case(officer, grenchen):
    ana = person(grenchen)
    page = text(officer.get(f"/grenchen/personen/{ana.id}"))
    assert "Fordern: Fälle" in page and f"{BASE}/faelle/neu?person={ana.id}" in page
