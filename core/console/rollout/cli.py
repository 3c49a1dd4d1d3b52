"""``flask rollout status``: the tenants × modules matrix on the command line, as a table or as JSON."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from core import clock
from core.cli import operator_command
from core.module_matrix import Matrix, build_matrix
from core.modules import ModuleActivation

rollout_cli = AppGroup("rollout", help="Der Stand der Einführung in den Mandanten.")


@rollout_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@click.option("--district", help="Nur Mandanten mit Gemeinden in diesem Bezirk.")
@operator_command
def status(as_json, district):
    """Welcher Mandant welches Modul seit wann nutzt, und welche Gemeinden noch keinen Mandanten haben."""
    matrix = build_matrix(clock.today(), district, reason="flask rollout status")
    if as_json:
        click.echo(json.dumps(matrix_as_dict(matrix), ensure_ascii=False, indent=2))
        return
    for line in matrix_lines(matrix):
        click.echo(line)


def matrix_as_dict(matrix: Matrix) -> dict:
    """The matrix for machines (``flask rollout status --json``)."""
    return {
        "day": matrix.day.isoformat(),
        "district": matrix.district,
        "tenants": [
            {
                "slug": row.tenant.slug,
                "name": row.tenant.name,
                "kind": row.tenant.kind,
                "state": row.tenant.state,
                "communes": [{"bfs": m.bfs_number, "name": m.name, "district": m.district} for m in row.communes],
                "modules": {
                    manifest.id: _cell_dict(row.states.get(manifest.id)) for manifest in matrix.modules
                },
            }
            for row in matrix.rows
        ],
        "uncovered": [{"bfs": m.bfs_number, "name": m.name, "district": m.district} for m in matrix.uncovered],
    }


def _cell_dict(activation: ModuleActivation | None) -> dict:
    if activation is None:
        return {"state": None, "from": None}
    return {"state": activation.state,
            "from": activation.effective_from.isoformat() if activation.effective_from else None}


def matrix_lines(matrix: Matrix) -> list[str]:
    table = [["Mandant", "Art", "Gemeinden", *(m.id for m in matrix.modules)]]
    for row in matrix.rows:
        table.append([
            row.tenant.slug, row.tenant.kind, ", ".join(f"{m.bfs_number} {m.name}" for m in row.communes) or "–",
            *(_cell_text(row.states.get(m.id)) for m in matrix.modules),
        ])
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [f"Stand {matrix.day.isoformat()}" + (f", Bezirk {matrix.district}" if matrix.district else "")]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
              for line in table]
    lines.append(f"Gemeinden ohne Mandant: {len(matrix.uncovered)}")
    lines += [f"  {m.bfs_number} {m.name} ({m.district})" for m in matrix.uncovered]
    return lines


def _cell_text(activation: ModuleActivation | None) -> str:
    if activation is None:
        return "–"
    day = activation.effective_from.isoformat() if activation.effective_from else ""
    return f"{activation.state} {day}".strip()

