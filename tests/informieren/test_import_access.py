"""Imports through the API, the pages, the CLI and a real rq worker; roles and tenants."""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from core import api, jobs, modules, provisioning
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.imports import api as imports_api
from plugins.informieren.imports import runs as import_runs
from plugins.informieren.imports.runs import Upload
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.informieren import ech_messages as ech
from tests.informieren.import_helpers import csrf, fresh_run, items, persons, runs, zip_of

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world

REDIS_URL = os.environ.get("REDIS_URL")
DELIVERIES = "/api/v1/{slug}/informieren/deliveries"


def spec(n: int = 1, **changes) -> ech.PersonSpec:
    return replace(ech.PersonSpec(local_id=str(1000 + n), vn=ech.vn_with_check_digit(1000 + n),
                                  official_name=f"Silva{n}", municipality=ech.GRENCHEN, arrival_date="2024-03-01"),
                   **changes)


def token(tenant, scopes=("informieren:import",)) -> dict:
    _row, text = api.issue_token(tenant, "Einwohnerregister", list(scopes), 30)
    db.session.commit()
    return {"Authorization": f"Bearer {text}", "Content-Type": "application/xml"}


# -- API ------------------------------------------------------------------------------------------------------


def test_a_posted_delivery_is_imported_and_summarised(world, client):
    grenchen, _balsthal = world
    headers = token(grenchen)
    response = client.post(DELIVERIES.format(slug="grenchen"), data=ech.move_in(spec()), headers=headers)
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["status"] == "finished" and body["counts"]["created"] == 1 and body["items"] == []
    [person] = persons(grenchen)
    assert person.source == "api"
    again = client.post(DELIVERIES.format(slug="grenchen"), data=ech.move_in(spec()), headers=headers).get_json()
    assert again["counts"]["already_imported"] == 1 and len(persons(grenchen)) == 1
    unknown = client.post(DELIVERIES.format(slug="grenchen"), data=ech.move_in(spec(2, origin=("unknown",)),
                                                                               message_id="u"), headers=headers)
    assert unknown.status_code == 200 and unknown.get_json()["items"][0]["outcome"] == "review"


@pytest.mark.parametrize(("data", "code"), [
    (b"<?xml version='1.0'?><delivery xmlns='http://www.ech.ch/xmlns/eCH-0020/2'/>", "namespace"),
    (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "doctype"),
])
def test_a_refused_delivery_answers_422_with_the_reason(world, client, data, code):
    grenchen, _balsthal = world
    response = client.post(DELIVERIES.format(slug="grenchen"), data=data, headers=token(grenchen))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "refused" and body["status"] == "refused" and body["counts"]["refused"] == 1
    assert body["items"][0]["outcome"] == "refused" and body["message"] == body["items"][0]["reason"]
    assert persons(grenchen) == []


def test_api_refusals_by_token_tenant_module_and_content_type(world, client):
    grenchen, balsthal = world
    message = ech.move_in(spec())
    # a token without the scope: 403
    reader = token(grenchen, ["informieren:read"])
    assert client.post(DELIVERIES.format(slug="grenchen"), data=message, headers=reader).status_code == 403
    # another tenant's token: 404
    assert client.post(DELIVERIES.format(slug="balsthal"), data=message, headers=token(grenchen)).status_code == 404
    # a tenant without Informieren: 404
    olten = make_tenant("olten", communes=[2581])
    assert client.post(DELIVERIES.format(slug="olten"), data=message, headers=token(olten)).status_code == 404
    # wrong content type, empty body
    headers = {**token(grenchen), "Content-Type": "application/json"}
    assert client.post(DELIVERIES.format(slug="grenchen"), data=message, headers=headers).status_code == 415
    assert client.post(DELIVERIES.format(slug="grenchen"), data=b"", headers=token(grenchen)).status_code == 400
    assert persons(grenchen) == [] and persons(balsthal) == []


