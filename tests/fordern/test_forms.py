"""Bad input gets field errors in German (400, nothing saved); a form sent twice records once."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.tenancy import tenant_scope
from plugins.fordern import cases, interviews, states
from plugins.fordern.measure_models import Measure
from plugins.fordern.models import Case, CaseEvent
from tests.foerdern.needs_support import TODAY
from tests.fordern.support import BASE, NEXT_WEEK, field_error, open_case, person, send, text


def rows(tenant, model):
    db.session.expire_all()
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(model)).all()


def held_case(tenant, who):
    case = open_case(tenant, who)
    with tenant_scope(tenant):
        case = db.session.get(Case, (tenant.id, case.id))
        interview = interviews.schedule(case, interviews.DURATION and _at(NEXT_WEEK), "Stadthaus", None, "de", TODAY)
        interviews.record_minutes(case, interview, TODAY, "Deutsch", "")
        db.session.commit()
    return case


def _at(day):
    from datetime import datetime, time

    from core.clock import ZURICH

    return datetime.combine(day, time(10), tzinfo=ZURICH)


def test_opening_without_reason_or_with_a_future_day_is_refused(officer, grenchen):
    ana_id = person(grenchen).id
    response, _ = send(officer, f"{BASE}/faelle/neu?person={ana_id}",
                       {"person": str(ana_id), "reason": " ", "owner": officer.actor, "on": "2017-07-01"})
    page = text(response)
    assert response.status_code == 400 and rows(grenchen, Case) == []
    assert field_error(page, "reason") == "Bitte den Grund für den Fall angeben."
    assert field_error(page, "on") == "Das Datum darf nicht in der Zukunft liegen."
    response, _ = send(officer, f"{BASE}/faelle/neu?person={ana_id}",
                       {"person": str(ana_id), "reason": "x", "owner": "user:999999", "on": "kein Datum"})
    page = text(response)
    assert field_error(page, "owner") == "Bitte eine der angebotenen Möglichkeiten wählen."
    assert field_error(page, "on") == "Bitte ein gültiges Datum eingeben."


def test_a_case_opened_twice_is_one_case(officer, grenchen):
    ana = person(grenchen)
    data = {"person": str(ana.id), "reason": "Kurs abgebrochen", "owner": officer.actor, "on": "2017-06-15"}
    first, payload = send(officer, f"{BASE}/faelle/neu?person={ana.id}", data)
    second = officer.post(f"{BASE}/faelle/neu?person={ana.id}", data=payload)
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert len(rows(grenchen, Case)) == 1


def test_an_interview_in_the_past_or_without_place_is_refused(officer, grenchen):
    case = open_case(grenchen, person(grenchen))
    response, _ = send(officer, f"{BASE}/faelle/{case.id}/gespraech",
                       {"day": "2017-06-01", "time": "25:00", "place": "", "interpreter": "xx",
                        "letter_language": "de"})
    page = text(response)
    assert response.status_code == 400
    assert field_error(page, "day") == "Das Gespräch kann nicht in der Vergangenheit liegen."
    assert field_error(page, "time") == "Bitte eine gültige Uhrzeit eingeben (HH:MM)."
    assert field_error(page, "place") == "Bitte den Ort angeben."
    assert field_error(page, "interpreter") == "Unbekannte Sprache."
    assert rows(grenchen, Case)[0].state == states.OPENED


def test_a_transition_before_the_last_step_or_without_reason_is_refused(officer, grenchen):
    case = held_case(grenchen, person(grenchen))
    url = f"{BASE}/faelle/{case.id}"
    with tenant_scope(grenchen):
        case = db.session.get(Case, (grenchen.id, case.id))
        db.session.add(Measure(case_id=case.id, kind="work", goal="Bewerben", deadline=NEXT_WEEK, created_by="t"))
        db.session.flush()
        from plugins.fordern import measures

        measures.agree(case, TODAY)
        db.session.commit()
    response, _ = send(officer, url, {"to_state": "closed", "on": "2017-06-01", "outcome": "", "reason": ""},
                       action=f"{url}/schritt", keys=("after",))
    page = text(response)
    assert response.status_code == 400
    assert field_error(page, "on") == "Der Schritt kann nicht vor dem letzten (15.06.2017) liegen."
    assert field_error(page, "outcome") == "Bitte das Ergebnis wählen."
    assert field_error(page, "reason") == "Bitte einen Grund angeben."
    # A state the page does not offer (the canton's decision) is refused, and nothing moves.
    response, _ = send(officer, url, {"to_state": "agreement_concluded", "on": "2017-06-15"},
                       action=f"{url}/schritt", keys=("after",))
    assert response.status_code == 400 and rows(grenchen, Case)[0].state == states.MEASURES_AGREED


def test_a_step_sent_twice_is_recorded_once_and_a_stale_one_refused(officer, grenchen):
    case = held_case(grenchen, person(grenchen))
    with tenant_scope(grenchen):
        case = db.session.get(Case, (grenchen.id, case.id))
        db.session.add(Measure(case_id=case.id, kind="work", goal="Bewerben", deadline=NEXT_WEEK, created_by="t"))
        db.session.flush()
        from plugins.fordern import measures

        measures.agree(case, TODAY)
        db.session.commit()
    url = f"{BASE}/faelle/{case.id}"
    first, payload = send(officer, url, {"to_state": "under_review", "on": "2017-06-15"},
                          action=f"{url}/schritt", keys=("after",))
    second = officer.post(f"{url}/schritt", data=payload)
    assert first.status_code == second.status_code == 302
    assert "schon gespeichert" in text(officer.get(url))
    payload.update(to_state="closed", outcome="improved", reason="x")
    stale = officer.post(f"{url}/schritt", data=payload)
    assert stale.status_code == 400 and "inzwischen geändert" in text(stale)
    assert [e.to_state for e in rows(grenchen, CaseEvent)].count("under_review") == 1


def test_a_measure_with_an_unknown_offer_or_a_past_deadline_is_refused(officer, grenchen):
    case = held_case(grenchen, person(grenchen))
    url = f"{BASE}/faelle/{case.id}/massnahmen"
    response, _ = send(officer, url, {"kind": "work", "level": "A2", "goal": "", "deadline": "2017-06-15",
                                      "offer": f"{grenchen.id}:00000000-0000-0000-0000-000000000000"})
    page = text(response)
    assert response.status_code == 400 and rows(grenchen, Measure) == []
    assert field_error(page, "offer") == "Dieses Angebot gibt es hier nicht (mehr); bitte eines der Liste wählen."
    assert field_error(page, "goal") == "Bitte das Ziel der Massnahme angeben."
    assert field_error(page, "deadline") == "Die Frist muss in der Zukunft liegen."
    assert field_error(page, "level") == "Ein Zielniveau gibt es nur bei einem Sprachkurs."
    # Agreeing nothing is refused with a message.
    response, _ = send(officer, url, {"on": "2017-06-15"}, action=f"{url}/vereinbaren", keys=("after",))
    assert response.status_code == 400 and "mindestens eine Massnahme" in text(response)


def test_a_measure_sent_twice_is_drafted_once(officer, grenchen):
    case = held_case(grenchen, person(grenchen))
    url = f"{BASE}/faelle/{case.id}/massnahmen"
    first, payload = send(officer, url, {"kind": "work", "goal": "Bewerbungen schreiben", "deadline": "2017-09-30"})
    second = officer.post(url, data=payload)
    assert first.status_code == second.status_code == 302 and len(rows(grenchen, Measure)) == 1


def test_the_state_machine_still_guards_the_pages(grenchen):
    with tenant_scope(grenchen):
        case = db.session.get(Case, (grenchen.id, open_case(grenchen, person(grenchen)).id))
        try:
            cases.move(case, states.INTERVIEW_HELD, TODAY)
        except cases.TransitionRefused as refused:
            assert "Gespräch geplant" in str(refused)
        db.session.rollback()
