"""Reports: sections from the modules' hooks, the canton report across tenants, XLSX, CSV and PDF."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from core import clock, jobs, modules, reports
from core.audit import AuditEvent
from core.db import db
from core.errors import UserError
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_tenant


@pytest.fixture
def world(app, ctx, monkeypatch):
    """The report jobs run in-process here (their rq path is tested in test_jobs.py)."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    canton = make_tenant("kanton", kind="canton")
    grenchen = make_tenant("grenchen", communes=[2546])
    region = make_tenant("buchegg-lueterkofen", kind="region", communes=[2465, 2455], name="Buchegg/Lüterkofen")
    for tenant in (grenchen, region):
        modules.entitle(tenant, "informieren")
        modules.activate(tenant, "informieren")
    db.session.commit()
    return canton, grenchen, region


YEAR = str(clock.today().year)  # the modules of these tests are switched on today


def result_of(record, tenant) -> bytes:
    with tenant_scope(tenant):
        result = db.session.scalars(sa.select(jobs.JobFile).where(jobs.JobFile.job_id == record.id)).one()
        return result.read_all(tenant)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("2017", "2017-01-01", "2017-12-31"), ("2016-02", "2016-02-01", "2016-02-29"),
     ("2017-03-01..2017-06-30", "2017-03-01", "2017-06-30")],
)
def test_periods(text, start, end):
    period = reports.Period.parse(text)
    assert (period.start.isoformat(), period.end.isoformat(), period.label) == (start, end, text)


@pytest.mark.parametrize("text", ["", "17", "2017-13", "2017-06-30..2017-01-01", "last year"])
def test_bad_periods_are_refused(text):
    with pytest.raises(UserError, match="kein Zeitraum"):
        reports.Period.parse(text)


def test_a_tenant_report_in_every_format(world):
    grenchen = world[1]
    files = {}
    for fmt in ("xlsx", "csv", "pdf"):
        record = jobs.enqueue("report", grenchen, {"period": YEAR, "format": fmt, "scope": "tenant"})
        files[fmt] = result_of(record, grenchen)
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    values = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "Bericht Grenchen" in values and "Informieren" in values and "Grenchen" in values
    text = files["csv"].decode("utf-8")
    assert text.startswith(f"\ufeffBericht Grenchen;Zeitraum {YEAR};") and "Informieren;active;" in text
    pdf = PdfReader(io.BytesIO(files["pdf"]))
    content = " ".join(page.extract_text() for page in pdf.pages)
    assert "Bericht Grenchen" in content and "Informieren" in content and "2546" in content
    assert pdf.metadata.title == "Bericht Grenchen"


def test_the_canton_report_has_a_row_per_tenant_and_is_audited(world):
    canton = world[0]
    record = jobs.enqueue("report", canton, {"period": YEAR, "format": "xlsx", "scope": "canton"})
    sheet = load_workbook(io.BytesIO(result_of(record, canton))).active
    rows = {}
    for row in sheet.iter_rows(values_only=True):
        rows.setdefault(row[0], row)  # the first table: one row per tenant
    assert rows["Grenchen"][1:3] == ("Grenchen", 1)
    assert rows["Buchegg/Lüterkofen"][1] == "Buchegg, Lüterkofen-Ichertswil"
    assert "Kanton Solothurn" not in rows and "Kanton" not in rows
    with tenant_scope(canton):
        reasons = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "canton_scope.enter")
        ).all()
    assert {"reason": f"canton report {YEAR}"} in reasons


def test_a_module_counts_from_its_date_on(world):
    grenchen = world[1]
    modules.entitle(grenchen, "foerdern")
    modules.activate(grenchen, "foerdern")
    with tenant_scope(grenchen):
        modules.activations(grenchen)["foerdern"].effective_from = reports.Period.parse("2018").start
        modules.activations(grenchen)["informieren"].effective_from = reports.Period.parse("2017").start
    db.session.commit()
    for year, expected in (("2017", 1), ("2018", 2)):
        figures = {}
        period = reports.Period.parse(year)
        for group in modules.tenant_hooks(grenchen).report_figures(tenant=grenchen, period=period):
            figures.update(group)
        assert figures["core.active_modules"] == expected


def test_reports_are_requested_in_the_browser(client, world):
    canton, grenchen, _region = world
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/berichte")
    assert page.status_code == 200 and 'name="report-scope"' not in page.text  # a commune reports on itself
    token = re.search(r'name="report-csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    bad = client.post("/grenchen/berichte",
                      data={"report-csrf_token": token, "report-period": "soon", "report-format": "pdf"})
    assert bad.status_code == 200 and "kein Zeitraum" in bad.text
    forged = client.post("/grenchen/berichte", data={"report-csrf_token": token, "report-period": "2017",
                                                     "report-format": "csv", "report-scope": "canton"})
    assert forged.status_code == 302
    with tenant_scope(grenchen):
        record = db.session.scalars(sa.select(jobs.JobRecord)).one()
    assert record.params == {"period": "2017", "format": "csv", "scope": "tenant"}
    office = client.application.test_client()
    login_as(office, (canton, "canton_office"))
    assert 'name="report-scope"' in office.get("/kanton/berichte").text
    clerk = client.application.test_client()
    login_as(clerk, (grenchen, "residents_services"))
    assert clerk.get("/grenchen/berichte").status_code == 403


def test_reports_cli_writes_the_file(runner, world, tmp_path):
    out = tmp_path / "kanton.pdf"
    result = runner.invoke(args=["reports", "run", "canton", "--period", "2017", "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    no_wait = runner.invoke(args=["reports", "run", "grenchen", "--period", "2017-03", "--no-wait"])
    assert no_wait.exit_code == 0 and re.fullmatch(r"[0-9a-f-]{36}\n", no_wait.output)
    bad = runner.invoke(args=["reports", "run", "grenchen", "--period", "soon", "--out", str(out)])
    assert bad.exit_code == 1 and "kein Zeitraum" in bad.output
    missing = runner.invoke(args=["reports", "run", "grenchen", "--period", "2017"])
    assert missing.exit_code == 1 and "--out" in missing.output


def test_scheduled_reports_arrive_once_per_period(client, world, monkeypatch):
    grenchen = world[1]
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/berichte")
    token = re.search(r'name="schedule-csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    added = client.post("/grenchen/berichte/plaene", data={"schedule-csrf_token": token,
                                                          "schedule-frequency": "monthly", "schedule-format": "pdf"})
    assert added.status_code == 302
    assert "Monatlich" in client.get("/grenchen/berichte").text
    monkeypatch.setattr(clock, "today", lambda: reports.Period.parse("2018-02").start)
    first = jobs.run_periodic("reports.scheduled")
    assert first["grenchen"] == ["2018-01"] and first["kanton"] == []
    assert jobs.run_periodic("reports.scheduled")["grenchen"] == []  # once per period
    with tenant_scope(grenchen):
        record = db.session.scalars(sa.select(jobs.JobRecord)).one()
    assert record.params == {"period": "2018-01", "format": "pdf", "scope": "tenant"}
    assert record.requested_by == "system:reports.scheduled" and record.state == "finished"
    assert reports.last_complete_period("yearly", reports.Period.parse("2018-02").start) == "2017"
