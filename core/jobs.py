"""Background jobs: one small API for every module, rq with Redis, in-process without it.

A module declares its job kinds through the ``job_kinds`` hook and starts one
with :func:`enqueue`.  Every job has a record in the database (tenant-owned):
its state, progress, result files, error and timings, so that the jobs page
and the CLI read one place whatever ran the job.

Reliability, in short: the work of a job and its result files are committed
together or not at all; a job already finished is not run again (a retried or
duplicated delivery does nothing); an identical job that is still waiting or
running is not queued twice; a job whose worker died is found by
:func:`reconcile` and can be retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core import audit, stored_files
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, tenant_fk, uuid_pk
from core.errors import UserError
from core.i18n import MESSAGE_LANGUAGE, REGION
from core.tenancy import Tenant, tenant_scope

log = logging.getLogger(__name__)
QUEUES = ("default", "imports", "reports")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class JobKind:
    """What a module declares about one kind of job."""

    name: str
    run: Callable[[JobContext], list[ResultFile] | None]
    title: Any
    queue: str = "default"
    timeout_seconds: int = 600
    permission: str = "core.tenant.view"  # to see its record and download its files
    retry_permission: str | None = None  # to retry it when it failed (default: the permission)
    keep_days: int = 30  # how long result files are kept
    # Where the job's outcome is shown, if on a page of its own: record -> (label, URL) or None.
    link: Callable[[JobRecord], tuple[Any, str] | None] | None = None
    # What the job page shows of a finished job's outcome (counts, links): record -> HTML (a rendered
    # template) or None. Without it the page shows the job's result text and its files.
    result: Callable[[JobRecord], Any] | None = None


@dataclass(frozen=True)
class PeriodicJob:
    """Work the scheduler starts by itself, on a cron schedule (minute hour day month weekday)."""

    name: str
    cron: str
    run: Callable[[], object]
    queue: str = "default"
    timeout_seconds: int = 1800


@dataclass(frozen=True)
class ResultFile:
    """A file a job returns: its bytes, or an open binary file (a temporary file for a large result)."""

    filename: str
    mimetype: str
    content: bytes | BinaryIO


class JobRecord(TenantScoped, db.Model):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(sa.String(100), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON)
    params_hash: Mapped[str] = mapped_column(sa.String(64))
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(20), default=JobState.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    # The progress text is a message id (German) with its parameters, translated when shown (message_text).
    progress_message: Mapped[str] = mapped_column(sa.String(300), default="")
    progress_params: Mapped[dict | None] = mapped_column(sa.JSON)
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # {"message": id, "params": {...}}: what the job did
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    files: Mapped[list[JobFile]] = relationship(back_populates="job", order_by="JobFile.filename", viewonly=True)

    __table_args__ = (
        sa.CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name="state"),
    )

    @property
    def rq_id(self) -> str:
        return f"{self.id}-{self.attempts + 1}"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.state == JobState.FINISHED else None
        return min(100, round(100 * self.progress_done / self.progress_total))


class JobFile(TenantScoped, db.Model):
    """A result file of a job, kept in the database in chunks (workers and web servers need no shared disk)."""

    __tablename__ = "job_files"

    id: Mapped[uuid.UUID] = uuid_pk()
    job_id: Mapped[uuid.UUID]
    filename: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)  # the content: a core.stored_files file
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    job: Mapped[JobRecord] = relationship(back_populates="files", viewonly=True)

    __table_args__ = (tenant_fk(["job_id"], "jobs", ondelete="CASCADE"),
                      tenant_fk(["file_id"], "stored_files", ondelete="CASCADE"))

    def open(self, tenant: Tenant) -> stored_files.ChunkReader:
        return stored_files.open_file(self.file_id, tenant)

    def read_all(self, tenant: Tenant) -> bytes:
        """The whole content (a small file: a test, the CLI's report); downloads stream :meth:`open`."""
        return self.open(tenant).read()


class JobContext:
    """What a running job gets: its tenant, parameters, and a way to report progress."""

    def __init__(self, record: JobRecord, tenant: Tenant):
        self.record = record
        self.tenant = tenant
        self.params = record.params

    def progress(self, done: int, total: int | None = None, message: Any = "", **params) -> None:
        """Report progress; written at once in a transaction of its own (the job's work is not).

        ``message`` is a message id, marked for translation with ``lazy_gettext`` (``_l("%(n)s Briefe
        erstellt", n=3)`` or ``_l("…")`` with ``params``): the page translates it for its reader.
        """
        text, params = message_id(message, params)
        values = {"progress_done": done, "progress_total": total, "progress_message": text[:300],
                  "progress_params": params or None}
        if db.engine.dialect.name == "sqlite":
            # One writer at a time: a second connection would wait for the job's own transaction.
            # (On SQLite jobs run in-process, where nobody watches the progress meanwhile.)
            for key, value in values.items():
                setattr(self.record, key, value)
            return
        with tenant_scope(self.tenant), Session(db.engine) as session:
            session.execute(
                sa.update(JobRecord)
                .where(JobRecord.tenant_id == self.tenant.id, JobRecord.id == self.record.id)
                .values(**values)
            )
            session.commit()

    def result(self, message: Any, **params) -> None:
        """Say what the job did ("12 Briefe erstellt"), shown once it is finished; a message id as for progress."""
        text, params = message_id(message, params)
        self.record.result = {"message": text, "params": params}


def message_id(message: Any, params: dict) -> tuple[str, dict]:
    """A message as stored: its id and parameters (a lazy string's own, or those given)."""
    if isinstance(message, LazyString):
        return str(message._args[0]), {**message._kwargs, **params}
    return str(message or ""), params


def message_text(message: str, params: dict | None) -> str:
    """A stored message in the reader's language (an id without a translation reads as it is)."""
    if not message:
        return ""
    try:
        return _(message, **(params or {}))
    except (KeyError, TypeError, ValueError):
        return message


# -- the kinds ----------------------------------------------------------------------------


def kinds() -> dict[str, JobKind]:
    registry = current_app.extensions["plugins"]
    found = current_app.extensions.get("job_kinds")
    if found is None:
        found = current_app.extensions["job_kinds"] = {
            kind.name: kind for group in registry.hook.job_kinds() for kind in group
        }
    return found


def kind_of(name: str) -> JobKind:
    try:
        return kinds()[name]
    except KeyError:
        raise UserError(_("Unbekannte Auftragsart «%(kind)s».", kind=name)) from None


def _hash(kind: str, params: dict) -> str:
    return hashlib.sha256(json.dumps([kind, params], sort_keys=True, default=str).encode()).hexdigest()


# -- enqueueing ---------------------------------------------------------------------------------


def enqueue(kind: str, tenant: Tenant, params: dict, requested_by: str | None = None) -> JobRecord:
    """Start a job for ``tenant``; an identical one still waiting or running is returned instead.

    With ``REDIS_URL`` the job goes to its rq queue; without, it runs here and now.
    The caller's pending changes are committed first (the job must see them).
    """
    job_kind = kind_of(kind)
    params = json.loads(json.dumps(params, default=str))  # what the record stores is what the job gets
    digest = _hash(kind, params)
    with tenant_scope(tenant):
        waiting = db.session.scalar(
            sa.select(JobRecord).where(
                JobRecord.kind == kind,
                JobRecord.params_hash == digest,
                JobRecord.state.in_([JobState.QUEUED, JobState.RUNNING]),
            )
        )
        if waiting is not None:
            return waiting
        record = JobRecord(
            id=uuid.uuid4(), kind=kind, params=params, params_hash=digest,
            requested_by=requested_by or audit.current_actor(), state=JobState.QUEUED,
        )
        db.session.add(record)
        audit.record("job.enqueue", object_type="job", object_id=record.id, detail={"kind": kind, "params": params})
    db.session.commit()
    _dispatch(record, tenant, job_kind)
    return record


def retry(record: JobRecord, tenant: Tenant) -> JobRecord:
    """Run a failed job again (a new attempt of the same record)."""
    with tenant_scope(tenant):
        if record.state != JobState.FAILED:
            raise UserError(_("Nur ein fehlgeschlagener Auftrag kann wiederholt werden."))
        record.state = JobState.QUEUED
        record.error = None
        record.progress_done, record.progress_total, record.progress_message = 0, None, ""
        record.progress_params, record.result = None, None
        audit.record("job.retry", object_type="job", object_id=record.id, detail={"attempt": record.attempts + 1})
    db.session.commit()
    _dispatch(record, tenant, kind_of(record.kind))
    return record


def _dispatch(record: JobRecord, tenant: Tenant, job_kind: JobKind) -> None:
    if current_app.config["REDIS_URL"]:
        queue(job_kind.queue).enqueue(
            execute, str(record.id), tenant.id,
            job_id=record.rq_id, job_timeout=job_kind.timeout_seconds, result_ttl=3600, failure_ttl=7 * 86400,
        )
    else:
        _run(str(record.id), tenant.id)


def redis_connection():
    from redis import Redis

    connection = current_app.extensions.get("redis")
    if connection is None:
        connection = current_app.extensions["redis"] = Redis.from_url(current_app.config["REDIS_URL"])
    return connection


def queue(name: str):
    from rq import Queue

    return Queue(name, connection=redis_connection())


# -- running ---------------------------------------------------------------------------------------


def execute(record_id: str, tenant_id: int) -> str:
    """Run one job in an rq worker: the entry point rq calls."""
    with _worker_context():
        return _run(record_id, tenant_id, reraise=True)


def _run(record_id: str, tenant_id: int, reraise: bool = False) -> str:
    tenant = db.session.get(Tenant, tenant_id)
    with tenant_scope(tenant):
        record = db.session.get(JobRecord, (tenant_id, uuid.UUID(record_id)), with_for_update=True)
        if record is None or record.state in (JobState.FINISHED, JobState.RUNNING):
            db.session.rollback()
            return "skipped"  # done already, or another worker has it: a duplicate delivery
        record.state = JobState.RUNNING
        record.started_at = utcnow()
        record.finished_at = None
        record.attempts += 1
    db.session.commit()
    job_id, job_kind = record.id, kind_of(record.kind)
    try:
        # In the language of the message ids, as in a worker: what the job stores is translated when shown.
        with tenant_scope(tenant), audit.acting_as(f"job:{job_id}"), force_locale(REGION[MESSAGE_LANGUAGE]):
            files = job_kind.run(JobContext(record, tenant)) or []
            _finish(record, job_kind, files)
        db.session.commit()
        return "finished"
    except Exception as error:
        db.session.rollback()  # nothing of the failed attempt stays (and loaded rows are expired)
        log.error("job %s (%s) failed:\n%s", job_id, job_kind.name, traceback.format_exc())
        _fail(job_id, tenant, _failure_text(error))
        if reraise:
            raise  # rq records the failure too
        return "failed"


def _finish(record: JobRecord, job_kind: JobKind, files: list[ResultFile]) -> None:
    expires = utcnow() + timedelta(days=job_kind.keep_days)
    for result in files:
        content = result.content
        stored = stored_files.write(io.BytesIO(content) if isinstance(content, bytes | bytearray) else content)
        if hasattr(content, "close"):
            content.close()  # a temporary file goes away
        db.session.add(JobFile(job_id=record.id, filename=result.filename, mimetype=result.mimetype,
                               size=stored.size, file_id=stored.id, expires_at=expires))
    record.state = JobState.FINISHED
    record.finished_at = utcnow()
    if record.progress_total:
        record.progress_done = record.progress_total


def _failure_text(error: Exception) -> str:
    """What the jobs page says: a module's refusal in its words, a race lost to another job as such."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, sa.exc.IntegrityError):
        # Jobs are idempotent: run again, it finds what the other job wrote.
        return _("Ein anderer Auftrag hat gleichzeitig dieselben Daten geschrieben; von diesem ist nichts "
                 "gespeichert. Bitte wiederholen Sie ihn.")
    return f"{type(error).__name__}: {error}"


def _fail(job_id: uuid.UUID, tenant: Tenant, message: str) -> None:
    with tenant_scope(tenant):
        fresh = db.session.get(JobRecord, (tenant.id, job_id), populate_existing=True)
        fresh.state = JobState.FAILED
        fresh.error = message[:2000]
        fresh.finished_at = utcnow()
    db.session.commit()


@contextlib.contextmanager
def _app_context():
    """The application context of work started by rq: the worker's, or one of our own."""
    if has_app_context():
        yield
        return
    with worker_app().app_context():
        yield


@contextlib.contextmanager
def _worker_context():
    """Each job in a worker starts with a fresh database session and ends by discarding it."""
    with _app_context():
        try:
            yield
        finally:
            db.session.remove()


_worker_app = None


def worker_app():
    """The application of a worker process that was not started through ``flask worker``."""
    global _worker_app
    if _worker_app is None:
        from core import create_app

        _worker_app = create_app()
    return _worker_app


# -- periodic work ----------------------------------------------------------------------------------


def periodic() -> dict[str, PeriodicJob]:
    registry = current_app.extensions["plugins"]
    return {job.name: job for group in registry.hook.periodic_jobs() for job in group}


def run_periodic(name: str) -> object:
    """Run one periodic job now (what the cron scheduler enqueues; also ``flask periodic run``)."""
    with _app_context():
        job = periodic().get(name)
        if job is None:
            raise UserError(_("Unbekannte periodische Aufgabe «%(name)s».", name=name))
        with audit.acting_as(f"system:{name}"):
            result = job.run()
        db.session.commit()
        return result


def cron_scheduler():
    """rq's cron scheduler with every plugin's periodic jobs registered."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection(), name="start-integration")
    for job in periodic().values():
        scheduler.register(run_periodic, job.queue, kwargs={"name": job.name}, cron=job.cron,
                           job_timeout=job.timeout_seconds, name=job.name)
    return scheduler


def each_tenant(work: Callable[[Tenant], object], *, archived: bool = False) -> dict[str, object]:
    """Run ``work`` for every active tenant in its own scope (periodic work), committing each.

    ``archived``: archived tenants too (their data is kept, so retention applies to it).
    """
    results = {}
    query = sa.select(Tenant).order_by(Tenant.slug)
    if not archived:
        query = query.where(Tenant.state == "active")
    tenants = db.session.scalars(query).all()
    for tenant in tenants:
        with tenant_scope(tenant):
            results[tenant.slug] = work(tenant)
        db.session.commit()
    return results


# -- housekeeping -------------------------------------------------------------------------------------


def reconcile(tenant: Tenant, at: datetime | None = None) -> list[str]:
    """Mark jobs failed whose worker died (rq's abandoned jobs, or overdue); returns their ids.

    ``at`` is the moment to judge by (now, unless a test moves the clock on).
    """
    now = at or utcnow()
    lost = []
    with tenant_scope(tenant):
        running = db.session.scalars(sa.select(JobRecord).where(JobRecord.state == JobState.RUNNING)).all()
        for record in running:
            deadline = record.started_at + timedelta(seconds=kind_of(record.kind).timeout_seconds + 60)
            if now > deadline or _abandoned_in_rq(record, now):
                record.state = JobState.FAILED
                record.error = _("Der Auftrag wurde abgebrochen (der Prozess ist beendet worden).")
                record.finished_at = now
                lost.append(str(record.id))
    db.session.commit()
    return lost


def _abandoned_in_rq(record: JobRecord, now: datetime) -> bool:
    if not current_app.config["REDIS_URL"]:
        return False
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    for name in QUEUES:  # rq moves the jobs of workers whose heartbeat stopped to its failed registry
        queue(name).started_job_registry.cleanup(timestamp=now.timestamp())
    try:
        job = Job.fetch(f"{record.id}-{record.attempts}", connection=redis_connection())
    except NoSuchJobError:
        return True
    if job.worker_name and not redis_connection().exists(ALIVE_KEY.format(job.worker_name)):
        return True  # the worker that took it stopped beating: killed, or its machine is gone
    return job.get_status(refresh=True) in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


# -- the worker ---------------------------------------------------------------------------------------

# rq's SimpleWorker (no fork, see core.cli) keeps its own key alive for a whole job's timeout (an
# import's hour), so a killed worker would look busy that long. Its own key, refreshed by a thread
# every WORKER_HEARTBEAT_SECONDS and expiring after four of them, says within a minute that it is gone.
ALIVE_KEY = "start_integration:worker-alive:{}"


def run_worker(queues, *, burst: bool = False) -> None:
    """Run an rq SimpleWorker on ``queues`` with a liveness key that :func:`reconcile` checks."""
    from rq import SimpleWorker

    connection = redis_connection()
    worker = SimpleWorker([queue(name) for name in queues], connection=connection)
    interval = current_app.config["WORKER_HEARTBEAT_SECONDS"]
    key, stop = ALIVE_KEY.format(worker.name), threading.Event()

    def beat() -> None:
        while not stop.is_set():
            connection.set(key, "1", ex=max(int(interval * 4), 2))
            stop.wait(interval)

    connection.set(key, "1", ex=max(int(interval * 4), 2))
    threading.Thread(target=beat, name="worker-alive", daemon=True).start()
    try:
        worker.work(burst=burst, with_scheduler=False)
    finally:
        stop.set()
        connection.delete(key)


def purge_expired_files(tenant: Tenant) -> int:
    """Delete the tenant's result files past their keeping time."""
    with tenant_scope(tenant):
        expired = db.session.scalars(sa.select(JobFile.file_id).where(JobFile.expires_at < utcnow())).all()
        deleted = db.session.execute(sa.delete(JobFile).where(JobFile.expires_at < utcnow())).rowcount
        stored_files.delete_many(expired)
    db.session.commit()
    return deleted
