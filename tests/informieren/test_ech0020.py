"""eCH-0020 v3 parser: real XSDs, valid fixtures, hostile and broken files."""

from __future__ import annotations

import codecs
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from plugins.informieren.countries import is_eu_efta, is_swiss
from plugins.informieren.imports.ech0020 import (
    Country,
    MessageError,
    Origin,
    PersonRecord,
    parse_message,
)
from tests.informieren import ech_messages as ech

DATA = Path(__file__).parent.parent / "data" / "ech"
VALID = sorted((DATA / "valid").glob("*.xml"))
HOSTILE = DATA / "hostile"


def parse_fixture(name: str):
    return parse_message((DATA / "valid" / name).read_bytes())


def only_person(name: str) -> PersonRecord:
    message = parse_fixture(name)
    assert not message.rejected
    assert len(message.events) == 1
    return message.events[0].person


# ---------------------------------------------------------------------------
# The schemas and the fixtures
# ---------------------------------------------------------------------------


def test_all_imported_schemas_are_present_and_compile():
    names = {path.name for path in (DATA / "xsd").glob("*.xsd")}
    assert names == {
        "eCH-0006-2-0.xsd", "eCH-0007-5-0.xsd", "eCH-0008-3-0.xsd", "eCH-0010-5-1.xsd", "eCH-0011-8-1.xsd",
        "eCH-0020-3-0.xsd", "eCH-0021-7-0.xsd", "eCH-0044-4-1.xsd", "eCH-0058-5-0.xsd", "eCH-0135-1-0.xsd",
    }  # fmt: skip
    assert ech._schema() is not None
    assert "eCH-0020-3-0.xsd" in (DATA / "xsd" / "SOURCES.md").read_text()


def test_there_are_valid_fixtures():
    assert len(VALID) >= 12


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_validates_against_the_xsd_and_parses(path):
    data = path.read_bytes()
    assert ech.validate(data) == []
    message = parse_message(data)
    assert message.events and not message.rejected


def test_fixtures_are_reproducible_from_the_builder():
    from tests.data.ech.make_fixtures import fixtures  # a script beside the fixtures, imported on purpose

    for name, data in fixtures().items():
        assert (DATA / "valid" / name).read_bytes() == data, name


def test_xsd_rejects_a_broken_message():
    data = (DATA / "valid" / "move_in_abroad.xml").read_bytes()
    data = data.replace(b"<eCH-0011:religion>000", b"<eCH-0011:religion>x")
    assert ech.validate(data)


def test_name_types_accept_any_script():
    """eCH-0044 baseNameType is xs:token (1-100 chars) with no pattern: Ge'ez, Arabic, Cyrillic validate."""
    person = replace(ech.PersonSpec(), official_name="Шевченко", first_name="أحمد", call_name="ተስፋይ")
    assert ech.validate(ech.move_in(person)) == []


# ---------------------------------------------------------------------------
# Arrivals
# ---------------------------------------------------------------------------


def test_move_in_from_abroad():
    message = parse_fixture("move_in_abroad.xml")
    assert message.message_id == "fx-abroad"
    assert message.message_date == datetime(2024, 3, 2, 7, 30, tzinfo=UTC)  # 08:30 Swiss winter time
    assert message.sender_id == "sedex://T4-900001-1"
    assert message.action == "1"
    assert message.test_delivery is False
    (event,) = message.events
    assert (event.kind, event.name, event.position) == ("arrival", "moveIn", 1)
    person = event.person
    assert person.local_person_id == "LOC.EWK:2001"
    assert person.vn == ech.vn_with_check_digit(200001)
    assert (person.official_name, person.first_name, person.sex) == ("Al-Hassan", "Ahmad", "m")
    assert person.date_of_birth == "1985-03-14"
    assert person.nationalities == (Country(None, "SY", "Syrien"),)
    assert person.nationality_status == "known"
    assert person.languages == ("ar",)
    assert (person.permit_category, person.permit_code) == ("B", "0201")
    assert person.entry_date == date(2024, 2, 20)
    assert person.arrival_date == date(2024, 3, 1)
    assert (person.municipality_bfs, person.municipality_name) == (2601, "Solothurn")
    assert person.residence_type == "main"
    assert person.origin == Origin("abroad", Country(None, "SY", "Syrien"), None, "Aleppo")
    assert person.address.street == "Hauptgasse"
    assert (person.address.house_number, person.address.postal_code) == ("12", "4500")
    assert (person.address.town, person.address.country) == ("Solothurn", "CH")
    assert person.household_id == "HH-2001"
    assert {"vn", "local_person_id", "origin", "address", "arrival_date", "languages"} <= person.fields
    assert "previous_vn" not in person.fields


