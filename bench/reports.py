"""The canton report as data grows, and how soon a real rq worker starts a job.

(1) The canton report on PostgreSQL with 110, 500 and 2,200 commune tenants, each
    with about 700 newcomer-sized rows in a ``TenantScoped`` table of the
    ``bench_reports`` module (row-level security on, as a module's migration
    sets it up).  The module is active in every tenant and gives the report
    its key figures through ``report_figures``, computed by SQL over its rows
    in the tenant's scope.  Timed: ``core.reports.canton_report()`` (what the
    report job builds, in an application context outside any request, as a
    worker runs it) and ``core.reports.render()`` for XLSX, CSV and PDF.
(2) The latency of a job on a real rq worker: a worker subprocess (as
    ``flask worker`` runs it) is kept running; 200 trivial jobs are enqueued one
    after the other through ``core.jobs.enqueue()``, each waited for before the
    next; the job writes the time it started into its result file.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped, mapped_column

from bench.tenancy import BenchError, _environment, _quiet, postgres_scratch, postgres_url
from core.db import TenantScoped, UTCDateTime, db, uuid_pk
from core.hookspecs import hookimpl
from core.jobs import JobKind, ResultFile
from core.plugins import Figure, Manifest

REPO = Path(__file__).parent.parent
MODULE_ID = "bench_reports"
NEWCOMERS_PER_TENANT = 700
TENANT_COUNTS = (110, 500, 2200)
PERIOD = "2017"
FORMATS = ("xlsx", "csv", "pdf")
PERMITS = ("B", "C", "L", "F", "N", "S")
JOBS = 200
WARMUP_JOBS = 20
JOB_KIND = "bench.touch"
POLL_SECONDS = 0.001  # how often the caller looks whether its job has finished (rq's status, in Redis)
REPORTS_DATABASE = "si_bench_reports"
JOBS_DATABASE = "si_bench_jobs"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_SCRATCH_DB = 15
SEED = 20170101
RESULTS = Path(__file__).parent / "results" / "reports.json"


# -- the bench module: newcomers, their key figures, a trivial job -------------------------


class BenchNewcomer(TenantScoped, db.Model):
    """A newcomer from abroad, about as wide as the record a commune keeps (~200 bytes a row)."""

    __tablename__ = "bench_newcomers"

    id: Mapped[uuid.UUID] = uuid_pk()
    family_name: Mapped[str] = mapped_column(sa.String(100))
    given_names: Mapped[str] = mapped_column(sa.String(100))
    sex: Mapped[str] = mapped_column(sa.String(1))
    date_of_birth: Mapped[date]
    nationality: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    language: Mapped[str] = mapped_column(sa.String(5))  # ISO 639-1
    civil_status: Mapped[str] = mapped_column(sa.String(30))
    previous_residence: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(30))
    street: Mapped[str] = mapped_column(sa.String(100))
    postcode: Mapped[int]
    place: Mapped[str] = mapped_column(sa.String(100))
    bfs_number: Mapped[int]  # the commune they moved to
    household_size: Mapped[int] = mapped_column(sa.SmallInteger)
    arrival_date: Mapped[date]
    permit: Mapped[str] = mapped_column(sa.String(1))  # B, C, L, F, N, S
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


LABELS = {"arrived": "Neuzuzüge", "nationalities": "Nationalitäten", "languages": "Sprachen",
          **{permit: f"Ausweis {permit}" for permit in PERMITS}}


class _Timer:
    """Time spent in the bench module's own SQL, while the report is being timed (else None)."""

    seconds: float | None = None


def newcomer_figures(period) -> dict[str, int]:
    """The module's key figures over its rows: one aggregate query, the tenant filter left to the scope."""
    started = time.perf_counter()
    n = BenchNewcomer
    row = db.session.execute(
        sa.select(
            sa.func.count(), sa.func.count(sa.distinct(n.nationality)), sa.func.count(sa.distinct(n.language)),
            *(sa.func.count().filter(n.permit == permit) for permit in PERMITS),
        ).where(n.arrival_date.between(period.start, period.end))
    ).one()
    if _Timer.seconds is not None:
        _Timer.seconds += time.perf_counter() - started
    return dict(zip((f"{MODULE_ID}.{key}" for key in LABELS), row, strict=True))


def _touch(context) -> list[ResultFile]:
    """The trivial job: its result file says when its code started."""
    return [ResultFile("started.txt", "text/plain", repr(time.time()).encode())]


