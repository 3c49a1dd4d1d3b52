"""``flask informieren import TENANT PATH... [--json] [--since DATE]``: import files, directories or ZIPs.

Runs in this process (no job) and prints the summary.  Exit codes: 0 imported (rejected records and
messages already imported included), 1 nothing imported because of an error (unknown tenant,
Informieren not active there), 2 a usage error (a path that does not exist, a bad date), 3 at least
one file was refused as a whole (the others were imported).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask_babel import gettext as _

from core import modules
from core.cli import DATE, operator_command
from core.db import db
from core.errors import UserError
from core.tenancy import get_tenant, tenant_scope
from plugins.informieren.cli import group
from plugins.informieren.imports import csv_files, sources
from plugins.informieren.imports.pipeline import COUNT_KEYS, Importer, default_since
from plugins.informieren.imports.runs import import_csv_file, new_run
from plugins.informieren.models import ImportItem, Source

EXIT_REFUSED = 3


@group.command("import")
@click.argument("slug", metavar="TENANT")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Die Zusammenfassung als ein JSON-Objekt ausgeben.")
@click.option("--since", type=DATE, help="Lieferung des ganzen Registers (baseDelivery): Zuzüge aus dem "
                                         "Ausland ab diesem Tag (Standard: Aktivierung von Informieren, "
                                         "sonst 2017-01-01).")
@operator_command
def import_command(slug, paths, as_json, since):
    """Meldungen des Einwohnerregisters (eCH-0020: Dateien, Verzeichnisse, ZIP; CSV mit erkannten Spalten)
    für TENANT importieren."""
    tenant = get_tenant(slug)
    if "informieren" not in modules.active_modules(tenant):
        raise UserError(_("Informieren ist für %(tenant)s nicht aktiv.", tenant=tenant.name))
    names = ", ".join(str(p) for p in paths)
    run = new_run(tenant, Source.ECH0020, names[:300])
    db.session.commit()
    importer = Importer(tenant, run, since=since or default_since(tenant))
    csv_paths = [p for p in paths if p.is_file() and sources.is_csv(p.name)]
    importer.files_total = sources.count_paths([p for p in paths if p not in csv_paths])
    for path in csv_paths:
        _import_csv(importer, path)
    importer.add_files(sources.from_paths([p for p in paths if p not in csv_paths]))
    importer.finish()
    summary = _summary(tenant, run)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print(summary)
    if importer.refused_files:
        db.session.commit()
        raise SystemExit(EXIT_REFUSED)


def _import_csv(importer: Importer, path: Path) -> None:
    """A CSV file with the mapping proposed from its header (refused when that leaves a field open)."""
    data = path.read_bytes()
    try:
        mapping = csv_files.propose(csv_files.read(data).header)
    except csv_files.CsvError as error:
        importer.refuse(str(path), str(error), "csv")
        return
    import_csv_file(importer, str(path), data, mapping)


def _summary(tenant, run) -> dict:
    with tenant_scope(tenant):
        items = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == run.id)
                                   .order_by(ImportItem.filename, ImportItem.position)).all()
        return {
            "import_id": str(run.id),
            "counts": {key: run.counts.get(key, 0) for key in COUNT_KEYS},
            "items": [{"outcome": i.outcome, "filename": i.filename, "position": i.position, "reason": i.reason,
                       "person": _person(i.detail)} for i in items],
        }


def _person(detail: dict) -> str | None:
    names = " ".join(filter(None, (detail.get("first_name"), detail.get("official_name"))))
    ids = ", ".join(filter(None, (detail.get("local_person_id"), detail.get("vn"))))
    return f"{names} ({ids})" if ids else (names or None)


def _print(summary: dict) -> None:
    counts = summary["counts"]
    click.echo(f"Import {summary['import_id']}")
    for key in COUNT_KEYS:
        if counts[key] or key in ("created", "updated", "rejected"):
            click.echo(f"  {key:<22} {counts[key]}")
    for item in summary["items"]:
        where = f"{item['filename']}" + (f" #{item['position']}" if item["position"] is not None else "")
        who = f" [{item['person']}]" if item["person"] else ""
        click.echo(f"{item['outcome']:<9} {where}{who}: {item['reason']}")