def test_move_in_from_another_swiss_commune():
    person = only_person("move_in_swiss_commune.xml")
    assert person.origin.kind == "swiss"
    assert person.origin.municipality_bfs == 351
    assert person.origin.town == "Bern"
    assert person.origin.country.code == "CH"
    assert person.nationalities[0].code == "IT"  # the nationality is not the origin
    assert (person.permit_category, person.municipality_bfs) == ("C", 2581)
    assert person.household_id is None
    assert "household_id" not in person.fields


def test_move_in_of_unknown_origin():
    person = only_person("move_in_unknown_origin.xml")
    assert person.origin == Origin("unknown")
    assert person.sex is None  # eCH-0044 sex 3: unknown
    assert person.nationalities == ()
    assert person.nationality_status == "unknown"
    assert person.permit_category == "F"
    assert person.languages == ()


def test_household_of_three_shares_the_household_id():
    people = [only_person(f"household_{n}.xml") for n in (1, 2, 3)]
    assert {p.household_id for p in people} == {"HH-7"}
    assert len({p.local_person_id for p in people}) == 3
    assert {p.address for p in people} == {people[0].address}
    assert [p.first_name for p in people] == ["Yohannes", "Selam", "Dawit"]


def test_year_only_date_of_birth():
    person = only_person("move_in_year_only_birth.xml")
    assert person.date_of_birth == "1979"
    assert person.permit_category == "N"


def test_year_month_date_of_birth_and_no_ahv_number():
    person = only_person("move_in_without_vn.xml")
    assert person.vn is None
    assert "vn" not in person.fields
    assert person.local_person_id == "LOC.EWK:2005"
    assert person.date_of_birth == "1992-07"
    assert person.permit_category == "S"


def test_non_latin_names_are_kept_as_the_register_sends_them():
    person = only_person("move_in_non_latin.xml")
    assert person.official_name == "ተስፋማርያም"
    assert person.first_name == "ሰላም"  # firstName wins over callName
    assert person.origin.town == "ኣስመራ"
    assert person.languages == ("ti",)


def test_country_without_iso_code_keeps_its_bfs_number():
    person = only_person("move_in_bfs_only_country.xml")
    kosovo = Country(8256, None, "Kosovo")
    assert person.nationalities == (kosovo,)
    assert kosovo.code == "BFS-8256"
    assert person.origin.country.code == "BFS-8256"
    assert person.permit_category == "L"


def test_country_code_fallbacks():
    assert Country(8207, "DE", "Deutschland").code == "DE"
    assert Country(None, None, "Atlantis").code == "Atlantis"
    assert Country(None, None, None).code == "unknown"
    assert is_swiss("ch") and is_swiss(None, 8100) and not is_swiss("DE")
    assert is_eu_efta("PT") and is_eu_efta("NO") and not is_eu_efta("CH") and not is_eu_efta("SY")


def test_first_name_falls_back_to_call_name():
    data = ech.move_in(replace(ech.PersonSpec(), call_name="Nani"))
    data = data.replace(b"<eCH-0011:firstName>Anna</eCH-0011:firstName>", b"").replace(
        b"<eCH-0044:firstName>Anna</eCH-0044:firstName>", b"<eCH-0044:firstName> </eCH-0044:firstName>"
    )
    assert parse_message(data).events[0].person.first_name == "Nani"


