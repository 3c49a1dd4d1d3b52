"""Issue 11: a retried import (its first attempt ended after some chunks) counts as one clean run would.

The first attempt commits two chunks and dies at the third, as a killed worker's would (the job is
failed, and retried); the retry reads every file again. Its counts, items and changes must be those
of the same import run once, cleanly, in another tenant: not the killed attempt's added to the retry's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from core import jobs
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.imports import pipeline as import_pipeline
from plugins.informieren.imports import runs as import_runs
from plugins.informieren.models import PersonChange
from tests.informieren import ech_messages as ech
from tests.informieren.import_helpers import fresh_run, items, persons

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world

BALSTHAL = (2422, "Balsthal", "SO")


def delivery(commune: tuple[int, str, str]) -> list[tuple[str, bytes]]:
    """Arrivals in one message spanning chunks, a correction, a rejected, a review, a Swiss move, a copy."""

    def person(n: int, **changes) -> ech.PersonSpec:
        return replace(ech.PersonSpec(local_id=str(2000 + n), vn=ech.vn_with_check_digit(2000 + n),
                                      official_name=f"Costa{n}", first_name="Rui", municipality=commune,
                                      town=commune[1], postal_code="4710", arrival_date="2024-03-01"), **changes)

    single = ech.move_in(person(10), message_id="m10")
    return [
        ("10.xml", single),
        ("base.xml", ech.base_delivery([person(n) for n in range(1, 9)])),  # the kill falls within it
        ("name.xml", ech.correct_name(person(2), official_name="Costa-Lima", first_name="Rui")),
        ("elsewhere.xml", ech.move_in(person(11, municipality=ech.SOLOTHURN), message_id="m11")),
        ("unknown.xml", ech.move_in(person(12, origin=("unknown",)), message_id="m12")),
        ("swiss.xml", ech.move_in(person(13, origin=("swiss", ech.SOLOTHURN)), message_id="m13")),
        ("10-again.xml", single),
    ]


def import_as_job(tenant, files):
    with tenant_scope(tenant):
        batch = import_runs.store(tenant, files)
    db.session.commit()
    run, record = import_runs.request_import(tenant, batch, filename="batch", since=date(2017, 1, 1))
    with tenant_scope(tenant):  # the job ran in-process and expired them: reloading needs the tenant's scope
        return run.id, record.id


def changes_of(tenant, run) -> list[tuple[str, list[str]]]:
    with tenant_scope(tenant):
        return sorted((c.kind, c.fields) for c in db.session.scalars(
            sa.select(PersonChange).where(PersonChange.import_id == run.id)))


def test_a_retried_run_counts_as_one_clean_run(world, monkeypatch):
    grenchen, balsthal = world
    monkeypatch.setattr(import_pipeline, "CHUNK_SIZE", 3)
    clean_run_id, _clean_job_id = import_as_job(balsthal, delivery(BALSTHAL))
    clean = fresh_run(balsthal, clean_run_id)
    clean_counts = dict(clean.counts)  # read now: later commits expire it, and only the tenant's scope reloads it

    original, flushes = import_pipeline.Importer.flush, []

    def dies_at_the_third_chunk(self):
        flushes.append(1)
        if len(flushes) == 3:
            raise RuntimeError("the worker was killed")
        original(self)

    monkeypatch.setattr(import_pipeline.Importer, "flush", dies_at_the_third_chunk)
    run_id, record_id = import_as_job(grenchen, delivery(ech.GRENCHEN))
    with tenant_scope(grenchen):
        record = db.session.get(jobs.JobRecord, (grenchen.id, record_id), populate_existing=True)
    killed = fresh_run(grenchen, run_id)
    assert record.state == jobs.JobState.FAILED and killed.counts["created"] == 6  # two chunks stayed
    assert killed.finished_at is None

    monkeypatch.setattr(import_pipeline.Importer, "flush", original)
    jobs.retry(record, grenchen)
    retried = fresh_run(grenchen, run_id)
    assert retried.finished_at is not None
    assert retried.counts == clean_counts
    assert sorted((i.outcome, i.filename) for i in items(grenchen, retried)) == \
        sorted((i.outcome, i.filename) for i in items(balsthal, clean))
    assert changes_of(grenchen, retried) == changes_of(balsthal, clean)  # no person's history doubled
    assert len(persons(grenchen)) == len(persons(balsthal)) == 9
    assert (clean_counts["created"], clean_counts["updated"], clean_counts["rejected"], clean_counts["review"],
            clean_counts["skipped_swiss"]) == (9, 1, 1, 1, 1)
    # the copy of a message later in the run is already imported, even with a chunk committed in between
    assert clean_counts["already_imported"] == 1


def test_a_run_that_lost_a_race_counts_its_last_attempt_only(world, monkeypatch):
    """The in-process path runs again on a unique-key race: the same counting holds there."""
    grenchen, balsthal = world
    monkeypatch.setattr(import_pipeline, "CHUNK_SIZE", 3)
    clean, _ = import_runs.run_now(balsthal, delivery(BALSTHAL), source="ech0020", filename="x",
                                   since=date(2017, 1, 1))
    original, flushes = import_pipeline.Importer.flush, []

    def loses_once(self):
        flushes.append(1)
        if len(flushes) == 3:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("another import took this message"))
        original(self)

    monkeypatch.setattr(import_pipeline.Importer, "flush", loses_once)
    run, _importer = import_runs.run_now(grenchen, delivery(ech.GRENCHEN), source="ech0020", filename="x",
                                         since=date(2017, 1, 1))
    with tenant_scope(grenchen):
        run_id = run.id
    with tenant_scope(balsthal):
        clean_id = clean.id
    assert len(flushes) > 3 and fresh_run(grenchen, run_id).counts == fresh_run(balsthal, clean_id).counts


def test_a_new_run_starts_at_zero(world):
    tenant, _balsthal = world
    first, _ = import_runs.run_now(tenant, delivery(ech.GRENCHEN), source="ech0020", filename="x",
                                   since=date(2017, 1, 1))
    second, _ = import_runs.run_now(tenant, delivery(ech.GRENCHEN), source="ech0020", filename="x",
                                    since=date(2017, 1, 1))
    counts = fresh_run(tenant, second.id).counts
    assert counts["already_imported"] == 7 and counts["created"] == 0
    assert fresh_run(tenant, first.id).counts["created"] == 9
