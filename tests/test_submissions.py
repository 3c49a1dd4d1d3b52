"""Submissions from communes to the canton: numbers, states, the canton's narrow view, pages, audit."""

from __future__ import annotations

import threading
import types
from datetime import date

import pytest
import sqlalchemy as sa

from core import builtin, clock, modules, submissions
from core.access import Membership
from core.audit import AuditEvent, acting_as
from core.db import db
from core.errors import UserError
from core.hookspecs import hookimpl
from core.modules import ModuleActivation
from core.plugins import Manifest, Permission, PluginError, PluginRegistry, SubmissionKind
from core.submissions import State, Submission, SubmissionCounter, SubmissionEvent, SubmissionVersion
from core.tenancy import TenantMunicipality, tenant_scope
from tests.conftest import POSTGRES, clear_database, login_as, make_app, make_tenant
from tests.submission_plugin import plugin
from tests.test_access import csrf_token

CLAIM, CASE = "test_claims.claim", "test_claims.case"
PAYLOAD = {"Person": "Ana Muster", "Massnahmen": ["Deutschkurs A1", "Elterngruppe"],
           "Kosten": {"Total (CHF)": "1'234.50", "bewilligt": True}}


@pytest.fixture
def sub_app(app, database_url):
    test_app = make_app(plugins=[plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        yield test_app
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


@pytest.fixture
def world(sub_app, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2027, 3, 1))
    canton = make_tenant("kanton", kind="canton")
    a = make_tenant("grenchen", communes=[2546])
    b = make_tenant("balsthal", communes=[2422])
    for tenant in (a, b):
        modules.entitle(tenant, "test_claims")
        modules.activate(tenant, "test_claims", date(2017, 1, 1))
    db.session.commit()
    plugin.calls.clear()
    plugin.fail_on = None
    return canton, a, b


def submit(tenant, object_id="case-1", kind=CLAIM, title="Abrechnung 2027", payload=None, actor="user:1", **kw):
    with acting_as(actor):
        submission = submissions.submit(tenant, kind, object_id, title, PAYLOAD if payload is None else payload, **kw)
    db.session.commit()
    return submission


def step(scope_tenant, submission, action, note="", actor="user:2"):
    with tenant_scope(scope_tenant), acting_as(actor):
        event = submissions.change(submission, action, note)
    db.session.commit()
    return event


def audit_actions(tenant, prefix="submission."):
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                  .order_by(AuditEvent.occurred_at)).all()


# -- declaring kinds -------------------------------------------------------------------------------


def _kind_plugin(plugin_id="other", *kinds, permissions=()):
    module = types.ModuleType(plugin_id)
    module.manifest = Manifest(id=plugin_id, title=plugin_id, version="1.0", permissions=permissions,
                               submission_kinds=kinds)
    return module


@pytest.mark.parametrize("kinds, permissions, message", [
    ((SubmissionKind("other.x", "TC", "x"),), (), "'TC' is declared by 'test_claims' too"),
    ((SubmissionKind("test_claims.claim", "OX", "x"),), (), "must start with 'other.'"),
    ((SubmissionKind("other.x", "Ox", "x"),), (), "not 2-4 capital letters"),
    ((SubmissionKind("other.x", "OTHER", "x"),), (), "not 2-4 capital letters"),
    ((SubmissionKind("other.x", "OX", "x"), SubmissionKind("other.x", "OY", "y")), (), "'other.x' is declared"),
    ((SubmissionKind("other.x", "OX", "x", review_permission="other.nope"),), (), "must be a declared canton-only"),
    ((SubmissionKind("other.x", "OX", "x", review_permission="other.see"),),
     (Permission("other.see", "see", ()),), "must be a declared canton-only"),
    ((SubmissionKind("other.x", "OX", "x", submit_permission="core.submissions.review"),), (),
     "must be a declared permission of communes"),
])
def test_start_up_refuses_bad_submission_kinds(kinds, permissions, message):
    with pytest.raises(PluginError, match=message):
        PluginRegistry([builtin, plugin, _kind_plugin("other", *kinds, permissions=permissions)])