def test_swiss_citizen_has_no_permit():
    person = replace(ech.PersonSpec(), nationalities=(ech.SWITZERLAND,), permit=None, origin=("swiss", ech.BERN))
    record = parse_message(ech.move_in(person)).events[0].person
    assert record.permit_category is None and record.permit_code is None
    assert record.nationalities == (Country(8100, "CH", "Schweiz"),)


def test_test_delivery_flag_and_offset_dates():
    data = ech.move_in(ech.PersonSpec(), test=True, message_date="2024-07-01T10:00:00+02:00")
    message = parse_message(data)
    assert message.test_delivery is True
    assert message.message_date == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Corrections and other events
# ---------------------------------------------------------------------------


def test_correct_name_sets_only_the_names():
    message = parse_fixture("correct_name.xml")
    (event,) = message.events
    assert (event.kind, event.name) == ("correction", "correctName")
    person = event.person
    assert person.fields == frozenset({"official_name", "first_name"})
    assert (person.official_name, person.first_name) == ("Al Hassan", "Ahmed")
    assert person.local_person_id == "LOC.EWK:2001"
    assert person.vn == ech.vn_with_check_digit(200001)
    assert person.arrival_date is None and person.nationalities == ()


def _delivery_with(body: str) -> bytes:
    template = ech.correct_name(ech.PersonSpec(), official_name="X", first_name="Y")
    start = template.index(b"<eCH-0020:correctName>")
    end = template.index(b"</eCH-0020:delivery>")
    return template[:start] + body.encode() + template[end:]


def _identification(tag: str) -> str:
    return ech._identification(ech.PersonSpec(), tag)


@pytest.mark.parametrize("code", ["0101", "1001", "1101"])
def test_a_permit_outside_the_registers_categories_is_other_with_its_code(code):
    """The API documents the register's categories only: A (01), M (10) and others are "other"."""
    permit = _delivery_with(
        f"<eCH-0020:correctResidencePermit>{_identification('correctResidencePermitPerson')}"
        f"<eCH-0020:residencePermitData><eCH-0011:residencePermit>{code}</eCH-0011:residencePermit>"
        "</eCH-0020:residencePermitData></eCH-0020:correctResidencePermit>"
    )
    person = parse_message(permit).events[0].person
    assert (person.permit_category, person.permit_code) == ("other", code)


def test_correct_residence_permit_and_nationality():
    permit = _delivery_with(
        f"<eCH-0020:correctResidencePermit>{_identification('correctResidencePermitPerson')}"
        "<eCH-0020:residencePermitData><eCH-0011:residencePermit>0301</eCH-0011:residencePermit>"
        "</eCH-0020:residencePermitData></eCH-0020:correctResidencePermit>"
    )
    assert ech.validate(permit) == []
    person = parse_message(permit).events[0].person
    assert person.fields == frozenset({"permit_category", "permit_code", "entry_date"})
    assert (person.permit_category, person.permit_code, person.entry_date) == ("C", "0301", None)

    nationality = _delivery_with(
        f"<eCH-0020:correctNationality>{_identification('correctNationalityPerson')}"
        "<eCH-0020:nationalityData><eCH-0011:nationalityStatus>1</eCH-0011:nationalityStatus></eCH-0020:nationalityData>"
        "</eCH-0020:correctNationality>"
    )
    assert ech.validate(nationality) == []
    person = parse_message(nationality).events[0].person
    assert person.fields == frozenset({"nationalities", "nationality_status"})
    assert (person.nationalities, person.nationality_status) == ((), "stateless")


def test_correct_reporting_sets_the_residence():
    person = ech.PersonSpec()
    residence = ech._residence(replace(person, origin=("swiss", ech.BERN), household_id="HH-9"))
    # eCH-0011 mainResidenceType nests the data in <mainResidence>; its children are in the eCH-0011 namespace.
    inner = residence.removeprefix("<eCH-0020:hasMainResidence>").removesuffix("</eCH-0020:hasMainResidence>")
    inner = inner.replace("<eCH-0020:", "<eCH-0011:").replace("</eCH-0020:", "</eCH-0011:")
    data = _delivery_with(
        f"<eCH-0020:correctReporting>{_identification('correctReportingPerson')}<eCH-0020:hasMainResidence>"
        f"<eCH-0011:mainResidence>{inner}</eCH-0011:mainResidence></eCH-0020:hasMainResidence>"
        "</eCH-0020:correctReporting>"
    )
    assert ech.validate(data) == []
    record = parse_message(data).events[0].person
    assert record.fields >= {"arrival_date", "origin", "address", "household_id", "municipality_bfs"}
    assert (record.origin.kind, record.household_id, record.arrival_date) == ("swiss", "HH-9", date(2024, 3, 1))


