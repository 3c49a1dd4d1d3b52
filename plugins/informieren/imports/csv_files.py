"""CSV files from a registry or a spreadsheet: decoding, a proposed column mapping, rows turned into events.

The file is decoded as UTF-8 (with or without byte-order mark), else as Windows-1252; the delimiter
is ``;`` or ``,`` (whichever the header line has more of).  The file is read as a stream, never whole:
one pass checks the encoding, one reads the header, a few rows to show and the number of rows (at most
:data:`MAX_ROWS`, stated in the refusal), and the import reads the rows once more, one at a time.
Each target field is proposed a column by its header (German, French or English); the user confirms
or changes the mapping, then each row becomes an arrival event the pipeline treats like one from an
eCH-0020 message.  A row with bad values is rejected with all its reasons; the others are imported.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from core.ahv import normalize_ahv
from core.errors import UserError
from plugins.informieren.imports.ech0020 import Address, Country, Event, Origin, PersonRecord
from plugins.informieren.register import checks

MAX_PREVIEW_ROWS = 10
# The largest register of a commune or regional group is far smaller; beyond this a file is not one.
MAX_ROWS = 100_000
BLOCK = 1024 * 1024


class CsvError(ValueError):
    """The file as a whole cannot be read as CSV; ``str()`` is the German reason."""


@dataclass(frozen=True)
class Target:
    key: str
    label: object
    headers: tuple[str, ...]  # normalised header names that propose this field
    required: bool = False


TARGETS = (
    Target("local_person_id", _l("Personen-ID des Registers"),
           ("personenid", "lokaleid", "lokalepersonenid", "localpersonid", "personid", "idpersonne", "id")),
    Target("vn", _l("AHV-Nummer"), ("ahv", "ahvnr", "ahvnummer", "ahvn13", "avs", "navs", "navs13", "vn",
                                    "socialsecuritynumber", "ssn")),
    Target("official_name", _l("Name"), ("name", "nachname", "familienname", "amtlichername", "nom",
                                         "nomdefamille", "nomofficiel", "lastname", "surname", "familyname",
                                         "officialname"), required=True),
    Target("first_name", _l("Vorname"), ("vorname", "vornamen", "rufname", "prenom", "prenoms", "firstname",
                                         "givenname", "givennames"), required=True),
    Target("sex", _l("Geschlecht"), ("geschlecht", "sexe", "sex", "gender")),
    Target("date_of_birth", _l("Geburtsdatum"), ("geburtsdatum", "geboren", "gebdatum", "datedenaissance",
                                                 "naissance", "dateofbirth", "birthdate", "dob")),
    Target("nationalities", _l("Staatsangehörigkeit"), ("staatsangehorigkeit", "staatsangehoerigkeit",
                                                        "nationalitat", "nationalitaet", "nationalite",
                                                        "nationality", "nationalities", "citizenship")),
    Target("languages", _l("Sprachen"), ("sprache", "sprachen", "korrespondenzsprache", "langue", "langues",
                                         "language", "languages")),
    Target("arrival_date", _l("Zuzugsdatum"), ("zuzugsdatum", "zuzug", "einzugsdatum", "einzug", "zuzugam",
                                               "datedarrivee", "arrivee", "datearrivee", "arrivaldate",
                                               "arrival", "moveindate", "movein"), required=True),
    Target("municipality_bfs", _l("Gemeinde (BFS-Nummer)"), ("bfs", "bfsnr", "bfsnummer", "gemeindenr",
                                                              "gemeindenummer", "gemeinde", "nocommune",
                                                              "noofs", "commune", "municipality",
                                                              "municipalitybfs"), required=True),
    Target("permit_category", _l("Ausweis"), ("ausweis", "bewilligung", "aufenthaltsbewilligung",
                                              "auslanderkategorie", "auslaenderkategorie", "permis",
                                              "permisdesejour", "permit", "permitcategory", "residencepermit")),
    Target("street", _l("Strasse"), ("strasse", "str", "rue", "street", "adresse", "address")),
    Target("house_number", _l("Hausnummer"), ("hausnummer", "hausnr", "nr", "numero", "no", "housenumber")),
    Target("postal_code", _l("PLZ"), ("plz", "postleitzahl", "npa", "postalcode", "zip", "zipcode")),
    Target("town", _l("Ort"), ("ort", "wohnort", "localite", "lieu", "town", "city")),
    Target("household_id", _l("Haushalt"), ("haushalt", "haushaltid", "haushaltsnummer", "menage", "idmenage",
                                            "household", "householdid")),
    Target("comes_from", _l("Zuzug von (Land)"), ("herkunft", "herkunftsland", "zuzugvon", "zuzugaus",
                                                  "vonland", "provenance", "paysdeprovenance", "venantde",
                                                  "comesfrom", "origin", "fromcountry", "countryoforigin",
                                                  "previouscountry")),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)
SWISS = frozenset({"ch", "che", "schweiz", "suisse", "svizzera", "svizra", "switzerland", "8100"})


# -- reading the file ------------------------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # the first data rows, to show (line numbers start at 2)
    delimiter: str
    encoding: str
    row_count: int = 0  # all data rows
    source: BinaryIO | None = field(default=None, repr=False)  # the file, read again by rows()


def _as_file(content: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(content) if isinstance(content, bytes | bytearray) else content


def _decodes(content: BinaryIO, encoding: str) -> bool:
    """Whether the whole file decodes (block by block); a NUL byte means it is no text file."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    content.seek(0)
    try:
        while block := content.read(BLOCK):
            if b"\x00" in block:
                raise CsvError(str(_l("Die Datei ist keine Textdatei (CSV).")))
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(content: BinaryIO) -> str:
    content.seek(0)
    if content.read(3) == b"\xef\xbb\xbf":
        if not _decodes(content, "utf-8-sig"):
            raise CsvError(str(_l("Die Datei hat eine Byte-Order-Mark für UTF-8, ist aber nicht UTF-8.")))
        return "utf-8-sig"
    if _decodes(content, "utf-8"):
        return "utf-8"
    if _decodes(content, "cp1252"):
        return "windows-1252"
    raise CsvError(str(_l("Die Datei ist weder in UTF-8 noch in Windows-1252 kodiert.")))


