"""``flask foerdern ...``: the offers a tenant shows (and, with the needs, what no offer covers)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from core import clock, modules
from core.cli import echo_table, operator_command
from core.tenancy import get_tenant, tenant_scope
from plugins.foerdern import figures, needs, published

group = AppGroup("foerdern", help="Fördern: Integrationsangebote und Bedürfnisse auflisten.")


def _tenant_with_foerdern(slug: str):
    tenant = get_tenant(slug)  # an unknown tenant: a clear message and exit code 1
    if "foerdern" not in modules.active_modules(tenant):
        raise click.ClickException(f"«Fördern» ist in {tenant.name} nicht aktiv.")
    return tenant


def _print_table(columns: tuple[str, ...], rows: list[dict]) -> None:
    echo_table(columns, [["-" if row[c] in (None, "") else str(row[c]) for c in columns] for row in rows])


@group.command("offers")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Als JSON-Liste ausgeben (alle Sprachen).")
@operator_command
def offers(slug, as_json):
    """Die Integrationsangebote, die ein Mandant heute zeigt: eigene, regionale, kantonale."""
    tenant = _tenant_with_foerdern(slug)
    with tenant_scope(tenant):
        rows = published.visible(clock.today())
        names = {tenant_id: t.slug for tenant_id, t in published.publishers(rows).items()}
        items = [{"publisher": names[row.tenant_id], **row.document, "id": str(row.offer_id)} for row in rows]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    _print_table(("id", "reach", "publisher", "kind", "title"),
                 [{**item, "title": item["title"]["de"]} for item in items])
    click.echo(f"{len(items)} Angebote in {tenant.name}.")


@group.command("needs")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben.")
@operator_command
def uncovered_needs(slug, as_json):
    """Die offenen Bedürfnisse eines Mandanten, die kein heutiges Angebot abdeckt: nach Bereich und Sprache."""
    tenant = _tenant_with_foerdern(slug)
    today = clock.today()
    with tenant_scope(tenant):
        found = figures.coverage(today)
    if as_json:
        click.echo(json.dumps({"day": today.isoformat(), "categories": [
            {"category": row.category, "open": row.open, "uncovered": row.uncovered, "offers": row.offers}
            for row in found.categories], "languages": {code or "": total for code, _c, total in
                                                       found.language_rows()}}, ensure_ascii=False, indent=1))
        return
    _print_table(("category", "open", "uncovered", "offers"), [
        {"category": str(needs.CATEGORY_LABELS[row.category]), "open": row.open, "uncovered": row.uncovered,
         "offers": row.offers} for row in found.categories])
    click.echo(f"{found.uncovered} von {found.open} offenen Bedürfnissen in {tenant.name} ohne passendes Angebot.")