def test_a_large_delivery_runs_as_a_job(world, client, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(imports_api, "SYNC_API_BYTES", 100)
    data = ech.base_delivery([spec(1), spec(2)])
    response = client.post(DELIVERIES.format(slug="grenchen"), data=data, headers=token(grenchen))
    assert response.status_code == 202
    body = response.get_json()
    run = fresh_run(grenchen, uuid.UUID(body["import_id"]))
    assert run.counts["created"] == 2 and str(run.job_id) == body["job_id"] and run.source == "api"
    with tenant_scope(grenchen):
        assert db.session.scalars(sa.select(Upload)).all() == []


def test_a_body_beyond_the_limit_is_refused_in_words_not_with_a_500(world, app, client, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post(DELIVERIES.format(slug="grenchen"), data=b"<x/>" * 500, headers=token(grenchen))
    assert response.status_code == 413 and response.is_json
    user = app.test_client()
    login_as(user, (grenchen, "integration_officer"))
    page = user.get("/grenchen/informieren/importe")
    upload = user.post("/grenchen/informieren/importe", data={
        "csrf_token": csrf(page.text), "files": [(io.BytesIO(b"x" * 2000), "gross.xml")]},
        content_type="multipart/form-data")
    assert upload.status_code == 413 and "nichts davon ist gespeichert" in upload.text


def test_the_endpoint_is_in_the_openapi_document(world, client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/{tenant}/informieren/deliveries"]["post"]
    assert operation["security"] == [{"bearer": ["informieren:import"]}]
    assert "application/xml" in operation["requestBody"]["content"]


# -- pages ------------------------------------------------------------------------------------------------------


def test_upload_of_messages_goes_through_the_job_to_the_result_page(world, app):
    grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/informieren/importe")
    batch = zip_of({"1.xml": ech.move_in(spec(1)), "2.xml": b"kaputt"})
    response = client.post("/grenchen/informieren/importe", data={
        "csrf_token": csrf(page.text), "since": "",
        "files": [(io.BytesIO(batch), "lieferung.zip"), (io.BytesIO(ech.move_in(spec(3), message_id="3")), "3.xml")],
    }, content_type="multipart/form-data")
    [run] = runs(grenchen)
    # The upload lands on the import's result (the job ran at once here; with a worker it shows its progress).
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/importe/{run.id}")
    result = client.get(response.headers["Location"])
    assert 'data-count="created">2<' in result.text and 'data-count="refused">1<' in result.text
    assert "lieferung.zip/2.xml" in result.text
    assert "Neu erfasste Personen" in result.text and "/grenchen/personen/" in result.text
    # The job's page says what it did, in words: counts, the new persons, the refused file and why.
    job_page = client.get(f"/grenchen/auftraege/{run.job_id}")
    assert f"/grenchen/informieren/importe/{run.id}" in job_page.text
    assert 'data-count="created">2<' in job_page.text and "lieferung.zip/2.xml" in job_page.text
    assert "Abgelehnte Dateien" in job_page.text and "/grenchen/personen/" in job_page.text
    assert "<details>" in job_page.text  # the parameters only under "Details für den Support"
    listing = client.get("/grenchen/informieren/importe")
    assert "lieferung.zip, 3.xml" in listing.text
    # nothing chosen, or a bad date: the form says why
    empty = client.post("/grenchen/informieren/importe", data={"csrf_token": csrf(page.text), "since": "31.02.2024"},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "mindestens eine Datei" in empty.text
    assert "«31.02.2024»: Bitte ein Datum angeben (TT.MM.JJJJ)." in empty.text


def test_read_only_users_cannot_import_and_other_tenants_see_nothing(world, app):
    grenchen, balsthal = world
    imported, _importer = import_runs.run_now(grenchen, [("a.xml", ech.move_in(spec()))], source="ech0020",
                                              filename="a.xml", since=date(2017, 1, 1))
    reader = app.test_client()
    login_as(reader, (grenchen, "read_only"))
    assert reader.get("/grenchen/informieren/importe").status_code == 403
    assert reader.get(f"/grenchen/informieren/importe/{imported.id}").status_code == 403
    assert reader.post("/grenchen/informieren/importe", data={}).status_code in (400, 403)
    officer = app.test_client()
    login_as(officer, (balsthal, "integration_officer"))
    assert officer.get(f"/balsthal/informieren/importe/{imported.id}").status_code == 404
    assert officer.get(f"/grenchen/informieren/importe/{imported.id}").status_code == 404  # not a member there
    assert officer.get(f"/balsthal/informieren/importe/csv/{imported.id}").status_code == 404
    # a commune without Informieren: 404 on every import page
    olten = make_tenant("olten", communes=[2581])
    stranger = app.test_client()
    login_as(stranger, (olten, "residents_services"))
    assert stranger.get("/olten/informieren/importe").status_code == 404


# -- CLI ------------------------------------------------------------------------------------------------------------


def test_cli_imports_paths_and_prints_a_summary(world, app, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "1.xml").write_bytes(ech.move_in(spec(1)))
    (tmp_path / "batch.zip").write_bytes(zip_of({"2.xml": ech.move_in(spec(2), message_id="2"),
                                                 "3.xml": ech.move_in(spec(3, origin=("unknown",)), message_id="3")}))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["informieren", "import", "grenchen", str(tmp_path / "in"), str(tmp_path / "batch.zip"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["counts"]["created"] == 2 and summary["counts"]["review"] == 1
    assert summary["items"][0]["person"].startswith("Anna Silva3")
    text = runner.invoke(args=["informieren", "import", "grenchen", str(tmp_path / "in")])
    assert text.exit_code == 0 and "already_imported" in text.output


def test_cli_exit_codes(world, app, tmp_path):
    runner = app.test_cli_runner()
    (tmp_path / "bad.xml").write_bytes(b"<html/>")
    (tmp_path / "good.xml").write_bytes(ech.move_in(spec()))
    refused = runner.invoke(args=["informieren", "import", "grenchen", str(tmp_path / "bad.xml"),
                                  str(tmp_path / "good.xml")])
    assert refused.exit_code == 3 and "refused" in refused.output and "created" in refused.output
    assert len(persons(world[0])) == 1
    make_tenant("olten", communes=[2581])
    inactive = runner.invoke(args=["informieren", "import", "olten", str(tmp_path / "good.xml")])
    assert inactive.exit_code == 1 and "nicht aktiv" in inactive.output
    assert runner.invoke(args=["informieren", "import", "grenchen", str(tmp_path / "nope.xml")]).exit_code == 2
    assert runner.invoke(args=["informieren", "import", "grenchen", str(tmp_path / "good.xml"),
                               "--since", "gestern"]).exit_code == 2
    assert runner.invoke(args=["informieren", "import", "nowhere", str(tmp_path / "good.xml")]).exit_code == 1


# -- a real worker --------------------------------------------------------------------------------------------------


@pytest.fixture
def rq_grenchen(app, database_url):
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    rq_app = make_app(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=REDIS_URL)
    with rq_app.app_context():
        make_tenant("kanton", kind="canton")
        grenchen = provisioning.create_tenant("grenchen", "Grenchen", "commune", [2546], valid_from=date(2017, 1, 1))
        modules.entitle(grenchen, "informieren")
        modules.activate(grenchen, "informieren", date(2017, 1, 1))
        db.session.commit()
        yield grenchen, database_url
        db.session.rollback()
        db.session.remove()
    clear_database(rq_app)


@pytest.mark.skipif(not REDIS_URL, reason="a real rq worker needs REDIS_URL")
def test_the_import_job_runs_on_a_real_worker(rq_grenchen):
    from tests.test_jobs import worker

    grenchen, database_url = rq_grenchen
    messages = {f"{i}.xml": ech.move_in(spec(i), message_id=f"m{i}") for i in range(1, 6)}
    batch = import_runs.store(grenchen, [("batch.zip", zip_of(messages))])
    run, record = import_runs.request_import(grenchen, batch, filename="batch.zip")
    assert record.state == "queued" and jobs.queue("imports").count == 1
    worker(database_url, "--burst")
    db.session.rollback()
    with tenant_scope(grenchen):
        finished = db.session.get(jobs.JobRecord, (grenchen.id, record.id), populate_existing=True)
    assert finished.state == "finished", finished.error
    done = fresh_run(grenchen, run.id)
    assert done.counts["created"] == 5 and done.job_id == record.id and done.finished_at is not None
    assert len(persons(grenchen)) == 5 and items(grenchen) == []
    with tenant_scope(grenchen):
        assert db.session.scalars(sa.select(Upload)).all() == []


def test_cli_imports_the_parsers_fixtures(world, app):
    """The real-world traps of the parser's fixtures, and its hostile files, through the whole import."""
    from core.clock import utcnow
    from tests.conftest import REPO

    region = provisioning.create_tenant("region", "Region", "region", [2601, 2581], valid_from=date(2017, 1, 1))
    modules.entitle(region, "informieren")
    modules.activate(region, "informieren", date(2017, 1, 1))
    db.session.commit()
    data = REPO / "tests" / "data" / "ech"
    result = app.test_cli_runner().invoke(args=["informieren", "import", "region", str(data / "valid"),
                                                str(data / "hostile"), "--json", "--since", "2019-01-01"])
    assert result.exit_code == 3, result.output
    summary = json.loads(result.output)
    counts = summary["counts"]
    refused = [i for i in summary["items"] if i["outcome"] == "refused"]
    assert counts["refused"] == len(refused) == len(list((data / "hostile").iterdir()))
    assert {k: counts[k] for k in ("created", "updated", "unchanged", "skipped_swiss", "review", "rejected")} == {
        "created": 9, "updated": 1, "unchanged": 1, "skipped_swiss": 3, "review": 2, "rejected": 1}
    [rejected] = [i for i in summary["items"] if i["outcome"] == "rejected"]
    assert "Die Gemeinde Grenchen wird" in rejected["reason"]  # Grenchen is another tenant's commune
    created = persons(region)
    assert any(c.startswith("BFS-") for p in created for c in p.nationalities)  # a country without ISO code
    assert any(p.vn is None for p in created) and any(len(p.date_of_birth or "") == 4 for p in created)
    households = [p.household_key for p in created if p.household_key and p.household_key.startswith("hh:")]
    assert any(households.count(key) == 3 for key in households)
    assert all(p.created_at <= utcnow() for p in created)
