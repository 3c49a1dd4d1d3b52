"""``flask fordern cases TENANT [--json] [--names]``: the cases with state and deadlines; names only on request.

Every run is audited (who ran it, for which tenant, whether with names): the list holds the most
sensitive data of the platform.
"""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core import audit, modules
from core.cli import echo_table, operator_command
from core.db import db
from core.people import Person
from core.tenancy import get_tenant, tenant_scope
from plugins.fordern import deadlines
from plugins.fordern.api import as_json
from plugins.fordern.models import Case

group = AppGroup("fordern", help="Fordern: Fälle auflisten.")
COLUMNS = ("id", "state", "outcome", "opened_on", "state_on", "next_deadline")


@group.command("cases")
@click.argument("slug")
@click.option("--json", "as_json_output", is_flag=True, help="Als JSON-Liste ausgeben.")
@click.option("--names", is_flag=True, help="Mit den Namen der Personen (wird protokolliert).")
@operator_command
def cases(slug, as_json_output, names):
    """Die Fälle eines Mandanten mit Stand und Fristen, ohne Namen (ausser mit --names)."""
    tenant = get_tenant(slug)
    if "fordern" not in modules.active_modules(tenant):
        raise click.ClickException(f"«Fordern» ist in {tenant.name} nicht aktiv.")
    with tenant_scope(tenant), audit.acting_as("system:cli"):
        found = db.session.scalars(sa.select(Case).order_by(Case.opened_on, Case.id)).all()
        due = deadlines.next_deadlines([case.id for case in found])
        rows = [as_json(case, due.get(case.id)) for case in found]
        if names:
            persons = {p.id: p.full_name for p in db.session.scalars(
                sa.select(Person).where(Person.id.in_([case.person_id for case in found])))}
            for row, case in zip(rows, found, strict=True):
                row["name"] = persons.get(case.person_id, "")
        audit.record("fordern.cases.listed", object_type="tenant", object_id=tenant.slug,
                     detail={"cases": len(rows), "names": names})
        db.session.commit()
    if as_json_output:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    columns = (*COLUMNS, "name") if names else COLUMNS
    echo_table(columns, [["-" if row[c] in (None, "") else str(row[c]) for c in columns] for row in rows])
    click.echo(f"{len(rows)} Fälle in {tenant.name}.")