def test_kinds_are_collected_from_the_manifests():
    registry = PluginRegistry([builtin, plugin, _kind_plugin("other", SubmissionKind("other.x", "OX", "x"))])
    assert {k: m for k, (m, _kind) in registry.submission_kinds().items()} == {
        CLAIM: "test_claims", CASE: "test_claims", "other.x": "other"}


# -- numbers ---------------------------------------------------------------------------------------


def test_numbers_run_per_kind_and_year_across_all_communes(world, monkeypatch):
    canton, a, b = world
    assert submit(a, "c1").number == "TC-2027-0001"
    assert submit(b, "c1").number == "TC-2027-0002"  # one series for the whole canton
    assert submit(a, "c2").number == "TC-2027-0003"
    assert submit(a, "c1", kind=CASE).number == "TK-2027-0001"  # each kind its own series
    monkeypatch.setattr(clock, "today", lambda: date(2028, 1, 2))
    assert submit(b, "c2").number == "TC-2028-0001"  # a new year starts again
    with tenant_scope(canton):
        counters = {(c.prefix, c.year): c.last_number for c in db.session.scalars(sa.select(SubmissionCounter))}
    assert counters == {("TC", 2027): 3, ("TK", 2027): 1, ("TC", 2028): 1}
    with tenant_scope(a):  # the counters are the canton's
        assert db.session.scalars(sa.select(SubmissionCounter)).all() == []


def test_a_rolled_back_submission_gives_its_number_back(world):
    _canton, a, b = world
    with acting_as("user:1"):
        assert submissions.submit(a, CLAIM, "c1", "Abrechnung", PAYLOAD).number == "TC-2027-0001"
    db.session.rollback()
    assert submit(b, "c1").number == "TC-2027-0001"


def test_a_failing_module_hook_undoes_the_step_and_its_number(world):
    _canton, a, _b = world
    plugin.fail_on = "submit"
    with pytest.raises(RuntimeError, match="refuses submit"), acting_as("user:1"):
        submissions.submit(a, CLAIM, "c1", "Abrechnung", PAYLOAD)
    db.session.rollback()
    plugin.fail_on = None
    assert submit(a, "c1").number == "TC-2027-0001"


# -- the state machine -----------------------------------------------------------------------------


def test_submitted_in_review_accepted_each_step_dated_and_by_whom(world):
    canton, a, _b = world
    submission = submit(a, actor="user:7", note="Bitte bis Ende Monat")
    assert (submission.state, submission.version, submission.submitted_by) == (State.SUBMITTED, 1, "user:7")
    step(canton, submission, "start_review", actor="user:8")
    step(canton, submission, "accept", "Bewilligt wie beantragt", actor="user:8")
    with tenant_scope(a):
        row = db.session.scalar(sa.select(Submission).execution_options(populate_existing=True))
        events = submissions.history(row)
    assert row.state == State.ACCEPTED
    assert [(e.seq, e.action, e.from_state, e.to_state, e.actor, e.by_canton, e.note) for e in events] == [
        (1, "submit", None, "submitted", "user:7", False, "Bitte bis Ende Monat"),
        (2, "start_review", "submitted", "in_review", "user:8", True, ""),
        (3, "accept", "in_review", "accepted", "user:8", True, "Bewilligt wie beantragt"),
    ]
    assert all(e.occurred_at.tzinfo is not None for e in events)
    assert events[0].occurred_at <= events[1].occurred_at <= events[2].occurred_at == row.changed_at


