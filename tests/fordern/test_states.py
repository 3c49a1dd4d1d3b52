"""The case's state machine: random sequences of transitions (Hypothesis) reach no illegal state; every
illegal transition is refused with a clear message and changes nothing; the history is immutable."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core import modules
from core.db import db
from core.people import Person
from core.tenancy import tenant_scope
from plugins.fordern import cases, states
from plugins.fordern.models import Case, CaseEvent
from tests.conftest import make_tenant

START = date(2017, 3, 1)


@pytest.fixture
def tenant(ctx):
    grenchen = make_tenant("grenchen", communes=[2546])
    for module_id in ("informieren", "fordern"):
        modules.entitle(grenchen, module_id)
        modules.activate(grenchen, module_id)
    db.session.commit()
    return grenchen


def new_case(tenant) -> Case:
    person = Person(official_name="Muster", first_name="Ana", municipality_bfs=2546)
    db.session.add(person)
    db.session.flush()
    return cases.open_case(person, "Deutschkurs abgebrochen", "user:1", START)


def test_a_case_runs_from_opening_to_a_closed_outcome(tenant):
    with tenant_scope(tenant):
        case = new_case(tenant)
        for day, to_state in enumerate((states.INTERVIEW_SCHEDULED, states.INTERVIEW_HELD, states.MEASURES_AGREED,
                                        states.UNDER_REVIEW), start=1):
            cases.move(case, to_state, START + timedelta(days=day))
        cases.move(case, states.CLOSED, START + timedelta(days=9), "Kurs A2 bestanden", states.IMPROVED)
        db.session.commit()
        assert (case.state, case.outcome, case.closed_on) == (states.CLOSED, states.IMPROVED, START + timedelta(9))
        assert [e.to_state for e in cases.history(case)] == [
            "opened", "interview_scheduled", "interview_held", "measures_agreed", "under_review", "closed"]


@pytest.mark.parametrize(("path", "to_state", "outcome", "reason", "message"), [
    ((), states.INTERVIEW_HELD, None, "",
     re.escape("Von «eröffnet» aus geht es nur weiter zu: Gespräch geplant, abgeschlossen.")),
    ((), states.CLOSED, states.IMPROVED, "x", "wird abgeschlossen als: weggezogen, nicht weiterverfolgt"),
    ((), states.CLOSED, states.MOVED_AWAY, " ", "Bitte einen Grund angeben"),
    ((states.INTERVIEW_SCHEDULED, states.INTERVIEW_HELD, states.MEASURES_AGREED, states.UNDER_REVIEW),
     states.AGREEMENT_CONCLUDED, None, "", "Von «in Überprüfung» aus geht es nur weiter zu"),
    ((states.INTERVIEW_SCHEDULED, states.INTERVIEW_HELD, states.MEASURES_AGREED, states.UNDER_REVIEW),
     states.SUBMITTED, None, "", "Bitte einen Grund angeben"),
])
def test_an_illegal_transition_is_refused_clearly_and_changes_nothing(tenant, path, to_state, outcome, reason,
                                                                       message):
    with tenant_scope(tenant):
        case = new_case(tenant)
        for to in path:
            cases.move(case, to, START)
        before = (case.state, case.steps, case.outcome)
        with pytest.raises(cases.TransitionRefused, match=message):
            cases.move(case, to_state, START, reason, outcome)
        assert (case.state, case.steps, case.outcome) == before
        db.session.rollback()


def test_the_cantons_decisions_are_the_cantons(tenant):
    with tenant_scope(tenant):
        case = new_case(tenant)
        for to in (states.INTERVIEW_SCHEDULED, states.INTERVIEW_HELD, states.MEASURES_AGREED, states.UNDER_REVIEW):
            cases.move(case, to, START)
        cases.move(case, states.SUBMITTED, START, "Keine Verbesserung nach zwei Runden")
        with pytest.raises(cases.TransitionRefused, match="Diesen Schritt macht der Kanton"):
            cases.move(case, states.AGREEMENT_CONCLUDED, START)
        cases.move(case, states.AGREEMENT_CONCLUDED, START, by_canton=True)
        with pytest.raises(cases.TransitionRefused, match="Diesen Schritt macht die Gemeinde"):
            cases.move(case, states.CLOSED, START, "x", states.IMPROVED, by_canton=True)
        db.session.rollback()


def test_the_history_is_immutable(tenant):
    with tenant_scope(tenant):
        case = new_case(tenant)
        db.session.commit()
        [entry] = cases.history(case)
        entry.reason = "changed"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.delete(cases.history(case)[0])
            db.session.flush()
        db.session.rollback()


class CaseMachine(RuleBasedStateMachine):
    """Random transitions, allowed or not, by the commune or the canton, with or without reason and outcome."""

    tenant = None

    def __init__(self):
        super().__init__()
        self.scope = tenant_scope(self.tenant)
        self.scope.__enter__()
        self.case = new_case(self.tenant)
        self.day = START
        self.expected = [states.OPENED]

    @rule(to_state=st.sampled_from(states.STATES), outcome=st.none() | st.sampled_from(states.OUTCOMES),
          reason=st.sampled_from(["", "Grund"]), by_canton=st.booleans(), days=st.integers(-2, 30))
    def transition(self, to_state, outcome, reason, by_canton, days):
        day = self.day + timedelta(days=days)
        legal = (to_state in states.TRANSITIONS[self.case.state]
                 and (to_state in states.CANTON_DECISIONS) == by_canton
                 and (outcome in states.allowed_outcomes(self.case.state) if to_state == states.CLOSED
                      else outcome is None)
                 and (reason or to_state not in states.NEEDS_REASON) and day >= self.day)
        before = (self.case.state, self.case.steps)
        try:
            cases.move(self.case, to_state, day, reason, outcome, by_canton=by_canton)
        except cases.TransitionRefused as refused:
            assert not legal, f"{before[0]} → {to_state} refused: {refused}"
            assert str(refused) and (self.case.state, self.case.steps) == before
            return
        assert legal, f"{before[0]} → {to_state} ({outcome}, {reason!r}, canton={by_canton}) was taken"
        self.day = day
        self.expected.append(to_state)

    @invariant()
    def the_state_is_legal_and_the_history_tells_how_it_got_there(self):
        case = self.case
        assert case.state in states.STATES
        assert (case.state == states.CLOSED) == (case.outcome is not None)
        assert case.steps == len(self.expected) and case.state == self.expected[-1]

    def teardown(self):
        db.session.flush()  # the database's checks agree
        history = db.session.scalars(sa.select(CaseEvent.to_state).where(CaseEvent.case_id == self.case.id)
                                     .order_by(CaseEvent.seq)).all()
        assert history == self.expected
        db.session.rollback()
        self.scope.__exit__(None, None, None)


def test_random_sequences_of_transitions_reach_no_illegal_state(tenant):
    CaseMachine.tenant = tenant
    run_state_machine_as_test(CaseMachine, settings=settings(max_examples=60, stateful_step_count=25,
                                                             deadline=None))
