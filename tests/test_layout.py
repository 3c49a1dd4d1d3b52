"""The page layout every tenant page shares: the grouped menu, the tenant switcher, tables that scroll
in their box, the canton's start page and modules still being built (issue 15, "Layout")."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from core import clock, modules, provisioning, reports
from core.console.courses.models import Course
from core.console.feedback import service as feedback
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_tenant


@pytest.fixture
def world(ctx):
    """The canton; Grenchen (Lebern) with Informieren and Fördern; Balsthal (Thal) with Informieren."""
    canton = make_tenant("kanton", kind="canton")
    grenchen = provisioning.create_tenant("grenchen", "Grenchen", "commune", [2546], date(2017, 1, 1))
    balsthal = provisioning.create_tenant("balsthal", "Balsthal", "commune", [2422], date(2017, 1, 1))
    for tenant, module_id in ((grenchen, "informieren"), (grenchen, "foerdern"), (balsthal, "informieren")):
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id, date(2017, 1, 1))
    db.session.commit()
    return canton, grenchen, balsthal


def _menu(html: str) -> str:
    return html[html.index('<details class="menu">'):html.index("</header>")]


def test_the_menu_folds_the_administration_and_the_canton_s_rollout_into_drop_downs(app, world):
    canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"), (grenchen, "tenant_admin"))
    menu = _menu(client.get("/grenchen/mitglieder").text)
    assert '<summary class="current">Verwaltung</summary>' in menu  # the page is one of the administration
    assert re.search(r'<details class="menu-group admin-menu">.*href="/grenchen/mitglieder" aria-current="page"',
                     menu, re.S)
    assert "<summary>Menü</summary>" in menu  # the phone's menu button: details/summary, no script

    canton_client = app.test_client()
    login_as(canton_client, (canton, "canton_admin"))
    menu = _menu(canton_client.get("/kanton/rollout").text)
    group = menu[menu.index('<details class="menu-group">'):]
    group = group[:group.index("</details>")]
    assert re.search(r'<summary class="current">Rollout</summary>', group)
    assert [label for label in re.findall(r'">([^<]+)</a>', group)] == [
        "Rollout-Übersicht", "Modulplan", "Einführungskurse", "Rückmeldungen"]
    assert 'href="/kanton/mandanten"' in menu.split("<details", 2)[1]  # the tenants stay in the menu itself


def test_the_tenant_switcher_lists_only_the_user_s_own_tenants(app, world):
    _canton, grenchen, balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"), (balsthal, "integration_officer"), name="Regula")
    header = client.get("/balsthal/").text.split("</header>")[0]
    switcher = header[header.index('<details class="tenant-switch">'):]
    assert '<a href="/balsthal/" aria-current="true">Balsthal</a>' in switcher
    assert '<a href="/grenchen/">Grenchen</a>' in switcher
    assert "/kanton/" not in switcher

    single = app.test_client()
    login_as(single, (grenchen, "integration_officer"))
    header = single.get("/grenchen/").text.split("</header>")[0]
    assert "tenant-switch" not in header and '<span class="tenant">Grenchen</span>' in header


def test_the_switcher_learns_a_new_membership_at_once(app, world):
    from core import admin

    _canton, grenchen, balsthal = world
    client = app.test_client()
    user = login_as(client, (grenchen, "integration_officer"))
    assert "tenant-switch" not in client.get("/grenchen/").text
    admin.add_member(balsthal, user, "integration_officer")
    db.session.commit()
    assert '<a href="/balsthal/">Balsthal</a>' in client.get("/grenchen/").text


def test_every_table_scrolls_in_a_focusable_region_named_by_its_heading(app, world):
    _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"), (grenchen, "tenant_admin"))
    page = client.get("/grenchen/").text
    assert '<div class="table-scroll" role="region" tabindex="0" aria-label="Module"><table class="modules">' in page
    assert page.count('class="table-scroll"') == page.count("<table")
    members = client.get("/grenchen/mitglieder").text
    assert members.count('<div class="table-scroll"') == members.count("<table") >= 1
    assert 'aria-label=""' not in members


def test_a_table_without_a_heading_before_it_is_named_table(app):
    from flask import render_template_string

    with app.test_request_context("/"):
        app.jinja_env.cache.clear() if app.jinja_env.cache else None
        env = app.jinja_env
        source = env.extensions["core.templating.ScrollingTables"].preprocess("<table><tr><td>1</td></tr></table>",
                                                                            "x.html")
        assert 'aria-label="Tabelle"' in render_template_string(source)
        source = env.extensions["core.templating.ScrollingTables"].preprocess(
            "<h2>Zahlen {{ n }}</h2><table data-no-scroll></table><table></table>", "x.html")
        html = render_template_string(source, n=3)
    assert html.count("table-scroll") == 1 and 'aria-label="Zahlen 3"' in html


def test_the_skip_link_and_the_main_landmark(app, world):
    _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/").text
    assert page.index('<a class="skip-link" href="#inhalt">Zum Inhalt</a>') < page.index("<header")
    assert '<main id="inhalt" tabindex="-1">' in page


def test_the_canton_s_start_page_shows_the_rollout_feedback_courses_and_communes_without_a_tenant(app, world):
    canton, grenchen, _balsthal = world
    start = clock.utcnow() + timedelta(days=10)
    with tenant_scope(canton):
        db.session.add(Course(title="Einführung Olten", place="Olten", capacity=12, published=True,
                              starts_at=start, ends_at=start + timedelta(hours=3), created_by="test"))
        db.session.add(Course(title="Vergangen", place="Olten", capacity=12, published=True,
                              starts_at=start - timedelta(days=30), ends_at=start - timedelta(days=29),
                              created_by="test"))
        db.session.commit()
        feedback_round = feedback.create_round(2026, clock.today() + timedelta(days=20), "")
        db.session.commit()
    with tenant_scope(canton):
        feedback.send_round(feedback_round, {grenchen.id})
        db.session.commit()
    client = app.test_client()
    login_as(client, (canton, "canton_admin"))
    page = client.get("/kanton/").text
    main = page[page.index("<main"):]
    assert "nicht freigegeben" not in main and "<h2>Module</h2>" not in main
    assert "Stand des Rollouts" in main
    assert "2 aktive Mandanten" in main
    assert re.search(r"Informieren</span>\s*<progress max=\"\d+\" value=\"2\">", main)
    assert re.search(r"Fördern</span>\s*<progress max=\"\d+\" value=\"1\">", main)
    assert "Rückmeldung 2026</a>:\n    0 von 1 Mandanten haben geantwortet" in main
    assert "Einführung Olten" in main and "Vergangen" not in main
    uncovered = main[main.index("Gemeinden ohne Mandant nach Bezirk"):]
    thal = uncovered[uncovered.index("<dt>Thal"):]
    assert "Balsthal" not in thal.split("</dd>")[0] and "Mümliswil-Ramiswil" in thal.split("</dd>")[0]
    assert uncovered.index("<dt>Bucheggberg") < uncovered.index("<dt>Lebern") < uncovered.index("<dt>Thal")


def test_a_commune_s_start_page_keeps_its_modules_and_shows_no_canton_panels(app, world):
    _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    main = client.get("/grenchen/").text.split("<main", 1)[1]
    assert "<h2>Module</h2>" in main and "Stand des Rollouts" not in main


@pytest.fixture
def skeleton(monkeypatch):
    """Fördern declared as a module still being built (Manifest.ready=False)."""
    manifests = modules.registry().manifests
    monkeypatch.setitem(manifests, "foerdern", replace(manifests["foerdern"], ready=False))


def test_a_skeleton_module_is_not_shown_as_active(app, world, skeleton):
    _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/").text
    assert 'href="/grenchen/foerdern/"' not in page  # neither in the menu nor linked from the start page
    row = re.search(r"<tr>\s*<td>Fördern</td>\s*<td>(.*?)</td>", page, re.S)
    assert row and "im Aufbau" in row.group(1)
    with tenant_scope(grenchen):
        figures = modules.registry().hook.report_figures(tenant=grenchen, period=reports.Period.parse("2026"))
    assert {"core.active_modules": 1} in figures  # Informieren only


def test_a_ready_module_is_shown_as_active(app, world):
    _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/").text
    assert 'href="/grenchen/foerdern/"' in page
    with tenant_scope(grenchen):
        figures = modules.registry().hook.report_figures(tenant=grenchen, period=reports.Period.parse("2026"))
    assert {"core.active_modules": 2} in figures
