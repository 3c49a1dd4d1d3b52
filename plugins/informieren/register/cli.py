"""``flask informieren newcomers TENANT [--json]``: the tenant's newcomers, as a table or as JSON."""

from __future__ import annotations

import json

import click

from core.cli import echo_table, operator_command
from core.db import db
from core.tenancy import get_tenant, tenant_scope
from plugins.informieren.cli import group
from plugins.informieren.register import query

COLUMNS = ("id", "official_name", "first_name", "date_of_birth", "nationalities", "languages", "arrival_date",
           "municipality_bfs", "permit_category", "stage", "source")


def _row(person) -> dict:
    return {
        "id": str(person.id), "official_name": person.official_name, "first_name": person.first_name,
        "date_of_birth": person.date_of_birth, "nationalities": person.nationalities,
        "languages": person.languages, "arrival_date": person.arrival_date.isoformat(),
        "municipality_bfs": person.municipality_bfs, "permit_category": person.permit_category,
        "stage": person.stage, "source": person.source,
    }


def _cell(value) -> str:
    if isinstance(value, list):
        return ",".join(value) or "-"
    return "-" if value in (None, "") else str(value)


@group.command("newcomers")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Als JSON-Liste ausgeben.")
@operator_command
def newcomers(slug, as_json):
    """Die Neuzuzügerinnen und Neuzuzüger eines Mandanten auflisten (neuster Zuzug zuerst)."""
    tenant = get_tenant(slug)  # an unknown tenant: a clear message and exit code 1
    with tenant_scope(tenant):
        rows = [_row(person) for person in
                db.session.scalars(query.select_persons(query.Filters()))]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    echo_table(COLUMNS, [[_cell(row[name]) for name in COLUMNS] for row in rows])
    click.echo(f"{len(rows)} Personen in {tenant.name}.")