def test_correct_identification_keeps_the_previous_ids():
    new_vn = ech.vn_with_check_digit(999)
    data = _delivery_with(
        "<eCH-0020:correctIdentification><eCH-0020:correctIdentificationPerson>"
        f"{_identification('personIdentificationBefore')}<eCH-0020:personIdentificationAfter>"
        f"<eCH-0020:vn>{new_vn}</eCH-0020:vn><eCH-0020:localPersonId><eCH-0044:personIdCategory>LOC.EWK"
        "</eCH-0044:personIdCategory><eCH-0044:personId>77</eCH-0044:personId></eCH-0020:localPersonId>"
        "</eCH-0020:personIdentificationAfter></eCH-0020:correctIdentificationPerson></eCH-0020:correctIdentification>"
    )
    assert ech.validate(data) == []
    person = parse_message(data).events[0].person
    assert (person.local_person_id, person.vn) == ("LOC.EWK:77", new_vn)
    assert (person.previous_local_person_id, person.previous_vn) == ("LOC.EWK:1000", "7561234567897")
    assert person.fields == frozenset({"local_person_id", "vn"})


def test_other_events_are_marked_other():
    data = _delivery_with(
        f"<eCH-0020:moveOut>{_identification('moveOutPerson')}<eCH-0020:moveOutReportingDestination>"
        "<eCH-0020:reportingMunicipality><eCH-0007:municipalityName>Solothurn</eCH-0007:municipalityName>"
        "</eCH-0020:reportingMunicipality><eCH-0020:departureDate>2024-05-01</eCH-0020:departureDate>"
        "<eCH-0020:goesTo><eCH-0011:unknown>0</eCH-0011:unknown></eCH-0020:goesTo>"
        "</eCH-0020:moveOutReportingDestination></eCH-0020:moveOut>"
    )
    assert ech.validate(data) == []
    (event,) = parse_message(data).events
    assert (event.kind, event.name, event.person) == ("other", "moveOut", None)


# ---------------------------------------------------------------------------
# baseDelivery
# ---------------------------------------------------------------------------


def test_base_delivery_yields_one_base_event_per_person():
    message = parse_fixture("base_delivery.xml")
    assert [e.position for e in message.events] == [1, 2, 3, 4, 5, 6]
    assert {(e.kind, e.name) for e in message.events} == {("base", "baseDelivery")}
    people = [e.person for e in message.events]
    assert [p.origin.kind for p in people] == ["abroad", "abroad", "abroad", "swiss", "swiss", "unknown"]
    assert people[1].official_name == "Шевченко"
    assert people[2].origin.country.code == "BFS-8256" and people[2].vn is None
    assert people[3].arrival_date == date(2019, 8, 15) and people[3].permit_category is None
    assert people[4].nationality_status == "stateless" and people[4].nationalities == ()
    assert people[5].residence_type == "secondary"


def test_one_bad_person_is_rejected_the_rest_is_read():
    people = [ech.synthetic_person(i) for i in range(4)]
    people[1] = replace(people[1], date_of_birth="1990-02-30")
    people[2] = replace(people[2], vn="7561234567890")  # wrong check digit
    data = ech.base_delivery(people)
    message = parse_message(data)
    assert [e.position for e in message.events] == [1, 4]
    assert [(r.position, r.code) for r in message.rejected] == [(2, "date_of_birth"), (3, "vn")]
    assert "Geburtsdatum" in str(message.rejected[0].reason) and "1990-02-30" in str(message.rejected[0].reason)
    assert "AHV-Nummer" in str(message.rejected[1].reason)


