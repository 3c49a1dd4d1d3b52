"""Who reaches the escalation's pages: every new route by role, tenant and module state; the canton sees
submitted cases only, through their snapshots, never the commune's case tables; every read is audited."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from core import clock, modules
from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from plugins.fordern import escalation, states
from tests.conftest import login_as
from tests.fordern.escalation_world import (
    case_under_review,
    csrf_token,
    document_form,
    escalation_form,
    legal_basis,
    post,
    precheck_form,
    text,
    world,
)


@pytest.fixture
def tenants(ctx):
    return world()


def client_as(app, *memberships):
    client = app.test_client()
    login_as(client, *memberships)
    return client


def escalated(app, grenchen):
    """A case of Grenchen escalated by its officer: (case, number, the officer's client)."""
    case = case_under_review(grenchen)
    officer = client_as(app, (grenchen, "integration_officer"))
    url = f"/grenchen/fordern/faelle/{case.id}/eskalieren"
    assert post(officer, url, url, escalation_form()).status_code == 302
    number = re.search(r"FO-\d{4}-\d{4}", text(officer.get(f"/grenchen/fordern/faelle/{case.id}"))).group(0)
    return case, number, officer


def reviewing(app, canton, number):
    """A reviewer's client that has pre-checked the submission (decision on 15.6.2018, AuG): (client, its page)."""
    reviewer = client_as(app, (canton, escalation.REVIEWER))
    review_url = f"/kanton/fordern/eskalationen/{number}"
    assert post(reviewer, review_url, f"{review_url}/vorpruefung",
                precheck_form(legal_basis(canton, "AuG").id)).status_code == 302
    return reviewer, review_url


CANTON_GETS = ("/kanton/fordern/eskalationen", "/kanton/fordern/eskalationen/{number}",
               "/kanton/fordern/eskalationen/{number}/dokument.pdf", "/kanton/fordern/rechtsgrundlagen")
CANTON_POSTS = ("/kanton/fordern/eskalationen/{number}/vorpruefung", "/kanton/fordern/eskalationen/{number}/dokument",
                "/kanton/fordern/eskalationen/{number}/zurueckgeben", "/kanton/fordern/eskalationen/{number}/ergebnis",
                "/kanton/fordern/rechtsgrundlagen")


@pytest.mark.parametrize("role, expected", [
    ("canton_admin", 404), ("canton_office", 404), ("read_only", 404), (escalation.REVIEWER, None)])
def test_the_cantons_review_pages_need_the_reviewer_role(app, tenants, role, expected):
    canton, grenchen, _balsthal = tenants
    _case, number, _officer = escalated(app, grenchen)
    client = client_as(app, (canton, role))
    for url in CANTON_GETS[:3]:
        status = client.get(url.format(number=number)).status_code
        assert status == (expected or (404 if url.endswith(".pdf") else 200)), (url, status)  # no draft yet: no PDF
    token = csrf_token(client, "/kanton/")
    for url in CANTON_POSTS[:4]:
        status = client.post(url.format(number=number), data={"csrf_token": token}).status_code
        assert status in ((expected,) if expected else (400, 404)), (url, status)


@pytest.mark.parametrize("role, expected", [
    ("canton_admin", 200), (escalation.REVIEWER, 200), ("canton_office", 404), ("read_only", 404)])
def test_the_legal_bases_are_kept_by_the_reviewers_and_the_canton_admins(app, tenants, role, expected):
    client = client_as(app, (tenants[0], role))
    assert client.get("/kanton/fordern/rechtsgrundlagen").status_code == expected


def test_a_commune_officer_on_the_cantons_pages_gets_404(app, tenants):
    _canton, grenchen, _balsthal = tenants
    _case, number, officer = escalated(app, grenchen)
    for url in CANTON_GETS:
        assert officer.get(url.format(number=number)).status_code == 404, url
        assert officer.get(url.format(number=number).replace("/kanton/", "/grenchen/")).status_code == 404, url
    token = csrf_token(officer, "/grenchen/")
    for url in CANTON_POSTS:
        for tenant_url in (url, url.replace("/kanton/", "/grenchen/")):
            status = officer.post(tenant_url.format(number=number), data={"csrf_token": token}).status_code
            assert status == 404, (tenant_url, status)


def test_the_canton_never_sees_a_case_that_was_not_submitted(app, tenants):
    canton, grenchen, _balsthal = tenants
    _case, number, _officer = escalated(app, grenchen)
    other = case_under_review(grenchen, name=("Ana", "Moreira"))
    reviewer = client_as(app, (canton, escalation.REVIEWER))
    inbox = text(reviewer.get("/kanton/fordern/eskalationen"))
    assert number in inbox and "Moreira" not in inbox
    for probe in (str(other.id), "FO-2018-0099", number.replace("0001", "0002")):
        assert reviewer.get(f"/kanton/fordern/eskalationen/{probe}").status_code == 404
        assert reviewer.post(f"/kanton/fordern/eskalationen/{probe}/vorpruefung", data={}).status_code in (400, 404)
    assert reviewer.get(f"/grenchen/fordern/faelle/{other.id}").status_code == 404  # not a member of the commune
    assert reviewer.get(f"/kanton/fordern/faelle/{other.id}").status_code in (403, 404)


def test_the_cantons_pages_read_the_snapshot_and_its_own_tables_never_the_communes_cases(app, tenants):
    canton, grenchen, _balsthal = tenants
    _case, number, _officer = escalated(app, grenchen)
    reviewer = client_as(app, (canton, escalation.REVIEWER))
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engines[None] if hasattr(db, "engines") else db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        basis = legal_basis(canton, "AuG")
        review_url = f"/kanton/fordern/eskalationen/{number}"
        reviewer.get("/kanton/fordern/eskalationen")
        reviewer.get(review_url)
        assert post(reviewer, review_url, f"{review_url}/vorpruefung", precheck_form(basis.id)).status_code == 302
        assert post(reviewer, review_url, f"{review_url}/dokument", document_form(action="draft")).status_code == 302
        assert reviewer.get(f"{review_url}/dokument.pdf").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    touched = [s for s in statements if re.search(r"\b(fordern_cases|fordern_case_events|persons)\b", s)]
    assert statements and touched == []


def test_another_communes_officer_and_a_read_only_user_get_404_or_403(app, tenants):
    _canton, grenchen, balsthal = tenants
    case, _number, _officer = escalated(app, grenchen)
    foreign = client_as(app, (balsthal, "integration_officer"))
    for url in (f"/grenchen/fordern/faelle/{case.id}", f"/grenchen/fordern/faelle/{case.id}/eskalieren",
                f"/balsthal/fordern/faelle/{case.id}", f"/balsthal/fordern/faelle/{case.id}/eskalieren",
                f"/balsthal/fordern/faelle/{case.id}/entscheide/{uuid.uuid4()}.pdf"):
        assert foreign.get(url).status_code == 404, url
    assert foreign.post(f"/balsthal/fordern/faelle/{case.id}/eskalieren", data={}).status_code in (400, 404)
    reader = client_as(app, (grenchen, "read_only"))
    assert reader.get(f"/grenchen/fordern/faelle/{case.id}/eskalieren").status_code in (403, 404)
    assert reader.get(f"/grenchen/fordern/faelle/{case.id}").status_code in (403, 404)


def test_the_communes_pages_need_fordern_active(app, tenants):
    _canton, grenchen, _balsthal = tenants
    case = case_under_review(grenchen)
    officer = client_as(app, (grenchen, "integration_officer"))
    modules.suspend(grenchen, "fordern")
    db.session.commit()
    assert officer.get(f"/grenchen/fordern/faelle/{case.id}/eskalieren").status_code == 404
    assert officer.get(f"/grenchen/fordern/faelle/{case.id}").status_code == 404


def test_the_cantons_pages_need_fordern_active_in_the_canton(app, tenants):
    canton, grenchen, _balsthal = tenants
    _case, number, _officer = escalated(app, grenchen)
    reviewer = client_as(app, (canton, escalation.REVIEWER))
    modules.suspend(canton, "fordern")
    db.session.commit()
    assert reviewer.get("/kanton/fordern/eskalationen").status_code == 404
    assert reviewer.get(f"/kanton/fordern/eskalationen/{number}").status_code == 404


def test_every_read_of_the_review_and_the_outcome_is_audited(app, tenants):
    canton, grenchen, _balsthal = tenants
    case, number, officer = escalated(app, grenchen)
    reviewer, review_url = reviewing(app, canton, number)
    assert post(reviewer, review_url, f"{review_url}/dokument", document_form()).status_code == 302
    reviewer.get(review_url)
    officer.get(f"/grenchen/fordern/faelle/{case.id}")
    with tenant_scope(canton):
        canton_log = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.object_type.in_(("fordern_reviews", "submission")))).all()
    with tenant_scope(grenchen):
        commune_log = db.session.execute(sa.select(AuditEvent.action, AuditEvent.object_type)).all()
    assert "sensitive.read" in canton_log and "canton.read" in canton_log
    assert ("sensitive.read", "fordern_case_outcomes") in commune_log
    assert ("fordern.case.transition", "fordern_case") in commune_log


