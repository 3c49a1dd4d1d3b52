"""Peak memory of uploads, imports and letter batches (issue 11): every case in a fresh process.

Goal: under 300 MB for any accepted input, and a refusal before 300 MB for any refused one.

Cases (full size; ``--small`` in brackets, about a minute in all), on SQLite in a temporary
directory, a regional tenant with Informieren active; each phase is a child process of its own
(spawned, so its peak resident memory, VmHWM, is its own):

  zip      a ZIP of four members of 250 MB [12 MB] at a ratio of about 120:1 (the measured attack)
  xml      a delivery of 299 MB [12 MB]: 1,000 persons padded with whitespace
  base     a baseDelivery of 70,000 [5,000] persons, 195 MB [14 MB]: accepted and imported
  csv      a CSV of 1,000,000 [150,000] rows, 42 MB [6 MB]: beyond the row limit (100,000)
  csv ok   a CSV of 100,000 [20,000] rows: mapped and imported
  api      a chunked POST of 310 MB to ``/api/v1/<tenant>/informieren/deliveries`` (no length named)
  letters  a letter batch with 1,000,000 [20,000] persons waiting (a batch takes at most 2,000)

Phases: ``web`` is the upload page's POST through the whole application (Werkzeug spools the file,
the view streams it into the database; the job is not started there), and for CSV the mapping page
(and its confirmation); ``job`` is the import job as a worker runs it (``core.jobs._run``).

``python -m bench upload_memory [--small] [--check]``: ``--check`` exits 1 when a phase exceeds the
goal or fails (``.ci/run`` runs ``--small --check``). Figures go to ``bench/results/upload_memory.json``.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import random
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

GOAL_MB = 300
SLUG = "bench-region"
COMMUNES = (2601, 2581, 2546)
FULL = {"zip_member_mb": 250, "xml_mb": 299, "base_persons": 70_000, "csv_rows": 1_000_000, "csv_ok_rows": 100_000,
        "api_mb": 310, "letter_persons": 1_000_000}
SMALL = {"zip_member_mb": 12, "xml_mb": 12, "base_persons": 5_000, "csv_rows": 150_000, "csv_ok_rows": 20_000,
         "api_mb": 310, "letter_persons": 20_000}
CASES = (("zip", ("web", "job")), ("xml", ("web", "job")), ("base", ("web", "job")), ("csv", ("web", "job")),
         ("csv ok", ("web", "job")), ("api", ("web",)), ("letters", ("job",)))
CSV_HEADER = ["Personen-ID", "AHV-Nummer", "Name", "Vorname", "Geburtsdatum", "Staatsangehörigkeit", "Zuzugsdatum",
              "BFS-Nr", "Herkunftsland"]
RESULTS = Path(__file__).parent / "results" / "upload_memory.json"


def _peak_mb() -> float:
    from bench.informieren import _peak_mb as peak

    return round(peak(), 1)


# -- data (in the parent; not measured) -----------------------------------------------------------------------


def _person(number: int):
    from tests.informieren import ech_messages as ech

    municipality = (ech.SOLOTHURN, ech.OLTEN, ech.GRENCHEN)[number % 3]
    return replace(ech.PersonSpec(local_id=str(100_000 + number), vn=ech.vn_with_check_digit(100_000 + number),
                                  official_name=f"Muster{number}", municipality=municipality,
                                  arrival_date="2024-03-01"))


def _zip(path: Path, member_mb: int) -> None:
    """Members that inflate about 120:1: a little noise in each MiB, the rest repeats."""
    rng = random.Random(11)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(4):
            with archive.open(f"m{number}.xml", "w", force_zip64=True) as member:
                for _ in range(member_mb):
                    member.write(rng.randbytes(6 * 1024) + b"<a/>" * ((2**20 - 6 * 1024) // 4))


def _padded_xml(path: Path, megabytes: int) -> None:
    from tests.informieren import ech_messages as ech

    head = ech.base_delivery([_person(n) for n in range(900_000, 901_000)])
    with path.open("wb") as out:
        out.write(head)
        block = (b" " * 1023 + b"\n") * 1024
        for _ in range((megabytes * 2**20 - len(head)) // len(block)):
            out.write(block)


def _base(path: Path, persons: int) -> None:
    from tests.informieren import ech_messages as ech

    path.write_bytes(ech.base_delivery([_person(n) for n in range(persons)]))


def _csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(";".join(CSV_HEADER) + "\r\n")
        for number in range(rows):
            out.write(f"{number};;Muster{number};Ana;01.02.1990;PT;01.03.2024;{COMMUNES[number % 3]};PT\r\n")


def generate(folder: Path, sizes: dict) -> None:
    _zip(folder / "zip.zip", sizes["zip_member_mb"])
    _padded_xml(folder / "xml.xml", sizes["xml_mb"])
    _base(folder / "base.xml", sizes["base_persons"])
    _csv(folder / "csv.csv", sizes["csv_rows"])
    _csv(folder / "csv ok.csv", sizes["csv_ok_rows"])


# -- the database and the application --------------------------------------------------------------------------


def _app(url: str, instance: str):
    from bench.informieren import _app as app

    return app(url, instance)


def prepare(url: str, instance: str, letter_persons: int) -> None:
    import sqlalchemy as sa

    from bench.informieren import prepare as migrate_and_create
    from core.db import db
    from core.people import Person
    from core.tenancy import Tenant
    from plugins.informieren.models import Newcomer

    migrate_and_create(url, instance)
    app = _app(url, instance)
    with app.app_context():
        tenant_id = db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == SLUG))
        kind = Newcomer.__mapper_args__["polymorphic_identity"]
        for start in range(0, letter_persons, 10_000):  # the waiting persons of the letters case, in bulk
            people = [{"tenant_id": tenant_id, "id": _uuid(n), "kind": kind, "official_name": f"Wartend{n}",
                       "first_name": "Ana", "municipality_bfs": COMMUNES[n % 3], "languages": ["pt"],
                       "nationalities": [], "search_name": f"wartend{n} ana",
                       # a complete address: the batch holds back letters it could not deliver
                       "street": "Bielstrasse", "house_number": str(1 + n % 90), "postal_code": "2540",
                       "town": "Grenchen"}
                      for n in range(start, min(start + 10_000, letter_persons))]
            db.session.execute(sa.insert(Person.__table__), people)
            db.session.execute(sa.insert(Newcomer.__table__), [
                {"tenant_id": tenant_id, "id": row["id"], "arrival_date": date(2017, 3, 1)} for row in people])
        db.session.commit()
        db.engine.dispose()


def _uuid(number: int):
    import uuid

    return uuid.UUID(int=number + 1)


def _uuid_of(text: str):
    import uuid

    return uuid.UUID(text)


# -- the phases (each in a child process) -----------------------------------------------------------------------


def _phase(case: str, phase: str, url: str, instance: str, folder: str, results) -> None:
    try:
        started = time.perf_counter()
        outcome = PHASES[(case, phase)](case, url, instance, Path(folder))
        results.put({"case": case, "phase": phase, "peak_mb": _peak_mb(), "outcome": outcome,
                     "seconds": round(time.perf_counter() - started, 1)})
    except Exception as error:  # reported, not raised: the benchmark goes on
        results.put({"case": case, "phase": phase, "peak_mb": _peak_mb(), "error": f"{type(error).__name__}: {error}"})


def _tenant():
    from core.tenancy import get_tenant

    return get_tenant(SLUG)


@contextlib.contextmanager
def _web(url: str, instance: str):
    """A logged-in client; jobs are only recorded (the worker's phase runs them)."""
    from core import jobs
    from tests.conftest import login_as

    jobs._dispatch = lambda *args: None
    app = _app(url, instance)
    with app.app_context():
        client = app.test_client()
        login_as(client, (_tenant(), "integration_officer"))
        yield client


def _csrf(text: str) -> str:
    from tests.informieren.import_helpers import csrf

    return csrf(text)


def web_upload(case: str, url: str, instance: str, folder: Path) -> str:
    path = next(p for p in folder.iterdir() if p.stem == case)
    with _web(url, instance) as client, path.open("rb") as upload:
        page = client.get(f"/{SLUG}/informieren/importe")
        response = client.post(f"/{SLUG}/informieren/importe", data={
            "csrf_token": _csrf(page.text), "files": [(upload, path.name)]}, content_type="multipart/form-data")
        if response.status_code != 302:
            return f"upload {response.status_code}"
        if "/importe/csv/" not in response.headers["Location"]:
            return "upload 302, job queued"
        mapping = client.get(response.headers["Location"])
        if mapping.status_code != 200:
            reason = mapping.text.split('class="error">')[1].split("<")[0] if 'class="error">' in mapping.text else ""
            return f"mapping page {mapping.status_code} {reason}".strip()
        return _confirm_mapping(client, response.headers["Location"], mapping.text)


def _confirm_mapping(client, url: str, page: str) -> str:
    from plugins.informieren.imports import csv_files

    fields = {key: "" if column is None else str(column) for key, column in csv_files.propose(CSV_HEADER).items()}
    confirmed = client.post(url, data={"csrf_token": _csrf(page), **fields, "since": ""})
    return f"mapping page 200, confirmed {confirmed.status_code}, job queued"


def worker_job(case: str, url: str, instance: str, folder: Path) -> str:
    import sqlalchemy as sa

    from core import jobs
    from core.db import db
    from core.tenancy import tenant_scope
    from plugins.informieren.models import ImportRun

    app = _app(url, instance)
    with app.app_context():
        tenant = _tenant()
        with tenant_scope(tenant):
            record = db.session.scalars(sa.select(jobs.JobRecord).where(jobs.JobRecord.state == "queued")
                                        .order_by(jobs.JobRecord.created_at.desc())).first()
        if record is None:
            return "no job (refused on the page)"
        jobs._run(str(record.id), tenant.id)
        with tenant_scope(tenant):
            record = db.session.get(jobs.JobRecord, (tenant.id, record.id), populate_existing=True)
            run = db.session.get(ImportRun, (tenant.id, _uuid_of(record.params["import"])))
            counts = {key: value for key, value in (run.counts or {}).items() if value}
            reason = "; ".join(sorted({item[:70] for item in _refusals(run)}))
        return f"{record.state}: {counts}" + (f" ({reason})" if reason else "")


def _refusals(run) -> list[str]:
    import sqlalchemy as sa

    from core.db import db
    from plugins.informieren.models import ImportItem

    return db.session.scalars(sa.select(ImportItem.reason).where(ImportItem.import_id == run.id,
                                                                 ImportItem.outcome == "refused").limit(5)).all()


class _Spaces(io.RawIOBase):
    """A request body of ``size`` bytes, made as it is read (the client holds none of it).

    Seekable only because Werkzeug's test client measures its input; the request says
    ``Transfer-Encoding: chunked``, so the application sees no length, as behind gunicorn.
    """

    def __init__(self, size: int):
        super().__init__()
        self.size, self.position = size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = offset if whence == io.SEEK_SET else self.size + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.position)
        buffer[:count] = b" " * count
        self.position += count
        return count


