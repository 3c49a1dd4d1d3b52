"""The cost of tenancy: a module page of a tenant against the same query on a bare Flask route.

(a) ``GET /<tenant-slug>/bench/rows`` through the whole application: the tenant is
    resolved from the slug, the tenant's module activations decide whether the
    ``bench`` module may answer, and the 50-row query of a :class:`TenantScoped`
    model is scoped to the tenant automatically (and, on PostgreSQL, by row-level
    security under the application's role).
(b) ``GET /bare/<tenant_id>/rows`` on the same application, outside the tenancy
    layer: the same query with an explicit ``tenant_id`` filter, in a plain
    session on the owner's connection, with no slug, no module check, no scope,
    no row-level security.  Sessions, CSRF, headers are the same for both.

Both run in one process against one database, interleaved request by request,
each request for a tenant picked at random, with 10 and then 2,000 tenants in
the database, on SQLite and (when reachable) on PostgreSQL.  Before measuring,
every tenant is asked for once: the steady state of a running server, whose
cache holds each tenant for ``TENANT_CACHE_SECONDS``.  The last column is (a)
right after that cache was emptied: a tenant nobody asked for lately.
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Flask, Response
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.test import EnvironBuilder

from core.db import Scope, TenantScoped, db, enter_scope, leave_scope, uuid_pk
from core.modules import forget_active_modules
from core.plugins import Manifest
from core.tenancy import forget_tenants

try:  # views declare who may see them; the bench measures tenancy, not log-in, so its page is public
    from core.access import public
except ImportError:  # a core without access control

    def public(view):
        return view


ROWS_PER_TENANT = 60
PAGE = 50
TENANT_COUNTS = (10, 2000)
WARMUP = 200
REQUESTS = 2000
TARGET_PERCENT = 10.0
GROWTH_TOLERANCE = 5.0  # percentage points the overhead may move from 10 to 2,000 tenants (noise)
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCRATCH_DATABASE = "si_bench"
SEED = 20170101
RESULTS = Path(__file__).parent / "results" / "tenancy.json"
GATED_SLUG = "bench-gated"  # a tenant where the bench module is only entitled


# -- the bench module ----------------------------------------------------------


class BenchRow(TenantScoped, db.Model):
    """A tenant-owned row: what every module's list page reads."""

    __tablename__ = "bench_rows"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int]


blueprint = Blueprint("bench", __name__)


def _listing(rows) -> Response:
    return Response("".join(f"{row.position} {row.name}\n" for row in rows), mimetype="text/plain")


@blueprint.get("/rows")
@public
def tenant_rows():
    """(a): no tenant in sight; the scope does the filtering."""
    rows = db.session.scalars(sa.select(BenchRow).order_by(BenchRow.position).limit(PAGE)).all()
    return _listing(rows)


class BenchPlugin:
    """A module like any other: switched on per tenant, answering 404 where it is not active."""

    manifest = Manifest(id="bench", title="Bench", version="1.0", blueprint=blueprint, position=999)


plugin = BenchPlugin()

_ALL_TENANTS = Scope(all_tenants=True)


def add_bare_route(app: Flask, owner: sa.Engine) -> None:
    """(b): a route of the same application outside the tenancy layer.

    Not under /<tenant>/ (no tenant resolution, no module check), its session on
    the owner's connection (no row-level security), the tenant filter written by
    hand (no automatic scope).  Sessions, CSRF, security headers and the rest of
    the request machinery are the same as for (a), so the difference is tenancy.
    """

    @app.get("/bare/<int:tenant_id>/rows", endpoint="bench_bare_rows")
    @public
    def bare_rows(tenant_id: int):
        token = enter_scope(_ALL_TENANTS)  # core's ORM listener then adds nothing
        try:
            with Session(owner) as session:
                session.info["rls_scope"] = (None, True)  # and sends nothing to PostgreSQL
                rows = session.scalars(
                    sa.select(BenchRow).where(BenchRow.tenant_id == tenant_id).order_by(BenchRow.position).limit(PAGE)
                ).all()
        finally:
            leave_scope(token)
        return _listing(rows)


# -- set-up ----------------------------------------------------------------------


@dataclass
class Site:
    """One database with the tenancy app (a), the bare app (b) and the owner's engine."""

    label: str
    url: str
    app: Flask
    bare: Flask
    owner: sa.Engine
    tenants: list[tuple[int, str]] = field(default_factory=list)  # (id, slug)
    warnings: set[str] = field(default_factory=set)
    setup_seconds: float = 0.0