@pytest.mark.parametrize("path, action, message", [
    ((), "accept", "«annehmen» geht nur, wenn sie «in Prüfung» ist"),
    ((), "return", "«zurückweisen» geht nur, wenn sie «in Prüfung» ist"),
    (("start_review",), "start_review", "ist «in Prüfung»: «Prüfung beginnen» geht nur, wenn sie «eingereicht»"),
    (("start_review",), "withdraw", "«zurückziehen» geht nur, wenn sie «eingereicht» ist"),
    (("start_review", "accept"), "return", "ist «angenommen»"),
    (("start_review", "accept"), "accept", "ist «angenommen»"),
    (("withdraw",), "start_review", "ist «zurückgezogen»"),
    (("withdraw",), "withdraw", "ist «zurückgezogen»"),
    (("start_review", "return"), "accept", "ist «zurückgewiesen»"),
    (("start_review", "return"), "withdraw", "ist «zurückgewiesen»"),
])
def test_refused_steps_say_why(world, path, action, message):
    canton, a, _b = world
    submission = submit(a)
    for done in path:
        step(a if done == "withdraw" else canton, submission, done, "Grund")
    before = len(plugin.calls)
    with pytest.raises(UserError, match=message):
        step(a if action == "withdraw" else canton, submission, action, "Grund")
    db.session.rollback()
    assert len(plugin.calls) == before


def test_a_return_needs_a_reason_and_each_side_takes_only_its_steps(world):
    canton, a, b = world
    submission = submit(a)
    step(canton, submission, "start_review")
    with pytest.raises(UserError, match="Bitte geben Sie einen Grund an"):
        step(canton, submission, "return", "   ")
    with pytest.raises(UserError, match="Nur der Kanton"):
        step(a, submission, "accept")  # the commune cannot decide its own submission
    with pytest.raises(UserError, match="Nur die einreichende Gemeinde"):
        step(canton, submission, "withdraw")
    with pytest.raises(UserError, match="Unbekannter Schritt"):
        step(canton, submission, "approve")
    db.session.rollback()
    submission2 = submit(a, "c2")
    with pytest.raises(UserError, match="Nur die einreichende Gemeinde"):
        with tenant_scope(a):
            foreign = db.session.get(Submission, (a.id, submission2.id))
        step(b, foreign, "withdraw")


def test_a_returned_submission_is_resubmitted_under_its_number_as_a_new_version(world):
    canton, a, _b = world
    first = submit(a, title="Abrechnung 2027", payload={"Total": "1'000.00"})
    step(canton, first, "start_review")
    step(canton, first, "return", "Beleg für den Kurs fehlt")
    again = submit(a, title="Abrechnung 2027 (mit Beleg)", payload={"Total": "1'000.00", "Beleg": "ja"},
                   attachments=[{"id": "f1", "filename": "beleg.pdf"}])
    assert (again.id, again.number, again.version, again.state) == (first.id, "TC-2027-0001", 2, State.SUBMITTED)
    with tenant_scope(a):
        versions = submissions.versions(again)
        events = submissions.history(again)
    assert [(v.version, v.title, v.payload, v.attachments) for v in versions] == [
        (2, "Abrechnung 2027 (mit Beleg)", {"Total": "1'000.00", "Beleg": "ja"},
         [{"id": "f1", "filename": "beleg.pdf"}]),
        (1, "Abrechnung 2027", {"Total": "1'000.00"}, []),
    ]
    assert [(e.action, e.to_state, e.version) for e in events][-2:] == [("return", "returned", 1),
                                                                          ("resubmit", "submitted", 2)]
    assert events[-2].note == "Beleg für den Kurs fehlt"


def test_the_snapshot_does_not_follow_the_modules_object(world):
    _canton, a, _b = world
    payload = {"Person": "Ana Muster", "Massnahmen": ["A1"]}
    submission = submit(a, payload=payload)
    payload["Massnahmen"].append("später dazugekommen")
    with tenant_scope(a):
        db.session.expire_all()
        assert submissions.versions(submission)[0].payload == {"Person": "Ana Muster", "Massnahmen": ["A1"]}