def test_a_returned_case_resubmitted_is_pre_checked_again(app, tenants):
    canton, grenchen, _balsthal = tenants
    case, number, officer = escalated(app, grenchen)
    reviewer, review_url = reviewing(app, canton, number)
    post(reviewer, review_url, f"{review_url}/zurueckgeben", {"reason": "Bitte die Kursbestätigung beilegen."})
    from plugins.fordern import cases

    with tenant_scope(grenchen):
        from plugins.fordern.models import Case

        live = db.session.scalar(sa.select(Case).where(Case.id == case.id).execution_options(populate_existing=True))
        assert live.state == states.RETURNED
        cases.move(live, states.UNDER_REVIEW, live.state_on)
        db.session.commit()
    url = f"/grenchen/fordern/faelle/{case.id}/eskalieren"
    today = clock.today().isoformat()  # returned today: escalated again today
    assert post(officer, url, url, escalation_form(on=today)).status_code == 302
    page = text(reviewer.get(review_url))
    assert "Die Gemeinde hat eine neue Fassung eingereicht: bitte die Vorprüfung wiederholen." in page
    refused = post(reviewer, review_url, f"{review_url}/dokument", document_form())
    assert refused.status_code == 400
    assert "Die Gemeinde hat eine neue Fassung eingereicht: bitte die Vorprüfung wiederholen." in text(refused)
    aig = legal_basis(canton, "AIG")
    assert post(reviewer, review_url, f"{review_url}/vorpruefung",
                precheck_form(aig.id, decision_day=today)).status_code == 302
    assert post(reviewer, review_url, f"{review_url}/dokument", document_form()).status_code == 302
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(Case.state).where(Case.id == case.id)) == states.AGREEMENT_CONCLUDED
        assert [o.decision for o in escalation.outcomes(live)] == ["agreement_concluded", "returned"]


def test_the_canton_tracks_the_deadlines_and_records_the_outcome(app, tenants):
    canton, grenchen, _balsthal = tenants
    _case, number, _officer = escalated(app, grenchen)
    reviewer, review_url = reviewing(app, canton, number)
    post(reviewer, review_url, f"{review_url}/dokument", document_form())
    page = text(reviewer.get(review_url))
    assert "Fristen und Ergebnis" in page and "überfällig" in page
    bad = post(reviewer, review_url, f"{review_url}/ergebnis", {"deadline-1": "perhaps", "on": "2019-07-01"})
    assert bad.status_code == 400 and "Bitte eine der angebotenen Möglichkeiten wählen." in text(bad)
    done = post(reviewer, review_url, f"{review_url}/ergebnis", {
        "deadline-1": "met", "deadline-2": "partly_met", "outcome": "partly_fulfilled", "on": "2019-07-01",
        "note": "A2 schriftlich noch offen"})
    assert done.status_code == 302
    page = text(reviewer.get(review_url))
    assert '<option selected value="partly_fulfilled">' in page or 'value="partly_fulfilled" selected' in page
