"""``flask subventionen …``: the canton's finance staff script their year (the credit, the claims)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from core.cli import DATE, echo_table, operator_command
from core.money import format_chf, parse_chf
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import claims, credit

group = AppGroup("subventionen", help="Integrationskredit und Abrechnungen (Subventionen).")


@group.command("credit")
@click.argument("year", type=int)
@click.argument("amount")
@click.option("--from", "claims_from", type=DATE, help="Beginn der Abrechnungsperiode (Standard: 1.1. des Jahres)")
@click.option("--until", "claims_until", type=DATE, help="Ende der Abrechnungsperiode (Standard: 31.12.)")
@click.option("--deadline", type=DATE, help="Frist der Abrechnungen (Standard: 31.3. des Folgejahres)")
@operator_command
def credit_command(year, amount, claims_from, claims_until, deadline):
    """Set the credit of YEAR to AMOUNT francs (900000 or 900'000.00); audited."""
    rappen = parse_chf(amount)
    canton = canton_tenant()
    with tenant_scope(canton):
        found = credit.set_credit(year, rappen, claims_from, claims_until, deadline)
        click.echo(f"{year}: {format_chf(found.amount)}, {found.claims_from.isoformat()}.."
                   f"{found.claims_until.isoformat()}, Frist {found.deadline.isoformat()}")


@group.command("claims")
@click.option("--year", type=int, required=True)
@click.option("--json", "as_json", is_flag=True, help="JSON: tenant, number, state, amount in Rappen, lines")
@operator_command
def claims_command(year, as_json):
    """Every tenant's claims of YEAR (read in the audited canton scope)."""
    credit.check_year(year)
    rows = claims.listing(year)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    echo_table(("Mandant", "Nummer", "Stand", "Betrag", "Positionen"),
               [[row["tenant"], row["number"] or "–", row["state"], format_chf(row["total"]), str(len(row["lines"]))]
                for row in rows])