def _lines(content: BinaryIO, encoding: str, delimiter: str) -> Iterator[list[str]]:
    """The file's non-blank lines, parsed one at a time."""
    content.seek(0)
    text = io.TextIOWrapper(content, encoding="cp1252" if encoding == "windows-1252" else encoding, newline="")
    try:
        for line in csv.reader(text, delimiter=delimiter):
            if any(cell.strip() for cell in line):
                yield line
    except csv.Error as error:
        raise CsvError(str(_l("Die CSV-Datei ist nicht lesbar: %(error)s", error=error))) from None
    finally:
        text.detach()  # the binary file stays open for the next pass


def _delimiter(content: BinaryIO, encoding: str) -> str:
    content.seek(0)
    first_line = content.readline(BLOCK).decode("cp1252" if encoding == "windows-1252" else encoding, "replace")
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def read(content: bytes | BinaryIO) -> Table:
    """The header, the first rows and the number of rows; refuses what is no CSV or has too many rows."""
    content = _as_file(content)
    encoding = detect_encoding(content)
    delimiter = _delimiter(content, encoding)
    lines = _lines(content, encoding, delimiter)
    header = [cell.strip() for cell in next(lines, [])]
    preview, count = [], 0
    for line in lines:
        count += 1
        if count <= MAX_PREVIEW_ROWS:
            preview.append(line)
        if count > MAX_ROWS:
            lines.close()
            raise CsvError(str(_l("Die CSV-Datei hat mehr als %(max)s Datenzeilen; bitte in kleineren Dateien "
                                  "hochladen.", max=f"{MAX_ROWS:,}".replace(",", "’"))))
    if count == 0:
        raise CsvError(str(_l("Die CSV-Datei enthält keine Datenzeilen (die erste Zeile sind die Spaltennamen).")))
    if len(header) < 2:
        raise CsvError(str(_l("Die CSV-Datei hat nur eine Spalte; getrennt wird mit «;» oder «,».")))
    return Table(header, preview, delimiter, encoding, count, content)