def test_an_object_the_canton_has_cannot_be_submitted_twice(world):
    canton, a, b = world
    first = submit(a, "c1")
    with pytest.raises(UserError, match="schon vor: Eingabe TC-2027-0001 \\(eingereicht\\)"):
        submit(a, "c1")
    db.session.rollback()
    step(canton, first, "start_review")
    with pytest.raises(UserError, match="TC-2027-0001 \\(in Prüfung\\)"):
        submit(a, "c1")
    db.session.rollback()
    assert submit(b, "c1").number == "TC-2027-0002"  # another commune's object of the same id
    assert submit(a, "c1", kind=CASE).number == "TK-2027-0001"  # another kind
    step(canton, first, "accept")
    assert submit(a, "c1").number == "TC-2027-0003"  # accepted is final: a new submission
    withdrawn = submit(a, "c9")
    step(a, withdrawn, "withdraw", "Irrtum")
    assert submit(a, "c9").number == "TC-2027-0005"


@pytest.mark.parametrize("title, payload, attachments, message", [
    ("", {}, (), "braucht einen Titel"),
    ("x" * 301, {}, (), "braucht einen Titel"),
    ("Titel", ["a"], (), "Zuordnung von Bezeichnungen"),
    ("Titel", {1: "a"}, (), "Zuordnung von Bezeichnungen"),
    ("Titel", {"a": date(2027, 1, 1)}, (), "lässt sich nicht speichern"),
    ("Titel", {"a": "x" * 1_000_001}, (), "zu gross"),
    ("Titel", {}, [object()], "lässt sich nicht speichern"),
])
def test_malformed_snapshots_are_refused(world, title, payload, attachments, message):
    _canton, a, _b = world
    with pytest.raises(UserError, match=message):
        submissions.submit(a, CLAIM, "c1", title, payload, attachments)


def test_unknown_kind_inactive_module_and_the_canton_itself_cannot_submit(world):
    canton, a, _b = world
    with pytest.raises(UserError, match=r"Unbekannte Art von Eingabe: test_claims\.nope"):
        submissions.submit(a, "test_claims.nope", "c1", "Titel", {})
    with pytest.raises(UserError, match="Nur Gemeinden"):
        submissions.submit(canton, CLAIM, "c1", "Titel", {})
    modules.suspend(a, "test_claims")
    db.session.commit()
    with pytest.raises(UserError, match="nicht eingeschaltet"):
        submissions.submit(a, CLAIM, "c1", "Titel", {})


def test_history_and_versions_are_append_only(world):
    _canton, a, _b = world
    submission = submit(a)
    with tenant_scope(a):
        event = submissions.history(submission)[0]
        event.note = "nachträglich geändert"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        version = submissions.versions(submission)[0]
        db.session.delete(version)
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()


# -- the module hears of each step -----------------------------------------------------------------


def test_the_owning_module_hears_of_each_step_in_the_submitting_tenants_scope(world, sub_app):
    canton, a, _b = world
    submission = submit(a)
    step(canton, submission, "start_review")
    step(canton, submission, "return", "unvollständig")
    submit(a)
    assert plugin.calls == [
        ("grenchen", "TC-2027-0001", "submit", "submitted", a.id),
        ("grenchen", "TC-2027-0001", "start_review", "in_review", a.id),
        ("grenchen", "TC-2027-0001", "return", "returned", a.id),
        ("grenchen", "TC-2027-0001", "resubmit", "submitted", a.id),
    ]


def test_the_hook_reads_the_decision_its_caller_handed_over_and_only_during_the_step(world, sub_app):
    canton, a, _b = world
    submission = submit(a)
    plugin.decisions.clear()
    with tenant_scope(canton), acting_as("user:2"):
        submissions.change(submission, "start_review")
        submissions.change(submission, "accept", "gut", decision={"amount": 125_000})
        assert submissions.decision() is None  # only while the module's hook runs
    db.session.commit()
    assert plugin.decisions == [None, {"amount": 125_000}]


