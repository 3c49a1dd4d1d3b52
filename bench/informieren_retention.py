"""Retention: the first run of ``informieren.retention`` in a tenant with five years of newcomers.

Set-up, per database: the schema from the Alembic migrations, the canton and Grenchen with
Informieren active; 30,000 newcomers who arrived from 2017 to 2021 with names, ids and address,
10,000 of them with an interview that has notes, a place and a hand-over. Measured: the periodic
job through ``core.jobs.run_periodic`` on 15 June 2027 with the default period of five years, so
that the arrivals before 15 June 2022 (all of them) are anonymised: every interview is changed
through the ORM and audited, the persons in bulk, one ``PersonChange`` each. Then the second run
of the next day, which finds nobody. Cases: SQLite in a temporary file; PostgreSQL in a scratch
database next to the server of ``BENCH_DATABASE_URL`` / ``DATABASE_URL`` (as the other benchmarks).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import sqlalchemy as sa

from bench.tenancy import _environment, _quiet, sqlite_then_postgres

PERSONS = 30_000
INTERVIEWS = 10_000
TODAY = date(2027, 6, 15)


def _seed(tenant, persons: int, interviews: int) -> None:
    from core.db import db
    from core.tenancy import tenant_scope
    from plugins.informieren.models import Interview, Newcomer

    with tenant_scope(tenant):
        for number in range(persons):
            person = Newcomer(official_name=f"Muster{number}", first_name="Ana", date_of_birth="1990-04",
                            nationalities=["PT"], languages=["pt"], municipality_bfs=2546,
                            arrival_date=date(2017, 1, 1) + timedelta(days=number % 1826),
                            street="Bielstrasse", house_number=str(number % 90), postal_code="2540",
                            town="Grenchen", local_person_id=f"SO:{number}", household_key=f"H{number}")
            db.session.add(person)
            if number < interviews:
                db.session.flush()
                db.session.add(Interview(person_id=person.id, invitation="appointment", invited_on=date(2017, 6, 1),
                                         place="Stadthaus", outcome="held", held_on=date(2017, 6, 2),
                                         notes="Sucht einen Deutschkurs.", handed_over={"needs": ["Deutsch"]},
                                         created_by="bench"))
            if number % 1000 == 999:
                db.session.flush()
    db.session.commit()


def run_case(label: str, url: str, instance_path: str, persons: int, interviews: int) -> dict:
    from flask_migrate import upgrade

    from core import clock, create_app, jobs, modules, provisioning
    from core.db import db
    from core.tenancy import tenant_scope
    from plugins.informieren.models import Newcomer

    with _environment(INSTANCE_PATH=instance_path, DATABASE_URL=url, REDIS_URL=None, TENANT_HOSTS=None):
        app = create_app(config={"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context(), _quiet():
        upgrade(revision="heads")
    original_today = clock.today
    try:
        with app.app_context():
            provisioning.load_municipalities()
            provisioning.create_tenant("kanton", "Kanton Solothurn", "canton", [])
            tenant = provisioning.create_tenant("grenchen", "Einwohnergemeinde Grenchen", "commune", [2546])
            modules.entitle(tenant, "informieren")
            modules.activate(tenant, "informieren", date(2017, 1, 1))
            db.session.commit()
            _seed(tenant, persons, interviews)

            clock.today = lambda: TODAY
            started = time.perf_counter()
            first = jobs.run_periodic("informieren.retention")["grenchen"]
            seconds = time.perf_counter() - started
            clock.today = lambda: TODAY + timedelta(days=1)
            started = time.perf_counter()
            second = jobs.run_periodic("informieren.retention")["grenchen"]
            second_seconds = time.perf_counter() - started
            with tenant_scope(tenant):
                left = db.session.scalar(sa.select(sa.func.count()).select_from(Newcomer)
                                         .where(Newcomer.anonymised_on.is_(None)))
            db.session.remove()
    finally:
        clock.today = original_today
    if first["persons"] != persons or second["persons"] != 0 or left != 0:
        raise RuntimeError(f"retention did not anonymise everybody once: {first}, {second}, {left} left")
    return {"case": label, "persons": persons, "interviews": interviews, "seconds": round(seconds, 2),
            "persons_per_second": round(persons / seconds), "second_run_seconds": round(second_seconds, 3)}


def table(results: list[dict]) -> str:
    head = f"{'case':<11}{'persons':>9}{'interviews':>11}{'total s':>9}{'persons/s':>11}{'2nd run s':>11}"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r['case']:<11}{r['persons']:>9}{r['interviews']:>11}{r['seconds']:>9.2f}"
                     f"{r['persons_per_second']:>11}{r['second_run_seconds']:>11.3f}")
    return "\n".join(lines)


def main(args=None) -> None:
    print(f"Retention: the first run anonymises {PERSONS:,} newcomers ({INTERVIEWS:,} with interviews)", flush=True)
    results = sqlite_then_postgres("retention", lambda label, url, instance: run_case(
        label, url, instance, PERSONS, INTERVIEWS))
    print(table(results))