@contextlib.contextmanager
def _environment(**values):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    for key in (k for k, v in values.items() if v is None):
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_site(label: str, url: str, instance_path: str) -> Site:
    from flask_migrate import upgrade

    from core import create_app
    from core.plugins import discover

    started = time.perf_counter()
    with _environment(INSTANCE_PATH=instance_path, DATABASE_URL=url, REDIS_URL=None, TENANT_HOSTS=None):
        app = create_app(config={"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None}, plugins=[*discover(), plugin])
    with app.app_context(), _quiet():
        upgrade(revision="heads")  # the core branch and every plugin branch, as `flask db upgrade heads` does
    owner = sa.create_engine(url, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    with owner.begin() as connection:
        _create_bench_table(connection)
        _add_gated_tenant(connection)
    add_bare_route(app, owner)
    site = Site(label, url, app, app, owner)
    site.setup_seconds = time.perf_counter() - started
    return site


@contextlib.contextmanager
def _quiet():
    """Alembic configures logging to stderr; keep its INFO lines out of the table."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            yield
    except Exception:
        sys.stderr.write(captured.getvalue())
        raise
    finally:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        for handler in logging.getLogger().handlers:  # fileConfig bound them to the captured stream
            if isinstance(handler, logging.StreamHandler) and handler.stream is captured:
                handler.setStream(sys.stderr)


def _create_bench_table(connection) -> None:
    """What the bench module's migration would do: the table, and row-level security on PostgreSQL."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    from core import rls

    BenchRow.__table__.create(connection)
    op = Operations(MigrationContext.configure(connection))
    rls.protect(op, BenchRow.__tablename__)  # the app role gets its grants from the default privileges


def _add_gated_tenant(connection) -> None:
    from core.modules import ModuleActivation
    from core.tenancy import Tenant

    now = datetime.now(UTC)
    tenant_id = connection.execute(
        Tenant.__table__.insert().returning(Tenant.__table__.c.id),
        {"slug": GATED_SLUG, "name": "Gemeinde ohne Bench", "kind": "commune", "state": "active",
         "created_at": now, "revision": 1},
    ).scalar_one()
    connection.execute(
        ModuleActivation.__table__.insert(),
        {"tenant_id": tenant_id, "module_id": "bench", "state": "entitled", "changed_by": "bench", "changed_at": now},
    )


def add_tenants(site: Site, count: int) -> float:
    """Bulk-insert tenants up to ``count``, each with module activations and ROWS_PER_TENANT rows."""
    from core.modules import ModuleActivation
    from core.tenancy import Tenant

    started = time.perf_counter()
    first = len(site.tenants)
    now = datetime.now(UTC)
    slugs = [f"bench-{i:05d}" for i in range(first, count)]
    installed = set(site.app.extensions["plugins"].manifests)
    # A realistic activation table: bench and informieren active, foerdern only entitled.
    states = [(m, s) for m, s in (("bench", "active"), ("informieren", "active"), ("foerdern", "entitled"))
              if m in installed]
    tenants, activations, rows = Tenant.__table__, ModuleActivation.__table__, BenchRow.__table__
    with site.owner.begin() as connection:
        connection.execute(
            tenants.insert(),
            [{"slug": slug, "name": f"Gemeinde {slug[6:]}", "kind": "commune", "state": "active",
              "created_at": now, "revision": 1} for slug in slugs],
        )
        new = connection.execute(
            sa.select(tenants.c.id, tenants.c.slug).where(tenants.c.slug.in_(slugs)).order_by(tenants.c.id)
        ).all()
        connection.execute(
            activations.insert(),
            [{"tenant_id": tid, "module_id": module, "state": state, "effective_from": date(2017, 1, 1),
              "installed_version": "1.0" if state == "active" else None, "changed_by": "bench", "changed_at": now}
             for tid, _slug in new for module, state in states],
        )
        names = [f"Angebot {i:02d}" for i in range(ROWS_PER_TENANT)]
        for chunk in range(0, len(new), 200):
            connection.execute(
                rows.insert(),
                [{"tenant_id": tid, "id": uuid.uuid4(), "name": names[i], "position": i}
                 for tid, _slug in new[chunk:chunk + 200] for i in random.Random(tid).sample(range(60), 60)],
            )
    if site.owner.dialect.name == "postgresql":
        with site.owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")  # as autovacuum would after a bulk load
    site.tenants.extend((tid, slug) for tid, slug in new)
    return time.perf_counter() - started


# -- requests ----------------------------------------------------------------------


def _environ(path: str) -> dict:
    return EnvironBuilder(path=path, base_url="http://localhost/", headers={"Accept-Language": "de-CH"}).get_environ()


def _call(app: Flask, environ: dict) -> tuple[int, str, bytes]:
    """One WSGI request; returns (nanoseconds, status, body), timing only the application."""
    status = []

    def start_response(status_line, headers, exc_info=None):
        status.append(status_line)

    started = time.perf_counter_ns()
    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return time.perf_counter_ns() - started, status[0], body


def tenant_path(tenant: tuple[int, str]) -> str:
    return f"/{tenant[1]}/bench/rows"


def bare_path(tenant: tuple[int, str]) -> str:
    return f"/bare/{tenant[0]}/rows"


class BenchError(RuntimeError):
    pass


def _check(which: str, path: str, status: str, body: bytes) -> None:
    if not status.startswith("200"):
        raise BenchError(f"{which} GET {path} answered {status}: {body[:300]!r}")
    lines = body.count(b"\n")
    if lines != PAGE:
        raise BenchError(f"{which} GET {path} listed {lines} rows, not {PAGE}")


def _engine(app: Flask) -> sa.Engine:
    with app.app_context():
        return db.engine


def probe(site: Site) -> tuple[int, int]:
    """Check both routes answer the same 50 rows, and count the SQL statements each sends."""
    counts = {}
    for tenant in (site.tenants[0], site.tenants[-1]):
        bodies = {}
        for which, app, path in (("(a)", site.app, tenant_path(tenant)), ("(b)", site.bare, bare_path(tenant))):
            _call(app, _environ(path))  # counted warm, as measured
            statements = []

            def count(conn, cursor, statement, parameters, context, executemany, statements=statements):
                statements.append(statement)
                # core's scope settings, sent with this statement in one round trip (either listener order)
                if conn.info.get("rls_pending") or getattr(context, "rls_pipeline", None):
                    statements.append("app_enter_scope")

            engines = {_engine(app), site.owner}
            for engine in engines:
                sa.event.listen(engine, "before_cursor_execute", count)
            try:
                _ns, status, body = _call(app, _environ(path))
            finally:
                for engine in engines:
                    sa.event.remove(engine, "before_cursor_execute", count)
            _check(which, path, status, body)
            bodies[which] = body
            counts[which] = len(statements)
        if bodies["(a)"] != bodies["(b)"]:
            raise BenchError(f"(a) and (b) list different rows for tenant {tenant[1]}")
    # The module gate must hold: where the module is not active, its page is a 404.
    _ns, status, _body = _call(site.app, _environ(f"/{GATED_SLUG}/bench/rows"))
    if not status.startswith("404"):
        site.warnings.add(f"the bench page answered {status}, not 404, in a tenant where the module is not active")
    return counts["(a)"], counts["(b)"]


@dataclass
class Result:
    database: str
    tenants: int
    statements: tuple[int, int]
    a: list[int]
    b: list[int]
    cold: list[int] = field(default_factory=list)  # (a) with the tenant caches emptied first

    @staticmethod
    def _pct(values: list[int], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] / 1000

    def median(self, which: str) -> float:
        return self._pct(getattr(self, which), 0.5)

    def p95(self, which: str) -> float:
        return self._pct(getattr(self, which), 0.95)

    @property
    def overhead_median(self) -> float:
        return (self.median("a") / self.median("b") - 1) * 100

    @property
    def overhead_p95(self) -> float:
        return (self.p95("a") / self.p95("b") - 1) * 100


def measure(site: Site, requests: int, warmup: int, rng: random.Random) -> Result:
    statements = probe(site)
    a_times: list[int] = []
    b_times: list[int] = []
    tenants = site.tenants
    # The steady state of a running server: every tenant has been asked for once
    # (its row and module states are in the process's cache, TENANT_CACHE_SECONDS).
    for tenant in tenants:
        _call(site.app, _environ(tenant_path(tenant)))
    gc.collect()
    for i in range(warmup + requests):
        ta, tb = rng.choice(tenants), rng.choice(tenants)
        pa, pb = tenant_path(ta), bare_path(tb)
        ea, eb = _environ(pa), _environ(pb)
        if i % 2:  # alternate which goes first, so neither always follows the other
            na, sa_, body_a = _call(site.app, ea)
            nb, sb, body_b = _call(site.bare, eb)
        else:
            nb, sb, body_b = _call(site.bare, eb)
            na, sa_, body_a = _call(site.app, ea)
        _check("(a)", pa, sa_, body_a)
        _check("(b)", pb, sb, body_b)
        if i >= warmup:
            a_times.append(na)
            b_times.append(nb)
    cold = []
    for _ in range(requests // 4):  # a tenant nobody asked for within the cache's lifetime
        forget_tenants()
        forget_active_modules()
        tenant = rng.choice(tenants)
        nanoseconds, status, body = _call(site.app, _environ(tenant_path(tenant)))
        _check("(a) cold", tenant_path(tenant), status, body)
        cold.append(nanoseconds)
    return Result(site.label, len(tenants), statements, a_times, b_times, cold)


def profile(site: Site, requests: int, rng: random.Random, top: int = 30) -> str:
    """cProfile of (a) and of (b), the functions with the most cumulative time first."""
    out = io.StringIO()
    for which, app, path_of in (("(a) tenant page", site.app, tenant_path), ("(b) bare route", site.bare, bare_path)):
        environs = [_environ(path_of(rng.choice(site.tenants))) for _ in range(requests)]
        for tenant in site.tenants:  # warm, as in measure()
            _call(app, _environ(path_of(tenant)))
        profiler = cProfile.Profile()
        profiler.enable()
        for environ in environs:
            _call(app, environ)
        profiler.disable()
        out.write(f"\n--- cProfile {which}, {site.label}, {len(site.tenants)} tenants, {requests} requests ---\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- the databases -----------------------------------------------------------------


def postgres_url() -> str:
    from core.settings import database_url

    configured = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    configured = database_url(configured, "") if configured else ""
    return configured if configured.startswith("postgresql") else DEFAULT_POSTGRES_URL


@contextlib.contextmanager
def postgres_scratch(url: str, name: str = SCRATCH_DATABASE):
    """Create the scratch database ``name`` next to ``url``'s and drop it afterwards; yields its URL or None."""
    admin = sa.create_engine(url, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool,
                             isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        yield None, f"{type(error.orig).__name__}: {str(error.orig).strip().splitlines()[0]}"
        return
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False), None
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def sqlite_then_postgres(name: str, run_case) -> list[dict]:
    """``run_case(label, url, instance_path)`` on SQLite, then on a scratch PostgreSQL; saves the results."""
    results = []
    with tempfile.TemporaryDirectory() as instance:
        results.append(run_case("SQLite", f"sqlite:///{instance}/{name}.db", instance))
        with postgres_scratch(postgres_url(), f"si_bench_{name}") as (url, problem):
            if url is None:
                print(f"PostgreSQL skipped: {problem}")
            else:
                results.append(run_case("PostgreSQL", url, instance))
    results_file = Path(__file__).parent / "results" / f"{name}.json"
    results_file.parent.mkdir(exist_ok=True)
    results_file.write_text(json.dumps(results, indent=2))
    return results


def _close(site: Site) -> None:
    for app in {site.app, site.bare}:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    site.owner.dispose()


def run_site(label: str, url: str, instance_path: str, args, rng: random.Random, emit) -> tuple[list[Result], str]:
    site = build_site(label, url, instance_path)
    results, profiles = [], ""
    try:
        emit(f"  {label}: schema by migrations in {site.setup_seconds:.1f} s")
        for count in TENANT_COUNTS:
            seconds = add_tenants(site, count)
            emit(f"  {label}: {count} tenants, {count * ROWS_PER_TENANT} rows loaded in {seconds:.1f} s; measuring")
            started = time.perf_counter()
            result = measure(site, args.requests, args.warmup, rng)
            emit(f"  {label}: {count} tenants measured in {time.perf_counter() - started:.1f} s")
            results.append(result)
        if args.profile:
            profiles = profile(site, args.profile, rng)
        for warning in sorted(site.warnings):
            emit(f"  {label}: warning: {warning}")
    finally:
        _close(site)
    return results, profiles


# -- the report -----------------------------------------------------------------


def table(results: list[Result]) -> str:
    head = (
        f"{'':<11}{'':>8}{'SQL per':>10}  {'(a) tenant page':>17}  {'(b) bare route':>17}  {'overhead (a)/(b)':>18}"
        f"{'(a)-(b)':>10}{'(a) cold':>10}\n"
        f"{'database':<11}{'tenants':>8}{'request':>10}  {'median':>8}{'p95':>9}  {'median':>8}{'p95':>9}"
        f"  {'median':>9}{'p95':>9}{'median':>10}{'median':>10}"
    )
    lines = [head, "-" * len(head.splitlines()[-1])]
    for r in results:
        lines.append(
            f"{r.database:<11}{r.tenants:>8}{f'{r.statements[0]} / {r.statements[1]}':>10}"
            f"  {r.median('a'):>5.0f} µs{r.p95('a'):>6.0f} µs"
            f"  {r.median('b'):>5.0f} µs{r.p95('b'):>6.0f} µs"
            f"  {r.overhead_median:>+7.1f} %{r.overhead_p95:>+7.1f} %"
            f"{r.median('a') - r.median('b'):>+7.0f} µs"
            f"{r.median('cold'):>7.0f} µs"
        )
    lines.append("(times per request in microseconds; SQL per request: statements (a) / (b) when warm, pool pings")
    lines.append(" not counted; on PostgreSQL app_enter_scope travels in one round trip with the query)")
    return "\n".join(lines)


def save(results: list[Result], path: Path) -> None:
    """The figures as JSON (bench/results/ is not versioned), to compare runs across commits."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "benchmark": "tenancy",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "results": [
            {"database": r.database, "tenants": r.tenants, "requests": len(r.a),
             "statements": {"a": r.statements[0], "b": r.statements[1]},
             "a_us": {"median": r.median("a"), "p95": r.p95("a")},
             "b_us": {"median": r.median("b"), "p95": r.p95("b")},
             "overhead_percent": {"median": round(r.overhead_median, 1), "p95": round(r.overhead_p95, 1)}}
            for r in results
        ],
    }, indent=2) + "\n")


def verdict(results: list[Result]) -> tuple[list[str], bool]:
    lines, met = [], True
    for database in dict.fromkeys(r.database for r in results):
        mine = [r for r in results if r.database == database]
        worst = max(r.overhead_median for r in mine)
        growth = mine[-1].overhead_median - mine[0].overhead_median
        small = worst <= TARGET_PERCENT
        flat = growth <= GROWTH_TOLERANCE
        met &= small and flat
        lines.append(
            f"  {database:<11}overhead at most {worst:+.1f} % ({'ok' if small else f'above {TARGET_PERCENT:.0f} %'});"
            f" {mine[0].tenants} -> {mine[-1].tenants} tenants: {growth:+.1f} points"
            f" ({'does not grow' if flat else 'grows'})  => {'MET' if small and flat else 'NOT MET'}"
        )
        if any(r.statements[1] != 1 for r in mine):
            lines.append(f"  {'':<11}warning: (b) sent more than one statement; the baseline is no longer bare")
    return lines, met


def main(args) -> int:
    emit = lambda text="": print(text, flush=True)  # noqa: E731
    started = time.perf_counter()
    rng = random.Random(SEED)
    emit("The cost of tenancy")
    emit("  (a) tenant page  GET /<slug>/bench/rows      slug -> tenant, module activation check, scoped ORM query"
         " (+ row-level security on PostgreSQL)")
    emit("  (b) bare route   GET /bare/<tenant_id>/rows  the same app outside the tenancy layer: the same ORM query"
         " with WHERE tenant_id = :id, as the owner")
    emit(f"  {PAGE} of {ROWS_PER_TENANT} rows per tenant; {args.warmup} warm-up + {args.requests} measured requests"
         " per route, interleaved, a random tenant per request; time spent inside the WSGI app")
    emit()
    results: list[Result] = []
    profiles: list[str] = []
    instance = tempfile.mkdtemp(prefix="si-bench-")
    try:
        sqlite_url = f"sqlite:///{os.path.join(instance, 'bench.db')}"
        found, text = run_site("sqlite", sqlite_url, os.path.join(instance, "sqlite"), args, rng, emit)
        results += found
        profiles.append(text)
        pg = postgres_url()
        with postgres_scratch(pg) as (url, problem):
            if url is None:
                emit(f"  postgresql: not reachable at {sa.make_url(pg).render_as_string()} ({problem}); skipped")
            else:
                found, text = run_site("postgresql", url, os.path.join(instance, "pg"), args, rng, emit)
                results += found
                profiles.append(text)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    emit()
    emit(table(results))
    emit()
    lines, met = verdict(results)
    emit(f"Target: (a) at most {TARGET_PERCENT:.0f} % slower than (b) at the median, not growing with the number of"
         f" tenants (tolerance {GROWTH_TOLERANCE:.0f} points):")
    for line in lines:
        emit(line)
    emit(f"  overall: {'MET' if met else 'NOT MET'}")
    for text in filter(None, profiles):
        emit(text)
    save(results, RESULTS)
    shown = RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS
    emit(f"\n({time.perf_counter() - started:.0f} s in all; figures saved to {shown})")
    return 0