def test_only_the_module_that_declared_the_kind_hears_of_it(app, database_url, monkeypatch):
    heard = []
    other = _kind_plugin("other", SubmissionKind("other.x", "OX", "x"))
    other.submission_changed = hookimpl(lambda tenant, submission, event: heard.append(submission.kind))
    test_app = make_app(plugins=[plugin, other], SQLALCHEMY_DATABASE_URI=database_url)
    monkeypatch.setattr(clock, "today", lambda: date(2027, 3, 1))
    try:
        with test_app.app_context():
            make_tenant("kanton", kind="canton")
            a = make_tenant("grenchen", communes=[2546])
            for module_id in ("test_claims", "other"):
                modules.entitle(a, module_id)
                modules.activate(a, module_id, date(2017, 1, 1))
            plugin.calls.clear()
            submit(a, "c1")
            submit(a, "c1", kind="other.x")
            assert heard == ["other.x"]
            assert [c[1] for c in plugin.calls] == ["TC-2027-0001"]
            db.session.remove()
    finally:
        clear_database(test_app)


# -- the canton's narrow view ----------------------------------------------------------------------


def _filled(world):
    canton, a, b = world
    for tenant, object_id in ((a, "a1"), (a, "a2"), (b, "b1")):
        submit(tenant, object_id, title=f"Abrechnung {object_id}")
    with tenant_scope(a):
        db.session.add(AuditEvent(actor="test", action="test.secret", detail={}))
    db.session.commit()
    db.session.expunge_all()
    return canton, a, b


def test_the_canton_sees_every_submission_and_nothing_else_of_the_communes(world):
    canton, a, b = _filled(world)
    with tenant_scope(canton):
        titles = sorted(s.title for s in db.session.scalars(sa.select(Submission)))
        assert titles == ["Abrechnung a1", "Abrechnung a2", "Abrechnung b1"]
        assert len(db.session.scalars(sa.select(SubmissionVersion)).all()) == 3
        assert len(db.session.scalars(sa.select(SubmissionEvent)).all()) == 3
        for model in (Membership, AuditEvent, ModuleActivation, TenantMunicipality):  # the rest stays theirs
            assert db.session.scalars(sa.select(model).where(model.tenant_id.in_([a.id, b.id]))).all() == []
        # Reading is all: the canton cannot change a commune's submission rows.
        assert db.session.execute(sa.update(Submission).values(title="x")).rowcount == 0
        assert db.session.execute(sa.delete(SubmissionEvent)).rowcount == 0
        db.session.rollback()


def test_a_commune_never_sees_another_communes_submissions(world):
    _canton, _a, b = _filled(world)
    with tenant_scope(b):
        assert [s.title for s in db.session.scalars(sa.select(Submission))] == ["Abrechnung b1"]
        assert {v.tenant_id for v in db.session.scalars(sa.select(SubmissionVersion))} == {b.id}
        assert submissions.find("TC-2027-0001") is None  # a's
        assert submissions.of_object(CLAIM, "a1") == []


def test_the_canton_cannot_write_a_communes_submission_through_the_orm(world):
    canton, a, _b = _filled(world)
    from core.db import TenantScopeError

    with tenant_scope(canton):
        submission = submissions.find("TC-2027-0001")
        submission.title = "vom Kanton geändert"
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()
        db.session.add(SubmissionEvent(tenant_id=a.id, submission_id=submission.id, seq=9, occurred_at=clock.utcnow(),
                                       actor="x", by_canton=True, action="accept", to_state="accepted", version=1))
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_every_read_of_the_canton_is_audited_in_both_tenants(world):
    canton, a, b = _filled(world)
    with tenant_scope(canton), acting_as("user:8"):
        submission = submissions.find("TC-2027-0002")
        submissions.versions(submission)
        submissions.history(submission)
        db.session.commit()
    reads = audit_actions(canton, "canton.read")
    assert [(e.actor, e.object_type, e.object_id, e.detail) for e in reads] == [
        ("user:8", "submission", str(submission.id), {"tenant_id": a.id})]
    assert [(e.object_id, e.detail) for e in audit_actions(a, "canton.read")] == [
        (str(submission.id), {"by_tenant_id": canton.id})]
    assert audit_actions(b, "canton.read") == []
    with tenant_scope(a):  # the commune reading its own: no record
        db.session.expunge_all()
        submissions.find("TC-2027-0002")
        db.session.commit()
    assert len(audit_actions(a, "canton.read")) == 1


