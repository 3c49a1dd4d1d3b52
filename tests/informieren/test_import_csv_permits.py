"""Issue 11: a CSV's permit column holds one of the register's categories, or its row is rejected."""

from __future__ import annotations

from flask_babel import force_locale

from plugins.informieren.imports import csv_files as import_csv
from plugins.informieren.imports.pipeline import Importer
from plugins.informieren.imports.runs import import_csv_file, new_run
from plugins.informieren.register import checks
from tests.informieren.import_helpers import fresh_run, items, persons, vn

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world

HEADER = "Personen-ID;AHV-Nummer;Name;Vorname;Zuzugsdatum;BFS-Nr;Ausweis;Herkunftsland"


def row(n: int, permit: str) -> str:
    return f"{1000 + n};{vn(n)};Silva{n};Ana;01.03.2017;2546;{permit};PT"


def import_rows(tenant, *rows: str):
    data = "\r\n".join([HEADER, *rows]).encode()
    run = new_run(tenant, "csv", "liste.csv")
    importer = Importer(tenant, run, since=import_csv.parse_date("01.01.2017"), source="csv")
    import_csv_file(importer, "liste.csv", data, import_csv.propose(import_csv.read(data).header))
    importer.finish()
    return fresh_run(tenant, run.id)


def test_a_permit_outside_the_registers_categories_rejects_its_row(world):
    grenchen, _balsthal = world
    run = import_rows(grenchen, row(1, "=1+1"), row(2, "Ausweis X"), row(3, "b"), row(4, "ci"), row(5, ""),
                      row(6, "C"))
    assert (run.counts["created"], run.counts["rejected"]) == (4, 2)
    assert [(p.local_person_id, p.permit_category) for p in persons(grenchen)] == [
        ("1003", "B"), ("1004", "Ci"), ("1005", None), ("1006", "C")]
    reasons = {i.position: i.reason for i in items(grenchen, run)}
    assert set(reasons) == {2, 3}
    assert reasons[2].startswith("«=1+1»: Unbekannte Bewilligungskategorie")
    assert "«Ausweis X»" in reasons[3] and ", ".join(checks.PERMITS) in reasons[3]


def test_the_reason_is_in_the_users_language(world, app):
    with app.test_request_context(), force_locale("fr"):
        _number, reasons, _record = next(import_csv.rows(import_csv.read(f"{HEADER}\r\n{row(1, 'Z')}".encode()),
                                                         import_csv.propose(HEADER.split(";"))))
    [reason] = reasons
    assert reason.startswith("«Z»: Catégorie d’autorisation inconnue")
    assert reason.endswith("B, C, L, F, N, G, S, Ci, other).")
