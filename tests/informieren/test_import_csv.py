"""CSV imports: decoding, the proposed mapping, rows rejected with reasons, the UI flow through the job."""

from __future__ import annotations

import io

import pytest

from plugins.informieren.imports import csv_files as import_csv
from plugins.informieren.imports.pipeline import Importer
from plugins.informieren.imports.runs import import_csv_file, new_run
from tests.conftest import login_as
from tests.informieren.import_helpers import (
    csrf,
    fresh_run,
    items,
    persons,
    runs,
    vn,
)

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world

HEADER = ("Personen-ID;AHV-Nummer;Name;Vorname;Geschlecht;Geburtsdatum;Staatsangehörigkeit;Sprache;Zuzugsdatum;"
          "BFS-Nr;Ausweis;Strasse;Hausnummer;PLZ;Ort;Herkunftsland")


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


GOOD = f"1001;{vn(1)};Gonçalves;Zoë;w;14.03.1985;PT;pt;01.03.2017;2546;B;Bahnhofstrasse;1;2540;Grenchen;PT"
SWISS = f"1002;{vn(2)};Meier;Hans;m;1970;CH;de;2017-03-02;2546;;Dorfstrasse;5;2540;Grenchen;Schweiz"
NO_ORIGIN = f"1003;{vn(3)};Ali;Omar;m;05.1990;SY;ar;02.03.2017;2546;F;Hauptstrasse;9;2540;Grenchen;"
BAD = "1004;756.0000.0000.01;Kaya;;x;31.02.1980;PT;Portugiesisch;1.3.17;2546;B;;;;;TR"


def test_header_names_in_three_languages_are_proposed():
    mapping = import_csv.propose(["Nom", "Prénom", "Date d'arrivée", "No OFS", "NAVS13", "Provenance", "Remarque"])
    assert mapping["official_name"] == 0 and mapping["first_name"] == 1 and mapping["vn"] == 4
    assert mapping["comes_from"] == 5 and mapping["local_person_id"] is None
    english = import_csv.propose(["Last name", "First name", "Arrival date", "Municipality", "Person ID"])
    assert (english["official_name"], english["arrival_date"], english["municipality_bfs"],
            english["local_person_id"]) == (0, 2, 3, 4)


@pytest.mark.parametrize(("encoded", "encoding", "delimiter"), [
    (csv_text(GOOD).encode("cp1252"), "windows-1252", ";"),
    (b"\xef\xbb\xbf" + csv_text(GOOD).encode("utf-8"), "utf-8-sig", ";"),
    (csv_text(GOOD.replace(";", ","), header=HEADER.replace(";", ",")).encode(), "utf-8", ","),
])
def test_encodings_and_delimiters(encoded, encoding, delimiter):
    table = import_csv.read(encoded)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.header[6] == "Staatsangehörigkeit" and table.rows[0][2] == "Gonçalves"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "keine Datenzeilen"),
    (b"Name;Vorname\r\n", "keine Datenzeilen"),
    (b"just one column\nvalue\n", "nur eine Spalte"),
    (b"\x81\x8d\x8f;\x90\n", "weder in UTF-8 noch in Windows-1252"),
    (b"\xef\xbb\xbfName;\xff\xfe\n", "Byte-Order-Mark"),
])
def test_unreadable_files_get_a_reason(data, message):
    with pytest.raises(import_csv.CsvError, match=message):
        import_csv.read(data)


def _import(tenant, data: bytes, filename="liste.csv"):
    run = new_run(tenant, "csv", filename)
    importer = Importer(tenant, run, since=import_csv.parse_date("01.01.2017"), source="csv")
    import_csv_file(importer, filename, data, import_csv.propose(import_csv.read(data).header))
    importer.finish()
    return run