def test_each_step_is_audited_in_the_commune_and_the_canton(world):
    canton, a, _b = world
    submission = submit(a)
    step(canton, submission, "start_review")
    step(canton, submission, "return", "Beleg fehlt")
    for tenant in (a, canton):
        events = audit_actions(tenant)
        assert [e.action for e in events] == ["submission.submit", "submission.start_review", "submission.return"]
        assert events[-1].detail["note"] == "Beleg fehlt" and events[-1].detail["number"] == "TC-2027-0001"
        assert events[-1].actor == "user:2"
    assert audit_actions(canton)[-1].detail["tenant"] == "grenchen"


# -- PostgreSQL: the same rule under row-level security --------------------------------------------

postgres_only = pytest.mark.skipif(not POSTGRES, reason="row-level security needs PostgreSQL (DATABASE_URL)")


@postgres_only
def test_row_security_lets_the_canton_read_submissions_and_nothing_else(world):
    canton, a, b = _filled(world)

    def count(table):
        return db.session.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": a.id})

    with tenant_scope(canton):
        assert [count(t) for t in ("submissions", "submission_versions", "submission_events")] == [2, 2, 2]
        for table in ("memberships", "audit_events", "module_activations", "tenant_municipalities"):
            assert count(table) == 0, table
        assert db.session.execute(sa.text("UPDATE submissions SET title = 'x' WHERE tenant_id = :a"),
                                  {"a": a.id}).rowcount == 0
        assert db.session.execute(sa.text("DELETE FROM submission_events WHERE tenant_id = :a"),
                                  {"a": a.id}).rowcount == 0
        db.session.rollback()
    with tenant_scope(canton), pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        db.session.execute(sa.text(
            "INSERT INTO submission_events (tenant_id, submission_id, seq, occurred_at, actor, by_canton, action, "
            "to_state, version, note) SELECT tenant_id, id, 9, now(), 'x', true, 'accept', 'accepted', 1, '' "
            "FROM submissions WHERE tenant_id = :a LIMIT 1"), {"a": a.id})
    db.session.rollback()
    with tenant_scope(b):
        assert [count(t) for t in ("submissions", "submission_versions", "submission_events")] == [0, 0, 0]
        db.session.rollback()
    with db.engine.connect() as connection:  # no scope: nothing
        assert connection.scalar(sa.text("SELECT count(*) FROM submissions")) == 0