def data_rows(table: Table) -> Iterator[list[str]]:
    """The data rows (after the header), read again from the table's file one at a time."""
    lines = _lines(table.source, table.encoding, table.delimiter)
    next(lines, None)
    yield from lines


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in folded if not unicodedata.combining(c)))


def propose(header: list[str]) -> dict[str, int | None]:
    """Each target field's column, by its header name; a column is proposed for one field at most."""
    names = [_normalise(h) for h in header]
    mapping: dict[str, int | None] = {}
    taken: set[int] = set()
    for target in TARGETS:
        mapping[target.key] = None
        for synonym in target.headers:
            column = next((i for i, n in enumerate(names) if n == synonym and i not in taken), None)
            if column is not None:
                mapping[target.key] = column
                taken.add(column)
                break
    return mapping


def mapping_problems(mapping: dict[str, int | None], header: list[str]) -> list[str]:
    problems = [str(_l("«%(field)s» braucht eine Spalte.", field=t.label))
                for t in TARGETS if t.required and mapping.get(t.key) is None]
    if mapping.get("local_person_id") is None and mapping.get("vn") is None:
        problems.append(str(_l("Die Personen-ID des Registers oder die AHV-Nummer braucht eine Spalte "
                               "(Personen werden nur über diese Kennungen wiedererkannt).")))
    used = [c for c in mapping.values() if c is not None]
    if any(c < 0 or c >= len(header) for c in used):
        problems.append(str(_l("Eine gewählte Spalte gibt es nicht.")))
    return problems


def digest(content: bytes | BinaryIO, mapping: dict) -> str:
    """The same file with the same mapping is the same delivery (a corrected mapping is a new one)."""
    content, hashed = _as_file(content), hashlib.sha256()
    content.seek(0)
    while block := content.read(BLOCK):
        hashed.update(block)
    hashed.update(json.dumps(mapping, sort_keys=True).encode())
    return hashed.hexdigest()


# -- rows into events ----------------------------------------------------------------------------------


# A row becomes the parser's PersonRecord and Event, so the pipeline reads CSV and XML alike.
def rows(table: Table, mapping: dict[str, int | None]):
    """For each data row: its line number, its Event or the reasons it is rejected, and its record."""
    for number, cells in enumerate(data_rows(table), start=2):
        values = {key: (cells[column].strip() if column is not None and column < len(cells) else "")
                  for key, column in mapping.items()}
        record, problems = _record(values)
        yield number, (problems or Event("arrival", "csv", number, record)), record


def _record(values: dict[str, str]) -> tuple[PersonRecord, list[str]]:
    problems: list[str] = []

    def parse(key, parser):
        text = values.get(key, "")
        if not text:
            return None
        try:
            return parser(text)
        except ValueError as error:
            problems.append(str(error))
            return None

    record = PersonRecord(
        local_person_id=values.get("local_person_id") or None,
        vn=parse("vn", parse_vn),
        official_name=values.get("official_name") or None,
        first_name=values.get("first_name") or None,
        sex=parse("sex", parse_sex),
        date_of_birth=parse("date_of_birth", parse_partial_date),
        nationalities=parse("nationalities", parse_countries) or (),
        languages=parse("languages", parse_languages) or (),
        permit_category=parse("permit_category", parse_permit),
        arrival_date=parse("arrival_date", parse_date),
        municipality_bfs=parse("municipality_bfs", parse_bfs),
        origin=_origin(values.get("comes_from", "")),
        address=Address(values.get("street") or None, values.get("house_number") or None,
                        values.get("postal_code") or None, values.get("town") or None),
        household_id=values.get("household_id") or None,
    )
    for key in ("official_name", "first_name", "arrival_date", "municipality_bfs"):
        if getattr(record, key) is None and not any(key in p for p in problems):
            label = next(t.label for t in TARGETS if t.key == key)
            problems.append(str(_l("«%(field)s» fehlt.", field=label)))
    if not record.local_person_id and not record.vn:
        problems.append(str(_l("Weder Personen-ID noch AHV-Nummer: die Person wäre nicht wiederzuerkennen.")))
    return record, problems


