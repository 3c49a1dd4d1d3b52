"""Issue 11: deliveries posted at the same moment end in 200 ("already imported") or 409, never 500,
and leave no import run unfinished."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.imports import pipeline
from plugins.informieren.models import ImportRun
from tests.conftest import POSTGRES
from tests.informieren import ech_messages as ech
from tests.informieren.import_helpers import persons
from tests.informieren.test_import_access import DELIVERIES, spec, token

pytest_plugins = ["tests.informieren.import_world"]

URL = DELIVERIES.format(slug="grenchen")


def unfinished(tenant) -> list[ImportRun]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(ImportRun).where(ImportRun.finished_at.is_(None))
                                  .execution_options(populate_existing=True)).all()


def test_a_message_taken_meanwhile_by_another_request_is_already_imported(world, client, monkeypatch):
    """The race made certain: the second request looks up the message before the first has committed it."""
    grenchen, _balsthal = world
    headers = token(grenchen)
    message = ech.move_in(spec())
    assert client.post(URL, data=message, headers=headers).status_code == 200
    looked_up = pipeline.Importer._received
    blind = iter([True])
    monkeypatch.setattr(pipeline.Importer, "_received",
                        lambda self, digests: {} if next(blind, False) else looked_up(self, digests))
    again = client.post(URL, data=message, headers=headers)
    assert again.status_code == 200, again.text
    assert again.get_json()["counts"]["already_imported"] == 1 and again.get_json()["counts"]["created"] == 0
    assert len(persons(grenchen)) == 1 and unfinished(grenchen) == []


def test_a_race_lost_every_time_is_a_409_and_the_run_is_closed(world, client, monkeypatch):
    grenchen, _balsthal = world
    headers = token(grenchen)
    message = ech.move_in(spec())
    assert client.post(URL, data=message, headers=headers).status_code == 200
    monkeypatch.setattr(pipeline.Importer, "_received", lambda self, digests: {})
    again = client.post(URL, data=message, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"] == "conflict", again.text
    assert again.get_json()["import_id"] and unfinished(grenchen) == []
    assert len(persons(grenchen)) == 1


def test_an_import_that_fails_leaves_no_unfinished_run(world, client, monkeypatch):
    grenchen, _balsthal = world

    def broken(self, *args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline.Importer, "_write", broken)
    with pytest.raises(RuntimeError):
        client.post(URL, data=ech.move_in(spec()), headers=token(grenchen))
    assert unfinished(grenchen) == [] and persons(grenchen) == []


@pytest.mark.parametrize("overlapping", [False, True])
def test_concurrent_deliveries_answer_200_or_409_and_finish_their_runs(world, app, overlapping):
    grenchen, _balsthal = world
    headers = token(grenchen)
    threads = 6 if POSTGRES else 3
    # the same message six times, or six messages (other ids) of the same two persons
    messages = [ech.base_delivery([spec(1), spec(2)], message_id=f"m{n}" if overlapping else "m")
                for n in range(threads)]
    start = threading.Barrier(threads)

    def post(message):
        client = app.test_client()
        start.wait()
        return client.post(URL, data=message, headers=headers)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        responses = list(pool.map(post, messages))
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses if r.status_code >= 500]
    assert any(r.status_code == 200 for r in responses)
    assert unfinished(grenchen) == []
    assert sorted(p.official_name for p in persons(grenchen)) == ["Silva1", "Silva2"]
