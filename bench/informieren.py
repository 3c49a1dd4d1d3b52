"""Imports from the residents' registry at the sizes of issue 5, on SQLite and PostgreSQL.

Data (``tests/informieren/ech_messages.py``, deterministic): a ZIP of 10,000 single ``moveIn``
deliveries and one ``baseDelivery`` of 50,000 persons (6 in 10 from abroad, 3 from a Swiss commune,
1 of unknown origin; three communes of a regional tenant that serves them since 2017).

Cases, each in a fresh process (so its peak memory is its own), on a freshly migrated database:

  parse zip / parse base   unpacking and ``ech0020.parse_message`` alone, no database
  zip                      the ZIP imported into an empty register (``imports.runs.run_now``, as the CLI
                           and the API run it: chunks of 1,000, bulk inserts, a commit per chunk)
  zip again                the same ZIP once more: every message already imported (hash lookups only)
  base                     the baseDelivery into an empty register
  base again               the same persons in a new delivery: parsed, matched, all unchanged
  pages                    with those 30,000 newcomers in the register: the module's start page (worklist),
                           the newcomer list, the list filtered by nationality, and a name search
                           (median of 5 requests each, as an integration officer, caches warm)

Printed: seconds, records per second, the run's counts, the peak resident memory of the process.
``--import-scale 0.1`` runs a tenth of the sizes (a quick look).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench.tenancy import _environment, _quiet, postgres_scratch, postgres_url

ZIP_MESSAGES = 10_000
BASE_PERSONS = 50_000
COMMUNES = (2601, 2581, 2546)  # Solothurn, Olten, Grenchen: the synthetic persons' communes
SLUG = "bench-region"


def _peak_mb() -> float:
    """The process's peak resident memory (VmHWM: ru_maxrss would include the parent's before exec)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- data ------------------------------------------------------------------------------------------------------


