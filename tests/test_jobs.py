"""Background jobs: in-process without Redis; with REDIS_URL a real rq worker, cron and a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock, jobs, modules, provisioning
from core.clock import utcnow
from core.db import db
from core.errors import UserError
from core.plugins import discover
from core.tenancy import tenant_scope
from tests.conftest import REPO, clear_database, login_as, make_app, make_tenant
from tests.job_plugin import plugin

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="a real rq worker needs REDIS_URL")


def _app(database_url, redis_url):
    return make_app(plugins=[*discover(), plugin], SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis_url)


@pytest.fixture
def inprocess(app, database_url):
    """Jobs without Redis: they run at once, in the process that starts them."""
    jobs_app = _app(database_url, None)
    with jobs_app.app_context():
        make_tenant("kanton", kind="canton")
        yield jobs_app, make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
        db.session.rollback()
        db.session.remove()
    clear_database(jobs_app)


@pytest.fixture
def rq_world(app, database_url):
    """Jobs on the real Redis, run by real workers (subprocesses)."""
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    jobs_app = _app(database_url, REDIS_URL)
    with jobs_app.app_context():
        make_tenant("kanton", kind="canton")
        yield jobs_app, make_tenant("grenchen", communes=[2546]), database_url
        db.session.rollback()
        db.session.remove()
    clear_database(jobs_app)


def setting(tenant, key):
    """The setting as stored now (another process or a rolled-back attempt may have changed it)."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, provisioning.TenantSetting):
            db.session.expunge(obj)
    return provisioning.get_setting(tenant, key)


def fresh(record, tenant):
    with tenant_scope(tenant):
        return db.session.get(jobs.JobRecord, (tenant.id, record.id), populate_existing=True)


def plan_failures(tenant, count):
    provisioning.set_setting(tenant, "test_jobs.fail_until", count)
    db.session.commit()


# -- in-process ----------------------------------------------------------------------------


def test_a_job_runs_and_keeps_its_result_and_its_work(inprocess):
    grenchen = inprocess[1]
    record = jobs.enqueue("test.echo", grenchen, {"text": "hello"}, requested_by="user:1")
    record = fresh(record, grenchen)
    assert (record.state, record.attempts, record.progress_done, record.progress_total) == ("finished", 1, 2, 2)
    assert record.started_at <= record.finished_at
    with tenant_scope(grenchen):
        [result] = db.session.scalars(sa.select(jobs.JobFile)).all()
        assert (result.filename, result.read_all(grenchen)) == ("echo.txt", b"hello (1)")
    assert setting(grenchen, "test_jobs.runs") == 1


def test_a_failing_job_is_marked_failed_and_leaves_nothing(inprocess):
    grenchen = inprocess[1]
    plan_failures(grenchen, 1)
    record = fresh(jobs.enqueue("test.echo", grenchen, {"text": "x"}), grenchen)
    assert record.state == "failed" and "planned failure on attempt 1" in record.error
    assert setting(grenchen, "test_jobs.runs") == 0  # the failed attempt's work was rolled back
    with tenant_scope(grenchen):
        assert db.session.scalars(sa.select(jobs.JobFile)).all() == []
    retried = fresh(jobs.retry(record, grenchen), grenchen)
    assert (retried.state, retried.attempts, retried.error) == ("finished", 2, None)
    assert setting(grenchen, "test_jobs.runs") == 1
    with pytest.raises(UserError, match="Nur ein fehlgeschlagener"):
        jobs.retry(retried, grenchen)


def test_a_failure_tells_the_user_what_happened_in_their_words(inprocess):
    grenchen = inprocess[1]
    refused = fresh(jobs.enqueue("test.refuse", grenchen, {}), grenchen)
    assert (refused.state, refused.error) == ("failed", "Diese Datei passt nicht.")  # the module's own message
    collided = fresh(jobs.enqueue("test.collide", grenchen, {}), grenchen)
    assert collided.state == "failed"
    assert collided.error.startswith("Ein anderer Auftrag hat gleichzeitig dieselben Daten geschrieben")


