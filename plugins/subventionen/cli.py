"""``flask subventionen …``: the canton's finance staff script their year.

``credit YEAR AMOUNT`` the year's credit; ``claims --year YEAR [--json]`` every tenant's claims;
``ledger --year YEAR [--json]`` the year's bookings and sums; ``payments --year YEAR --out FILE.xml`` a
payment run of the approved, unpaid claims and its pain.001.  Every command is audited in the canton's tenant.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core import audit, clock
from core.cli import DATE, echo_table, operator_command
from core.db import db
from core.errors import UserError
from core.money import format_chf, parse_chf
from core.tenancy import Tenant, canton_tenant, tenant_scope
from plugins.subventionen import claims, credit, ledger, payment_files, payment_runs

group = AppGroup("subventionen", help="Subventionen: Integrationskredit, Abrechnungen, Buchungen, Zahlungen.")


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


COLUMNS = ("booked_on", "kind", "tenant", "claim", "amount", "note")


def _entries_json(year: int) -> dict:
    figures = ledger.year_figures([year])[0]
    slugs = dict(db.session.execute(sa.select(Tenant.id, Tenant.slug)).all())
    return {
        "year": year, "credit": figures.credit, "committed": figures.committed, "paid": figures.paid,
        "left": figures.left if figures.credit is not None else None,
        "entries": [{"booked_on": e.booked_on.isoformat(), "kind": e.kind, "tenant": slugs.get(e.claimant_tenant_id),
                     "claim": e.claim_number, "amount": e.amount, "note": e.note,
                     "payment_run": e.payment_run_id.hex if e.payment_run_id else None}
                    for e in ledger.entries(year)],
    }


@group.command("ledger")
@click.option("--year", type=int, required=True, help="Das Jahr des Integrationskredits.")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (Beträge in Rappen).")
@operator_command
def ledger_command(year, as_json):
    """Die Buchungen eines Jahres mit Kredit, genehmigt, ausbezahlt und übrig (Beträge in Rappen)."""
    canton = canton_tenant()
    with tenant_scope(canton), audit.acting_as("system:cli"):
        found = _entries_json(year)
        audit.record("subventionen.ledger.listed", detail={"year": year, "entries": len(found["entries"])})
        db.session.commit()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    echo_table(COLUMNS, [[str(e[c]) if e[c] not in (None, "") else "-" for c in
                          ("booked_on", "kind", "tenant", "claim", "amount", "note")] for e in found["entries"]])
    click.echo(f"Kredit {found['credit'] if found['credit'] is not None else '-'}, genehmigt {found['committed']}, "
               f"ausbezahlt {found['paid']}, übrig {found['left'] if found['left'] is not None else '-'} (Rappen).")


@group.command("payments")
@click.option("--year", type=int, required=True, help="Das Jahr des Integrationskredits.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Die pain.001-Datei, die geschrieben wird.")
@click.option("--execution-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Ausführungsdatum (JJJJ-MM-TT); ohne: heute.")
@operator_command
def payments_command(year, out, execution_date):
    """Ein Zahlungslauf der genehmigten, unbezahlten Abrechnungen eines Jahres, als pain.001-Datei."""
    canton = canton_tenant()
    day: date = execution_date.date() if execution_date else clock.today()
    with tenant_scope(canton), audit.acting_as("system:cli"):
        try:
            run = payment_runs.create(canton, year, day)
            content = payment_files.pain001(run)
        except UserError as refused:
            db.session.rollback()
            raise click.ClickException(str(refused)) from None
        total = payment_runs.total(run)
        count = len(payment_runs.items(run))
        audit.record("subventionen.payment_run.pain001", object_type="subventionen_payment_run", object_id=run.id,
                     detail={"file": str(out), "via": "cli"})
        out.write_bytes(content)
        db.session.commit()
    click.echo(f"Zahlungslauf {run.message_id}: {count} Zahlungen, {total} Rappen, nach {out}.")
