"""Fordern's records beyond the case pages: retention and export, anonymous figures (small counts suppressed,
in the tenant's report and the canton's), interviews held for the subsidies, the worklist, the cases API (off
by default) and the command (names only on request, audited)."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import activity, api, audit, clock, modules, provisioning, reports, worklist
from core.db import db
from core.people import Person
from core.people import retention as people_retention
from core.reports import Period
from core.tenancy import tenant_scope
from plugins.fordern import cases, report, retention, states
from plugins.fordern.models import Case, CaseEvent
from tests.conftest import make_tenant

DAY = date(2017, 3, 1)
TO_REVIEW = (states.INTERVIEW_SCHEDULED, states.INTERVIEW_HELD, states.MEASURES_AGREED, states.UNDER_REVIEW)


def with_fordern(slug: str, bfs: int):
    tenant = make_tenant(slug, communes=[bfs])
    for module_id in ("informieren", "fordern"):
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id, date(2017, 1, 1))
    db.session.commit()
    return tenant


def a_case(tenant, bfs: int, path=(), closed: date | None = None, outcome=states.IMPROVED, name="Muster",
           owner="user:1") -> Case:
    with tenant_scope(tenant):
        person = Person(official_name=name, first_name="Ana", municipality_bfs=bfs)
        db.session.add(person)
        db.session.flush()
        case = cases.open_case(person, "Deutschkurs abgebrochen", owner, DAY)
        for number, to_state in enumerate(path or (TO_REVIEW if closed else ()), start=1):
            cases.move(case, to_state, DAY + timedelta(days=number), "Grund" if to_state in states.NEEDS_REASON else "")
        if closed:
            cases.move(case, states.CLOSED, closed, "Kurs bestanden", outcome)
        db.session.commit()
        return case


@pytest.fixture
def grenchen(ctx):
    return with_fordern("grenchen", 2546)


# -- retention and export ---------------------------------------------------------------------------


def test_a_case_closed_longer_than_the_period_is_anonymised_once_and_recorded(grenchen):
    old = a_case(grenchen, 2546, closed=date(2017, 5, 1))
    recent = a_case(grenchen, 2546, closed=date(2020, 5, 1))
    still_open = a_case(grenchen, 2546, path=TO_REVIEW)
    with tenant_scope(grenchen):
        assert retention.apply(grenchen, date(2022, 6, 1)) == 1  # five years: only the 2017 one
        assert retention.apply(grenchen, date(2022, 6, 1)) == 0  # once
        db.session.commit()
        found = {c.id: c for c in db.session.scalars(sa.select(Case).execution_options(populate_existing=True))}
        assert (found[old.id].reason, found[old.id].anonymised_on) == ("", date(2022, 6, 1))
        assert found[old.id].outcome == states.IMPROVED  # the figures keep the outcome
        assert found[recent.id].reason and found[still_open.id].reason
        reasons = db.session.scalars(sa.select(CaseEvent.reason).where(CaseEvent.case_id == old.id)).all()
        assert set(reasons) == {"", retention.ERASED} and "Kurs bestanden" not in reasons
        actions = db.session.scalars(sa.select(audit.AuditEvent.action)).all()
        assert actions.count("fordern.cases_anonymised") == 1
        held = set(db.session.scalars(retention.holds(grenchen, date(2022, 6, 1))))
        assert held == {recent.person_id, still_open.person_id}


def test_the_period_is_the_tenants_setting(grenchen):
    case = a_case(grenchen, 2546, closed=date(2017, 5, 1))
    provisioning.set_setting(grenchen, retention.YEARS_SETTING, 10)
    with tenant_scope(grenchen):
        assert retention.apply(grenchen, date(2022, 6, 1)) == 0
        assert retention.apply(grenchen, date(2027, 6, 1)) == 1
        db.session.rollback()
    assert case


def test_the_person_export_has_the_cases_and_core_anonymisation_erases_them(grenchen):
    case = a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,))
    with tenant_scope(grenchen):
        person = db.session.get(Person, (grenchen.id, case.person_id))
        sections = retention.export(person)
        [exported] = sections["Fordern: Fälle"]
        assert exported["reason"] == "Deutschkurs abgebrochen"
        assert [h["to_state"] for h in exported["history"]] == ["opened", "interview_scheduled"]
        retention.erase([person.id], date(2018, 1, 1))
        db.session.commit()
        assert db.session.scalar(sa.select(Case.reason).where(Case.id == case.id)) == ""


def test_core_keeps_a_person_with_an_open_case(grenchen):
    case = a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,))
    with tenant_scope(grenchen):
        people_retention.apply(grenchen, clock.today() + timedelta(days=3650))
        db.session.commit()
        person = db.session.get(Person, (grenchen.id, case.person_id))
        assert person.anonymised_on is None


# -- figures -----------------------------------------------------------------------------------------


def test_figures_suppress_small_counts_and_interviews_held_count_for_the_subsidies(grenchen):
    for number in range(6):
        a_case(grenchen, 2546, path=TO_REVIEW[:2], name=f"Muster{number}")  # six interviews held
    a_case(grenchen, 2546, path=(*TO_REVIEW, states.SUBMITTED))  # one escalated: a small count
    period = Period.parse("2017")
    figures = report.report_figures(grenchen, period)
    assert figures == {"fordern.cases_opened": 7, "fordern.cases_escalated": 1, "fordern.interviews_held": 7}
    assert activity.counts(grenchen, period)["fordern.interviews_held"] == {2546: 7}
    with tenant_scope(grenchen):
        [section] = report.report_sections(grenchen, period)
    steps = dict(map(tuple, section.tables[0].rows))
    assert steps["eröffnet"] == 7 and steps["an den Kanton übergeben"] == "<5"
    assert "Muster" not in str([table.rows for table in section.tables])
    canton = reports.canton_report(period, lambda *args: None)
    table = canton.sections[0].tables[0]
    row = dict(zip(table.columns, next(r for r in table.rows if r[0] == "Grenchen"), strict=True))
    assert row["Fordern: Fälle eröffnet"] == 7 and row["Fordern: Fälle an den Kanton übergeben"] == "<5"
    totals = dict(map(tuple, canton.sections[0].tables[1].rows))
    assert totals["Fordern: Fälle an den Kanton übergeben"] == "<5"
    assert all(chart.title != "Fordern: Fälle an den Kanton übergeben" for chart in canton.sections[0].charts)


def _tenant_wide(tenant, day):
    return [i for i in worklist.items(tenant, day) if i.key.startswith("fordern.") and i.member is None]


def test_the_worklist_shows_cases_without_a_step_but_not_those_at_the_canton(grenchen):
    a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,))
    a_case(grenchen, 2546, path=(*TO_REVIEW, states.SUBMITTED))
    [item] = _tenant_wide(grenchen, DAY + timedelta(days=90))
    assert (item.key, item.count) == ("fordern.follow_up", 1)
    assert dict(item.url_values) == {"liste": "alle"}  # the tenant's cases, not the reader's own
    assert not _tenant_wide(grenchen, DAY + timedelta(days=30))


def test_each_officer_sees_their_own_open_cases_on_the_worklist(grenchen, client):
    from tests.conftest import login_as

    greta = login_as(client, (grenchen, "integration_officer"), name="Greta Gerber")
    mine = f"user:{greta.id}"
    a_case(grenchen, 2546, owner=mine)
    a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,), owner=mine)
    a_case(grenchen, 2546, closed=date(2017, 5, 1), owner=mine)  # closed: not on the list
    a_case(grenchen, 2546, owner="user:999")
    found = worklist.items(grenchen, DAY + timedelta(days=10))
    theirs = {i.member: i.count for i in found if i.key == "fordern.my_cases"}
    assert theirs == {mine: 2, "user:999": 1}
    shown = worklist.allowed(found, {"fordern.cases.read"}, mine)
    assert [(i.key, i.count) for i in shown if i.key == "fordern.my_cases"] == [("fordern.my_cases", 2)]
    assert not [i for i in worklist.allowed(found, {"fordern.cases.read"}) if i.member]  # nobody's: none
    page = client.get("/grenchen/").get_data(as_text=True)
    assert "Meine offenen Fälle</a>: <strong>2</strong>" in page and "liste=meine" in page


def test_the_worklist_shows_cases_with_a_deadline_within_two_weeks_or_past(grenchen, monkeypatch):
    from plugins.fordern import deadlines

    soon, late, later = (a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,)) for _ in range(3))
    due = {soon.id: DAY + timedelta(days=20), late.id: DAY + timedelta(days=5), later.id: DAY + timedelta(days=40)}
    monkeypatch.setattr(deadlines, "SOURCES", [lambda ids: {i: due[i] for i in ids if i in due}])
    found = {i.key: i for i in _tenant_wide(grenchen, DAY + timedelta(days=10))}
    assert (found["fordern.deadlines"].count, found["fordern.deadlines"].overdue) == (1, True)
    assert (found["fordern.deadlines_soon"].count, found["fordern.deadlines_soon"].earliest) == (1, due[soon.id])
    [mine] = [i for i in worklist.items(grenchen, DAY + timedelta(days=10)) if i.key == "fordern.my_cases"]
    assert (mine.count, mine.overdue, mine.earliest) == (3, True, due[late.id])


# -- API and command -------------------------------------------------------------------------------------


def _token(tenant, *scopes) -> dict:
    _, text = api.issue_token(tenant, "Fallführung", list(scopes))
    db.session.commit()
    return {"Authorization": f"Bearer {text}"}


def test_the_cases_api_is_off_by_default_and_never_names_anyone(client, grenchen):
    case = a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,), name="Tesfay")
    url, headers = "/api/v1/grenchen/fordern/cases", _token(grenchen, "fordern:cases")
    assert client.get(url).status_code == 401
    assert client.get(url, headers=headers).status_code == 403  # switched off
    assert client.get(url, headers=_token(grenchen, "core:read")).status_code == 403
    provisioning.set_setting(grenchen, "fordern.cases_api", True)
    db.session.commit()
    [item] = client.get(url, headers=headers).get_json()["items"]
    assert (item["id"], item["state"], item["opened_on"]) == (str(case.id), "interview_scheduled", "2017-03-01")
    body = client.get(url, headers=headers).get_data(as_text=True)
    assert "Tesfay" not in body and "Deutschkurs" not in body
    assert client.get(f"{url}?state=nonsense", headers=headers).status_code == 400
    assert client.get(f"{url}?state=closed", headers=headers).get_json()["items"] == []
    other = with_fordern("balsthal", 2422)
    assert client.get("/api/v1/balsthal/fordern/cases", headers=headers).status_code == 404
    assert other


def test_the_cases_command_lists_without_names_unless_asked_and_is_audited(runner, grenchen):
    a_case(grenchen, 2546, path=(states.INTERVIEW_SCHEDULED,), name="Tesfay")
    result = runner.invoke(args=["fordern", "cases", "grenchen"])
    assert result.exit_code == 0, result.output
    assert "interview_scheduled" in result.output and "Tesfay" not in result.output
    named = json.loads(runner.invoke(args=["fordern", "cases", "grenchen", "--json", "--names"]).output)
    assert named[0]["name"] == "Ana Tesfay"
    with tenant_scope(grenchen):
        listed = db.session.scalars(sa.select(audit.AuditEvent.detail).where(
            audit.AuditEvent.action == "fordern.cases.listed")).all()
    assert sorted(d["names"] for d in listed) == [False, True]  # once without names, once with
    olten = make_tenant("olten", communes=[2581])
    refused = runner.invoke(args=["fordern", "cases", "olten"])
    assert refused.exit_code == 1 and "nicht aktiv" in refused.output and olten


def test_the_cantons_worklist_shows_the_agreements_deadlines_due_soon_or_past(grenchen):
    from core.tenancy import canton_tenant
    from plugins.fordern.escalation_models import Review, ReviewDeadline

    canton = canton_tenant()
    for module_id in ("informieren", "fordern"):  # Fordern requires Informieren, in the canton too
        modules.entitle(canton, module_id)
        modules.activate(canton, module_id, date(2017, 1, 1))
    with tenant_scope(canton):
        review = Review(submission_id=uuid.uuid4(), number="FO-2018-0001", commune_tenant_id=grenchen.id)
        db.session.add(review)
        db.session.flush()
        for seq, due, outcome in ((1, date(2018, 8, 31), None), (2, date(2019, 6, 30), None),
                                  (3, date(2018, 7, 1), "met")):
            db.session.add(ReviewDeadline(review_id=review.id, seq=seq, label=f"Frist {seq}", due_on=due,
                                          outcome=outcome, outcome_on=due if outcome else None))
        db.session.commit()

    def fordern_items(day):
        return [i for i in worklist.items(canton, day) if i.key.startswith("fordern.")]

    assert fordern_items(date(2018, 8, 1)) == []  # a month before: not yet
    [soon] = fordern_items(date(2018, 8, 20))
    assert (soon.key, soon.count, soon.overdue, soon.earliest) == ("fordern.agreement_deadlines", 1, False,
                                                                   date(2018, 8, 31))
    [late] = fordern_items(date(2018, 9, 3))
    assert (late.count, late.overdue) == (1, True)
    assert not [i for i in worklist.items(grenchen, date(2018, 9, 3)) if i.key == "fordern.agreement_deadlines"]


def test_anonymising_a_case_deletes_the_cantons_decision_pdf_and_its_reason(grenchen):
    from core import attachments
    from core.attachments.models import Attachment
    from plugins.fordern.escalation_models import CaseOutcome
    from tests.fordern.support import pdf_file

    case = a_case(grenchen, 2546, path=(*TO_REVIEW, states.SUBMITTED))
    with tenant_scope(grenchen):
        content, name = pdf_file("Integrationsvereinbarung")
        upload = attachments.prepare(grenchen, name, content.read(), allowed=(attachments.PDF,))
        pdf = attachments.add(attachments.Owner.of("fordern.case", case.id), upload)
        db.session.add(CaseOutcome(case_id=case.id, number="FO-2017-0001", decision="agreement_concluded",
                                   decided_on=DAY, reason="Deutsch A2 bis Mitte 2018", attachment_id=pdf.id))
        db.session.commit()
        pdf_id = pdf.id
        retention.anonymise_cases([case.id], date(2023, 1, 1))
        db.session.commit()
        db.session.expire_all()
        assert db.session.scalar(sa.select(CaseOutcome.reason)) == ""
        assert db.session.get(Attachment, (grenchen.id, pdf_id)).deleted_at is not None
