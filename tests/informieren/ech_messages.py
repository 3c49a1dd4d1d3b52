"""Build valid eCH-0020 v3 deliveries from parameters (tests, pipeline helpers, benchmark).

Plain string templates, no XML library: fast (10,000 move-ins or a baseDelivery
with 50,000 persons in about a second) and deterministic (same arguments, same
bytes).  Every message validates against the real XSDs in ``tests/data/ech/xsd``
(``validate`` below; the tests check it).

Element namespaces follow the schema that declares each element: eCH-0020 for the
event wrappers, eCH-0044 inside ``personIdentification``, eCH-0011 inside
``nameData``/``birthData``/``nationalityData``/``comesFrom``/``dwellingAddress``,
eCH-0010 for the address lines, eCH-0007 for municipalities, eCH-0008 for countries,
eCH-0021 for lock and additional data, eCH-0058 for the header.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

XSD_DIR = Path(__file__).parent.parent / "data" / "ech" / "xsd"
ECH_URL = "http://www.ech.ch/xmlns/"

NAMESPACES = (
    'xmlns:eCH-0020="http://www.ech.ch/xmlns/eCH-0020/3" '
    'xmlns:eCH-0044="http://www.ech.ch/xmlns/eCH-0044/4" '
    'xmlns:eCH-0011="http://www.ech.ch/xmlns/eCH-0011/8" '
    'xmlns:eCH-0010="http://www.ech.ch/xmlns/eCH-0010/5" '
    'xmlns:eCH-0007="http://www.ech.ch/xmlns/eCH-0007/5" '
    'xmlns:eCH-0008="http://www.ech.ch/xmlns/eCH-0008/3" '
    'xmlns:eCH-0021="http://www.ech.ch/xmlns/eCH-0021/7" '
    'xmlns:eCH-0058="http://www.ech.ch/xmlns/eCH-0058/5"'
)

# (BFS number or None, ISO2 or None, short name) as in eCH-0008; countryId and ISO2 are optional there.
SWITZERLAND = (8100, "CH", "Schweiz")
GERMANY = (8207, "DE", "Deutschland")
KOSOVO = (8256, None, "Kosovo")  # long without an ISO 3166 code: registers send the BFS number only
ERITREA = (None, "ER", "Eritrea")
SYRIA = (None, "SY", "Syrien")
UKRAINE = (None, "UA", "Ukraine")
PORTUGAL = (None, "PT", "Portugal")

# Municipalities of the canton of Solothurn: (BFS number, name, canton).
SOLOTHURN = (2601, "Solothurn", "SO")
OLTEN = (2581, "Olten", "SO")
GRENCHEN = (2546, "Grenchen", "SO")
BERN = (351, "Bern", "BE")


@dataclass(frozen=True)
class PersonSpec:
    """One person with residence data; defaults make a valid move-in from abroad."""

    local_id: str = "1000"
    id_category: str = "LOC.EWK"
    vn: str | None = "7561234567897"
    official_name: str = "Muster"
    first_name: str = "Anna"
    call_name: str | None = None
    sex: str = "2"  # eCH-0044: 1 male, 2 female, 3 unknown
    date_of_birth: str = "1990-05-17"  # "1990", "1990-05" or "1990-05-17"
    nationality_status: str = "2"  # eCH-0011: 0 unknown, 1 stateless, 2 known
    nationalities: tuple[tuple[int | None, str | None, str], ...] = (PORTUGAL,)
    language: str | None = None  # languageOfCorrespondance (ISO 639-1)
    permit: str | None = "0201"  # eCH-0006 residencePermit; None for Swiss citizens (placeOfOrigin instead)
    entry_date: str | None = None
    municipality: tuple[int, str, str] = SOLOTHURN
    arrival_date: str = "2024-03-01"
    residence: str = "main"  # main | secondary | other
    origin: tuple = ("abroad", PORTUGAL, "Lisboa")  # ("abroad", country, town) | ("swiss", municipality) | ("unknown",)
    street: str = "Hauptgasse"
    house_number: str = "12"
    postal_code: str = "4500"
    town: str = "Solothurn"
    household_id: str | None = None


# ---------------------------------------------------------------------------
# Fragments
# ---------------------------------------------------------------------------


def _x(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _el(prefix: str, name: str, text: object) -> str:
    return f"<eCH-{prefix}:{name}>{_x(text)}</eCH-{prefix}:{name}>"


def _partial_date(prefix: str, value: str) -> str:
    kind = {4: "year", 7: "yearMonth"}.get(len(value), "yearMonthDay")
    return f"<eCH-{prefix}:dateOfBirth>{_el('0044', kind, value)}</eCH-{prefix}:dateOfBirth>"


def _identification(p: PersonSpec, tag: str = "personIdentification") -> str:
    vn = _el("0044", "vn", p.vn) if p.vn else ""
    return (
        f"<eCH-0020:{tag}>{vn}<eCH-0044:localPersonId>{_el('0044', 'personIdCategory', p.id_category)}"
        f"{_el('0044', 'personId', p.local_id)}</eCH-0044:localPersonId>"
        f"{_el('0044', 'officialName', p.official_name)}{_el('0044', 'firstName', p.first_name)}"
        f"{_el('0044', 'sex', p.sex)}{_partial_date('0044', p.date_of_birth)}"
        f"</eCH-0020:{tag}>"
    )


def _name_info(official_name: str, first_name: str, call_name: str | None) -> str:
    call = _el("0011", "callName", call_name) if call_name else ""
    return (
        f"<eCH-0020:nameInfo><eCH-0020:nameData>{_el('0011', 'officialName', official_name)}"
        f"{_el('0011', 'firstName', first_name)}{call}</eCH-0020:nameData></eCH-0020:nameInfo>"
    )


def _country(country: tuple[int | None, str | None, str]) -> str:
    bfs, iso2, name = country
    return (
        (_el("0008", "countryId", bfs) if bfs else "")
        + (_el("0008", "countryIdISO2", iso2) if iso2 else "")
        + _el("0008", "countryNameShort", name)
    )


def _nationality(p: PersonSpec) -> str:
    infos = "".join(
        f"<eCH-0011:countryInfo><eCH-0011:country>{_country(c)}</eCH-0011:country></eCH-0011:countryInfo>"
        for c in (p.nationalities if p.nationality_status == "2" else ())
    )
    status = _el("0011", "nationalityStatus", p.nationality_status)
    return f"<eCH-0020:nationalityData>{status}{infos}</eCH-0020:nationalityData>"


def _person(p: PersonSpec, tag: str) -> str:
    language = (
        f"<eCH-0020:personAdditionalData>{_el('0021', 'languageOfCorrespondance', p.language)}"
        "</eCH-0020:personAdditionalData>"
        if p.language
        else ""
    )
    if p.permit:
        entry = _el("0011", "entryDate", p.entry_date) if p.entry_date else ""
        permit = _el("0011", "residencePermit", p.permit)
        status = f"<eCH-0020:residencePermitData>{permit}{entry}</eCH-0020:residencePermitData>"
    else:
        status = (
            f"<eCH-0020:placeOfOriginInfo><eCH-0020:placeOfOrigin>{_el('0011', 'originName', p.municipality[1])}"
            f"{_el('0011', 'canton', p.municipality[2])}</eCH-0020:placeOfOrigin></eCH-0020:placeOfOriginInfo>"
        )
    return (
        f"<eCH-0020:{tag}>{_identification(p)}{_name_info(p.official_name, p.first_name, p.call_name)}"
        f"<eCH-0020:birthInfo><eCH-0020:birthData>{_partial_date('0011', p.date_of_birth)}"
        f"<eCH-0011:placeOfBirth>{_el('0011', 'unknown', 0)}</eCH-0011:placeOfBirth>{_el('0011', 'sex', p.sex)}"
        f"</eCH-0020:birthData></eCH-0020:birthInfo>"
        f"<eCH-0020:religionData>{_el('0011', 'religion', '000')}</eCH-0020:religionData>"
        f"<eCH-0020:maritalInfo><eCH-0020:maritalData>{_el('0011', 'maritalStatus', 1)}</eCH-0020:maritalData>"
        "</eCH-0020:maritalInfo>"
        f"{_nationality(p)}{language}{status}"
        f"<eCH-0020:lockData>{_el('0021', 'dataLock', 0)}{_el('0021', 'paperLock', 0)}</eCH-0020:lockData>"
        f"</eCH-0020:{tag}>"
    )


def _municipality(m: tuple[int, str, str]) -> str:
    return (
        _el("0007", "municipalityId", m[0])
        + _el("0007", "municipalityName", m[1])
        + _el("0007", "cantonAbbreviation", m[2])
    )


def _comes_from(origin: tuple) -> str:
    kind = origin[0]
    if kind == "abroad":
        town = _el("0011", "town", origin[2]) if len(origin) > 2 and origin[2] else ""
        country = f"<eCH-0011:country>{_country(origin[1])}</eCH-0011:country>"
        place = f"<eCH-0011:foreignCountry>{country}{town}</eCH-0011:foreignCountry>"
    elif kind == "swiss":
        place = f"<eCH-0011:swissTown>{_municipality(origin[1])}</eCH-0011:swissTown>"
    else:
        place = _el("0011", "unknown", 0)
    return f"<eCH-0020:comesFrom>{place}</eCH-0020:comesFrom>"


def _dwelling(p: PersonSpec) -> str:
    household = _el("0011", "householdID", p.household_id) if p.household_id else ""
    return (
        f"<eCH-0020:dwellingAddress>{household}<eCH-0011:address>{_el('0010', 'street', p.street)}"
        f"{_el('0010', 'houseNumber', p.house_number)}{_el('0010', 'town', p.town)}"
        f"{_el('0010', 'swissZipCode', p.postal_code)}{_el('0010', 'country', 'CH')}</eCH-0011:address>"
        f"{_el('0011', 'typeOfHousehold', 1)}</eCH-0020:dwellingAddress>"
    )


_RESIDENCE_TAGS = {"main": "hasMainResidence", "secondary": "hasSecondaryResidence", "other": "hasOtherResidence"}


def _residence(p: PersonSpec) -> str:
    tag = _RESIDENCE_TAGS[p.residence]
    extra = (
        f"<eCH-0020:mainResidence>{_municipality(BERN)}</eCH-0020:mainResidence>" if p.residence == "secondary" else ""
    )
    return (
        f"<eCH-0020:{tag}><eCH-0020:reportingMunicipality>{_municipality(p.municipality)}</eCH-0020:reportingMunicipality>"
        f"{_el('0020', 'arrivalDate', p.arrival_date)}{_comes_from(p.origin)}{_dwelling(p)}{extra}</eCH-0020:{tag}>"
    )


def _header(message_id: str, message_date: str, sender_id: str, action: str, test: bool) -> str:
    return (
        f"<eCH-0020:deliveryHeader>{_el('0058', 'senderId', sender_id)}{_el('0058', 'messageId', message_id)}"
        f"{_el('0058', 'messageType', 'http://www.ech.ch/xmlns/eCH-0020/3')}"
        f"<eCH-0058:sendingApplication>{_el('0058', 'manufacturer', 'Testhersteller')}"
        f"{_el('0058', 'product', 'Einwohnerregister')}{_el('0058', 'productVersion', '1.0')}"
        "</eCH-0058:sendingApplication>"
        f"{_el('0058', 'messageDate', message_date)}{_el('0058', 'action', action)}"
        f"{_el('0058', 'testDeliveryFlag', 'true' if test else 'false')}</eCH-0020:deliveryHeader>"
    )


def _delivery(body: str, message_id: str, message_date: str, sender_id: str, action: str, test: bool) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<eCH-0020:delivery {NAMESPACES} version="3.0">'
        f"{_header(message_id, message_date, sender_id, action, test)}{body}</eCH-0020:delivery>\n"
    ).encode()


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

SENDER = "sedex://T4-900001-1"


def move_in(
    person: PersonSpec,
    *,
    message_id: str = "msg-1",
    message_date: str = "2024-03-02T08:30:00",
    sender_id: str = SENDER,
    action: str = "1",
    test: bool = False,
) -> bytes:
    """One delivery with one ``moveIn`` event."""
    body = f"<eCH-0020:moveIn>{_person(person, 'moveInPerson')}{_residence(person)}</eCH-0020:moveIn>"
    return _delivery(body, message_id, message_date, sender_id, action, test)


def correct_name(
    person: PersonSpec,
    *,
    official_name: str,
    first_name: str,
    call_name: str | None = None,
    message_id: str = "msg-correct-1",
    message_date: str = "2024-03-05T09:00:00",
    sender_id: str = SENDER,
) -> bytes:
    """One ``correctName`` delivery: ``person`` identifies (old names), the new names follow."""
    body = (
        f"<eCH-0020:correctName>{_identification(person, 'correctNamePerson')}"
        f"{_name_info(official_name, first_name, call_name)}</eCH-0020:correctName>"
    )
    return _delivery(body, message_id, message_date, sender_id, "1", False)


def base_delivery(
    persons: Iterable[PersonSpec],
    *,
    message_id: str = "msg-base-1",
    message_date: str = "2024-01-01T00:00:00",
    sender_id: str = SENDER,
    valid_from: str | None = "2024-01-01",
) -> bytes:
    """One ``baseDelivery`` with one ``messages`` entry per person."""
    valid = _el("0020", "baseDeliveryValidFrom", valid_from) if valid_from else ""
    body = "".join(
        f"<eCH-0020:messages>{_person(p, 'baseDeliveryPerson')}{_residence(p)}{valid}</eCH-0020:messages>"
        for p in persons
    )
    return _delivery(
        f"<eCH-0020:baseDelivery>{body}</eCH-0020:baseDelivery>", message_id, message_date, sender_id, "1", False
    )


# ---------------------------------------------------------------------------
# Synthetic data (deterministic)
# ---------------------------------------------------------------------------


def vn_with_check_digit(number: int) -> str:
    """A 13-digit AHV number 756 + nine digits of ``number`` + the EAN-13 check digit."""
    body = f"756{number % 1_000_000_000:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


_NAMES = (
    ("Tesfamariam", "ተስፋይ", ERITREA, "ti"),
    ("Al-Hassan", "أحمد", SYRIA, "ar"),
    ("Шевченко", "Олена", UKRAINE, "uk"),
    ("Krasniqi", "Arben", KOSOVO, "sq"),
    ("Müller", "Jonas", GERMANY, "de"),
    ("Silva", "Inês", PORTUGAL, "pt"),
)
_PERMITS = ("0201", "0301", "0701", "05", "08", "09", "0402")
_MUNICIPALITIES = (SOLOTHURN, OLTEN, GRENCHEN)


def synthetic_person(index: int, *, seed: int = 0) -> PersonSpec:
    """Person number ``index``: a varied but fixed mix of origins, scripts, permits and dates."""
    k = index + seed * 7919
    official, first, country, language = _NAMES[k % len(_NAMES)]
    birth = date(1950, 1, 1) + timedelta(days=(k * 37) % 20000)
    arrival = date(2023, 1, 1) + timedelta(days=(k * 13) % 700)
    origin_kind = k % 10
    if origin_kind < 6:
        origin: tuple = ("abroad", country, None)
    elif origin_kind < 9:
        origin = ("swiss", BERN)
    else:
        origin = ("unknown",)
    municipality = _MUNICIPALITIES[k % len(_MUNICIPALITIES)]
    swiss = k % 17 == 0
    return PersonSpec(
        local_id=str(100000 + index),
        vn=None if k % 11 == 0 else vn_with_check_digit(100000 + index),
        official_name=official,
        first_name=first,
        sex="1" if k % 2 else "2",
        date_of_birth=birth.isoformat()[: (4 if k % 23 == 0 else 10)],
        nationalities=(SWITZERLAND,) if swiss else (country,),
        language=language,
        permit=None if swiss else _PERMITS[k % len(_PERMITS)],
        municipality=municipality,
        arrival_date=arrival.isoformat(),
        origin=origin,
        town=municipality[1],
        household_id=f"H{index // 3}",
    )


def synthetic_move_ins(count: int, *, seed: int = 0) -> Iterator[bytes]:
    """``count`` single move-in deliveries with message ids ``sim-<seed>-<n>``."""
    for index in range(count):
        yield move_in(synthetic_person(index, seed=seed), message_id=f"sim-{seed}-{index}")


def synthetic_base_delivery(count: int, *, seed: int = 0) -> bytes:
    """A baseDelivery with ``count`` synthetic persons."""
    return base_delivery((synthetic_person(i, seed=seed) for i in range(count)), message_id=f"base-{seed}-{count}")


def household(size: int, *, household_id: str = "HH-7", first_id: int = 5000) -> list[PersonSpec]:
    """``size`` persons moving in together (same address and householdID)."""
    names = ("Yohannes", "Selam", "Dawit", "Ruth")
    return [
        replace(
            PersonSpec(),
            local_id=str(first_id + i),
            vn=vn_with_check_digit(first_id + i),
            official_name="Tesfamariam",
            first_name=names[i % len(names)],
            sex="1" if i % 2 == 0 else "2",
            date_of_birth=("1984-02-11", "1987-09-30", "2015-06-01", "2019-12-24")[i % 4],
            nationalities=(ERITREA,),
            origin=("abroad", ERITREA, "Asmara"),
            household_id=household_id,
        )
        for i in range(size)
    ]


# ---------------------------------------------------------------------------
# XSD validation against the local schemas (no network)
# ---------------------------------------------------------------------------


@functools.cache
def _schema():
    from lxml import etree

    class LocalSchemas(etree.Resolver):
        """Serve http://www.ech.ch/xmlns/... imports from tests/data/ech/xsd; refuse anything else."""

        def resolve(self, url, pubid, context):
            if url.startswith(ECH_URL):
                local = XSD_DIR / url.rsplit("/", 1)[-1]
                if local.is_file():
                    return self.resolve_filename(str(local), context)
            if Path(url).resolve().parent == XSD_DIR.resolve():
                return None
            raise ValueError(f"schema outside tests/data/ech/xsd: {url}")

    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(str(XSD_DIR / "eCH-0020-3-0.xsd"), parser))


def validate(data: bytes) -> list[str]:
    """XSD errors of an eCH-0020 v3 delivery ([] when valid)."""
    from lxml import etree

    schema = _schema()
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=True)
    document = etree.fromstring(data, parser)
    if schema.validate(document):
        return []
    return [f"{error.line}: {error.message}" for error in schema.error_log]
