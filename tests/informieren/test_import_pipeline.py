"""eCH-0020 imports: arrivals from abroad, Swiss moves, unknown origins, communes not served, corrections,
idempotency, households, baseDelivery with its date, batches with broken files, chunked commits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from plugins.informieren.imports import pipeline as import_pipeline
from plugins.informieren.imports import runs as import_runs
from plugins.informieren.imports import sources as import_sources
from plugins.informieren.models import Source
from tests.informieren import ech_messages as ech
from tests.informieren.import_helpers import (
    changes,
    fresh_run,
    items,
    persons,
    zip_of,
)

pytest_plugins = ["tests.informieren.import_world"]  # the fixture world

GRENCHEN = ech.GRENCHEN
BALSTHAL = (2422, "Balsthal", "SO")


def spec(n: int = 1, **changes_) -> ech.PersonSpec:
    base = ech.PersonSpec(local_id=str(1000 + n), vn=ech.vn_with_check_digit(1000 + n), official_name=f"Silva{n}",
                          first_name="Inês", municipality=GRENCHEN, town="Grenchen", postal_code="2540",
                          arrival_date="2024-03-01", language="pt")
    return replace(base, **changes_)


def run(tenant, *files: tuple[str, bytes], since=date(2017, 1, 1), chunk_size=None, monkeypatch=None):
    if chunk_size and monkeypatch:
        monkeypatch.setattr(import_pipeline, "CHUNK_SIZE", chunk_size)
    imported, _importer = import_runs.run_now(tenant, files, source=Source.ECH0020, filename="test", since=since,
                                              files_total=len(files))
    return fresh_run(tenant, imported.id)


def test_an_arrival_from_abroad_creates_the_newcomer(world):
    grenchen, _balsthal = world
    result = run(grenchen, ("a.xml", ech.move_in(spec(household_id="HH-1", permit="0201"))))
    assert result.counts["created"] == 1 and result.finished_at is not None and result.refused is None
    [person] = persons(grenchen)
    assert (person.official_name, person.first_name, person.sex, person.date_of_birth) == ("Silva1", "Inês", "f",
                                                                                           "1990-05-17")
    assert (person.nationalities, person.languages, person.permit_category, person.eu_efta) == (["PT"], ["pt"],
                                                                                               "B", True)
    assert (person.arrival_date, person.municipality_bfs, person.street, person.postal_code) == (
        date(2024, 3, 1), 2546, "Hauptgasse", "2540")
    assert (person.local_person_id, person.vn, person.household_key) == ("LOC.EWK:1001", spec().vn, "hh:2546:HH-1")
    assert (person.source, person.stage) == ("ech0020", "new")
    [change] = changes(grenchen)
    assert (change.kind, change.source, change.import_id) == ("created", "ech0020", result.id)
    assert {"official_name", "vn", "local_person_id"} <= set(change.fields)


def test_a_test_delivery_of_the_registry_creates_nobody(world):
    grenchen, _balsthal = world
    result = run(grenchen, ("test.xml", ech.move_in(spec(), test=True)))
    assert result.counts["test_deliveries"] == 1 and result.counts["created"] == 0
    assert persons(grenchen) == []
    [item] = items(grenchen, result)
    assert item.outcome == "skipped" and "Testlieferung" in item.reason


def test_a_move_from_a_swiss_commune_is_skipped_and_counted(world):
    grenchen, _balsthal = world
    result = run(grenchen, ("a.xml", ech.move_in(spec(origin=("swiss", ech.BERN)))),
                 ("b.xml", ech.move_in(spec(2, origin=("abroad", ech.SWITZERLAND, "Zürich")), message_id="m2")))
    assert result.counts["skipped_swiss"] == 2 and result.counts["created"] == 0
    assert persons(grenchen) == [] and items(grenchen) == []


def test_an_arrival_of_unknown_origin_is_flagged_for_review(world):
    grenchen, _balsthal = world
    result = run(grenchen, ("a.xml", ech.move_in(spec(origin=("unknown",)))))
    assert result.counts["review"] == 1 and persons(grenchen) == []
    [item] = items(grenchen)
    assert (item.outcome, item.filename, item.position) == ("review", "a.xml", 1)
    assert "Herkunft unbekannt" in item.reason
    assert item.detail["official_name"] == "Silva1" and item.detail["local_person_id"] == "LOC.EWK:1001"
    assert (item.detail["arrival_date"], item.detail["municipality_bfs"]) == ("2024-03-01", 2546)


def test_a_commune_the_tenant_does_not_serve_is_rejected(world):
    grenchen, balsthal = world
    result = run(grenchen, ("a.xml", ech.move_in(spec(municipality=BALSTHAL))))
    assert result.counts["rejected"] == 1 and persons(grenchen) == []
    [item] = items(grenchen)
    assert item.reason == ("Die Gemeinde Balsthal wird von diesem Mandanten nicht betreut (weder am 01.03.2024, "
                           "dem Tag des Zuzugs, noch heute).")
    assert run(balsthal, ("a.xml", ech.move_in(spec(municipality=BALSTHAL)))).counts["created"] == 1


def test_an_arrival_before_the_tenant_served_the_commune_is_taken_since_it_serves_it_now(world):
    grenchen, _balsthal = world  # serves Grenchen since 2017
    result = run(grenchen, ("b.xml", ech.move_in(spec(2, arrival_date="2016-12-31"))))
    assert result.counts["created"] == 1


def test_the_same_message_twice_creates_nothing_new(world):
    grenchen, _balsthal = world
    message = ech.move_in(spec())
    assert run(grenchen, ("a.xml", message)).counts["created"] == 1
    again = run(grenchen, ("a.xml", message), ("copy.xml", message))
    assert again.counts["already_imported"] == 2 and again.counts["created"] == 0
    assert len(persons(grenchen)) == 1 and len(changes(grenchen)) == 1
    # the same person in another message (a new message id): matched, nothing changes
    other = run(grenchen, ("b.xml", ech.move_in(spec(), message_id="resent")))
    assert (other.counts["unchanged"], other.counts["created"]) == (1, 0)


def test_a_correction_updates_and_never_creates(world):
    grenchen, _balsthal = world
    unknown = run(grenchen, ("c.xml", ech.correct_name(spec(), official_name="Santos", first_name="Inês")))
    assert unknown.counts["rejected"] == 1 and persons(grenchen) == []
    assert "Unbekannte Person" in items(grenchen)[0].reason
    run(grenchen, ("a.xml", ech.move_in(spec())))
    corrected = run(grenchen, ("c2.xml", ech.correct_name(spec(), official_name="Santos", first_name="Ana",
                                                          message_id="c2")))
    assert corrected.counts["updated"] == 1
    [person] = persons(grenchen)
    assert (person.official_name, person.first_name, person.date_of_birth) == ("Santos", "Ana", "1990-05-17")
    change = changes(grenchen)[-1]
    assert (change.kind, change.fields) == ("corrected", ["first_name", "official_name"])


def test_matching_is_on_ids_never_on_names(world):
    grenchen, _balsthal = world
    run(grenchen, ("a.xml", ech.move_in(spec())))
    # same names, other ids: a second person
    run(grenchen, ("b.xml", ech.move_in(spec(local_id="2001", vn=ech.vn_with_check_digit(2001)), message_id="b")))
    # other local id, same AHV number: the same person (matched on the vn), arriving again later
    result = run(grenchen, ("c.xml", ech.move_in(spec(local_id="3001", official_name="Anders",
                                                      arrival_date="2024-06-01"), message_id="c")))
    assert result.counts["updated"] == 1
    assert sorted((p.official_name, p.local_person_id) for p in persons(grenchen)) == [
        ("Anders", "LOC.EWK:3001"), ("Silva1", "LOC.EWK:2001")]


def test_move_in_and_correction_in_one_batch_make_one_person(world):
    grenchen, _balsthal = world
    batch = zip_of({"1.xml": ech.move_in(spec()),
                    "2.xml": ech.correct_name(spec(), official_name="Santos", first_name="Inês"),
                    "3.xml": ech.move_in(spec(), message_id="again")})
    result = run(grenchen, *import_sources.unpack("batch.zip", batch))
    # the move-in sent again does not undo the correction
    assert (result.counts["created"], result.counts["updated"], result.counts["unchanged"]) == (1, 1, 1)
    [person] = persons(grenchen)
    assert person.official_name == "Santos"
    assert [c.kind for c in changes(grenchen)] == ["created", "corrected"]


def test_a_household_of_three(world):
    grenchen, _balsthal = world
    members = [replace(p, municipality=GRENCHEN, arrival_date="2024-03-01") for p in ech.household(3)]
    result = run(grenchen, *((f"{i}.xml", ech.move_in(p, message_id=f"hh-{i}")) for i, p in enumerate(members)))
    assert result.counts["created"] == 3
    assert {p.household_key for p in persons(grenchen)} == {"hh:2546:HH-7"}
    assert {tuple(p.nationalities) for p in persons(grenchen)} == {("ER",)}
    # without a household id: the same address and arrival date make the same key
    alone = [replace(p, household_id=None, local_id=str(9000 + i), vn=ech.vn_with_check_digit(9000 + i))
             for i, p in enumerate(members)]
    run(grenchen, *((f"n{i}.xml", ech.move_in(p, message_id=f"n-{i}")) for i, p in enumerate(alone)))
    derived = {p.household_key for p in persons(grenchen) if p.local_person_id.endswith(("9000", "9001", "9002"))}
    assert len(derived) == 1 and derived.pop().startswith("adr:")


def test_a_base_delivery_takes_arrivals_from_abroad_since_the_date(world):
    grenchen, _balsthal = world
    people = [
        spec(1, arrival_date="2023-12-31"),  # before the date
        spec(2, arrival_date="2024-01-01"),
        spec(3, arrival_date="2024-02-01", origin=("swiss", ech.BERN)),
        spec(4, arrival_date="2024-02-01", origin=("unknown",)),
        spec(5, arrival_date="2024-02-02", nationalities=(ech.KOSOVO,)),
    ]
    result = run(grenchen, ("base.xml", ech.base_delivery(people)), since=date(2024, 1, 1))
    counts = result.counts
    assert (counts["created"], counts["skipped_before_since"], counts["skipped_swiss"], counts["review"]) == (
        2, 1, 1, 1)
    kosovo = next(p for p in persons(grenchen) if p.official_name == "Silva5")
    assert kosovo.nationalities == ["BFS-8256"] and kosovo.eu_efta is False


def test_the_default_date_of_a_base_delivery_is_the_activation_date(world):
    grenchen, _balsthal = world
    assert import_pipeline.default_since(grenchen) == date(2017, 1, 1)
    run_, _importer = import_runs.run_now(grenchen, [("b.xml", ech.base_delivery([spec(arrival_date="2016-06-01")]))],
                                          source=Source.ECH0020, filename="b.xml")
    assert fresh_run(grenchen, run_.id).counts["skipped_before_since"] == 1


def test_a_batch_with_a_broken_file_commits_the_others(world):
    grenchen, _balsthal = world
    truncated = ech.move_in(spec(2), message_id="t")[:-60]
    batch = zip_of({"1.xml": ech.move_in(spec(1)), "2.xml": truncated, "3.xml": b"<html/>",
                    "4.xml": ech.move_in(spec(4), message_id="m4")})
    result = run(grenchen, *import_sources.unpack("batch.zip", batch))
    assert (result.counts["created"], result.counts["refused"]) == (2, 2) and result.refused is None
    refused = {i.filename: i.reason for i in items(grenchen) if i.outcome == "refused"}
    assert "unvollständig" in refused["batch.zip/2.xml"] and "batch.zip/3.xml" in refused
    # a refused file is not recorded as received: sent again (repaired), it is imported
    assert run(grenchen, ("2.xml", ech.move_in(spec(2), message_id="t"))).counts["created"] == 1


def test_a_truncated_base_delivery_writes_nothing(world):
    grenchen, _balsthal = world
    data = ech.base_delivery([spec(i) for i in range(1, 30)])
    result = run(grenchen, ("base.xml", data[: len(data) // 2]), since=date(2024, 1, 1))
    assert result.counts["refused"] == 1 and result.refused and persons(grenchen) == []


def test_chunks_are_committed_one_by_one(world, monkeypatch):
    grenchen, _balsthal = world
    monkeypatch.setattr(import_pipeline, "CHUNK_SIZE", 3)
    calls = []
    original = import_pipeline.Importer.flush

    def flaky(self):
        calls.append(len(self._buffer))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        original(self)

    monkeypatch.setattr(import_pipeline.Importer, "flush", flaky)
    files = [(f"{i}.xml", ech.move_in(spec(i), message_id=f"m{i}")) for i in range(1, 10)]
    with pytest.raises(RuntimeError):
        import_runs.run_now(grenchen, files, source=Source.ECH0020, filename="x", since=date(2017, 1, 1))
    from core.db import db

    db.session.rollback()
    assert len(persons(grenchen)) == 6  # two chunks committed, the third lost
    monkeypatch.setattr(import_pipeline.Importer, "flush", original)
    again = run(grenchen, *files)
    assert (again.counts["already_imported"], again.counts["created"]) == (6, 3)


def test_a_new_id_of_another_person_is_rejected_not_merged(world):
    grenchen, _balsthal = world
    run(grenchen, ("a.xml", ech.move_in(spec(1))), ("b.xml", ech.move_in(spec(2), message_id="b")))
    # person 1's local id with person 2's AHV number
    clash = run(grenchen, ("c.xml", ech.move_in(spec(1, vn=spec(2).vn, arrival_date="2024-05-01"), message_id="c")))
    assert clash.counts["rejected"] == 1 and "AHV-Nummer gehört bereits" in items(grenchen)[-1].reason


def test_parser_rejects_are_listed(world):
    grenchen, _balsthal = world
    data = ech.base_delivery([spec(1), spec(2, vn="7561234567890")])  # a wrong check digit
    result = run(grenchen, ("base.xml", data), since=date(2024, 1, 1))
    assert (result.counts["created"], result.counts["rejected"]) == (1, 1)
    [item] = items(grenchen)
    assert (item.outcome, item.position) == ("rejected", 2) and "AHV-Nummer" in item.reason


def test_identical_refused_files_are_each_refused_never_already_imported(world):
    grenchen, _balsthal = world
    broken = ech.move_in(spec(5), message_id="b")[:-60]
    batch = zip_of({f"{n}.xml": broken for n in range(40)} | {"ok.xml": ech.move_in(spec(6), message_id="ok")})
    result = run(grenchen, *import_sources.unpack("batch.zip", batch))
    assert (result.counts["refused"], result.counts["already_imported"], result.counts["created"]) == (40, 0, 1)
    refused = [i for i in items(grenchen, result) if i.outcome == "refused"]
    assert len(refused) == 40 and all("unvollständig" in i.reason for i in refused)
    # and not remembered: the same file sent again is refused again, not "already imported"
    again = run(grenchen, ("again.xml", broken), ("again2.xml", broken))
    assert (again.counts["refused"], again.counts["already_imported"]) == (2, 0)
