"""Figures: report sections, the canton report's key figures, activity counts; periods, tenants, inactive module."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from core import activity, modules, reports
from core.db import db
from core.reports import Period
from core.tenancy import tenant_scope
from plugins.informieren import figures
from plugins.informieren.figures import INTERVIEWS_HELD, LETTERS_SENT
from plugins.informieren.models import Interview, WelcomeLetter
from tests.conftest import make_tenant
from tests.informieren.test_interviews import make_person, setup_world

# The period of these tests: February and March 2017.
PERIOD = Period.parse("2017-02-01..2017-03-31")


@pytest.fixture
def world(ctx, monkeypatch):
    return setup_world(monkeypatch)


def letter(tenant, person, sent_on):
    with tenant_scope(tenant):
        db.session.add(WelcomeLetter(person_id=person.id, household_key=str(person.id), language="de",
                                     state="sent" if sent_on else "generated", sent_on=sent_on))
    db.session.commit()


def interview(tenant, person, outcome, held_on):
    with tenant_scope(tenant):
        db.session.add(Interview(person_id=person.id, invitation="letter", invited_on=date(2017, 1, 1),
                                 outcome=outcome, held_on=held_on, created_by="test"))
    db.session.commit()


@pytest.fixture
def data(world):
    """Grenchen's newcomers around the period's edges, and one in Balsthal that must not count."""
    a, b, off = world
    before = make_person(a, arrival=date(2017, 1, 31), nationalities=["DE"], languages=["de"], permit_category="B")
    first = make_person(a, arrival=date(2017, 2, 1), nationalities=["ER"], languages=["ti", "ar"],
                        permit_category="F")
    last = make_person(a, arrival=date(2017, 3, 31), nationalities=["PT", "BR"], languages=["pt"],
                       permit_category="B")
    middle = make_person(a, arrival=date(2017, 3, 10), nationalities=["BFS-8999"], languages=[], permit_category=None)
    after = make_person(a, arrival=date(2017, 4, 1), nationalities=["IT"], languages=["it"], permit_category="C")
    letter(a, before, date(2017, 2, 1))  # sent in the period, for an arrival before it
    letter(a, first, date(2017, 2, 10))  # 9 days after the arrival
    letter(a, last, date(2017, 4, 1))  # sent after the period (1 day)
    letter(a, middle, None)  # generated, not sent
    interview(a, first, "held", date(2017, 2, 5))  # 4 days: earlier than the letter
    interview(a, first, "held", date(2017, 3, 31))
    interview(a, middle, "declined", date(2017, 3, 1))
    interview(a, last, "no_show", date(2017, 4, 3))
    interview(a, before, "no_show", date(2017, 1, 31))
    interview(a, after, "held", date(2017, 4, 2))
    interview(a, middle, "cancelled", date(2017, 2, 1))
    interview(a, middle, None, None)  # open
    other = make_person(b, arrival=date(2017, 2, 15), nationalities=["ER"], languages=["ti"], permit_category="F")
    letter(b, other, date(2017, 2, 20))
    interview(b, other, "held", date(2017, 2, 28))
    gone = make_person(off, arrival=date(2017, 2, 15))
    letter(off, gone, date(2017, 2, 20))
    return a, b, off


def _sections(tenant, period=PERIOD):
    with tenant_scope(tenant):
        hooks = modules.tenant_hooks(tenant, period.end)
        return {section.title: section
                for group in hooks.report_sections(tenant=tenant, period=period) for section in group}


def _table(section, title_start):
    return next(table for table in section.tables if table.title.startswith(title_start))


def test_activity_counts_count_letters_by_sent_on_and_interviews_by_held_on_per_commune(data):
    a, b, _off = data
    letters, held = LETTERS_SENT.key, INTERVIEWS_HELD.key
    assert activity.counts(a, PERIOD) == {letters: {2546: 2}, held: {2546: 2}}
    assert activity.totals(a, Period.parse("2017-04")) == {letters: 1, held: 1}
    assert activity.totals(a, Period.parse("2017-01")) == {letters: 0, held: 0}
    assert activity.counts(b, PERIOD) == {letters: {2422: 1}, held: {2422: 1}}
    assert activity.label(letters) == "Begrüssungsschreiben versandt"


def test_a_suspended_modules_past_activity_still_counts_and_reports(data, monkeypatch):
    """Switched off in June 2017: the figures of February and March stay; a later period has none."""
    a, _b, _off = data
    modules.suspend(a, "informieren")
    db.session.commit()
    letters = LETTERS_SENT.key
    assert activity.totals(a, PERIOD)[letters] == 2
    assert activity.totals(a, Period.parse("2017-07-01..2017-12-31")) == {}
    titles = [section.title for section in reports.tenant_report(a, PERIOD, lambda *args: None).sections]
    assert "Informieren: Begrüssung und Erstinformation" in titles
    report = reports.canton_report(PERIOD, lambda *args: None)
    table = report.sections[0].tables[0]
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert rows["Grenchen"]["Begrüssungsschreiben versandt"] == 2
    monkeypatch.setattr(modules.clock, "today", lambda: date(2018, 3, 1))
    later = reports.canton_report(Period.parse("2018"), lambda *args: None).sections[0].tables[0]
    assert "Begrüssungsschreiben versandt" not in later.columns or all(
        dict(zip(later.columns, row, strict=True)).get("Begrüssungsschreiben versandt", 0) == 0
        for row in later.rows if row[0] == "Grenchen")


def test_newcomers_by_month_nationality_language_and_permit(data):
    a, _b, _off = data
    section = _sections(a)["Informieren: Neuzuzügerinnen und Neuzuzüger"]
    assert _table(section, "Zuzüge").rows == [["2017-02", 1], ["2017-03", 2], ["Total", 3]]
    nationalities = _table(section, "Nach Staatsangehörigkeit").rows
    assert sorted(nationalities) == sorted([["Eritrea", 1], ["Portugal", 1], ["Brasilien", 1], ["BFS-8999", 1]])
    assert sorted(_table(section, "Nach Sprache").rows) == sorted([["Tigrinya", 1], ["Portugiesisch", 1],
                                                                   ["unbekannt", 1]])
    assert _table(section, "Nach Aufenthaltsbewilligung").rows == [["B", 1], ["F", 1], ["unbekannt", 1]]
    [chart] = section.charts
    assert chart.categories == ["2017-02", "2017-03"] and chart.series == {"Personen": [1, 2]}


def test_letters_interviews_and_the_time_to_first_information(data):
    a, _b, _off = data
    section = _sections(a)["Informieren: Begrüssung und Erstinformation"]
    counts = dict(map(tuple, _table(section, "Begrüssungsschreiben und").rows))
    assert counts == {"Begrüssungsschreiben versandt": 2, "Erstinformationsgespräche geführt": 2,
                      "Erstinformationsgespräche abgelehnt": 1, "Nicht erschienen": 0, "Abgesagt": 1}
    spread = dict(map(tuple, _table(section, "Zeit vom Zuzug").rows))
    # Arrivals of the period: 4 days (interview before letter), 1 day (letter after the period), none yet.
    assert spread["0–14"] == 2 and spread["15–30"] == 0 and spread["> 180"] == 0
    assert spread["noch keine Erstinformation"] == 1
    assert spread["Median (Tage)"] == 2.5
    with tenant_scope(a):
        days, waiting = figures.days_to_first_information(PERIOD)
    assert (sorted(days), waiting) == ([1, 4], 1)


def test_distribution_buckets_have_inclusive_upper_bounds():
    assert figures.distribution([0, 14, 15, 30, 31, 90, 91, 180, 181, 400]) == [
        ("0–14", 2), ("15–30", 2), ("31–60", 1), ("61–90", 1), ("91–180", 2), ("> 180", 2)]


def test_a_period_without_data_gives_empty_tables_not_errors(data):
    a, _b, _off = data
    sections = _sections(a, Period.parse("2017-05-01..2017-12-31"))
    welcome = sections["Informieren: Begrüssung und Erstinformation"]
    assert dict(map(tuple, _table(welcome, "Zeit vom Zuzug").rows))["Median (Tage)"] == "–"
    newcomers = sections["Informieren: Neuzuzügerinnen und Neuzuzüger"]
    assert len(_table(newcomers, "Zuzüge").rows) == 9  # 8 months and the total


def test_an_inactive_module_contributes_nothing(data):
    _a, _b, off = data
    assert not any(title.startswith("Informieren") for title in _sections(off))
    assert activity.counts(off, PERIOD) == {}


def test_the_tenant_report_renders_with_these_sections(data):
    a, _b, _off = data
    report = reports.tenant_report(a, PERIOD, lambda *args: None)
    pdf = PdfReader(io.BytesIO(reports.render(report, "pdf")))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Zuzüge aus dem Ausland nach Monat" in text and "Eritrea" in text
    assert reports.render(report, "xlsx")[:2] == b"PK"
    assert "Begrüssungsschreiben versandt;2" in reports.render(report, "csv").decode("utf-8")


def test_the_canton_report_has_each_tenants_figures(data):
    assert data
    make_tenant("buchegg-lueterkofen", kind="region", communes=[2465, 2455], name="Buchegg/Lüterkofen")
    report = reports.canton_report(PERIOD, lambda *args: None)
    table = report.sections[0].tables[0]
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert rows["Grenchen"]["Neuzuzügerinnen und Neuzuzüger"] == 3
    assert rows["Grenchen"]["Begrüssungsschreiben versandt"] == 2
    assert rows["Grenchen"]["Erstinformationsgespräche geführt"] == 2
    assert rows["Balsthal"]["Neuzuzügerinnen und Neuzuzüger"] == 1
    assert rows["Balsthal"]["Erstinformationsgespräche geführt"] == 1
    # Dornach and the region serve their communes from 15 June 2017 (today here): not yet in the spring.
    assert "Dornach" not in rows and "Buchegg/Lüterkofen" not in rows
    year = reports.canton_report(Period.parse("2017"), lambda *args: None).sections[0].tables[0]
    rows_of_year = {row[0]: dict(zip(year.columns, row, strict=True)) for row in year.rows}
    assert rows_of_year["Dornach"]["Begrüssungsschreiben versandt"] == 0  # module not active: contributes nothing
    assert rows_of_year["Buchegg/Lüterkofen"]["Neuzuzügerinnen und Neuzuzüger"] == 0
    totals = dict(map(tuple, report.sections[0].tables[1].rows))
    assert totals["Begrüssungsschreiben versandt"] == 3