def test_rows_are_taken_skipped_flagged_or_rejected_with_their_reasons(world):
    grenchen, _balsthal = world
    run = _import(grenchen, csv_text(GOOD, SWISS, NO_ORIGIN, BAD).encode("cp1252"))
    counts = fresh_run(grenchen, run.id).counts
    assert (counts["created"], counts["skipped_swiss"], counts["review"], counts["rejected"]) == (1, 1, 1, 1)
    [person] = persons(grenchen)
    assert (person.official_name, person.first_name, person.sex, person.date_of_birth) == ("Gonçalves", "Zoë", "f",
                                                                                           "1985-03-14")
    assert (person.nationalities, person.languages, person.eu_efta, person.permit_category) == (["PT"], ["pt"],
                                                                                               True, "B")
    assert (person.local_person_id, person.vn, person.source, person.household_key[:4]) == ("1001", vn(1), "csv",
                                                                                            "adr:")
    rejected, review = sorted(items(grenchen), key=lambda i: i.outcome)
    assert (review.outcome, review.position, review.detail["official_name"]) == ("review", 4, "Ali")
    assert (rejected.outcome, rejected.position) == ("rejected", 5)
    for reason in ("AHV-Nummer", "Geschlecht", "31.02.1980", "Sprachcode", "1.3.17", "«Vorname» fehlt"):
        assert reason in rejected.reason
    # the same file with the same mapping again: nothing new
    again = fresh_run(grenchen, _import(grenchen, csv_text(GOOD, SWISS, NO_ORIGIN, BAD).encode("cp1252")).id)
    assert again.counts["already_imported"] == 1 and again.counts["created"] == 0 and len(persons(grenchen)) == 1


def test_a_row_for_another_commune_is_rejected_and_the_others_committed(world):
    grenchen, _balsthal = world
    other = GOOD.replace("1001;", "1005;").replace(vn(1), vn(5)).replace(";2546;", ";2422;")
    run = fresh_run(grenchen, _import(grenchen, csv_text(other, GOOD).encode()).id)
    assert (run.counts["created"], run.counts["rejected"]) == (1, 1)
    assert "Balsthal" in items(grenchen)[0].reason and "nicht betreut" in items(grenchen)[0].reason


def test_without_id_columns_the_mapping_is_refused(world):
    grenchen, _balsthal = world
    data = b"Name;Vorname;Zuzugsdatum;BFS\nMeier;Ana;01.03.2017;2546\n"
    run = fresh_run(grenchen, _import(grenchen, data).id)
    assert run.counts["refused"] == 1 and "Personen-ID" in run.refused and persons(grenchen) == []


def test_upload_mapping_confirm_job_and_result_page(world, app):
    grenchen, balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "residents_services"))
    page = client.get("/grenchen/informieren/importe")
    assert page.status_code == 200 and "Noch keine Importe" in page.text
    data = b"\xef\xbb\xbf" + csv_text(GOOD, NO_ORIGIN, BAD).encode()
    response = client.post("/grenchen/informieren/importe", data={
        "csrf_token": csrf(page.text), "files": [(io.BytesIO(data), "liste.csv")]},
        content_type="multipart/form-data")
    assert response.status_code == 302 and "/importe/csv/" in response.headers["Location"]
    mapping_url = response.headers["Location"]
    mapping_page = client.get(mapping_url)
    assert mapping_page.status_code == 200 and "Gonçalves" in mapping_page.text
    assert '<option selected value="2">' in mapping_page.text.replace('value="2" selected', 'selected value="2"')
    # an unmapped required field: the form comes back with the reason
    fields = {t.key: "" for t in import_csv.TARGETS}
    refused = client.post(mapping_url, data={"csrf_token": csrf(mapping_page.text), **fields})
    assert refused.status_code == 400 and "braucht eine Spalte" in refused.text
    proposed = import_csv.propose(import_csv.read(data).header)
    fields = {key: "" if column is None else str(column) for key, column in proposed.items()}
    confirmed = client.post(mapping_url, data={"csrf_token": csrf(mapping_page.text), **fields, "since": ""})
    [run] = runs(grenchen)
    result_url = f"/grenchen/informieren/importe/{run.id}"
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(result_url)
    job_page = client.get(f"/grenchen/auftraege/{run.job_id}")
    assert "Ergebnis des Imports" in job_page.text and result_url in job_page.text
    result = client.get(result_url)
    assert result.status_code == 200
    assert 'data-count="created">1<' in result.text and 'data-count="rejected">1<' in result.text
    assert "Ali" in result.text and "Kaya" in result.text and "Herkunft unbekannt" in result.text
    assert client.get(mapping_url).status_code == 404  # the upload is gone with the job's last commit
    # another tenant's user sees nothing of it
    other = app.test_client()
    login_as(other, (balsthal, "residents_services"))
    assert other.get(f"/balsthal/informieren/importe/{run.id}").status_code == 404
    assert other.get(f"/grenchen/informieren/importe/{run.id}").status_code == 404
    assert "liste.csv" not in other.get("/balsthal/informieren/importe").text