def test_person_without_any_identification_is_rejected():
    data = ech.move_in(replace(ech.PersonSpec(), vn=None)).replace(
        b"<eCH-0044:personId>1000</eCH-0044:personId>", b"<eCH-0044:personId></eCH-0044:personId>"
    )
    message = parse_message(data)
    assert message.events == []
    (rejected,) = message.rejected
    assert rejected.code == "no_identification"
    assert "weder lokale Personen-ID noch AHV-Nummer" in str(rejected.reason)


def test_unreadable_arrival_date_is_rejected():
    data = ech.move_in(ech.PersonSpec()).replace(b">2024-03-01<", b">01.03.2024<")
    (rejected,) = parse_message(data).rejected
    assert rejected.code == "arrival_date" and "01.03.2024" in str(rejected.reason)


def test_a_large_base_delivery_parses_completely():
    # Its speed is measured by `python -m bench informieren`, not here.
    message = parse_message(ech.synthetic_base_delivery(5000))
    assert len(message.events) == 5000 and not message.rejected
    kinds = {e.person.origin.kind for e in message.events}
    assert kinds == {"abroad", "swiss", "unknown"}


def test_builder_is_deterministic_and_valid():
    first = list(ech.synthetic_move_ins(30, seed=3))
    assert first == list(ech.synthetic_move_ins(30, seed=3))
    assert len(set(first)) == 30
    assert all(ech.validate(data) == [] for data in first)
    assert ech.validate(ech.synthetic_base_delivery(60)) == []


# ---------------------------------------------------------------------------
# Refused files
# ---------------------------------------------------------------------------


def refused(data: bytes, **kwargs) -> MessageError:
    with pytest.raises(MessageError) as caught:
        parse_message(data, **kwargs)
    return caught.value


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_doctype_and_entities_are_refused(name):
    error = refused((HOSTILE / name).read_bytes())
    assert error.code == "doctype"
    assert "DOCTYPE" in str(error)


def test_doctype_hidden_in_utf16_is_refused():
    data = (HOSTILE / "xxe.xml").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert refused(data).code == "doctype"


def test_wrong_namespace_is_refused():
    error = refused((HOSTILE / "wrong_namespace.xml").read_bytes())
    assert error.code == "namespace"
    assert "eCH-0099" in str(error)


def test_ech0020_version_2_is_refused_with_a_clear_message():
    error = refused((HOSTILE / "ech0020_v2.xml").read_bytes())
    assert error.code == "version"
    assert str(error) == "Nur eCH-0020 Version 3 wird unterstützt; die Datei hat Version 2."


def test_wrong_version_attribute_is_refused():
    data = ech.move_in(ech.PersonSpec()).replace(b'version="3.0"', b'version="3.1"')
    assert refused(data).code == "version"


def test_other_ech0020_root_is_not_a_delivery():
    data = b'<?xml version="1.0"?><e:extension xmlns:e="http://www.ech.ch/xmlns/eCH-0020/3"/>'
    error = refused(data)
    assert error.code == "not_ech0020" and "extension" in str(error)


def test_truncated_file_is_refused():
    error = refused((HOSTILE / "truncated.xml").read_bytes())
    assert error.code == "truncated"
    assert "unvollständig" in str(error)


def test_file_cut_inside_a_multibyte_character_is_truncated():
    data = ech.move_in(replace(ech.PersonSpec(), official_name="Шевченко"))
    cut = data.index("Шевченко".encode()) + 3
    assert refused(data[:cut]).code == "truncated"


def test_latin1_bytes_declared_utf8_are_refused():
    error = refused((HOSTILE / "latin1_declared_utf8.xml").read_bytes())
    assert error.code == "encoding"
    assert "UTF-8" in str(error)


def test_declared_latin1_is_read():
    text = (DATA / "valid" / "move_in_swiss_commune.xml").read_text("utf-8").replace("Rossi", "Rössli")
    data = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert parse_message(data).events[0].person.official_name == "Rössli"


