"""Reports as staff read them: the canton's scope by default, a file name per scope, only the tenants that
existed in the period, charts with a sensible axis and whole names, no heading alone at a page's foot."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from core import jobs, modules, provisioning, reports
from core.db import db
from core.tenancy import TenantMunicipality, tenant_scope
from tests.conftest import login_as, make_tenant
from tests.informieren.register_support import add_person
from tests.test_reports import result_of

LONG = "Regionale Umsetzung Buchegg / Lüterkofen-Ichertswil"


@pytest.fixture
def world(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    canton = make_tenant("kanton", kind="canton")
    pilot = provisioning.create_tenant("grenchen", "Grenchen", "commune", [2546], valid_from=date(2017, 1, 1))
    region = provisioning.create_tenant("buchegg", LONG, "region", [2465, 2455], valid_from=date(2017, 1, 1))
    late = provisioning.create_tenant("bettlach", "Bettlach", "commune", [2543], valid_from=date(2026, 1, 1))
    for tenant in (pilot, region, late):
        modules.entitle(tenant, "informieren")
        modules.activate(tenant, "informieren", date(2017, 1, 1) if tenant is not late else date(2026, 1, 1))
    db.session.commit()
    return canton, pilot, region, late


def canton_rows(canton, period: str) -> list[str]:
    record = jobs.enqueue("report", canton, {"period": period, "format": "xlsx", "scope": "canton"})
    sheet = load_workbook(io.BytesIO(result_of(record, canton))).active
    rows = list(sheet.iter_rows(values_only=True))
    start = rows.index(next(row for row in rows if row[0] == "Mandant")) + 1
    end = next(i for i in range(start, len(rows)) if not rows[i][0])
    return [row[0] for row in rows[start:end]]


def test_a_tenant_appears_only_in_the_periods_it_existed(world):
    canton = world[0]
    assert canton_rows(canton, "2017") == ["Grenchen", LONG]
    assert canton_rows(canton, "2026") == ["Bettlach", "Grenchen", LONG]
    assert canton_rows(canton, "2025-12-01..2026-01-01") == ["Bettlach", "Grenchen", LONG]  # from its first day


def test_a_tenant_without_communes_exists_from_its_creation(world):
    canton = world[0]
    empty = make_tenant("leer", communes=[2611], name="Aaa Leer")
    with tenant_scope(empty):  # a tenant whose communes all went elsewhere before it ever served
        db.session.execute(sa.delete(TenantMunicipality))
    db.session.commit()
    assert "Aaa Leer" not in canton_rows(canton, "2017")
    assert canton_rows(canton, "2026")[0] == "Aaa Leer"


def test_the_communes_of_a_row_are_those_served_in_the_period(world):
    canton, _pilot, region, _late = world
    provisioning.apply_plan(provisioning.plan_communes(region, [2465], date(2017, 7, 1)))  # one leaves mid-year
    db.session.commit()
    record = jobs.enqueue("report", canton, {"period": "2017", "format": "csv", "scope": "canton"})
    text = result_of(record, canton).decode("utf-8-sig")
    assert f"{LONG};Buchegg, Lüterkofen-Ichertswil;" in text
    later = jobs.enqueue("report", canton, {"period": "2018", "format": "csv", "scope": "canton"})
    assert f"{LONG};Buchegg;" in result_of(later, canton).decode("utf-8-sig")


def test_each_scope_has_its_own_file_name(world):
    canton, pilot = world[0], world[1]
    names = {}
    for tenant, scope in ((canton, "canton"), (canton, "tenant"), (pilot, "tenant")):
        record = jobs.enqueue("report", tenant, {"period": "2017", "format": "pdf", "scope": scope})
        with tenant_scope(tenant):
            names[(tenant.slug, scope)] = db.session.get(jobs.JobRecord, (tenant.id, record.id)).files[0].filename
    assert names == {("kanton", "canton"): "bericht-alle-mandanten-2017.pdf",
                     ("kanton", "tenant"): "bericht-kanton-2017.pdf",
                     ("grenchen", "tenant"): "bericht-grenchen-2017.pdf"}


def checked(page: str, name: str) -> list[str]:
    return re.findall(rf'<input checked id="[^"]+" name="{name}" type="radio" value="(\w+)">', page)


def test_the_canton_reports_on_all_tenants_unless_told_otherwise(client, world):
    canton, pilot = world[0], world[1]
    login_as(client, (canton, "canton_admin"))
    page = client.get("/kanton/berichte").text
    assert checked(page, "report-scope") == ["canton"] and checked(page, "schedule-scope") == ["canton"]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    wrong = client.post("/kanton/berichte", data={"csrf_token": token, "report-period": "bald",
                                                  "report-format": "pdf", "report-scope": "tenant"})
    assert wrong.status_code == 200 and "kein Zeitraum" in wrong.text
    assert checked(wrong.text, "report-scope") == ["tenant"]  # the choice sent is kept
    login_as(client, (pilot, "tenant_admin"))
    assert "report-scope" not in client.get("/grenchen/berichte").text  # a commune reports on itself only


# -- charts and pages ------------------------------------------------------------------------------------


def test_an_all_zero_chart_runs_from_0_to_1_and_small_counts_in_whole_steps():
    zero = reports.Chart("Briefe", ["A", "B"], {"Briefe": [0, 0]})
    assert reports.value_axis(zero) == (1, 1)
    assert reports.value_axis(reports.Chart("x", ["A"], {"x": [3]})) == (None, 1)
    assert reports.value_axis(reports.Chart("x", ["A"], {"x": [120]})) == (None, None)
    assert reports.value_axis(reports.Chart("x", [], {})) == (1, 1)


def test_long_names_are_wrapped_or_shortened_with_the_full_name_in_the_legend():
    labels, legend = reports.chart_labels(["Grenchen", "Regionale Umsetzung Buchegg", LONG + " und Umgebung Süd"])
    assert labels[0] == "Grenchen" and labels[1] == "Regionale Umsetzung Buchegg"
    assert labels[2].count("\n") == 1 and labels[2].endswith("… (1)")
    assert legend == [f"(1) {LONG} und Umgebung Süd"]
    assert all(len(line) <= reports.LABEL_WIDTH for label in labels for line in label.split("\n"))


def test_the_canton_pdf_shows_whole_names_and_a_zero_axis(world):
    canton = world[0]
    record = jobs.enqueue("report", canton, {"period": "2017", "format": "pdf", "scope": "canton"})
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(result_of(record, canton))).pages)
    assert "Regionale Umsetzung Buchegg /" in text and "Lüterkofen-Ichertswil" in text
    assert "Regionale Umse…" not in text


def test_no_heading_stays_alone_at_the_foot_of_a_page(ctx):
    # Tables of many sizes: without keep-with-next some of their titles would end a page.
    tables = [reports.Table(f"Tabelle {n}", ["Spalte"], [[f"Zeile {n}.{i}"] for i in range(1 + (n * 7) % 13)])
              for n in range(1, 40)]
    report = reports.Report("Bericht", "Zeitraum 2017", [reports.Section("Abschnitt", tables)])
    pdf = PdfReader(io.BytesIO(reports.render_pdf(report)))
    assert len(pdf.pages) > 3
    for page in pdf.pages:
        lines = [line for line in page.extract_text().splitlines() if line.strip()]
        assert not re.fullmatch(r"Tabelle \d+|Abschnitt", lines[-1]), lines[-3:]


def test_several_series_get_a_key_and_months_stand_upright(ctx):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart

    chart = reports.Chart("Bedürfnisse", ["Sprache", "Arbeit"], {"offen": [3, 1], "gedeckt": [1, 0]})
    drawing, lines = reports._pdf_chart(chart)
    assert isinstance(drawing.contents[0], VerticalBarChart)
    assert "offen" in lines[0] and "gedeckt" in lines[0] and "#d40f14" in lines[0]
    drawing, lines = reports._pdf_chart(reports.Chart("x", ["Regionale Umsetzung Buchegg"], {"x": [1]}))
    assert isinstance(drawing.contents[0], HorizontalBarChart) and lines == []


def test_the_canton_charts_show_figures_someone_has_first(world):
    pilot = world[1]
    add_person(pilot, municipality_bfs=2546, arrival_date=date(2017, 3, 1))
    report = reports.canton_report(reports.Period.parse("2017"), lambda *args: None)
    titles = [chart.title for chart in report.sections[0].charts]
    assert titles[:2] == ["Aktive Module", "Neuzuzügerinnen und Neuzuzüger"]  # before figures of zeros only