def generate(folder: Path, scale: float) -> dict:
    import zipfile

    from tests.informieren import ech_messages as ech

    zip_count, base_count = max(1, int(ZIP_MESSAGES * scale)), max(1, int(BASE_PERSONS * scale))
    started = time.perf_counter()
    with zipfile.ZipFile(folder / "moveins.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for index, message in enumerate(ech.synthetic_move_ins(zip_count)):
            archive.writestr(f"movein-{index:05d}.xml", message)
    zip_seconds = time.perf_counter() - started
    started = time.perf_counter()
    persons = [ech.synthetic_person(i) for i in range(base_count)]
    (folder / "base.xml").write_bytes(ech.base_delivery(persons, message_id="bench-base"))
    (folder / "base-again.xml").write_bytes(ech.base_delivery(persons, message_id="bench-base-again"))
    base_seconds = (time.perf_counter() - started) / 2
    return {"zip_count": zip_count, "base_count": base_count, "zip_seconds": zip_seconds,
            "base_seconds": base_seconds, "zip_bytes": (folder / "moveins.zip").stat().st_size,
            "base_bytes": (folder / "base.xml").stat().st_size}


# -- the database ------------------------------------------------------------------------------------------------


def _app(url: str, instance: str):
    from core import create_app

    with _environment(INSTANCE_PATH=instance, DATABASE_URL=url, REDIS_URL=None, TENANT_HOSTS=None):
        return create_app(config={"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})


def prepare(url: str, instance: str) -> None:
    """Migrate, load the communes, create the regional tenant with Informieren active since 2017."""
    from flask_migrate import upgrade

    from core import modules, provisioning
    from core.db import db

    app = _app(url, instance)
    with app.app_context():
        with _quiet():
            upgrade(revision="heads")
        provisioning.load_municipalities()
        provisioning.create_tenant("kanton", "Kanton Solothurn", "canton", [])
        tenant = provisioning.create_tenant(SLUG, "Region", "region", list(COMMUNES), valid_from=date(2017, 1, 1))
        modules.entitle(tenant, "informieren")
        modules.activate(tenant, "informieren", date(2017, 1, 1))
        db.session.commit()
        db.engine.dispose()


def clear_register(url: str) -> None:
    """Empty the Informieren tables as the owner (between the zip and the base cases)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tables = ("informieren_person_changes", "informieren_import_items", "informieren_messages",
              "informieren_newcomers", "persons", "informieren_imports")
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()


# -- the cases (each in a child process) ------------------------------------------------------------------------------


def _case(case: str, url: str | None, instance: str, folder: str, results) -> None:
    try:
        results.put(_run_case(case, url, instance, Path(folder)))
    except Exception as error:  # reported, not raised: the benchmark goes on
        results.put({"case": case, "error": f"{type(error).__name__}: {error}"})


def _run_case(case: str, url: str | None, instance: str, folder: Path) -> dict:
    if case.startswith("parse"):
        return _parse_case(case, folder)
    if case == "pages":
        return _pages_case(url, instance)
    from core.tenancy import get_tenant
    from plugins.informieren.imports import runs as import_runs
    from plugins.informieren.imports import sources as import_sources

    app = _app(url, instance)
    with app.app_context():
        tenant = get_tenant(SLUG)
        if case.startswith("zip"):
            name = "moveins.zip"
            data = (folder / name).read_bytes()
            files, total = import_sources.unpack(name, data), import_sources.count(name, data)
        else:
            name = "base-again.xml" if case == "base again" else "base.xml"
            files, total = [(name, (folder / name).read_bytes())], 1
        started = time.perf_counter()
        run, _importer = import_runs.run_now(tenant, files, source="ech0020", filename=name,
                                             since=date(2017, 1, 1), files_total=total)
        seconds = time.perf_counter() - started
        counts = dict(run.counts)
    records = sum(v for k, v in counts.items() if k not in ("refused",))
    return {"case": case, "seconds": seconds, "records": records, "counts": counts, "peak_mb": _peak_mb()}


def _parse_case(case: str, folder: Path) -> dict:
    from plugins.informieren.imports import ech0020
    from plugins.informieren.imports import sources as import_sources

    started = time.perf_counter()
    records = 0
    if case == "parse zip":
        data = (folder / "moveins.zip").read_bytes()
        for _name, message in import_sources.unpack("moveins.zip", data):
            records += len(ech0020.parse_message(message).events)
    else:
        records = len(ech0020.parse_message((folder / "base.xml").read_bytes()).events)
    return {"case": case, "seconds": time.perf_counter() - started, "records": records, "counts": {},
            "peak_mb": _peak_mb()}


PAGES = {"start page": "/informieren/", "list": "/informieren/personen",
         "list, nationality": "/informieren/personen?land=PT",
         "search": "/informieren/personen?suche=Silva"}


def _pages_case(url: str, instance: str) -> dict:
    import statistics

    from core import sessions
    from core.access import Membership
    from core.auth import User
    from core.db import db
    from core.tenancy import get_tenant, tenant_scope

    app = _app(url, instance)
    with app.app_context():
        tenant = get_tenant(SLUG)
        user = User(issuer="https://bench.example", subject="officer", name="Bench Officer")
        db.session.add(user)
        db.session.flush()
        with tenant_scope(tenant):
            db.session.add(Membership(user_id=user.id, role="integration_officer", granted_by="bench"))
        session_id = sessions.open_session(user.id)  # a live server-side session, as a login leaves it
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        now = int(time.time())
        session.update(user_id=user_id, login_at=now, seen_at=now, provider="bench", sid=session_id)
    timings = {}
    for label, path in PAGES.items():
        samples = []
        for _ in range(6):
            started = time.perf_counter()
            response = client.get(f"/{SLUG}{path}")
            samples.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
        timings[label] = statistics.median(samples[1:]) * 1000  # the first warms the caches
    return {"case": "pages", "timings": timings, "peak_mb": _peak_mb()}


def run_case(case: str, url: str | None, instance: str, folder: Path) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_case, args=(case, url, instance, str(folder), results))
    process.start()
    result = results.get()
    process.join()
    return result


# -- output -----------------------------------------------------------------------------------------------------------


def _line(label: str, result: dict) -> str:
    if "error" in result:
        return f"  {label:<12} {result['case']:<11} failed: {result['error']}"
    if "timings" in result:
        shown = ", ".join(f"{page} {ms:,.0f} ms" for page, ms in result["timings"].items())
        return f"  {label:<12} {result['case']:<11} {shown}"
    counts = result["counts"]
    shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    rate = result["records"] / result["seconds"] if result["seconds"] else 0
    return (f"  {label:<12} {result['case']:<11} {result['seconds']:8.1f} s  {rate:9,.0f} records/s  "
            f"peak {result['peak_mb']:6.0f} MB  {shown}")


def main(args) -> int:
    emit = lambda text="": print(text, flush=True)  # noqa: E731
    scale = getattr(args, "import_scale", 1.0) or 1.0
    emit("Imports from the residents' registry (eCH-0020 v3)")
    folder = Path(tempfile.mkdtemp(prefix="si-bench-imports-"))
    try:
        facts = generate(folder, scale)
        emit(f"  data: ZIP of {facts['zip_count']:,} moveIn messages ({facts['zip_bytes'] / 2**20:.1f} MB, generated"
             f" in {facts['zip_seconds']:.1f} s); baseDelivery of {facts['base_count']:,} persons"
             f" ({facts['base_bytes'] / 2**20:.1f} MB, {facts['base_seconds']:.1f} s)")
        for case in ("parse zip", "parse base"):
            emit(_line("no database", run_case(case, None, str(folder), folder)))
        sqlite_url = f"sqlite:///{folder / 'bench.db'}"
        _database_cases("sqlite", sqlite_url, folder, emit)
        pg = postgres_url()
        with postgres_scratch(pg, "si_bench_imports") as (url, problem):
            if url is None:
                emit(f"  postgresql: not reachable at {sa.make_url(pg).render_as_string()} ({problem}); skipped")
            else:
                _database_cases("postgresql", url, folder, emit)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _database_cases(label: str, url: str, folder: Path, emit) -> None:
    instance = str(folder / f"instance-{label}")
    os.makedirs(instance, exist_ok=True)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        prepare(url, instance)
    for case in ("zip", "zip again"):
        emit(_line(label, run_case(case, url, instance, folder)))
    clear_register(url)
    for case in ("base", "base again", "pages"):
        emit(_line(label, run_case(case, url, instance, folder)))