def api_post(case: str, url: str, instance: str, folder: Path) -> str:
    from core import api
    from core.db import db

    sizes = json.loads((folder / "sizes.json").read_text())
    with _web(url, instance) as client:
        _row, secret = api.issue_token(_tenant(), "Einwohnerregister", ["informieren:import"], 30)
        db.session.commit()
        response = client.post(f"/api/v1/{SLUG}/informieren/deliveries", input_stream=_Spaces(sizes["api_mb"] * 2**20),
                               headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/xml",
                                        "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
        return f"{response.status_code}"


def letters_job(case: str, url: str, instance: str, folder: Path) -> str:
    import sqlalchemy as sa

    from core import jobs
    from core.db import db
    from core.tenancy import tenant_scope
    from plugins.informieren.letters import batch as letter_batch
    from plugins.informieren.models import WelcomeLetter

    app = _app(url, instance)
    with app.app_context():
        tenant = _tenant()
        record = jobs.enqueue(letter_batch.JOB_KIND, tenant, letter_batch.batch_params(letter_date=date(2024, 3, 14)))
        with tenant_scope(tenant):
            record = db.session.get(jobs.JobRecord, (tenant.id, record.id), populate_existing=True)
            letters = db.session.scalar(sa.select(sa.func.count()).select_from(WelcomeLetter))
            sizes = {f.filename.rsplit(".", 1)[1]: f.size // 2**20 for f in record.files}
        if record.state != "finished" or not letters:  # a batch that made nothing measured nothing
            raise RuntimeError(f"the letters job made no letters ({record.state}: {record.error or ''})")
        return f"{record.state}: {letters} letters, files {sizes} MB"


PHASES = {("zip", "web"): web_upload, ("xml", "web"): web_upload, ("base", "web"): web_upload,
          ("csv", "web"): web_upload, ("csv ok", "web"): web_upload, ("zip", "job"): worker_job,
          ("xml", "job"): worker_job, ("base", "job"): worker_job, ("csv", "job"): worker_job,
          ("csv ok", "job"): worker_job, ("api", "web"): api_post, ("letters", "job"): letters_job}


def run_phase(case: str, phase: str, url: str, instance: str, folder: Path) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_phase, args=(case, phase, url, instance, str(folder), results))
    process.start()
    result = results.get()
    process.join()
    return result


# -- the run -------------------------------------------------------------------------------------------------------


def _line(result: dict) -> str:
    flag = "" if _fits(result) else "  << over the goal" if "error" not in result else "  << failed"
    text = result.get("outcome") or result.get("error", "")
    seconds = f"{result['seconds']:>6.1f} s" if "seconds" in result else " " * 8
    return f"  {result['case']:<8} {result['phase']:<4} {result['peak_mb']:>7.0f} MB {seconds}  {text[:110]}{flag}"


def _fits(result: dict) -> bool:
    return "error" not in result and result["peak_mb"] < GOAL_MB


def run(small: bool) -> list[dict]:
    sizes = SMALL if small else FULL
    results = []
    with tempfile.TemporaryDirectory(prefix="si-bench-upload-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        generate(folder, sizes)
        (folder / "sizes.json").write_text(json.dumps(sizes))
        url = f"sqlite:///{folder / 'bench.db'}"
        prepare(url, str(folder / "instance"), sizes["letter_persons"])
        print(f"  data and database ready in {time.perf_counter() - started:.0f} s "
              f"({', '.join(f'{k} {v:,}' for k, v in sizes.items())})", flush=True)
        for case, phases in CASES:
            for phase in phases:
                result = run_phase(case, phase, url, str(folder / "instance"), folder)
                results.append(result)
                print(_line(result), flush=True)
    return results


def main(args) -> int:
    small = getattr(args, "small", False)
    print(f"Peak memory of uploads, imports and letter batches ({'small' if small else 'full'} sizes; "
          f"goal: under {GOAL_MB} MB per process)", flush=True)
    results = run(small)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"small": small, "goal_mb": GOAL_MB, "results": results}, indent=1))
    failing = [r for r in results if not _fits(r)]
    if getattr(args, "check", False) and failing:
        print(f"{len(failing)} phase(s) over {GOAL_MB} MB or failed", file=sys.stderr)
        return 1
    return 0