def _naming_the_value(check):
    """The register's check of a field, its message naming the value: a row's reasons show what was wrong."""
    def parse(text: str):
        try:
            return check(text)
        except checks.Invalid as error:
            raise ValueError(f"«{text}»: {error}") from None
    return parse


# The same dates as the register's form: TT.MM.JJJJ or JJJJ-MM-TT; a date of birth may be partial.
parse_date = _naming_the_value(checks.parse_date)
parse_partial_date = _naming_the_value(checks.parse_partial_date)


def _permit_of(text: str) -> str:
    """The register's category for a cell, whatever its case ("b", "ci"); the form's check refuses the rest."""
    known = {code.casefold(): code for code in checks.PERMITS}
    return checks.parse_permit(known.get(text.casefold(), text))


# The form's categories (checks.PERMITS), no other text: a cell like "=1+1" rejects its row.
parse_permit = _naming_the_value(_permit_of)


def parse_sex(text: str) -> str:
    value = _normalise(text)
    if value in ("m", "1", "mannlich", "maennlich", "masculin", "homme", "male", "man"):
        return "m"
    if value in ("f", "w", "2", "weiblich", "feminin", "femme", "female", "woman", "frau"):
        return "f"
    raise ValueError(str(_l("«%(text)s» ist kein Geschlecht (m oder w).", text=text)))


def parse_vn(text: str) -> str:
    try:
        digits = normalize_ahv(text)
    except UserError:
        digits = None
    if digits is None:
        raise ValueError(str(_l("«%(text)s» ist keine gültige AHV-Nummer (756.XXXX.XXXX.XX).", text=text)))
    return digits


def parse_bfs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 9999:
        raise ValueError(str(_l("«%(text)s» ist keine BFS-Gemeindenummer.", text=text)))
    return int(text)


def parse_languages(text: str) -> tuple[str, ...]:
    codes = []
    for part in re.split(r"[,;/\s]+", text.strip()):
        if not part:
            continue
        if not re.fullmatch(r"[A-Za-z]{2}", part):
            raise ValueError(str(_l("«%(text)s» ist kein Sprachcode (ISO 639-1, zum Beispiel «pt»).", text=part)))
        codes.append(part.lower())
    return tuple(codes)


def _country(iso2: str) -> Country:
    return Country(bfs_id=None, iso2=iso2, name=None)


def parse_countries(text: str) -> tuple[Country, ...]:
    codes = []
    for part in re.split(r"[,;/]+", text.strip()):
        part = part.strip()
        if part:
            code = country_code(part)
            if code is None:
                raise ValueError(str(_l("«%(text)s» ist kein bekanntes Land (ISO-Code, zum Beispiel «PT»).",
                                        text=part)))
            codes.append(_country(code))
    return tuple(codes)


def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 (or a country's BFS number, or its name where the country list knows it)."""
    if _normalise(text) in SWISS:
        return "CH"
    if re.fullmatch(r"[A-Za-z]{2}", text):
        return text.upper()
    lookup = _country_lookup()
    return lookup(text) if lookup else None


def _country_lookup():
    """The parser's country list, when it offers a lookup by name or number (see ``countries.py``)."""
    try:
        from plugins.informieren import countries
    except ImportError:
        return None
    found = getattr(countries, "lookup", None) or getattr(countries, "find", None)
    if found is None:
        return None

    def code(text):
        try:
            country = found(text)
        except (KeyError, ValueError, LookupError):
            return None
        return getattr(country, "code", country) if country else None

    return code


def _origin(text: str) -> Origin:
    if not text:
        return Origin("unknown")
    if _normalise(text) in SWISS or (re.fullmatch(r"\d{4}", text) and not text.startswith("8")):
        return Origin("swiss", municipality_bfs=int(text) if text.isdigit() else None)
    code = country_code(text)
    if code is None:
        return Origin("unknown", town=text)
    return Origin("swiss" if code == "CH" else "abroad", country=_country(code))
