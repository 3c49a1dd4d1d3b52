"""The web shell: tenant resolution per request, module gate, canton page, health, errors."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

from core import clock, create_app, modules, provisioning
from core.db import db
from tests.conftest import login_as, make_app, make_tenant


@pytest.fixture
def tenants(ctx):
    canton = make_tenant("kanton", kind="canton")
    grenchen = make_tenant("grenchen", communes=[2546])
    balsthal = make_tenant("balsthal", communes=[2422])
    for module_id in ("informieren", "fordern"):
        modules.entitle(grenchen, module_id)
        modules.activate(grenchen, module_id)
    modules.entitle(balsthal, "informieren")
    db.session.commit()
    return canton, grenchen, balsthal


def test_tenant_home_shows_its_communes_and_module_states(client, tenants):
    login_as(client, (tenants[1], "integration_officer"))
    page = client.get("/grenchen/")
    assert page.status_code == 200
    assert "Grenchen (2546)" in page.text
    assert "aktiv seit" in page.text and "nicht freigegeben" in page.text
    assert 'href="/grenchen/informieren/"' in page.text  # menu of active modules


def test_module_pages_answer_404_where_the_module_is_not_active(client, tenants):
    canton, grenchen, balsthal = tenants
    login_as(client, (grenchen, "integration_officer"), (balsthal, "integration_officer"), (canton, "canton_admin"))
    assert client.get("/grenchen/informieren/").status_code == 200
    assert client.get("/balsthal/informieren/").status_code == 404  # entitled only
    assert client.get("/balsthal/fordern/").status_code == 404  # not even entitled
    assert client.get("/kanton/informieren/").status_code == 404
    assert 'href="/balsthal/informieren/"' not in client.get("/balsthal/").text


def test_unknown_and_archived_tenants_answer_404(client, tenants):
    login_as(client, (tenants[2], "integration_officer"))
    assert client.get("/nowhere/").status_code == 404
    provisioning.archive_tenant(tenants[2])
    db.session.commit()
    assert client.get("/balsthal/").status_code == 404
    assert "Seite nicht gefunden" in client.get("/balsthal/").text


def test_suspended_module_answers_404_and_returns(client, tenants):
    grenchen = tenants[1]
    login_as(client, (grenchen, "integration_officer"))
    modules.suspend(grenchen, "fordern")
    db.session.commit()
    assert client.get("/grenchen/fordern/").status_code == 404
    modules.activate(grenchen, "fordern")
    db.session.commit()
    assert client.get("/grenchen/fordern/").status_code == 200


def test_a_scheduled_module_opens_on_its_date_without_anyone_clicking(client, tenants, monkeypatch):
    balsthal = tenants[2]
    login_as(client, (balsthal, "residents_services"))
    start = date(2027, 3, 1)
    monkeypatch.setattr(clock, "today", lambda: start - timedelta(days=1))
    modules.activate(balsthal, "informieren", start)
    db.session.commit()
    assert client.get("/balsthal/informieren/").status_code == 404
    monkeypatch.setattr(clock, "today", lambda: start)
    assert client.get("/balsthal/informieren/").status_code == 200
    db.session.expire_all()
    row = modules.activations(balsthal)["informieren"]
    assert (row.state, row.changed_by) == ("active", "system:schedule")


def test_only_the_canton_sees_the_tenant_list(client, tenants):
    canton, grenchen, _balsthal = tenants
    login_as(client, (canton, "canton_office"), (grenchen, "tenant_admin"))
    page = client.get("/kanton/mandanten")
    assert page.status_code == 200
    assert "Grenchen" in page.text and "Balsthal" in page.text and "freigegeben" in page.text
    assert client.get("/grenchen/mandanten").status_code == 404
    assert 'href="/kanton/mandanten"' not in client.get("/grenchen/").text


def test_health_reports_the_database_and_redis(client):
    body = client.get("/healthz").get_json()
    assert body["checks"]["database"] == "ok"
    if os.environ.get("REDIS_URL"):
        assert body["checks"]["redis"] == "ok"
    assert body["status"] == "ok"


def test_health_fails_when_redis_is_unreachable(app, database_url):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("error")


def test_language_choice_is_kept_and_redirects_stay_on_site(client, tenants):
    login_as(client, (tenants[1], "read_only"))
    response = client.get("/language/fr?next=/grenchen/")
    assert response.status_code == 302 and response.headers["Location"] == "/grenchen/"
    assert 'lang="fr"' in client.get("/grenchen/").text
    assert client.get("/language/it?next=//evil.example/").headers["Location"] == "/"
    assert client.get("/language/xx?next=/").status_code == 302
    assert 'lang="it"' in client.get("/").text


def test_a_tenant_on_its_own_host_name(app, database_url, tenants):
    hosts = {"integration.grenchen.ch": "grenchen"}
    hosted = make_app(SQLALCHEMY_DATABASE_URI=database_url, TENANT_HOSTS=hosts)
    client = hosted.test_client()
    with hosted.app_context():
        login_as(client, (tenants[1], "integration_officer"), base_url="https://integration.grenchen.ch")
    page = client.get("/", base_url="https://integration.grenchen.ch")
    assert page.status_code == 200 and "Grenchen (2546)" in page.text
    assert client.get("/informieren/", base_url="https://integration.grenchen.ch").status_code == 200
    assert client.get("/grenchen/informieren/", base_url="https://integration.grenchen.ch").status_code == 200
