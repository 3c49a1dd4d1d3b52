"""Welcome letters: 1,000 newcomers in 700 households rendered through the real batch job.

Set-up, per database: the schema from the Alembic migrations, the canton and one commune tenant
(Grenchen) with Informieren active (its install hook seeds the four shipped templates) and an
Arabic template added; 1,000 persons in 700 households (400 alone, 300 of two), with names in
Latin, Cyrillic, Greek, Arabic and Ethiopic script and languages drawn from de, fr, it, en, pt,
es, tr, ar, ti, uk and sq (so some fall back to German).  Measured: ``core.jobs.enqueue`` of the
``informieren.letters`` job in-process — selecting the persons, grouping households, composing,
rendering 700 single PDFs and the combined PDF, the ZIP, writing 1,000 ``WelcomeLetter`` rows, the
stage of each person and the result files, committed together — then the second run, which finds
nobody waiting.  Cases: SQLite in a temporary file; PostgreSQL in a scratch database next to
the server of ``BENCH_DATABASE_URL`` / ``DATABASE_URL``, or the local default (as the other benchmarks).
"""

from __future__ import annotations

import io
import random
import time
import zipfile
from datetime import date

import sqlalchemy as sa

from bench.tenancy import _environment, _quiet, sqlite_then_postgres

PERSONS = 1000
HOUSEHOLDS = 700
SEED = 20170314
LANGUAGES = ("de", "fr", "it", "en", "pt", "es", "tr", "ar", "ti", "uk", "sq")
NAMES = {
    "latin": (["Ana", "Luís", "Marie", "Giulia", "Emre", "Arben", "John", "Sofía", "Zeynep", "Dragan"],
              ["Silva", "Dubois", "Rossi", "Yılmaz", "Krasniqi", "Smith", "García", "Petrović", "Müller"]),
    "cyrillic": (["Олена", "Андрій", "Ірина"], ["Шевченко", "Коваленко", "Бондаренко"]),
    "greek": (["Γιώργος", "Μαρία"], ["Παπαδόπουλος", "Νικολάου"]),
    "arabic": (["محمد", "فاطمة", "أحمد"], ["العلي", "حسن", "الخطيب"]),
    "ethiopic": (["ሰላም", "ዮናስ", "ሄለን"], ["ተስፋይ", "ገብረ", "ኪዳነ"]),
}


def _persons(rng: random.Random, persons: int, households: int) -> list[dict]:
    pairs = persons - households  # households of two; the rest live alone
    rows = []
    for number in range(households):
        script = rng.choices(list(NAMES), weights=(70, 10, 5, 8, 7))[0]
        firsts, families = NAMES[script]
        family = rng.choice(families)
        language = rng.choice(LANGUAGES)
        for member in range(2 if number < pairs else 1):
            rows.append({
                "first_name": rng.choice(firsts), "official_name": family, "languages": [language],
                "date_of_birth": f"{1960 + rng.randrange(40)}", "household_key": f"H{number}" if number < pairs
                else None, "arrival_date": date(2017, 1 + rng.randrange(3), 1 + rng.randrange(28)),
                "street": "Bielstrasse", "house_number": str(1 + number % 90), "postal_code": "2540",
                "town": "Grenchen", "member": member,
            })
    return rows


def run_case(label: str, url: str, instance_path: str, persons: int, households: int) -> dict:
    from flask_migrate import upgrade

    from core import create_app, jobs, modules, provisioning
    from core.db import db
    from core.tenancy import tenant_scope
    from plugins.informieren.letters import batch as letter_batch
    from plugins.informieren.letters import templates as letter_templates
    from plugins.informieren.models import LetterTemplate, Newcomer, WelcomeLetter

    with _environment(INSTANCE_PATH=instance_path, DATABASE_URL=url, REDIS_URL=None, TENANT_HOSTS=None):
        app = create_app(config={"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context(), _quiet():
        upgrade(revision="heads")
    with app.app_context():
        provisioning.load_municipalities()
        provisioning.create_tenant("kanton", "Kanton Solothurn", "canton", [])
        tenant = provisioning.create_tenant("grenchen", "Einwohnergemeinde Grenchen", "commune", [2546])
        modules.entitle(tenant, "informieren")
        modules.activate(tenant, "informieren")
        provisioning.set_setting(tenant, letter_templates.CONTACT_SETTING,
                                 "Fachstelle Integration, Marktplatz 1, 2540 Grenchen\nTel. 032 655 66 77")
        rng = random.Random(SEED)
        with tenant_scope(tenant):
            body = "مرحبا {household_names}\n\nنحن سعداء بوجودكم في {commune}.\n\n{contact}"
            db.session.add(LetterTemplate(language="ar", subject="مرحبا بكم في {commune}", body=body))
            for row in _persons(rng, persons, households):
                row.pop("member")
                db.session.add(Newcomer(municipality_bfs=2546, nationalities=[], **row))
        db.session.commit()

        started = time.perf_counter()
        record = jobs.enqueue(letter_batch.JOB_KIND, tenant, letter_batch.batch_params(letter_date=date(2017, 3, 14)))
        seconds = time.perf_counter() - started
        with tenant_scope(tenant):
            record = db.session.get(jobs.JobRecord, (tenant.id, record.id), populate_existing=True)
            if record.state != "finished":
                raise RuntimeError(f"the letters job failed: {record.error}")
            files = {f.filename: f.read_all(tenant) for f in db.session.scalars(
                sa.select(jobs.JobFile).where(jobs.JobFile.job_id == record.id))}
            marked = db.session.scalar(sa.select(sa.func.count()).select_from(WelcomeLetter))
        started = time.perf_counter()
        jobs.enqueue(letter_batch.JOB_KIND, tenant, letter_batch.batch_params(letter_date=date(2017, 3, 15)))
        second = time.perf_counter() - started
        db.session.remove()
    combined = next(content for name, content in files.items() if name.endswith(".pdf"))
    archive = next(content for name, content in files.items() if name.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        singles = [info.file_size for info in opened.infolist()]
    return {
        "case": label, "persons": persons, "households": len(singles), "marked": marked,
        "seconds": round(seconds, 2), "ms_per_letter": round(1000 * seconds / len(singles), 1),
        "ms_per_person": round(1000 * seconds / persons, 1), "combined_pdf_kb": round(len(combined) / 1024),
        "zip_kb": round(len(archive) / 1024), "single_pdf_kb": round(sum(singles) / len(singles) / 1024, 1),
        "second_run_seconds": round(second, 3),
    }


def table(results: list[dict]) -> str:
    head = (f"{'case':<11}{'persons':>8}{'letters':>8}{'total s':>9}{'ms/letter':>10}{'ms/person':>10}"
            f"{'combined':>10}{'zip':>9}{'single':>9}{'2nd run s':>10}")
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r['case']:<11}{r['persons']:>8}{r['households']:>8}{r['seconds']:>9.2f}"
                     f"{r['ms_per_letter']:>10.1f}{r['ms_per_person']:>10.1f}{r['combined_pdf_kb']:>7} KB"
                     f"{r['zip_kb']:>6} KB{r['single_pdf_kb']:>6} KB{r['second_run_seconds']:>10.3f}")
    return "\n".join(lines)


def main(args=None) -> None:
    persons = getattr(args, "letter_persons", None) or PERSONS
    households = getattr(args, "letter_households", None) or HOUSEHOLDS
    print(f"Welcome letters: {persons} persons in {households} households through the informieren.letters job",
          flush=True)
    results = sqlite_then_postgres("letters", lambda label, url, instance: run_case(
        label, url, instance, persons, households))
    print(table(results))
