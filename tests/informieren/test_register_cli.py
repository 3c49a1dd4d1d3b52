"""``flask informieren newcomers TENANT [--json]``."""

from __future__ import annotations

import json
from datetime import date

from tests.informieren.register_support import active_tenant, add_person


def test_newcomers_as_json(runner, ctx):
    grenchen = active_tenant("grenchen", [2546])
    balsthal = active_tenant("balsthal", [2422])
    ana = add_person(grenchen, official_name="Silva", date_of_birth="1985", nationalities=["PT", "BR"],
                     languages=["pt"], permit_category="B", arrival_date=date(2017, 3, 1))
    add_person(grenchen, official_name="Tesfay", first_name="Yonas", arrival_date=date(2017, 5, 1), source="ech0020",
               stage="letter_sent")
    add_person(balsthal, official_name="Fremd", municipality_bfs=2422)
    result = runner.invoke(args=["informieren", "newcomers", "grenchen", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["official_name"] for row in rows] == ["Tesfay", "Silva"]
    assert rows[1] == {
        "id": str(ana.id), "official_name": "Silva", "first_name": "Ana", "date_of_birth": "1985",
        "nationalities": ["PT", "BR"], "languages": ["pt"], "arrival_date": "2017-03-01", "municipality_bfs": 2546,
        "permit_category": "B", "stage": "new", "source": "manual",
    }
    assert rows[0]["source"] == "ech0020" and rows[0]["stage"] == "letter_sent"


def test_newcomers_as_a_table(runner, ctx):
    grenchen = active_tenant("grenchen", [2546])
    add_person(grenchen, official_name="Silva", nationalities=["PT", "BR"])
    result = runner.invoke(args=["informieren", "newcomers", "grenchen"])
    assert result.exit_code == 0
    header, row, summary = result.output.strip().splitlines()
    assert header.split() == ["id", "official_name", "first_name", "date_of_birth", "nationalities", "languages",
                              "arrival_date", "municipality_bfs", "permit_category", "stage", "source"]
    assert "Silva" in row and "PT,BR" in row and "2017-03-01" in row and "2546" in row
    assert summary == "1 Personen in Grenchen."


def test_an_empty_tenant_lists_nothing(runner, ctx):
    active_tenant("grenchen", [2546])
    assert json.loads(runner.invoke(args=["informieren", "newcomers", "grenchen", "--json"]).output) == []


def test_an_unknown_tenant_is_a_clear_error(runner, ctx):
    result = runner.invoke(args=["informieren", "newcomers", "nirgendwo", "--json"])
    assert result.exit_code == 1
    assert "Unbekannter Mandant: nirgendwo" in result.output