class ReportsBenchPlugin:
    """A module like any other: switched on per tenant (not always on), with report figures and a job kind."""

    manifest = Manifest(id=MODULE_ID, title="Bench (reports)", version="1.0", position=998,
                        figures=tuple(Figure(f"{MODULE_ID}.{key}", label) for key, label in LABELS.items()))

    @hookimpl
    def report_figures(self, tenant, period):
        return newcomer_figures(period)

    @hookimpl
    def job_kinds(self):
        return [JobKind(JOB_KIND, _touch, "Bench: touch", timeout_seconds=60)]


plugin = ReportsBenchPlugin()


# -- set-up --------------------------------------------------------------------------------


@dataclass
class World:
    """One scratch database with the application, the owner's engine and the canton."""

    app: Flask
    owner: sa.Engine
    canton_id: int
    communes: list[tuple[int, str]]  # (BFS number, name) of the communes that exist at the end of the period
    tenants: list[int] = field(default_factory=list)
    rows: int = 0


def build_world(url: str, instance_path: str, redis_url: str | None = None, newcomers: bool = True) -> World:
    from flask_migrate import upgrade

    from core import create_app, provisioning
    from core.plugins import discover
    from core.reports import Period
    from core.tenancy import Municipality

    with _environment(INSTANCE_PATH=instance_path, DATABASE_URL=url, REDIS_URL=redis_url, TENANT_HOSTS=None):
        app = create_app(config={"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url},
                         plugins=[*discover(), plugin])
    with app.app_context(), _quiet():
        upgrade(revision="heads")  # the core branch and every plugin branch, as `flask db upgrade heads` does
    owner = sa.create_engine(url)
    if newcomers:
        with owner.begin() as connection:
            _create_newcomers_table(connection)
    end = Period.parse(PERIOD).end
    with app.app_context():
        provisioning.load_municipalities()
        canton = provisioning.create_tenant("kanton", "Kanton", "canton", [])
        db.session.commit()
        communes = [(m.bfs_number, m.name) for m in db.session.scalars(sa.select(Municipality)
                                                                       .order_by(Municipality.bfs_number))
                    if m.valid_on(end)]
        world = World(app, owner, canton.id, communes)
        db.session.remove()
    return world


def _create_newcomers_table(connection) -> None:
    """What the module's migration would do: the table, and row-level security (``core.rls.protect``)."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    from core import rls

    BenchNewcomer.__table__.create(connection)
    op = Operations(MigrationContext.configure(connection))
    rls.protect(op, BenchNewcomer.__tablename__)  # the app role gets its grants from the default privileges


def _close(world: World) -> None:
    with world.app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    world.owner.dispose()


# -- data -----------------------------------------------------------------------------------

FAMILY_NAMES = ("Müller", "Rossi", "Silva", "Krasniqi", "Yilmaz", "García", "Martin", "Tesfay", "Haddad", "Ahmadi",
                "Jovanović", "Nowak", "Smith", "Patel", "Wang", "Schmidt", "Ferreira", "Berisha", "Demir", "López",
                "Bernard", "Ghebremedhin", "Khalil", "Rahimi", "Petrović", "Kowalski", "Johnson", "Sharma", "Li",
                "Weber", "Costa", "Gashi", "Kaya", "Fernández", "Dubois", "Mehari", "Nasser", "Karimi", "Nikolić",
                "Wiśniewski")
GIVEN_NAMES = ("Anna", "Luca", "Maria", "Arben", "Elif", "Javier", "Camille", "Yonas", "Layla", "Farid", "Milica",
               "Piotr", "Emily", "Priya", "Wei", "Jonas", "Beatriz", "Drita", "Mehmet", "Lucía", "Louis", "Senait",
               "Omar", "Zahra", "Marko", "Katarzyna", "James", "Rohan", "Mei", "Lena")
# (nationality, language, a place they come from, weight): roughly who moves to the canton from abroad
ORIGINS = (
    ("DE", "de", "Freiburg im Breisgau", 18), ("IT", "it", "Napoli", 12), ("PT", "pt", "Porto", 10),
    ("XK", "sq", "Prishtina", 6), ("TR", "tr", "Izmir", 5), ("ES", "es", "Sevilla", 5), ("FR", "fr", "Mulhouse", 5),
    ("ER", "ti", "Asmara", 4), ("SY", "ar", "Aleppo", 4), ("AF", "fa", "Herat", 4), ("RS", "sr", "Novi Sad", 3),
    ("MK", "mk", "Tetovo", 3), ("PL", "pl", "Wrocław", 3), ("US", "en", "Boston", 2), ("GB", "en", "Leeds", 2),
    ("IN", "hi", "Pune", 2), ("CN", "zh", "Chengdu", 2), ("AT", "de", "Bregenz", 2), ("BR", "pt", "Recife", 2),
    ("UA", "uk", "Kharkiv", 3), ("HU", "hu", "Debrecen", 1), ("RO", "ro", "Cluj-Napoca", 1), ("SK", "sk", "Košice", 1),
    ("HR", "hr", "Split", 1),
)
CIVIL_STATUS = ("ledig", "verheiratet", "verheiratet", "geschieden", "verwitwet", "eingetragene Partnerschaft")
PERMIT_WEIGHTS = (("B", 55), ("L", 18), ("C", 10), ("F", 6), ("N", 6), ("S", 5))
STREETS = ("Hauptstrasse", "Bahnhofstrasse", "Dorfstrasse", "Kirchweg", "Schulhausstrasse", "Solothurnstrasse",
           "Bielstrasse", "Weissensteinstrasse", "Gartenweg", "Industriestrasse", "Lindenweg", "Oltnerstrasse",
           "Baslerstrasse", "Mühleweg", "Jurastrasse", "Sonnenweg", "Aarestrasse", "Poststrasse", "Rosenweg",
           "Wiesenstrasse", "Birkenweg", "Feldstrasse", "Bergstrasse", "Ringstrasse", "Waldweg", "Grenchenstrasse",
           "Obere Hauptgasse", "Unterer Winkel", "Eichenweg", "Quellenweg", "Zelgweg", "Allmendstrasse")
COLUMNS = (
    "id", "tenant_id", "family_name", "given_names", "sex", "date_of_birth", "nationality", "language", "civil_status",
    "previous_residence", "email", "phone", "permit", "street", "postcode", "place", "bfs_number", "household_size",
    "arrival_date", "created_at",
)
PEOPLE = 4096  # distinct people to draw from (names, birth, origin, e-mail, permit)


def _people(rng: random.Random) -> list[str]:
    """Ready-made COPY text for the person part of a row: ``family … permit`` (names rarely repeat in a tenant)."""
    origins = [(nat, lang, place) for nat, lang, place, weight in ORIGINS for _ in range(weight)]
    permits = [permit for permit, weight in PERMIT_WEIGHTS for _ in range(weight)]
    people = []
    for number in range(PEOPLE):
        family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
        nationality, language, previous = rng.choice(origins)
        born = date(1950, 1, 1).toordinal() + rng.randrange(365 * 66)
        email = f"{given}.{family}{number}@example.ch".lower()
        phone = f"+41 7{rng.randrange(5, 10)} {rng.randrange(100, 1000)} {rng.randrange(10, 100)}" \
                f" {rng.randrange(10, 100)}"
        people.append("\t".join((family, given, rng.choice("FM"), date.fromordinal(born).isoformat(), nationality,
                                 language, rng.choice(CIVIL_STATUS), f"{previous}, {nationality}", email, phone,
                                 rng.choice(permits))))
    return people


def _newcomer_lines(tenants: list[tuple[int, int, str]], rng: random.Random):
    """COPY text, in chunks: row k of every tenant, then row k+1 …, arrivals in date order through 2017.

    The rows are written as they would accumulate over the year, each tenant's spread over the table
    (not one tenant's 700 rows on a few neighbouring pages), so a tenant's figures read as many pages
    as they would in production.
    """
    people = _people(rng)
    year = date(int(PERIOD), 1, 1).toordinal()
    days = [date.fromordinal(year + d).isoformat() for d in range(365)]
    places = {tid: f"{4500 + bfs % 500}\t{name}\t{bfs}" for tid, bfs, name in tenants}
    chunk: list[str] = []
    for k in range(NEWCOMERS_PER_TENANT):
        day = days[k * 365 // NEWCOMERS_PER_TENANT]
        created = f"{day} 08:00:00+00"
        ids = os.urandom(16 * len(tenants)).hex()
        for i, (tid, _bfs, _name) in enumerate(tenants):
            bits = rng.getrandbits(32)
            chunk.append(
                f"{ids[32 * i:32 * i + 32]}\t{tid}\t{people[bits & 4095]}\t{STREETS[(bits >> 12) & 31]}"
                f" {((bits >> 17) & 127) + 1}\t{places[tid]}\t{((bits >> 24) & 3) + 1}\t{day}\t{created}\n"
            )
        if len(chunk) >= 20_000:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def add_tenants(world: World, count: int, rng: random.Random) -> float:
    """Bulk-insert commune tenants up to ``count``, with module activations, a commune and their newcomers."""
    from core.modules import ModuleActivation
    from core.tenancy import Tenant, TenantMunicipality

    started = time.perf_counter()
    first = len(world.tenants)
    now = datetime.now(UTC)
    installed = set(world.app.extensions["plugins"].manifests)
    # A realistic activation table: the bench module and informieren active, foerdern only entitled.
    states = [(m, s) for m, s in ((MODULE_ID, "active"), ("informieren", "active"), ("foerdern", "entitled"))
              if m in installed]
    communes = [world.communes[i % len(world.communes)] for i in range(first, count)]
    names = [name if i < len(world.communes) else f"{name} ({i // len(world.communes) + 1})"
             for i, (_bfs, name) in zip(range(first, count), communes, strict=True)]
    slugs = [f"bench-{i:05d}" for i in range(first, count)]
    tenants, activations, links = Tenant.__table__, ModuleActivation.__table__, TenantMunicipality.__table__
    with world.owner.begin() as connection:
        connection.execute(tenants.insert(), [
            {"slug": slug, "name": name, "kind": "commune", "state": "active", "created_at": now, "revision": 1}
            for slug, name in zip(slugs, names, strict=True)
        ])
        ids = dict(connection.execute(sa.select(tenants.c.slug, tenants.c.id).where(tenants.c.slug.in_(slugs))).all())
        new = [(ids[slug], bfs, name) for slug, (bfs, name) in zip(slugs, communes, strict=True)]
        connection.execute(activations.insert(), [
            {"tenant_id": tid, "module_id": module, "state": state, "effective_from": date(2017, 1, 1),
             "installed_version": "1.0" if state == "active" else None, "changed_by": "bench", "changed_at": now}
            for tid, _bfs, _name in new for module, state in states
        ])
        connection.execute(links.insert(), [
            {"tenant_id": tid, "bfs_number": bfs, "valid_from": date(2017, 1, 1), "valid_to": None}
            for tid, bfs, _name in new
        ])
    raw = world.owner.raw_connection()  # COPY on the owner's connection: no role, no row-level security
    try:
        driver = raw.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY bench_newcomers ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for chunk in _newcomer_lines(new, rng):
                copy.write(chunk)
        driver.commit()
    finally:
        raw.close()
    with world.owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) bench_newcomers")  # as autovacuum would after a bulk load
        connection.exec_driver_sql("ANALYZE")
        with contextlib.suppress(sa.exc.DBAPIError):  # and the load's dirty pages written, as a checkpoint would
            connection.exec_driver_sql("CHECKPOINT")
    world.tenants.extend(tid for tid, _bfs, _name in new)
    world.rows += len(new) * NEWCOMERS_PER_TENANT
    return time.perf_counter() - started


def bytes_per_row(world: World) -> tuple[float, int]:
    """The average width of a newcomer row as stored, and the table's size on disk (heap and indexes)."""
    with world.owner.connect() as connection:
        width = connection.exec_driver_sql(
            "SELECT avg(pg_column_size(n.*)) FROM (SELECT * FROM bench_newcomers TABLESAMPLE SYSTEM (1)) n"
        ).scalar_one()
        size = connection.exec_driver_sql("SELECT pg_total_relation_size('bench_newcomers')").scalar_one()
    return float(width or 0), int(size)


# -- measuring the canton report ---------------------------------------------------------------

PHASES = ("figures: core", "figures: bench SQL", "rest")


@contextlib.contextmanager
def instrumented():
    """Where the canton report's time goes, tenant by tenant (a few perf_counter calls per tenant).

    ``core.reports.canton_report`` loads every tenant's module states and communes once, then per
    tenant calls ``report_figures`` of its active modules (core's own, which reads the tenant's
    activations, and the bench module's aggregate); what is left is the loop itself, the scope
    changes, the tenant list, the two loads and the tables.
    """
    from core.plugins import PluginRegistry

    seconds: dict[str, float] = defaultdict(float)
    original = PluginRegistry.for_modules

    class TimedHooks:
        def __init__(self, hooks):
            self._hooks = hooks

        def __getattr__(self, name):
            caller = getattr(self._hooks, name)

            def call(**kwargs):
                started = time.perf_counter()
                try:
                    return caller(**kwargs)
                finally:
                    seconds["figures"] += time.perf_counter() - started
            return call

    def for_modules(registry, active):
        return TimedHooks(original(registry, active))

    _Timer.seconds = 0.0
    try:
        with mock.patch.object(PluginRegistry, "for_modules", for_modules):
            yield seconds
    finally:
        seconds["figures: bench SQL"] = _Timer.seconds
        seconds["figures: core"] = seconds.pop("figures", 0.0) - _Timer.seconds
        _Timer.seconds = None


@dataclass
class ReportResult:
    tenants: int
    rows: int
    load_seconds: float
    build_seconds: float
    statements: int
    phases: dict[str, float]
    render_seconds: dict[str, float]
    sizes: dict[str, int]

    def job_seconds(self, fmt: str) -> float:
        return self.build_seconds + self.render_seconds[fmt]


def _progress(canton):
    """The progress of a real report job: written every 50 tenants in a transaction of its own."""
    from core.jobs import JobContext, JobRecord, JobState
    from core.tenancy import tenant_scope

    with tenant_scope(canton):
        record = JobRecord(id=uuid.uuid4(), kind="report", params={"period": PERIOD, "format": "-", "scope": "canton"},
                           params_hash=uuid.uuid4().hex, requested_by="bench", state=JobState.RUNNING)
        db.session.add(record)
    db.session.commit()
    return JobContext(record, canton).progress


def _check_report(report, world: World) -> None:
    table, totals = report.sections[0].tables
    if len(table.rows) != len(world.tenants):
        raise BenchError(f"the canton report has {len(table.rows)} rows for {len(world.tenants)} tenants")
    arrived = dict(totals.rows).get(LABELS["arrived"])
    if arrived != world.rows:
        raise BenchError(f"the canton report counts {arrived} newcomers of {world.rows}")


def measure_report(world: World, load_seconds: float) -> ReportResult:
    from core.modules import forget_active_modules
    from core.reports import Period, canton_report, render
    from core.tenancy import Tenant, forget_tenants

    with world.app.app_context():
        forget_tenants()
        forget_active_modules()
        canton = db.session.get(Tenant, world.canton_id)
        progress = _progress(canton)
        statements = []
        count = lambda *args: statements.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            with instrumented() as phases:
                started = time.perf_counter()
                report = canton_report(Period.parse(PERIOD), progress)
                build = time.perf_counter() - started
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.commit()  # the job commits its work (here: the canton scope's audit event)
        _check_report(report, world)
        phases = dict(phases)
        phases["rest"] = build - sum(phases.values())
        seconds, sizes = {}, {}
        for fmt in FORMATS:
            started = time.perf_counter()
            content = render(report, fmt)
            seconds[fmt] = time.perf_counter() - started
            sizes[fmt] = len(content)
        db.session.remove()
    return ReportResult(len(world.tenants), world.rows, load_seconds, build, len(statements), phases, seconds, sizes)


def profile_report(world: World, top: int = 25) -> str:
    """cProfile of one canton report, built and rendered as PDF."""
    from core.reports import Period, canton_report, render
    from core.tenancy import Tenant

    out = io.StringIO()
    with world.app.app_context():
        canton = db.session.get(Tenant, world.canton_id)
        progress = _progress(canton)
        profiler = cProfile.Profile()
        profiler.enable()
        render(canton_report(Period.parse(PERIOD), progress), "pdf")
        profiler.disable()
        db.session.rollback()
        db.session.remove()
    out.write(f"\n--- cProfile of the canton report (build + pdf), {len(world.tenants)} tenants ---\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def run_reports(url: str, instance_path: str, counts: tuple[int, ...], profile: bool, emit) -> tuple[list, str, dict]:
    rng = random.Random(SEED)
    started = time.perf_counter()
    world = build_world(url, instance_path)
    results, profiles, storage = [], "", {}
    try:
        emit(f"  schema by migrations, {len(world.communes)} communes of {PERIOD}, canton tenant:"
             f" {time.perf_counter() - started:.1f} s")
        for count in counts:
            seconds = add_tenants(world, count, rng)
            width, size = bytes_per_row(world)
            storage = {"bytes_per_row": round(width), "table_megabytes": round(size / 2**20)}
            emit(f"  {count} tenants, {world.rows:,} newcomer rows loaded in {seconds:.1f} s"
                 f" (~{width:.0f} bytes a row, table and indexes {size / 2**20:,.0f} MB); measuring")
            result = measure_report(world, seconds)
            emit(f"  {count} tenants: built in {result.build_seconds:.1f} s, rendered in"
                 f" {sum(result.render_seconds.values()):.1f} s")
            results.append(result)
        if profile:
            profiles = profile_report(world)
    finally:
        _close(world)
    return results, profiles, storage


def report_table(results: list[ReportResult]) -> str:
    lines = ["canton_report() — the build:"]
    head = (f"{'tenants':>8}{'newcomer rows':>15}{'loaded in':>11}{'build':>10}{'SQL statements':>16}"
            f"{'per tenant':>12}{'rows/s':>11}{'tenants/s':>11}")
    lines += [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.tenants:>8}{r.rows:>15,}{r.load_seconds:>9.1f} s{r.build_seconds:>8.2f} s{r.statements:>16,}"
            f"{r.build_seconds / r.tenants * 1000:>9.2f} ms{r.rows / r.build_seconds:>11,.0f}"
            f"{r.tenants / r.build_seconds:>11,.0f}"
        )
    lines.append("(rows/s: newcomer rows the figures cover per second of build; SQL statements: all the build sent,")
    lines.append(" the job's progress updates included; loaded in: adding these tenants and their rows, not timed)")
    lines += ["", "render(report, format) — seconds and file size; a report job = one build + one render:"]
    head = f"{'tenants':>8}" + "".join(f"{fmt:>20}" for fmt in FORMATS) + f"{'job: xlsx':>14}{'csv':>9}{'pdf':>9}"
    lines += [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.tenants:>8}"
            + "".join(f"{r.render_seconds[fmt]:>8.2f} s{r.sizes[fmt] / 1024:>7,.0f} KiB" for fmt in FORMATS)
            + f"{r.job_seconds('xlsx'):>12.1f} s" + "".join(f"{r.job_seconds(fmt):>7.1f} s" for fmt in FORMATS[1:])
        )
    lines += ["", "Where the build's time goes, per tenant:"]
    head = f"{'tenants':>8}" + "".join(f"{phase:>20}" for phase in PHASES)
    lines += [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r.tenants:>8}" + "".join(f"{r.phases[p] / r.tenants * 1000:>17.3f} ms" for p in PHASES))
    lines.append("(figures: core: core's report_figures, a query for the tenant's activations; figures: bench SQL:")
    lines.append(" the bench module's aggregate over its rows, ORM included; rest: the loop, scope changes, the")
    lines.append(" tenant list, the module states and communes of all tenants (two queries), progress, the tables)")
    return "\n".join(lines)


# -- measuring job latency on a real rq worker ----------------------------------------------------


def redis_scratch_url() -> str:
    """The configured Redis (``BENCH_REDIS_URL``, ``REDIS_URL``, or the local default), database 15."""
    base = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{REDIS_SCRATCH_DB}", query=""))


@contextlib.contextmanager
def redis_scratch(url: str):
    """Flush the scratch Redis database before and after; yields None, or why Redis is out of reach."""
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    try:
        connection.flushdb()
    except RedisError as error:
        connection.close()
        yield f"{type(error).__name__}: {error}"
        return
    try:
        yield None
    finally:
        with contextlib.suppress(RedisError):
            connection.flushdb()
        connection.close()


def run_worker() -> None:
    """The worker subprocess: the application with the bench module, as ``flask worker`` runs it."""
    from rq import SimpleWorker

    from core import create_app, jobs
    from core.plugins import discover

    app = create_app(plugins=[*discover(), plugin])
    with app.app_context():
        worker = SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.redis_connection())
        worker.work(burst=False, with_scheduler=False)