def test_a_duplicated_delivery_does_not_double_the_effect(inprocess):
    grenchen = inprocess[1]
    record = jobs.enqueue("test.echo", grenchen, {"text": "once"})
    assert jobs._run(str(record.id), grenchen.id) == "skipped"
    assert setting(grenchen, "test_jobs.runs") == 1


def test_an_unknown_kind_is_refused(inprocess):
    with pytest.raises(UserError, match="Unbekannte Auftragsart"):
        jobs.enqueue("nope", inprocess[1], {})


def test_jobs_page_shows_only_the_tenants_jobs_to_whom_may_see_them(inprocess):
    jobs_app, grenchen, balsthal = inprocess
    record = jobs.enqueue("test.echo", grenchen, {"text": "mine"})
    with tenant_scope(grenchen):
        file_id = db.session.scalars(sa.select(jobs.JobFile.id)).one()
    officer = jobs_app.test_client()
    login_as(officer, (grenchen, "integration_officer"), (balsthal, "integration_officer"))
    page = officer.get("/grenchen/auftraege")
    assert page.status_code == 200 and "Echo" in page.text and "<progress" in page.text
    assert officer.get(f"/grenchen/auftraege/{record.id}.json").get_json()["state"] == "finished"
    download = officer.get(f"/grenchen/auftraege/{record.id}/dateien/{file_id}")
    assert download.data == b"mine (1)" and "attachment" in download.headers["Content-Disposition"]
    # another tenant's URL: nothing there
    assert officer.get(f"/balsthal/auftraege/{record.id}").status_code == 404
    assert officer.get(f"/balsthal/auftraege/{record.id}/dateien/{file_id}").status_code == 404
    assert "Echo" not in officer.get("/balsthal/auftraege").text
    # a role without the kind's permission does not see it either
    clerk = jobs_app.test_client()
    login_as(clerk, (grenchen, "residents_services"))
    assert clerk.get(f"/grenchen/auftraege/{record.id}").status_code == 404
    assert "Echo" not in clerk.get("/grenchen/auftraege").text


def test_a_failed_job_can_be_retried_from_its_page(inprocess):
    jobs_app, grenchen, _b = inprocess
    plan_failures(grenchen, 1)
    record = jobs.enqueue("test.echo", grenchen, {"text": "again"})
    client = jobs_app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    page = client.get(f"/grenchen/auftraege/{record.id}")
    assert "fehlgeschlagen" in page.text and "planned failure" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/grenchen/auftraege/{record.id}/wiederholen", data={"csrf_token": token}).status_code == 302
    assert fresh(record, grenchen).state == "finished"


def test_periodic_work_applies_due_activations_and_purges_old_files(inprocess, monkeypatch):
    grenchen = inprocess[1]
    modules.entitle(grenchen, "informieren")
    modules.activate(grenchen, "informieren", clock.today() + timedelta(days=1))
    record = jobs.enqueue("test.echo", grenchen, {"text": "old"})
    with tenant_scope(grenchen):
        db.session.execute(sa.update(jobs.JobFile).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_periodic("modules.apply_due")["grenchen"] == []
    monkeypatch.setattr(clock, "today", lambda: clock.datetime.now(clock.ZURICH).date() + timedelta(days=1))
    assert jobs.run_periodic("modules.apply_due")["grenchen"] == ["informieren"]
    assert modules.activations(grenchen)["informieren"].changed_by == "system:modules.apply_due"
    assert jobs.run_periodic("jobs.purge_files")["grenchen"] == 1
    assert fresh(record, grenchen).state == "finished"
    with pytest.raises(UserError, match="Unbekannte periodische Aufgabe"):
        jobs.run_periodic("nope")


def test_jobs_cli_lists_records(inprocess):
    jobs_app, grenchen, _b = inprocess
    jobs.enqueue("test.echo", grenchen, {"text": "cli"})
    import json

    result = jobs_app.test_cli_runner().invoke(args=["jobs", "list", "grenchen", "--json"])
    [row] = json.loads(result.output)
    assert (row["kind"], row["state"], row["files"][0]["filename"]) == ("test.echo", "finished", "echo.txt")


# -- with Redis and real workers -----------------------------------------------------------------------


def worker(database_url, *args, extra_env=None, **popen):
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
           "PYTHONPATH": str(REPO), "INSTANCE_PATH": os.environ["INSTANCE_PATH"], **(extra_env or {})}
    command = [sys.executable, str(REPO / "tests" / "worker_run.py"), *args]
    if popen:
        return subprocess.Popen(command, env=env, start_new_session=True, **popen)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)


