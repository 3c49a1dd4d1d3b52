"""The canton's rollout dashboard: the matrix, the timeline, key figures, XLSX, CLI; and every console route
walked as the canton's administrator and as commune users of every role."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core import clock, module_matrix, modules, provisioning
from core.access import COMMUNE_ROLES
from core.audit import AuditEvent
from core.console.courses.models import Course
from core.console.feedback.models import FeedbackRequest, FeedbackRound
from core.console.rollout import timeline as rollout
from core.db import db
from core.errors import UserError
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_tenant


@pytest.fixture
def world(ctx):
    """The canton, Grenchen (Lebern), the Buchegg region (two communes, Bucheggberg), Balsthal (Thal)."""
    canton = make_tenant("kanton", kind="canton")
    start = date(2017, 1, 1)
    grenchen = provisioning.create_tenant("grenchen", "Grenchen", "commune", [2546], start)
    region = provisioning.create_tenant("buchegg-lueterkofen", "Buchegg/Lüterkofen", "region", [2465, 2455], start)
    balsthal = provisioning.create_tenant("balsthal", "Balsthal", "commune", [2422], date(2018, 1, 1))
    for tenant, module_id, day in ((grenchen, "informieren", date(2017, 4, 1)),
                                   (region, "informieren", date(2017, 6, 1)),
                                   (region, "foerdern", date(2017, 10, 1))):
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id, day)
    modules.entitle(balsthal, "informieren")
    db.session.commit()
    return canton, grenchen, region, balsthal


def test_the_matrix_has_every_tenant_its_communes_and_module_states(world):
    matrix = module_matrix.build_matrix(clock.today())
    rows = {row.tenant.slug: row for row in matrix.rows}
    assert set(rows) == {"grenchen", "buchegg-lueterkofen", "balsthal"}  # not the canton
    assert [m.bfs_number for m in rows["buchegg-lueterkofen"].communes] == [2465, 2455]
    informieren = rows["grenchen"].states["informieren"]
    assert (informieren.state, informieren.effective_from) == ("active", date(2017, 4, 1))
    assert rows["balsthal"].states["informieren"].state == "entitled"
    assert "fordern" not in rows["grenchen"].states
    uncovered = {m.bfs_number for m in matrix.uncovered}
    assert 2401 in uncovered and not uncovered & {2546, 2465, 2455, 2422}
    assert 2456 not in uncovered  # merged into Buchegg in 2024: no longer a commune
    assert len(uncovered) == len([m for m in _communes_today()]) - 4


def _communes_today():
    from core.tenancy import Municipality

    return [m for m in db.session.scalars(sa.select(Municipality)) if m.valid_on(clock.today())]


def test_the_matrix_by_district(world):
    matrix = module_matrix.build_matrix(clock.today(), "Thal")
    assert [row.tenant.slug for row in matrix.rows] == ["balsthal"]
    # Thal: eight communes since Gänsbrunnen and Welschenrohr merged (2021); Balsthal has its tenant.
    assert {m.district for m in matrix.uncovered} == {"Thal"} and len(matrix.uncovered) == 7
    with pytest.raises(UserError, match="Unbekannter Bezirk «Atlantis»"):
        module_matrix.build_matrix(clock.today(), "Atlantis")


def test_an_archived_tenants_communes_count_as_uncovered(world):
    provisioning.archive_tenant(world[3])
    db.session.commit()
    matrix = module_matrix.build_matrix(clock.today())
    assert "balsthal" not in {row.tenant.slug for row in matrix.rows}
    assert 2422 in {m.bfs_number for m in matrix.uncovered}


def test_the_timeline_counts_communes_through_their_links_of_the_day(world):
    timeline = rollout.build_timeline(date(2018, 2, 15))
    month = {day: i for i, day in enumerate(timeline.months)}
    assert timeline.months[0] == date(2017, 1, 1) and timeline.months[-1] == date(2018, 2, 1)
    informieren = timeline.counts["informieren"]
    assert informieren[month[date(2017, 3, 1)]] == 0
    assert informieren[month[date(2017, 4, 1)]] == 1  # Grenchen
    assert informieren[month[date(2017, 6, 1)]] == 3  # and both communes of the region
    assert timeline.counts["foerdern"][month[date(2017, 10, 1)]] == 2
    assert timeline.counts["fordern"] == [0] * len(timeline.months)
    assert timeline.served[month[date(2017, 12, 1)]] == 3
    assert timeline.served[month[date(2018, 1, 1)]] == 4  # Balsthal from 2018
    by_district = rollout.build_timeline(date(2018, 2, 15), "Bucheggberg")
    assert by_district.counts["informieren"][-1] == 2 and by_district.served[-1] == 2


def test_the_timeline_remembers_a_module_switched_off_and_on_again(world, monkeypatch):
    _canton, grenchen, _region, _balsthal = world
    monkeypatch.setattr(clock, "today", lambda: date(2017, 9, 15))
    modules.suspend(grenchen, "informieren")  # off from 15 September 2017
    monkeypatch.setattr(clock, "today", lambda: date(2018, 1, 10))
    modules.activate(grenchen, "informieren", date(2018, 2, 1))  # on again from February 2018
    db.session.commit()
    timeline = rollout.build_timeline(date(2018, 3, 1))
    month = {day: i for i, day in enumerate(timeline.months)}
    grenchen_counted = [timeline.counts["informieren"][month[day]] - (2 if day >= date(2017, 6, 1) else 0)
                        for day in timeline.months]  # less the region's two communes
    assert [day for day, n in zip(timeline.months, grenchen_counted, strict=True) if n] == [
        date(2017, 4, 1), date(2017, 5, 1), date(2017, 6, 1), date(2017, 7, 1), date(2017, 8, 1), date(2017, 9, 1),
        date(2018, 2, 1), date(2018, 3, 1)]


def test_the_chart_fits_its_box():
    timeline = rollout.Timeline([date(2017, 1, 1), date(2017, 2, 1)], [], {}, [0, 7])
    geometry = rollout.chart(timeline)
    assert geometry["y_ticks"][-1][1] == 10 and geometry["served"]["points"] == "48.0,260.0 744.0,89.2"
    assert rollout.chart(rollout.Timeline([], [], {}, []))["served"]["last"] == 0


def test_the_dashboard_page(client, world):
    canton = world[0]
    login_as(client, (canton, "canton_office"))
    page = client.get("/kanton/rollout")
    assert page.status_code == 200
    text = page.text
    assert "Buchegg/Lüterkofen" in text and "Lüterkofen-Ichertswil (2455)" in text and "aktiv seit" in text
    assert "<svg" in text and "<polyline" in text and 'role="img"' in text and "<desc" in text
    assert "Verlauf als Tabelle" in text and "04.2017" in text
    assert "Gemeinden ohne Mandant" in text and "Egerkingen (2401, Gäu)" in text
    assert "Aktive Module" in text  # core's key figure, through report_figures
    assert 'href="/kanton/rollout"' in text  # the menu
    thal = client.get("/kanton/rollout?bezirk=Thal").text
    assert "Balsthal" in thal and "Grenchen" not in thal.split("Module je Mandant")[1].split("Gemeinden ohne")[0]
    bad = client.get("/kanton/rollout?bezirk=Atlantis&jahr=abc")
    assert bad.status_code == 200 and "Unbekannter Bezirk" in bad.text and "kein Jahr" in bad.text
    with tenant_scope(canton):
        reasons = [e.detail.get("reason") for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "canton_scope.enter"))]
    assert "rollout dashboard" in reasons and "rollout timeline" in reasons


def test_the_dashboard_as_xlsx(client, world):
    login_as(client, (world[0], "canton_admin"))
    response = client.get("/kanton/rollout.xlsx?bezirk=Bucheggberg")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "rollout-" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Module je Mandant", "Verlauf", "Kennzahlen"]
    values = [row for row in workbook["Module je Mandant"].iter_rows(values_only=True)]
    region = next(row for row in values if row[0] == "Buchegg/Lüterkofen")
    assert region[1] == "Region" and "2455 Lüterkofen-Ichertswil" in region[2] and region[3] == "aktiv"
    assert not any(row[0] == "Grenchen" for row in values)
    history = list(workbook["Verlauf"].iter_rows(values_only=True))
    assert any(row[0] is not None and str(row[0]).startswith("2017-06-01") and row[1] == 2 for row in history)


def test_flask_rollout_status(runner, world):
    result = runner.invoke(args=["rollout", "status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    grenchen = next(t for t in data["tenants"] if t["slug"] == "grenchen")
    assert grenchen["kind"] == "commune" and grenchen["communes"] == [
        {"bfs": 2546, "name": "Grenchen", "district": "Lebern"}]
    assert grenchen["modules"]["informieren"] == {"state": "active", "from": "2017-04-01"}
    assert grenchen["modules"]["fordern"] == {"state": None, "from": None}
    assert {"bfs": 2401, "name": "Egerkingen", "district": "Gäu"} in data["uncovered"]
    text = runner.invoke(args=["rollout", "status", "--district", "Bucheggberg"])
    assert text.exit_code == 0
    assert "2465 Buchegg, 2455 Lüterkofen-Ichertswil" in text.output and "active 2017-10-01" in text.output
    assert "grenchen" not in text.output and "Gemeinden ohne Mandant: 5" in text.output
    unknown = runner.invoke(args=["rollout", "status", "--district", "Atlantis"])
    assert unknown.exit_code == 1 and "Unbekannter Bezirk" in unknown.output


def test_the_canton_tenant_list_uses_the_same_matrix(client, world):
    login_as(client, (world[0], "canton_admin"))
    page = client.get("/kanton/mandanten")
    assert page.status_code == 200
    assert "/kanton/mandanten/kanton\">Kanton</a>" in page.text and "Lüterkofen-Ichertswil" in page.text
    assert 'href="/kanton/rollout"' in page.text


# -- every console route, both ways ---------------------------------------------------------------


CANTON_PAGES = [
    ("GET", "/kanton/rollout"), ("GET", "/kanton/rollout.xlsx"),
    ("GET", "/kanton/kurse/verwalten"), ("GET", "/kanton/kurse/neu"),
    ("GET", "/kanton/kurse/{course}"), ("GET", "/kanton/kurse/{course}/bearbeiten"),
    ("POST", "/kanton/kurse/{course}/anwesenheit"),
    ("GET", "/kanton/rueckmeldungen"), ("GET", "/kanton/rueckmeldungen/2017"),
    ("GET", "/kanton/rueckmeldungen/2017.xlsx"), ("POST", "/kanton/rueckmeldungen/2017/senden"),
    ("POST", "/kanton/rueckmeldungen/2017/frist"),
]
COMMUNE_PAGES = [
    ("GET", "/{tenant}/kurse"), ("POST", "/{tenant}/kurse/{course}/anmelden"),
    ("POST", "/{tenant}/kurse/{course}/abmelden"),
    ("GET", "/{tenant}/rueckmeldung"), ("GET", "/{tenant}/rueckmeldung/2017"),
]


def test_every_console_route_is_walked_here(app):
    walked = {re.sub(r"^/[^/]+", "", path) for _method, path in CANTON_PAGES + COMMUNE_PAGES}
    # Provisioning's: test_console.
    mine = ("core.console.rollout.views", "core.console.courses.views", "core.console.feedback.views")
    rules = {
        rule.rule.removeprefix("/<tenant>").replace("<uuid:course_id>", "{course}").replace("<int:year>", "2017")
        for rule in app.url_map.iter_rules()
        if app.view_functions[rule.endpoint].__module__ in mine
    }
    assert rules == walked


@pytest.fixture
def console_world(world):
    canton, grenchen = world[0], world[1]
    with tenant_scope(canton):
        start = clock.utcnow() + timedelta(days=10)
        course = Course(title="Einführung", place="Solothurn", capacity=5, created_by="test", published=True,
                        starts_at=start, ends_at=start + timedelta(hours=3))
        db.session.add(course)
        db.session.add(FeedbackRound(year=2017, deadline=clock.today() + timedelta(days=30), created_by="test"))
    with tenant_scope(grenchen):
        db.session.add(FeedbackRequest(year=2017, deadline=clock.today() + timedelta(days=30)))
    db.session.commit()
    return canton, grenchen, course


def _call(client, method, path, csrf):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf, "deadline": "2030-01-01", "tenants": []})


def test_canton_screens_open_for_the_canton_and_answer_404_to_every_commune_role(app, client, console_world):
    canton, grenchen, course = console_world
    login_as(client, (canton, "canton_admin"))
    csrf = _csrf(client, "/kanton/kurse/neu")
    for method, path in CANTON_PAGES:
        response = _call(client, method, path.format(course=course.id), csrf)
        assert response.status_code in (200, 302, 400), f"{method} {path}: {response.status_code}"
        assert response.status_code != 400 or "error" in response.text  # a form error, shown
    for role in COMMUNE_ROLES:
        commune = app.test_client()
        login_as(commune, (grenchen, role))
        token = _csrf(commune, "/grenchen/")
        for method, path in CANTON_PAGES:
            in_canton = path.format(course=course.id)
            for url in (in_canton, in_canton.replace("/kanton/", "/grenchen/", 1)):
                status = _call(commune, method, url, token).status_code
                assert status == 404, f"{role}: {method} {url} -> {status}"


def test_commune_screens_open_for_commune_staff_and_answer_404_in_the_canton(app, client, console_world):
    canton, grenchen, course = console_world
    login_as(client, (grenchen, "tenant_admin"))
    csrf = _csrf(client, "/grenchen/")
    for method, path in COMMUNE_PAGES:
        response = _call(client, method, path.format(tenant="grenchen", course=course.id), csrf)
        assert response.status_code in (200, 302), f"{method} {path}: {response.status_code}"
    admin = app.test_client()
    login_as(admin, (canton, "canton_admin"), (canton, "canton_office"))
    token = _csrf(admin, "/kanton/")
    for method, path in COMMUNE_PAGES:
        url = path.format(tenant="kanton", course=course.id)
        assert _call(admin, method, url, token).status_code == 404, url
    for method, path in COMMUNE_PAGES:  # and in a tenant the user is no member of
        url = path.format(tenant="balsthal", course=course.id)
        assert _call(client, method, url, csrf).status_code == 404, url
    assert client.post(f"/grenchen/kurse/{uuid.uuid4()}/anmelden",
                       data={"csrf_token": csrf}).status_code == 404


def _csrf(client, path):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).text).group(1)