def _die_with_parent() -> None:
    """In the worker, before it starts (Linux): SIGKILL when the benchmark's process dies, however it dies."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def worker_process(database_url: str, redis_url: str, instance_path: str, log_path: Path):
    """A real rq worker in a subprocess of its own, stopped (and if need be killed) on the way out."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "INSTANCE_PATH": instance_path,
           "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
    env.pop("TENANT_HOSTS", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from bench.reports import run_worker; run_worker()"],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()  # rq's warm shutdown: an idle worker leaves at once
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # its own session: only the worker
                process.wait()


def _log_tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@dataclass
class LatencyResult:
    jobs: int
    warmup: int
    seconds: dict[str, list[float]]  # measure -> one value per job

    def stat(self, measure: str, q: float) -> float:
        ordered = sorted(self.seconds[measure])
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


LATENCIES = {
    "enqueue": "enqueue() call (the caller's cost)",
    "running": "enqueue -> worker marks it running",
    "started": "enqueue -> job code starts",
    "finished": "enqueue -> finished, seen by caller",
}


def measure_latency(world: World, process, log_path: Path, count: int, warmup: int) -> LatencyResult:
    from rq import Worker
    from rq.job import Job

    from core import jobs, provisioning
    from core.tenancy import tenant_scope

    with world.app.app_context():
        bfs = world.communes[0][0]
        tenant = provisioning.create_tenant("bench-jobs", "Gemeinde Bench", "commune", [bfs])
        db.session.commit()
        connection = jobs.redis_connection()
        deadline = time.monotonic() + 60
        while not Worker.all(connection=connection):  # the worker has registered: it listens
            if process.poll() is not None:
                raise BenchError(f"the worker died (exit {process.returncode}):\n{_log_tail(log_path)}")
            if time.monotonic() > deadline:
                raise BenchError(f"the worker did not start within 60 s:\n{_log_tail(log_path)}")
            time.sleep(0.05)
        run = uuid.uuid4().hex[:8]
        calls: dict[uuid.UUID, tuple[float, float, float]] = {}  # record id -> enqueue called, returned, seen done
        for number in range(warmup + count):
            called = time.time()
            record = jobs.enqueue(JOB_KIND, tenant, {"run": run, "n": number}, requested_by="bench")
            returned = time.time()
            job = Job(record.rq_id, connection=connection)
            deadline = time.monotonic() + 30
            while (status := job.get_status(refresh=True)) not in ("finished", "failed"):
                if process.poll() is not None:
                    raise BenchError(f"the worker died (exit {process.returncode}):\n{_log_tail(log_path)}")
                if time.monotonic() > deadline:
                    raise BenchError(f"job {number} did not finish within 30 s (rq status {status})")
                time.sleep(POLL_SECONDS)
            seen = time.time()
            if status == "failed":
                raise BenchError(f"job {number} failed in the worker:\n{_log_tail(log_path)}")
            if number >= warmup:
                calls[record.id] = (called, returned, seen)
        db.session.rollback()  # a fresh snapshot: what the worker committed
        with tenant_scope(tenant):
            rows = [(record_id, state, started_at, result.read_all(tenant)) for record_id, state, started_at, result
                    in db.session.execute(
                        sa.select(jobs.JobRecord.id, jobs.JobRecord.state, jobs.JobRecord.started_at, jobs.JobFile)
                        .join(jobs.JobFile, sa.and_(jobs.JobFile.tenant_id == jobs.JobRecord.tenant_id,
                                                    jobs.JobFile.job_id == jobs.JobRecord.id))
                        .where(jobs.JobRecord.id.in_(list(calls)))
                    ).all()]
        db.session.rollback()
        db.session.remove()
    if len(rows) != count or any(state != "finished" for _id, state, _s, _c in rows):
        raise BenchError(f"{count} jobs measured, {len(rows)} finished with a result file")
    seconds: dict[str, list[float]] = {key: [] for key in LATENCIES}
    for record_id, _state, started_at, content in rows:
        called, returned, seen = calls[record_id]
        seconds["enqueue"].append(returned - called)
        seconds["running"].append(started_at.timestamp() - called)
        seconds["started"].append(float(content) - called)
        seconds["finished"].append(seen - called)
    return LatencyResult(count, warmup, seconds)


def run_latency(url: str, redis_url: str, instance_path: str, count: int, emit) -> LatencyResult:
    started = time.perf_counter()
    world = build_world(url, instance_path, redis_url=redis_url, newcomers=False)
    log_path = Path(instance_path) / "worker.log"
    try:
        emit(f"  schema by migrations, canton and one commune tenant: {time.perf_counter() - started:.1f} s;"
             " starting the worker")
        with worker_process(url, redis_url, instance_path, log_path) as process:
            started = time.perf_counter()
            result = measure_latency(world, process, log_path, count, WARMUP_JOBS)
            emit(f"  {WARMUP_JOBS} + {count} jobs in {time.perf_counter() - started:.1f} s (worker start included)")
    finally:
        _close(world)
    return result


def latency_table(result: LatencyResult) -> str:
    head = f"{'':<40}{'median':>10}{'p95':>10}{'max':>10}"
    lines = [head, "-" * len(head)]
    for key, label in LATENCIES.items():
        lines.append(f"{label:<40}" + "".join(f"{result.stat(key, q) * 1000:>7.1f} ms" for q in (0.5, 0.95, 1.0)))
    lines.append("(from the moment enqueue() is called; 'running': the record's started_at, set by the worker;")
    lines.append(" 'job code starts': time.time() in the job, written to its result file; 'finished': rq reports the")
    lines.append(f" job finished, after its commit, polled every {POLL_SECONDS * 1000:.0f} ms)")
    return "\n".join(lines)


# -- the run ------------------------------------------------------------------------------------


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def save(reports: list[ReportResult], storage: dict, latency: LatencyResult | None, path: Path) -> None:
    """The figures as JSON (bench/results/ is not versioned), to compare runs across commits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "benchmark": "reports",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "canton_report": {
            "period": PERIOD, "newcomers_per_tenant": NEWCOMERS_PER_TENANT, **storage,
            "results": [
                {"tenants": r.tenants, "rows": r.rows, "load_seconds": round(r.load_seconds, 1),
                 "build_seconds": round(r.build_seconds, 3), "statements": r.statements,
                 "rows_per_second": round(r.rows / r.build_seconds),
                 "phases_ms_per_tenant": {p: round(r.phases[p] / r.tenants * 1000, 3) for p in PHASES},
                 "render_seconds": {f: round(s, 3) for f, s in r.render_seconds.items()}, "bytes": r.sizes}
                for r in reports
            ],
        },
        "job_latency": None if latency is None else {
            "jobs": latency.jobs, "warmup": latency.warmup,
            "ms": {key: {name: round(latency.stat(key, q) * 1000, 2) for name, q in (("median", 0.5), ("p95", 0.95),
                                                                                       ("max", 1.0))}
                   for key in LATENCIES},
        },
    }, indent=2) + "\n")


def main(args) -> int:
    emit = lambda text="": print(text, flush=True)  # noqa: E731
    started = time.perf_counter()
    counts = tuple(args.report_tenants or TENANT_COUNTS)
    reports: list[ReportResult] = []
    storage: dict = {}
    profiles = ""
    latency = None
    instance = tempfile.mkdtemp(prefix="si-bench-reports-")
    pg = postgres_url()
    try:
        emit(f"The canton report as data grows (PostgreSQL, period {PERIOD})")
        emit(f"  {', '.join(f'{c:,}' for c in counts)} commune tenants, {NEWCOMERS_PER_TENANT} newcomer rows each"
             f" ({MODULE_ID}, row-level security); canton_report() and render() as the report job runs them")
        with postgres_scratch(pg, REPORTS_DATABASE) as (url, problem):
            if url is None:
                emit(f"  postgresql: not reachable at {sa.make_url(pg).render_as_string()} ({problem}); skipped")
            else:
                reports, profiles, storage = run_reports(url, os.path.join(instance, "reports"), counts,
                                                         args.report_profile, emit)
        if reports:
            emit()
            emit(report_table(reports))
        emit()
        emit(f"Job latency on a real rq worker ({args.jobs} trivial jobs, one at a time, after {WARMUP_JOBS} warm-up)")
        redis_url = redis_scratch_url()
        with redis_scratch(redis_url) as redis_problem:
            if redis_problem:
                emit(f"  redis: not reachable at {redis_url} ({redis_problem}); skipped")
            else:
                with postgres_scratch(pg, JOBS_DATABASE) as (url, problem):
                    if url is None:
                        emit(f"  postgresql: not reachable at {sa.make_url(pg).render_as_string()} ({problem});"
                             " skipped")
                    else:
                        latency = run_latency(url, redis_url, os.path.join(instance, "jobs"), args.jobs, emit)
        if latency is not None:
            emit()
            emit(latency_table(latency))
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    if profiles:
        emit(profiles)
    shown = RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS
    if reports or latency:
        save(reports, storage, latency, RESULTS)
        emit(f"\n({time.perf_counter() - started:.0f} s in all; figures saved to {shown})")
    else:
        emit(f"\n({time.perf_counter() - started:.0f} s in all; nothing measured, {shown} left as it was)")
    return 0
