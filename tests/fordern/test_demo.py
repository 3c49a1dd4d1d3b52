"""Fordern's demo cases (``flask demo load``): one at each typical point, owned by the demo officer, taken there
through the module's functions (history, audit, worklist), with the canton's agreement and a waiting EU case."""

from __future__ import annotations

import sqlalchemy as sa

from core import clock, submissions, worklist
from core.audit import AuditEvent
from core.auth import DEV_ISSUER, User
from core.db import db
from core.submissions import Submission
from core.tenancy import canton_tenant, get_tenant, tenant_scope
from plugins.fordern import escalation, measures, states
from plugins.fordern.escalation_models import CaseOutcome, Review
from plugins.fordern.models import Case, CaseEvent
from tests.fordern.support import text

EXPECTED = {("opened", None), ("interview_scheduled", None), ("measures_agreed", None), ("closed", "improved"),
            ("agreement_concluded", None), ("submitted", None)}


def user(subject: str) -> User:
    return db.session.scalar(sa.select(User).where(User.issuer == DEV_ISSUER, User.subject == subject))


def test_the_demo_tells_six_cases_and_the_canton_concludes_one_as_an_agreement(runner, app):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    for slug in ("grenchen", "balsthal", "buchegg-lueterkofen"):  # where a demo officer may edit cases
        assert f"{slug}: + 6 Fordern-Fälle (Demo)" in first.output
    assert "zuchwil: + 6 Fordern" not in first.output  # no demo member works on cases there
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "Fordern-Fälle" not in again.output  # loading twice adds nothing

    greta, sabine = f"user:{user('greta').id}", f"user:{user('sabine').id}"
    grenchen, canton = get_tenant("grenchen"), canton_tenant()
    with tenant_scope(grenchen):
        found = db.session.scalars(sa.select(Case)).all()
        assert {(case.state, case.outcome) for case in found} == EXPECTED and len(found) == 6
        assert {case.owner for case in found} == {greta}
        by_state = {case.state: case for case in found}
        agreement = by_state[states.AGREEMENT_CONCLUDED]
        steps = [(e.to_state, e.by) for e in db.session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == agreement.id).order_by(CaseEvent.seq))]
        assert steps == [("opened", greta), ("interview_scheduled", greta), ("interview_held", greta),
                         ("measures_agreed", greta), ("under_review", greta), ("submitted", greta),
                         ("agreement_concluded", sabine)]
        [outcome] = db.session.scalars(sa.select(CaseOutcome).where(CaseOutcome.case_id == agreement.id)).all()
        assert outcome.decision == states.AGREEMENT_CONCLUDED and outcome.attachment_id is not None
        eu_case = by_state[states.SUBMITTED]
        eu_submission = escalation.open_submission(eu_case)
        assert eu_submission.state == submissions.State.SUBMITTED
        overdue = [m for m in measures.of_case(by_state[states.MEASURES_AGREED]) if m.result is None]
        assert len(overdue) == 2 and min(m.deadline for m in overdue) < clock.today()
        transitions = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "fordern.case.transition"))
        assert transitions == db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent))
    assert any(item.key == "fordern.deadlines" and item.overdue for item in worklist.items(grenchen))

    with tenant_scope(canton):
        reviews = db.session.scalars(sa.select(Review)).all()
        decided = [r for r in reviews if r.decision == states.AGREEMENT_CONCLUDED]
        assert len(decided) == 3 and {r.decided_by for r in decided} == {sabine}
        assert all(r.agreement_allowed and r.status_rule == "third_state" for r in decided)
        waiting = db.session.scalars(sa.select(Submission).where(Submission.kind == escalation.KIND,
                                                                 Submission.state == "submitted")).all()
        assert len(waiting) == 3  # the EU nationals' cases: the canton has not started
        assert not [r for r in reviews if r.submission_id in {s.id for s in waiting}]
    assert any(item.key == "fordern.agreement_deadlines" for item in worklist.items(canton))

    # The officer sees the canton's decision on the case; the reviewer sees the waiting EU case in the inbox.
    from tests.conftest import login_as

    officer = app.test_client()
    login_as(officer, (grenchen, "integration_officer"))
    page = text(officer.get(f"/grenchen/fordern/faelle/{agreement.id}"))
    assert "Integrationsvereinbarung abgeschlossen" in page and outcome.number in page
    reviewer = app.test_client()
    login_as(reviewer, (canton, escalation.REVIEWER))
    assert eu_submission.number in text(reviewer.get("/kanton/fordern/eskalationen"))
    page = text(reviewer.get(f"/kanton/fordern/eskalationen/{eu_submission.number}"))
    assert "Spanien" in page


def test_each_follow_up_is_on_its_own_measure(runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with tenant_scope(get_tenant("grenchen")):
        agreement = db.session.scalar(sa.select(Case).where(Case.state == states.AGREEMENT_CONCLUDED))
        results = {m.kind: m.result for m in measures.of_case(agreement)}
    assert results == {"language_course": "not_met", "work": "partly_met"}