def test_unknown_encoding_is_refused():
    data = ech.move_in(ech.PersonSpec()).replace(b'encoding="UTF-8"', b'encoding="X-KLINGON"')
    assert refused(data).code == "encoding"


@pytest.mark.parametrize("data", [b"", b"   \n", (HOSTILE / "empty.xml").read_bytes()])
def test_empty_file_is_refused(data):
    error = refused(data)
    assert error.code == "invalid"
    assert str(error) == "Die Datei ist leer."


def test_non_xml_file_is_refused():
    error = refused((HOSTILE / "not_xml.txt").read_bytes())
    assert error.code == "invalid"
    assert "kein lesbares XML" in str(error)


def test_binary_garbage_is_refused():
    assert refused(bytes(range(256)) * 4).code in ("encoding", "invalid")


def test_malformed_xml_after_the_root_is_invalid():
    data = ech.move_in(ech.PersonSpec()).replace(b"</eCH-0044:officialName>", b"</eCH-0044:wrong>", 1)
    assert refused(data).code == "invalid"


def test_too_large_file_is_refused_before_parsing():
    data = (DATA / "valid" / "base_delivery.xml").read_bytes()
    error = refused(data, max_bytes=1000)
    assert error.code == "too_large"
    assert "zu gross" in str(error)


def test_delivery_without_header_or_event_is_invalid():
    no_header = (
        b'<?xml version="1.0"?><e:delivery xmlns:e="http://www.ech.ch/xmlns/eCH-0020/3" version="3.0">'
        b"<e:moveIn/></e:delivery>"
    )
    assert "deliveryHeader" in str(refused(no_header))
    data = ech.move_in(ech.PersonSpec())
    start, end = data.index(b"<eCH-0020:moveIn>"), data.index(b"</eCH-0020:delivery>")
    error = refused(data[:start] + data[end:])
    assert error.code == "invalid" and "kein Ereignis" in str(error)


def test_error_messages_are_german_and_translatable():
    error = refused(b"")
    assert isinstance(error, ValueError)
    assert type(error.message).__name__ == "LazyString"


def _entity_in_name(codec: str, declared: str) -> bytes:
    """A valid move-in whose name holds an internal entity, declared in a DOCTYPE, encoded without a BOM."""
    text = ech.move_in(replace(ech.PersonSpec(), official_name="A&x;B")).decode("utf-8")
    text = text.replace('encoding="UTF-8"?>', f'encoding="{declared}"?><!DOCTYPE d [<!ENTITY x "y">]>', 1)
    assert "<!DOCTYPE" in text
    return text.encode(codec)


@pytest.mark.parametrize(("codec", "declared"), [
    ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32-le", "UCS-4"), ("utf-32-be", "UCS-4"),
    ("utf-16-le", "UTF-8"), ("utf-32-le", "UTF-8"),  # a declaration that lies
    ("utf-32", "UTF-32"),  # with a UTF-32 BOM (FF FE 00 00, which starts like UTF-16's)
])
def test_a_doctype_in_utf16_or_ucs4_without_a_bom_is_refused(codec, declared):
    """XML detects these from the first four bytes (XML 1.0, appendix F); so must the DOCTYPE check."""
    data = _entity_in_name(codec, declared)
    assert not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or codec == "utf-32"
    assert refused(data).code == "doctype"


@pytest.mark.parametrize("first", [b"\x00\x00\x3c\x00", b"\x00\x3c\x00\x00", b"\x4c\x6f\xa7\x94"])
def test_unusual_byte_orders_and_ebcdic_are_refused(first):
    assert refused(first + b"\x00" * 64).code == "encoding"


def test_nul_bytes_in_a_utf8_document_are_refused():
    data = ech.move_in(ech.PersonSpec()).replace(b"<eCH-0020:delivery", b"\x00<eCH-0020:delivery", 1)
    assert refused(data).code == "encoding"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_document_without_a_bom_and_without_a_doctype_is_read(codec):
    text = ech.move_in(replace(ech.PersonSpec(), official_name="Rössli")).decode("utf-8")
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode(codec)
    assert parse_message(data).events[0].person.official_name == "Rössli"