def _in_threads(sub_app, work, count):
    """Run ``work(i)`` in ``count`` threads at once, each with its own app context and session."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        with sub_app.app_context():
            try:
                barrier.wait()
                results[i] = work(i)
                db.session.commit()
            except Exception as error:  # collected for the assertion
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


@postgres_only
def test_concurrent_submissions_get_different_gap_free_numbers(world, sub_app):
    _canton, a, b = world

    def work(i):
        with acting_as(f"user:{i}"):
            return submissions.submit(a if i % 2 else b, CLAIM, f"c{i}", f"Abrechnung {i}", PAYLOAD).number

    numbers, errors = _in_threads(sub_app, work, 6)
    assert errors == []
    assert sorted(numbers) == [f"TC-2027-{n:04d}" for n in range(1, 7)]


@postgres_only
def test_the_same_object_submitted_twice_at_once_is_taken_once(world, sub_app):
    _canton, a, _b = world

    def work(i):
        with acting_as(f"user:{i}"):
            return submissions.submit(a, CLAIM, "c1", "Abrechnung", PAYLOAD).number

    numbers, errors = _in_threads(sub_app, work, 2)
    assert [n for n in numbers if n] == ["TC-2027-0001"]
    assert len(errors) == 1 and isinstance(errors[0], UserError)
    assert submit(a, "c2").number == "TC-2027-0002"  # the refused one left no gap


# -- the pages -------------------------------------------------------------------------------------


def client_as(sub_app, *memberships):
    client = sub_app.test_client()
    login_as(client, *memberships)
    return client


def post(client, page, url, **data):
    response = client.get(page)
    assert response.status_code == 200, response.text
    return client.post(url, data={"csrf_token": csrf_token(response.text), **data})


def test_a_commune_lists_its_own_submissions_with_their_history(world, sub_app):
    _canton, a, _b = _filled(world)
    officer = client_as(sub_app, (a, "integration_officer"))
    page = officer.get("/grenchen/eingaben")
    assert page.status_code == 200
    assert "TC-2027-0001" in page.text and "TC-2027-0002" in page.text and "TC-2027-0003" not in page.text
    assert "Abrechnung b1" not in page.text
    detail = officer.get("/grenchen/eingaben/TC-2027-0001")
    assert detail.status_code == 200
    assert "Ana Muster" in detail.text and "Deutschkurs A1" in detail.text and "eingereicht" in detail.text
    assert officer.get("/grenchen/eingaben/TC-2027-0003").status_code == 404  # balsthal's
    assert officer.get("/grenchen/eingaben/XX-1").status_code == 404
    assert officer.get("/balsthal/eingaben").status_code == 404  # not a member there
    assert officer.get("/kanton/eingaben").status_code == 404


@pytest.mark.parametrize("role, status", [("tenant_admin", 200), ("integration_officer", 200), ("read_only", 200),
                                          ("residents_services", 403)])
def test_who_sees_a_communes_submissions(world, sub_app, role, status):
    _canton, a, _b = _filled(world)
    assert client_as(sub_app, (a, role)).get("/grenchen/eingaben").status_code == status


def test_a_commune_withdraws_while_submitted(world, sub_app):
    _canton, a, _b = _filled(world)
    reader = client_as(sub_app, (a, "read_only"))
    assert post(reader, "/grenchen/eingaben/TC-2027-0001", "/grenchen/eingaben/TC-2027-0001/zurueckziehen",
                note="").status_code == 403
    officer = client_as(sub_app, (a, "integration_officer"))
    page = officer.get("/grenchen/eingaben/TC-2027-0001")
    assert "zurueckziehen" in page.text and "annehmen" not in page.text
    for step_ in ("pruefen", "annehmen", "zurueckweisen"):  # the canton's steps do not exist here
        assert post(officer, "/grenchen/eingaben/TC-2027-0001", f"/grenchen/eingaben/TC-2027-0001/{step_}",
                    note="x").status_code == 404
    done = post(officer, "/grenchen/eingaben/TC-2027-0001", "/grenchen/eingaben/TC-2027-0001/zurueckziehen",
                note="Doppelt erfasst")
    assert done.status_code == 302
    page = officer.get("/grenchen/eingaben/TC-2027-0001")
    assert "zurückgezogen" in page.text and "Doppelt erfasst" in page.text
    again = post(officer, "/grenchen/eingaben/TC-2027-0001", "/grenchen/eingaben/TC-2027-0001/zurueckziehen")
    assert again.status_code == 400 and "«zurückziehen» geht nur, wenn sie «eingereicht» ist" in again.text


def test_the_canton_inbox_filters_by_kind_state_and_commune(world, sub_app):
    canton, _a, b = _filled(world)
    submit(b, "b2", kind=CASE, title="Fall b2")
    with tenant_scope(canton):
        first = submissions.find("TC-2027-0001")
    step(canton, first, "start_review")
    admin = client_as(sub_app, (canton, "canton_admin"))
    page = admin.get("/kanton/eingaben")
    assert page.status_code == 200
    for text in ("TC-2027-0001", "TC-2027-0002", "TC-2027-0003", "TK-2027-0001", "Grenchen", "Balsthal"):
        assert text in page.text
    assert "TK-2027-0001" not in admin.get("/kanton/eingaben?art=test_claims.claim").text
    only_b = admin.get("/kanton/eingaben?mandant=balsthal").text
    assert "TC-2027-0003" in only_b and "TC-2027-0001" not in only_b
    in_review = admin.get("/kanton/eingaben?stand=in_review").text
    assert "TC-2027-0001" in in_review and "TC-2027-0002" not in in_review
    bad = admin.get("/kanton/eingaben?stand=kaputt")
    assert bad.status_code == 400 and "Keine Eingaben" in bad.text


def test_a_kinds_own_review_permission_narrows_the_canton_inbox(world, sub_app):
    canton, _a, b = _filled(world)
    submit(b, "b2", kind=CASE, title="Fall b2")
    office = client_as(sub_app, (canton, "canton_office"))  # holds core.submissions.review, not test_claims.review
    page = office.get("/kanton/eingaben")
    assert "TC-2027-0001" in page.text and "TK-2027-0001" not in page.text
    assert office.get("/kanton/eingaben/TK-2027-0001").status_code == 404
    assert client_as(sub_app, (canton, "canton_admin")).get("/kanton/eingaben/TK-2027-0001").status_code == 200
    reader = client_as(sub_app, (canton, "read_only"))
    page = reader.get("/kanton/eingaben")
    assert page.status_code == 200 and "Sie prüfen keine Art von Eingaben" in page.text
    assert "TC-2027-0001" not in page.text
    assert reader.get("/kanton/eingaben/TC-2027-0001").status_code == 404


def test_the_canton_reviews_through_its_pages(world, sub_app):
    canton, a, _b = _filled(world)
    admin = client_as(sub_app, (canton, "canton_admin"))
    url = "/kanton/eingaben/TC-2027-0001"
    page = admin.get(url)
    assert page.status_code == 200
    assert "Grenchen" in page.text and "Ana Muster" in page.text and "1&#39;234.50" in page.text
    assert "pruefen" in page.text and "annehmen" not in page.text
    assert post(admin, url, f"{url}/zurueckziehen").status_code == 404  # the commune's step
    early = post(admin, url, f"{url}/annehmen", note="ok")
    assert early.status_code == 400 and "geht nur, wenn sie «in Prüfung» ist" in early.text
    assert post(admin, url, f"{url}/pruefen").status_code == 302
    unreasoned = post(admin, url, f"{url}/zurueckweisen", note=" ")
    assert unreasoned.status_code == 400 and "Bitte geben Sie einen Grund an" in unreasoned.text
    assert post(admin, url, f"{url}/zurueckweisen", note="Beleg fehlt").status_code == 302
    assert admin.post(f"{url}/pruefen", data={"note": ""}).status_code == 400  # no CSRF token
    assert admin.post(f"{url}/erlauben", data={}).status_code in (400, 404)
    page = admin.get(url)
    assert "zurückgewiesen" in page.text and "Beleg fehlt" in page.text and "(Kanton)" in page.text
    assert plugin.calls[-1] == ("grenchen", "TC-2027-0001", "return", "returned", a.id)
    commune = client_as(sub_app, (a, "integration_officer")).get("/grenchen/eingaben/TC-2027-0001")
    assert "Beleg fehlt" in commune.text and "zurückgewiesen" in commune.text
    assert [e.action for e in audit_actions(canton, "canton.read")]  # the canton's reads are on record


def test_the_canton_pages_answer_404_in_a_commune_for_the_cantons_roles_there(world, sub_app):
    canton, _a, _b = _filled(world)
    admin = client_as(sub_app, (canton, "canton_admin"))
    assert admin.get("/grenchen/eingaben").status_code == 404
    assert admin.get("/grenchen/eingaben/TC-2027-0001").status_code == 404


def test_without_any_kind_the_inbox_says_that_no_module_submits_yet(database_url):
    # Core alone: the installed modules declare kinds (Fordern's cases), so they stay out of this app.
    test_app = make_app(plugins=[], SQLALCHEMY_DATABASE_URI=database_url)
    try:
        with test_app.app_context():
            canton = make_tenant("kanton", kind="canton")
            client = test_app.test_client()
            login_as(client, (canton, "canton_admin"))
            page = client.get("/kanton/eingaben")
            assert page.status_code == 200 and "Noch reicht kein Modul Eingaben beim Kanton ein" in page.text
            db.session.remove()
    finally:
        clear_database(test_app)
