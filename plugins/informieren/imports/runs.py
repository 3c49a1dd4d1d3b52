"""Starting and running imports: uploads kept for the worker, the job, and the in-process runs (API, CLI).

An upload (one or many files, a ZIP, a CSV) is stored in ``informieren_uploads`` with its bytes in
core's stored files, in chunks (tenant-owned, as the workers and the web servers share no disk; no
database value holds a whole upload, and it is written and read as a stream); the job gets only the
ids in its parameters.  The
import's :class:`ImportRun` is created when the import is requested, so its page exists from the
first moment; the job fills it.  The uploaded bytes are deleted with the job's last commit (a
failed job keeps them for its retry); uploads never imported are purged after a day.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, jobs, stored_files
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, tenant_fk, uuid_pk
from core.errors import UserError
from core.jobs import JobKind, PeriodicJob, each_tenant
from core.tenancy import Tenant, tenant_scope
from plugins.informieren.imports import csv_files, sources
from plugins.informieren.imports.pipeline import FileRefusal, Importer, default_since
from plugins.informieren.models import ImportRun, Source

JOB_KIND = "informieren.import"
UPLOAD_KEEP = timedelta(days=1)
MAX_UPLOAD_BYTES = 300 * 1024 * 1024  # an upload or a delivery; a baseDelivery of 50,000 persons is about 100 MB


class Upload(TenantScoped, db.Model):
    """A file uploaded or posted for an import, until its job has taken it."""

    __tablename__ = "informieren_uploads"
    __table_args__ = (sa.Index("ix_informieren_uploads_batch", "tenant_id", "batch_id"),
                      tenant_fk(["file_id"], "stored_files", ondelete="CASCADE"))

    id: Mapped[uuid.UUID] = uuid_pk()
    batch_id: Mapped[uuid.UUID]  # the files uploaded together
    position: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(300))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)  # the bytes: a core.stored_files file
    uploaded_by: Mapped[str] = mapped_column(sa.String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def open(self, tenant: Tenant) -> stored_files.ChunkReader:
        return stored_files.open_file(self.file_id, tenant)


class UploadTooLarge(UserError):
    def __init__(self):
        super().__init__(_("Die Dateien sind zu gross (höchstens %(max)s MB).", max=MAX_UPLOAD_BYTES // 2**20))


def store(tenant: Tenant, files: list[tuple[str, bytes | BinaryIO]], limit: int | None = None) -> uuid.UUID:
    """Keep the files for the worker, read from their streams in blocks; returns the batch id.

    Committed by the caller. Raises :class:`UploadTooLarge` as soon as the files together exceed ``limit``.
    """
    batch, room = uuid.uuid4(), MAX_UPLOAD_BYTES if limit is None else limit
    for position, (name, content) in enumerate(files):
        stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
        room -= _store_one(tenant, batch, position, name, stored_files.blocks(stream), room)
    return batch


def store_blocks(tenant: Tenant, name: str, blocks: Iterable[bytes], limit: int | None = None) -> uuid.UUID:
    """Keep one file that comes in blocks (a request body); as :func:`store`."""
    batch = uuid.uuid4()
    _store_one(tenant, batch, 0, name, blocks, MAX_UPLOAD_BYTES if limit is None else limit)
    return batch


def _store_one(tenant: Tenant, batch: uuid.UUID, position: int, name: str, blocks: Iterable[bytes], room: int) -> int:
    with tenant_scope(tenant):
        try:
            stored = stored_files.write_blocks(blocks, limit=room)
        except stored_files.TooLarge:
            raise UploadTooLarge() from None
        db.session.add(Upload(batch_id=batch, position=position, filename=name[:300], size=stored.size,
                              file_id=stored.id, uploaded_by=audit.current_actor()))
    return stored.size


def uploads(batch: uuid.UUID) -> list[Upload]:
    """The files of a batch in the current tenant, in upload order (``open`` reads one)."""
    return db.session.scalars(sa.select(Upload).where(Upload.batch_id == batch).order_by(Upload.position)).all()


def purge_uploads(tenant: Tenant) -> int:
    """Delete uploads nobody imported (a CSV whose mapping was never confirmed, say)."""
    with tenant_scope(tenant):
        stale = sa.select(Upload.file_id).where(Upload.uploaded_at < utcnow() - UPLOAD_KEEP)
        taken = {run.params.get("upload") for run in db.session.scalars(
            sa.select(jobs.JobRecord).where(jobs.JobRecord.kind == JOB_KIND,
                                            jobs.JobRecord.state.in_([jobs.JobState.QUEUED, jobs.JobState.FAILED])))}
        keep = [uuid.UUID(batch) for batch in taken if batch]
        if keep:
            stale = stale.where(Upload.batch_id.not_in(keep))
        deleted = _delete_uploads(db.session.scalars(stale).all())
    db.session.commit()
    return deleted


# -- requesting an import -------------------------------------------------------------------------------------


def new_run(tenant: Tenant, source: str, filename: str, requested_by: str | None = None) -> ImportRun:
    with tenant_scope(tenant):
        run = ImportRun(id=uuid.uuid4(), source=source, filename=filename[:300],
                        requested_by=requested_by or audit.current_actor(), counts={})
        db.session.add(run)
    return run


def request_import(tenant: Tenant, batch: uuid.UUID, *, filename: str, source: str = Source.ECH0020,
                   since: date | None = None, mapping: dict | None = None) -> tuple[ImportRun, jobs.JobRecord]:
    """Create the run and start its job (at once without Redis)."""
    run = new_run(tenant, source, filename)
    params = {"import": str(run.id), "upload": str(batch), "source": source,
              "since": (since or default_since(tenant)).isoformat()}
    if mapping is not None:
        params["mapping"] = mapping
    record = jobs.enqueue(JOB_KIND, tenant, params)
    return run, record


# -- the job -------------------------------------------------------------------------------------------------------


def _delete_uploads(file_ids: list[uuid.UUID]) -> int:
    """The uploads and their stored bytes (in the current tenant's scope)."""
    if file_ids:
        db.session.execute(sa.delete(Upload).where(Upload.file_id.in_(file_ids)))
        stored_files.delete_many(file_ids)
    return len(file_ids)


def run_job(context: jobs.JobContext):
    """The ``informieren.import`` job: import the stored upload into the run named in the parameters."""
    params, tenant = context.params, context.tenant
    batch = uuid.UUID(params["upload"])
    run = db.session.get(ImportRun, (tenant.id, uuid.UUID(params["import"])))
    if run is None:
        raise UserError(_("Den Import gibt es nicht mehr."))
    run.job_id = context.record.id
    run.requested_by = context.record.requested_by
    files = uploads(batch)
    importer = Importer(tenant, run, since=date.fromisoformat(params["since"]), source=params["source"],
                        progress=context.progress)
    # Each file is read from the database chunk by chunk, as the parser or the ZIP reader asks for it.
    if params.get("mapping") is not None:
        for upload in files:
            import_csv_file(importer, upload.filename, upload.open(tenant), _mapping(params["mapping"]))
    else:
        importer.files_total = sum(sources.count(u.filename, u.open(tenant)) for u in files)
        for upload in files:
            importer.add_files(sources.unpack(upload.filename, upload.open(tenant)))
    # The bytes go with the last commit; a failure before keeps them for the retry.
    _delete_uploads([upload.file_id for upload in files])
    importer.finish()
    return []


def _mapping(raw: dict) -> dict[str, int | None]:
    return {key: (None if raw.get(key) is None else int(raw[key])) for key in csv_files.TARGET_KEYS}


def job_link(record: jobs.JobRecord):
    """Where the job page sends its reader: the import's result page."""
    from flask import url_for

    run_id = (record.params or {}).get("import")
    return (_l("Ergebnis des Imports"), url_for("informieren.import_show", import_id=run_id)) if run_id else None


# -- in-process runs (API, CLI) and CSV --------------------------------------------------------------------------------


RACE_RETRIES = 3  # a run that lost a race to another import runs again this often


class ImportRace(UserError):
    """Another import wrote the same messages or persons at the same time, each time this one tried."""

    def __init__(self, run: ImportRun):
        super().__init__(_("Ein anderer Import hat gleichzeitig dieselben Daten geschrieben; von diesem ist nichts "
                           "gespeichert. Bitte senden Sie ihn noch einmal."))
        self.run = run


def run_now(tenant: Tenant, files: Iterable[tuple[str, bytes] | FileRefusal], *, source: str, filename: str,
            since: date | None = None, files_total: int | None = None) -> tuple[ImportRun, Importer]:
    """Import here and now (a posted message, the CLI); committed chunk by chunk.

    Two deliveries posted at once may both find a message or a person new and both insert it; the
    one that loses to the unique index runs again (files given as a sequence), and then finds what
    the other wrote: "already imported", or an update. Whatever happens, the run is finished.
    """
    run = new_run(tenant, source, filename)
    db.session.commit()
    retries = RACE_RETRIES if isinstance(files, Sequence) else 0
    for attempt in range(retries + 1):
        importer = Importer(tenant, run, since=since or default_since(tenant), source=source)
        importer.files_total = files_total
        try:
            importer.add_files(files)
            importer.finish()
            return run, importer
        except (sa.exc.IntegrityError, sa.exc.OperationalError):  # a unique key taken, a deadlock, a lock timeout
            _reload(tenant, run)
            if attempt == retries:
                _close(tenant, run, str(ImportRace(run)))
                raise ImportRace(run) from None
        except BaseException as error:
            _reload(tenant, run)
            _close(tenant, run, f"{type(error).__name__}")
            raise
    raise AssertionError("unreachable")


def _reload(tenant: Tenant, run: ImportRun) -> None:
    db.session.rollback()
    with tenant_scope(tenant):
        db.session.refresh(run)


def _close(tenant: Tenant, run: ImportRun, reason: str) -> None:
    """Finish a run that failed: its page says why instead of "running" for ever."""
    with tenant_scope(tenant):
        run.finished_at = utcnow()
        run.refused = reason[:4000]
    db.session.commit()


def import_csv_file(importer: Importer, filename: str, content: bytes | BinaryIO,
                    mapping: dict[str, int | None]) -> None:
    """Rows of a CSV file, read one at a time: bad rows rejected with their reasons, the others imported."""
    try:
        table = csv_files.read(content)
    except csv_files.CsvError as error:
        importer.refuse(filename, str(error), "csv")
        return
    problems = csv_files.mapping_problems(mapping, table.header)
    if problems:
        importer.refuse(filename, " ".join(problems), "mapping")
        return
    digest = csv_files.digest(content, mapping)
    if importer.taken(digest):
        return
    importer.events_total = table.row_count
    importer.add_record(filename, digest, f"csv:{filename}"[:200], _csv_events(importer, filename, table, mapping))


def _csv_events(importer: Importer, filename: str, table: csv_files.Table, mapping: dict):
    """The events of the good rows; a bad row is reported on the way."""
    for number, result, record in csv_files.rows(table, mapping):
        if isinstance(result, list):
            importer.reject_row(filename, number, "; ".join(result), {
                "official_name": record.official_name, "first_name": record.first_name,
                "local_person_id": record.local_person_id, "vn": record.vn})
        else:
            yield result


# -- the module's jobs ------------------------------------------------------------------------------------------------


def job_kinds(result=None) -> list:
    """The import job; ``result`` renders its outcome on the job page (the import pages give it)."""
    return [JobKind(JOB_KIND, run_job, _l("Import aus dem Einwohnerregister"), queue="imports",
                    timeout_seconds=3600, permission="informieren.imports.run", link=job_link, result=result)]


def periodic_jobs() -> list:
    return [PeriodicJob("informieren.purge_uploads", "17 3 * * *", lambda: each_tenant(purge_uploads))]