@needs_redis
def test_a_real_worker_runs_what_was_queued_once(rq_world):
    _jobs_app, grenchen, database_url = rq_world
    first = jobs.enqueue("test.echo", grenchen, {"text": "rq"})
    second = jobs.enqueue("test.echo", grenchen, {"text": "rq"})  # a double click
    assert first.id == second.id and fresh(first, grenchen).state == "queued"
    assert jobs.queue("default").count == 1
    worker(database_url, "--burst")
    record = fresh(first, grenchen)
    assert (record.state, record.attempts, record.progress_message) == ("finished", 1, "done")
    assert setting(grenchen, "test_jobs.runs") == 1


@needs_redis
def test_a_failure_in_the_worker_is_recorded_and_retried(rq_world):
    _jobs_app, grenchen, database_url = rq_world
    plan_failures(grenchen, 1)
    record = jobs.enqueue("test.echo", grenchen, {"text": "flaky"})
    worker(database_url, "--burst")
    failed = fresh(record, grenchen)
    assert failed.state == "failed" and "planned failure" in failed.error
    assert setting(grenchen, "test_jobs.runs") == 0
    jobs.retry(failed, grenchen)
    worker(database_url, "--burst")
    assert fresh(record, grenchen).state == "finished"
    assert setting(grenchen, "test_jobs.runs") == 1


@needs_redis
def test_a_killed_worker_leaves_the_job_detectable_and_rerunnable(rq_world):
    _jobs_app, grenchen, database_url = rq_world
    provisioning.set_setting(grenchen, "test_jobs.sleep_seconds", 60)
    db.session.commit()
    record = jobs.enqueue("test.sleep", grenchen, {})
    # A beat every 2 s: the worker is seen gone 8 s after its last one (production: 15 s and 60 s).
    process = worker(database_url, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     extra_env={"WORKER_HEARTBEAT_SECONDS": "2"})
    try:
        deadline = time.monotonic() + 30
        while fresh(record, grenchen).state != "running":
            assert time.monotonic() < deadline, "the worker did not start the job"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert jobs.reconcile(grenchen) == []  # its liveness key has not run out yet
    assert fresh(record, grenchen).state == "running"
    deadline = time.monotonic() + 20  # well before the job's timeout (an import's: an hour)
    while not jobs.reconcile(grenchen):
        assert time.monotonic() < deadline, "the killed worker's job was not found"
        time.sleep(1)
    lost = fresh(record, grenchen)
    assert lost.state == "failed" and "abgebrochen" in lost.error
    provisioning.set_setting(grenchen, "test_jobs.sleep_seconds", 0)
    db.session.commit()
    jobs.retry(lost, grenchen)
    worker(database_url, "--burst")
    assert (fresh(record, grenchen).state, fresh(record, grenchen).attempts) == ("finished", 2)
    assert setting(grenchen, "test_jobs.runs") == 1  # the killed attempt left nothing


@needs_redis
def test_a_cron_tick_applies_a_scheduled_activation(rq_world):
    _jobs_app, grenchen, database_url = rq_world
    modules.entitle(grenchen, "informieren")
    modules.activate(grenchen, "informieren", clock.today() + timedelta(days=1))
    with tenant_scope(grenchen):  # a day has passed: the plan is due today
        modules.activations(grenchen)["informieren"].effective_from = clock.today()
    db.session.commit()
    scheduler = jobs.cron_scheduler()
    [tick] = [job for job in scheduler.get_jobs() if job.name == "modules.apply_due"]
    assert tick.cron == "5 0 * * *"
    tick.next_enqueue_time = tick.next_enqueue_time - timedelta(days=2)  # its time has come
    assert [job.name for job in scheduler.enqueue_jobs()] == ["modules.apply_due"]
    worker(database_url, "--burst")
    with tenant_scope(grenchen):
        db.session.expire_all()
        row = modules.activations(grenchen)["informieren"]
    assert (row.state, row.changed_by) == ("active", "system:modules.apply_due")
