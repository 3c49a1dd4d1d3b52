"""Read eCH-0020 version 3 deliveries (Meldegründe Personenregister) safely and fast.

A commune's residents' registry sends one event per sedex delivery (``moveIn``,
``correctName`` ...) or a ``baseDelivery`` snapshot with many persons.
:func:`parse_message` turns the bytes into a :class:`Message` of :class:`Event`
records; it never touches flask or the database (messages are lazy strings, so
they render in the user's language when shown).

Safety: the whole file is refused (:class:`MessageError`) when it is too large,
not decodable in its declared encoding, truncated, carries any DOCTYPE/ENTITY
declaration (external entities, "billion laughs"), is in another namespace or
eCH-0020 version, or is no usable delivery.  lxml runs with entities, DTDs and
network off and ``huge_tree`` off.  One unreadable person inside a readable
file becomes a :class:`Rejected` entry while the rest is read.

Speed: the file is read incrementally (pull parser, 1 MiB chunks) and every
event is dropped from memory once read, so a baseDelivery with 50,000 persons
takes a few seconds and little memory.

Mapping decisions (eCH-0020 v3 / eCH-0011 v8 / eCH-0044 v4 / eCH-0006 v2):

* Kinds: ``moveIn`` is the only arrival event of v3 (a move from another Swiss
  commune is a ``moveIn`` with ``comesFrom/swissTown``).  ``baseDelivery``
  yields one ``base`` event per ``messages`` entry.  A ``correct…`` event is a
  ``correction`` when it corrects something a :class:`PersonRecord` holds
  (``correctName``, ``correctNationality``, ``correctResidencePermit``,
  ``correctPersonAdditionalData``, ``correctBirthInfo``, ``correctReporting``,
  ``correctIdentification``); every other event (``moveOut``, ``changeName``,
  ``correctContact`` with its postal contact address, ...) is ``other`` with
  ``person=None``.  A correction replaces the whole block it names, so
  ``fields`` lists every record field of that block, also the ones now empty.
* ``first_name``: ``nameData/firstName``, else the identification's
  ``firstName``, else ``nameData/callName``.
* ``nationalities``: empty for ``nationalityStatus`` 0 (unknown) and
  1 (stateless); ``nationality_status`` tells which ("unknown", "stateless",
  "known").
* ``languages``: ``personAdditionalData/languageOfCorrespondance`` (ISO 639-1).
* ``permit_category``: the eCH-0006 base category of ``residencePermit``
  (first two digits): 01 A, 02 B, 03 C, 04 Ci, 05 F, 06 G, 07 L, 08 N, 09 S,
  10 M (Meldepflichtige); 11-13 (diplomats, international officials, not
  assigned) and Swiss citizens give None; ``permit_code`` keeps the full code.
* ``origin``: from ``comesFrom``: ``foreignCountry`` -> "abroad" (Switzerland
  given as a foreign country counts as "swiss"), ``swissTown`` -> "swiss",
  ``unknown`` -> "unknown"; None when the event has no ``comesFrom``
  (``baseDelivery`` may omit it), which the pipeline treats as unknown.
* ``message_date``: UTC; a time without offset is read as Swiss local time.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from lxml import etree

from core.ahv import normalize_ahv
from core.errors import UserError
from plugins.informieren.countries import SWITZERLAND_BFS, SWITZERLAND_ISO2, is_swiss

NS_PREFIX = "http://www.ech.ch/xmlns/eCH-0020/"
NS = NS_PREFIX + "3"
ROOT_TAG = f"{{{NS}}}delivery"
SUPPORTED_VERSION = "3.0"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
CHUNK = 1024 * 1024
_EXTRA_CONTENT = 5  # libxml2 XML_ERR_DOCUMENT_END: content after the root element

ARRIVAL_EVENTS = frozenset({"moveIn"})

# The children of <delivery> (deliveryType choice of eCH-0020 v3) and the <messages> of baseDelivery/keyExchange.
DELIVERY_CHILDREN = (
    "deliveryHeader", "baseDelivery", "keyExchange", "dataRequest", "identificationConversion", "announceDuplicate",
    "deletedInRegister", "adoption", "childRelationship", "naturalizeForeigner", "naturalizeSwiss", "undoCitizen",
    "undoSwiss", "changeOrigin", "birth", "marriage", "partnership", "separation", "undoSeparation", "divorce",
    "undoMarriage", "undoPartnership", "death", "missing", "undoMissing", "maritalStatusPartner", "changeName",
    "changeSex", "moveIn", "move", "contact", "moveOut", "changeResidenceType", "changeReligion", "changeOccupation",
    "guardianMeasure", "undoGuardian", "changeGuardian", "changeNationality", "changeResidencePermit", "dataLock",
    "paperLock", "care", "changeArmedForces", "changeCivilDefense", "changeFireService", "changeHealthInsurance",
    "changeMatrimonialInheritanceArrangement", "correctGuardianRelationship", "correctParentalRelationship",
    "correctReporting", "correctOccupation", "correctIdentification", "correctName", "correctNationality",
    "correctContact", "correctReligion", "correctPlaceOfOrigin", "correctResidencePermit", "correctMaritalInfo",
    "correctBirthInfo", "correctDeathData", "correctPersonAdditionalData", "correctPoliticalRightData",
    "correctDataLock", "correctPaperLock",
)  # fmt: skip
_WATCHED_TAGS = [f"{{{NS}}}{name}" for name in (*DELIVERY_CHILDREN, "messages")]

# Record fields each correction event sets (it replaces the whole block).
_RESIDENCE_FIELDS = frozenset(
    {"municipality_bfs", "municipality_name", "residence_type", "arrival_date", "origin", "address", "household_id"}
)
CORRECTION_FIELDS: dict[str, frozenset[str]] = {
    "correctName": frozenset({"official_name", "first_name"}),
    "correctNationality": frozenset({"nationalities", "nationality_status"}),
    "correctResidencePermit": frozenset({"permit_category", "permit_code", "entry_date"}),
    "correctPersonAdditionalData": frozenset({"languages"}),
    "correctBirthInfo": frozenset({"date_of_birth", "sex"}),
    "correctReporting": _RESIDENCE_FIELDS,
    "correctIdentification": frozenset({"local_person_id", "vn"}),
}

# eCH-0006 categories -> the register's (checks.PERMITS). The seasonal permit A (01, abolished 2002), the
# notified short stay (10) and any other code count as "other"; the full code stays in permit_code.
PERMIT_CATEGORIES = {
    "02": "B", "03": "C", "04": "Ci", "05": "F", "06": "G", "07": "L", "08": "N", "09": "S",
}  # fmt: skip
_SEX = {"1": "m", "2": "f", "3": None}
_NATIONALITY_STATUS = {"0": "unknown", "1": "stateless", "2": "known"}
_DOCTYPE_MARKERS = ("<!DOCTYPE", "<!ENTITY")
_XML_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_YEAR = re.compile(r"(\d{4})(?:Z|[+-]\d{2}:\d{2})?")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """eCH-0008 country: BFS number (4 digits), ISO 3166 alpha-2 when it has one, short name."""

    bfs_id: int | None
    iso2: str | None
    name: str | None

    @property
    def code(self) -> str:
        """A stable code for grouping: ISO2, else ``BFS-<number>``, else the name; never empty."""
        if self.iso2:
            return self.iso2
        if self.bfs_id is not None:
            return f"BFS-{self.bfs_id}"
        return self.name or "unknown"


SWITZERLAND = Country(SWITZERLAND_BFS, SWITZERLAND_ISO2, "Schweiz")


@dataclass(frozen=True)
class Address:
    """The dwelling address (eCH-0010 swissAddressInformation); country is ISO2."""

    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    town: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Origin:
    """Where the person came from (``comesFrom``): "abroad", "swiss" or "unknown"."""

    kind: str
    country: Country | None = None
    municipality_bfs: int | None = None
    town: str | None = None


@dataclass(frozen=True)
class PersonRecord:
    """What one event says about one person; ``fields`` names the attributes the event sets."""

    local_person_id: str | None = None
    vn: str | None = None
    official_name: str | None = None
    first_name: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    nationalities: tuple[Country, ...] = ()
    languages: tuple[str, ...] = ()
    permit_category: str | None = None
    arrival_date: date | None = None
    municipality_bfs: int | None = None
    origin: Origin | None = None
    address: Address | None = None
    household_id: str | None = None
    fields: frozenset[str] = frozenset()
    # Additions to the agreed interface:
    nationality_status: str | None = None  # "unknown" | "stateless" | "known"
    permit_code: str | None = None  # full eCH-0006 residencePermit code, e.g. "0201"
    entry_date: date | None = None  # residencePermitData/entryDate: entry into Switzerland
    residence_type: str | None = None  # "main" | "secondary" | "other"
    municipality_name: str | None = None
    previous_local_person_id: str | None = None  # correctIdentification: the id before
    previous_vn: str | None = None


# Record attributes counted in ``fields`` (identification included).
RECORD_FIELDS = (
    "local_person_id", "vn", "official_name", "first_name", "sex", "date_of_birth", "nationalities", "languages",
    "permit_category", "arrival_date", "municipality_bfs", "origin", "address", "household_id",
    "nationality_status", "permit_code", "entry_date", "residence_type", "municipality_name",
)  # fmt: skip


@dataclass(frozen=True)
class Event:
    """One event of a delivery: kind "arrival" | "correction" | "base" | "other"."""

    kind: str
    name: str
    position: int
    person: PersonRecord | None


@dataclass(frozen=True)
class Rejected:
    """One record of a readable delivery that could not be read; ``reason`` is a lazy German text."""

    position: int
    reason: object
    code: str = "invalid"
    name: str | None = None


@dataclass
class Message:
    """A parsed delivery: header facts and its events in order."""

    message_id: str
    message_date: datetime | None
    sender_id: str | None
    action: str | None
    events: list[Event]
    rejected: list[Rejected]
    test_delivery: bool = False
    message_type: str | None = None
    version: str = SUPPORTED_VERSION


class MessageError(ValueError):
    """The delivery as a whole is refused; ``code`` is stable, ``message`` a lazy German text."""

    CODES = ("too_large", "encoding", "truncated", "doctype", "namespace", "version", "not_ech0020", "invalid")

    def __init__(self, code: str, message: object, detail: str | None = None):
        assert code in self.CODES, code
        super().__init__(code)
        self.code = code
        self.message = message
        self.detail = detail  # technical detail for logs (English, from the parser), never shown to users

    def __str__(self) -> str:
        return str(self.message)


class _RecordError(Exception):
    def __init__(self, code: str, reason: object):
        super().__init__(code)
        self.code = code
        self.reason = reason


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def parse_message(data: bytes | BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Message:
    """Parse one eCH-0020 v3 delivery; raises :class:`MessageError` when the file as a whole is unusable."""
    reader = open_message(data, max_bytes=max_bytes)
    events: list[Event] = []
    rejected: list[Rejected] = []
    for entry in reader.entries():
        (events if isinstance(entry, Event) else rejected).append(entry)
    return Message(events=events, rejected=rejected, **reader.header)


@dataclass
class MessageReader:
    """A delivery checked as a whole, whose records are read again, one at a time, by :meth:`entries`.

    Nothing of the file is kept: a delivery of 200 MB costs the parser's window, not its events.
    """

    source: BinaryIO
    event_name: str | None
    header: dict
    events_total: int
    rejected_total: int

    @property
    def message_id(self) -> str:
        return self.header["message_id"]

    @property
    def test_delivery(self) -> bool:
        return self.header.get("test_delivery", False)

    def entries(self) -> Iterator[Event | Rejected]:
        """Events and rejected records in document order (the file is read again from its start)."""
        for entry in _read_delivery(self.source, self.event_name):
            if not isinstance(entry, dict):
                yield entry


def open_message(data: bytes | BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES) -> MessageReader:
    """Check a delivery as a whole (size, encoding, DOCTYPE, root, structure) in one pass that keeps nothing.

    ``data`` is bytes or a seekable binary file (a stored upload, a temporary file): it is read in
    1 MiB chunks, never whole.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    size = source.seek(0, io.SEEK_END)
    if size > max_bytes:
        raise MessageError(
            "too_large",
            _l(
                "Die Datei ist zu gross (%(size)s MB, erlaubt sind höchstens %(limit)s MB).",
                size=_megabytes(size),
                limit=_megabytes(max_bytes),
            ),
        )
    if not any(chunk.strip() for chunk in _chunks(source)):
        raise MessageError("invalid", _l("Die Datei ist leer."))
    _check_encoding_and_doctype(source)
    event_name = _check_root(source)
    header: dict = {}
    events = rejected = 0
    for entry in _read_delivery(source, event_name):
        if isinstance(entry, dict):
            header = entry
        elif isinstance(entry, Event):
            events += 1
        else:
            rejected += 1
    return MessageReader(source, event_name, header, events, rejected)


# ---------------------------------------------------------------------------
# Whole-file checks
# ---------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".0", "")


# XML 1.0, appendix F: the encoding family from a BOM or the first four bytes, checked in this order
# (a UTF-32 BOM starts like UTF-16's). None: an order or family Python cannot decode; it is refused.
_FIRST_BYTES = (
    (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xff\xfe", None), (b"\xfe\xff\x00\x00", None),  # UCS-4 in the orders 2143 and 3412
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF16_LE, "utf-16"),
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00<\x00", None), (b"\x00<\x00\x00", None),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", None),  # EBCDIC
)


def _declared_encoding(source: BinaryIO) -> str:
    """The encoding XML parsers use: a BOM or the first four bytes, else the XML declaration, else UTF-8."""
    source.seek(0)
    data = source.read(200)
    for start, name in _FIRST_BYTES:
        if data.startswith(start):
            if name is None:
                raise MessageError("encoding", _l("Die Zeichenkodierung «%(encoding)s» wird nicht unterstützt.",
                                                  encoding=data[:4].hex(" ")))
            return name
    match = _XML_DECL.match(data[:200])
    return match.group(1).decode("ascii") if match else "utf-8"


def _check_encoding_and_doctype(source: BinaryIO) -> None:
    """Decode the whole file in its declared encoding (chunk by chunk) and refuse any DTD/entity declaration."""
    name = _declared_encoding(source)
    try:
        decoder = codecs.getincrementaldecoder(name)(errors="strict")
    except LookupError:
        raise MessageError(
            "encoding", _l("Die Zeichenkodierung «%(encoding)s» wird nicht unterstützt.", encoding=name)
        ) from None
    tail, start = "", 0
    for chunk in _chunks(source):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _encoding_error(name, start + exc.start, str(exc)) from None
        window = tail + text
        if any(marker in window for marker in _DOCTYPE_MARKERS):
            raise _doctype_error()
        if "\x00" in text:  # never in XML: a wide encoding read as a narrow one, hiding what it holds
            before = text[: text.index("\x00")].encode("utf-8", "surrogatepass")  # exact for UTF-8
            raise _encoding_error(name, start + len(before))
        tail = window[-16:]
        start += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _truncated_error() from None


def _encoding_error(name: str, offset: int, detail: str | None = None) -> MessageError:
    return MessageError(
        "encoding",
        _l(
            "Die Datei enthält Zeichen, die nicht der angegebenen Kodierung %(encoding)s entsprechen "
            "(Byte %(offset)s).",
            encoding=name.upper(),
            offset=offset,
        ),
        detail=detail,
    )


def _doctype_error() -> MessageError:
    return MessageError(
        "doctype",
        _l(
            "Die Datei enthält eine DOCTYPE- oder ENTITY-Deklaration. Solche Dateien werden aus "
            "Sicherheitsgründen nicht gelesen."
        ),
    )


def _truncated_error(detail: str | None = None) -> MessageError:
    return MessageError(
        "truncated", _l("Die Datei ist unvollständig: sie bricht vor dem Ende der Lieferung ab."), detail=detail
    )


def _syntax_error(exc: etree.XMLSyntaxError) -> MessageError:
    return MessageError(
        "invalid",
        _l("Die Datei ist kein lesbares XML-Dokument (Fehler in Zeile %(line)s).", line=exc.lineno or 1),
        detail=str(exc),
    )


def _new_parser(**kwargs) -> etree.XMLPullParser:
    return etree.XMLPullParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    """The file from its start in 1 MiB chunks (each pass over a delivery reads it again)."""
    source.seek(0)
    while chunk := source.read(CHUNK):
        yield chunk


def _check_root(source: BinaryIO) -> str | None:
    """Read up to the event element: refuse other namespaces, eCH-0020 versions and other documents.

    Returns the local name of the event (the child of ``delivery`` after ``deliveryHeader``), None if unseen.
    """
    parser = _new_parser(events=("start",))
    root = event = None
    try:
        for chunk in _chunks(source):
            parser.feed(chunk)
            for _event, el in parser.read_events():
                if root is None:
                    root = el
                    _check_root_element(root)
                elif el.getparent() is root and _local(el.tag) != "deliveryHeader":
                    event = _local(el.tag)
                    break
            if event is not None:
                break
        else:
            parser.close()
    except etree.XMLSyntaxError as exc:
        if root is None:
            raise _syntax_error(exc) from None
        # Errors after the root start are reported by the full read (truncated or invalid).
    if root is None:
        raise MessageError("invalid", _l("Die Datei enthält kein XML-Element."))
    return event


def _check_root_element(root) -> None:
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if not namespace.startswith(NS_PREFIX):
        raise MessageError(
            "namespace",
            _l(
                "Die Datei ist keine eCH-0020-Meldung: sie verwendet den Namensraum «%(namespace)s» "
                "statt «%(expected)s».",
                namespace=namespace or "-",
                expected=NS,
            ),
        )
    found = namespace[len(NS_PREFIX) :]
    if found != "3":
        raise _version_error(found)
    if local != "delivery":
        raise MessageError(
            "not_ech0020",
            _l(
                "Die Datei ist keine eCH-0020-Lieferung: das Wurzelelement heisst «%(element)s» statt «delivery».",
                element=local,
            ),
        )
    version = root.get("version")
    if version is not None and version.strip() != SUPPORTED_VERSION:
        raise _version_error(version.strip())


def _version_error(found: str) -> MessageError:
    return MessageError(
        "version",
        _l(
            "Nur eCH-0020 Version 3 wird unterstützt; die Datei hat Version %(version)s.",
            version=found or "?",
        ),
    )


# ---------------------------------------------------------------------------
# Reading the delivery
# ---------------------------------------------------------------------------


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    """Local name of a Clark tag, cached: a delivery uses few distinct tags, millions of times."""
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        name = _LOCAL_NAMES[tag] = tag[tag.find("}") + 1 :]
        return name


def _read_delivery(source: BinaryIO, event_name: str | None) -> Iterator[dict | Event | Rejected]:
    """The header (a dict), then each event or rejected record; the checks of the whole at the end."""
    # deliveryType is a choice of exactly one event: watching only that one keeps libxml2's tag matching cheap.
    watched = _WATCHED_TAGS
    if event_name in DELIVERY_CHILDREN:
        watched = [f"{{{NS}}}{name}" for name in ("deliveryHeader", event_name, "messages")]
    parser = _new_parser(events=("end",), tag=watched)
    header: dict | None = None
    read: list = []  # what the last chunk completed, handed out before the next chunk is fed
    position = 0
    messages_tag = f"{{{NS}}}messages"

    def drain() -> None:
        nonlocal header, position
        for _event, el in parser.read_events():
            parent = el.getparent()
            if parent is None:
                continue  # the root itself
            if el.tag == messages_tag:
                if parent.getparent() is None or parent.getparent().getparent() is not None:
                    continue
                position += 1
                container = _local(parent.tag)
                kind = "base" if container == "baseDelivery" else "other"
                read.append(_collect(kind, container, position, el))
            elif parent.getparent() is None:  # a child of <delivery>
                name = _local(el.tag)
                if name == "deliveryHeader":
                    header = _read_header(el)
                    read.append(header)
                elif name in ("baseDelivery", "keyExchange"):
                    pass  # their <messages> were read one by one
                else:
                    position += 1
                    read.append(_collect(_kind_of(name), name, position, el))
            else:
                continue
            _forget(el)

    try:
        for chunk in _chunks(source):
            parser.feed(chunk)
            drain()
            yield from read
            read.clear()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        if exc.code == _EXTRA_CONTENT:
            raise _syntax_error(exc) from None
        raise _truncated_error(str(exc)) from None  # the parser waited for more: the file ends too early
    drain()
    yield from read

    if header is None:
        raise MessageError("invalid", _l("Die Lieferung hat keinen Kopf (deliveryHeader)."))
    if not header.get("message_id"):
        raise MessageError("invalid", _l("Der Lieferungskopf hat keine Nachrichten-ID (messageId)."))
    if position == 0:
        raise MessageError("invalid", _l("Die Lieferung enthält kein Ereignis."))


def _forget(el) -> None:
    """Free a read element and its read predecessors so large deliveries stay small in memory."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    while el.getprevious() is not None:
        del parent[0]


def _kind_of(name: str) -> str:
    if name in ARRIVAL_EVENTS:
        return "arrival"
    if name in CORRECTION_FIELDS:
        return "correction"
    return "other"


def _collect(kind: str, name: str, position: int, el) -> Event | Rejected:
    if kind == "other":
        return Event(kind, name, position, None)
    try:
        person = _READERS[kind](name, el)
    except _RecordError as exc:
        return Rejected(position, exc.reason, exc.code, name)
    return Event(kind, name, position, person)


def _read_header(el) -> dict:
    kids = _kids(el)
    return {
        "message_id": _text(kids.get("messageId")),
        "message_date": _datetime(_text(kids.get("messageDate"))),
        "sender_id": _text(kids.get("senderId")),
        "action": _text(kids.get("action")),
        "test_delivery": _text(kids.get("testDeliveryFlag")) in ("true", "1"),
        "message_type": _text(kids.get("messageType")),
    }


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_swiss_time())
    return moment.astimezone(UTC)


def _swiss_time():
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Zurich")
    except Exception:  # no time zone database on this machine: read local times as UTC
        return UTC


# ---------------------------------------------------------------------------
# Element helpers
# ---------------------------------------------------------------------------


def _kids(el) -> dict:
    """Children by local name (first one wins); the schema fixes each child's namespace."""
    local = _LOCAL_NAMES
    return {local.get(child.tag) or _local(child.tag): child for child in reversed(el)}


def _text(el) -> str | None:
    if el is None:
        return None
    text = el.text
    if not text:
        return None
    if text.isprintable() and text == text.strip() and "  " not in text:
        return text  # already collapsed (the usual case): skip split/join
    return " ".join(text.split()) or None


def _nil(el) -> bool:
    return el is not None and el.get("{http://www.w3.org/2001/XMLSchema-instance}nil") in ("true", "1")


def _int(el, what: str) -> int | None:
    value = _text(el)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _RecordError(
            "number", _l("Ungültige Zahl «%(value)s» in %(element)s.", value=value, element=what)
        ) from None


def _date(el, code: str, reason) -> date | None:
    value = _text(el)
    if value is None:
        return None
    match = _DATE.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise _RecordError(code, _l(reason, value=value)) from None


# Reasons are written out for the catalogue extractor; _date formats them with the value.
_BAD_ARRIVAL = "Ungültiges Zuzugsdatum «%(value)s»."
_BAD_ENTRY = "Ungültiges Einreisedatum «%(value)s»."
_l("Ungültiges Zuzugsdatum «%(value)s».")
_l("Ungültiges Einreisedatum «%(value)s».")


# ---------------------------------------------------------------------------
# Person data
# ---------------------------------------------------------------------------


def _identification(el, values: dict) -> None:
    """eCH-0044 personIdentification: ids, names, sex, date of birth."""
    kids = _kids(el)
    local = kids.get("localPersonId")
    if local is not None:
        local_kids = _kids(local)
        category, person_id = _text(local_kids.get("personIdCategory")), _text(local_kids.get("personId"))
        if person_id:
            values["local_person_id"] = f"{category or ''}:{person_id}"
    values["vn"] = _vn(_text(kids.get("vn")))
    values["official_name"] = _text(kids.get("officialName"))
    values["first_name"] = _text(kids.get("firstName"))
    values["sex"] = _SEX.get(_text(kids.get("sex")) or "")
    values["date_of_birth"] = _partial_date(kids.get("dateOfBirth"))
    if values.get("local_person_id") is None and values["vn"] is None:
        raise _RecordError(
            "no_identification", _l("Person ohne Identifikation: weder lokale Personen-ID noch AHV-Nummer.")
        )


def _vn(value: str | None) -> str | None:
    try:
        return normalize_ahv(value)
    except UserError:
        raise _RecordError("vn", _l("Ungültige AHV-Nummer «%(value)s».", value=value)) from None


def _partial_date(el) -> str | None:
    """eCH-0044 datePartiallyKnown as partial ISO: "1985", "1985-03" or "1985-03-14"."""
    if el is None:
        return None
    for child in el:
        kind, value = _local(child.tag), _text(child) or ""
        try:
            if kind == "yearMonthDay" and (match := _DATE.fullmatch(value)):
                return date.fromisoformat(match.group(1)).isoformat()
            if kind == "yearMonth" and (match := _YEAR_MONTH.fullmatch(value)) and 1 <= int(match.group(2)) <= 12:
                return f"{match.group(1)}-{match.group(2)}"
            if kind == "year" and (match := _YEAR.fullmatch(value)):
                return match.group(1)
        except ValueError:
            pass
        raise _RecordError("date_of_birth", _l("Ungültiges Geburtsdatum «%(value)s».", value=value))
    return None


def _country(el) -> Country | None:
    if el is None:
        return None
    kids = _kids(el)
    iso2 = _text(kids.get("countryIdISO2"))
    country = Country(_int(kids.get("countryId"), "countryId"), iso2.upper() if iso2 else None,
                      _text(kids.get("countryNameShort")))  # fmt: skip
    return country if (country.bfs_id, country.iso2, country.name) != (None, None, None) else None


def _nationality(el, values: dict) -> None:
    kids = _kids(el)
    status = _NATIONALITY_STATUS.get(_text(kids.get("nationalityStatus")) or "")
    countries = []
    if status == "known":
        for info in el:
            if _local(info.tag) == "countryInfo":
                country = _country(_kids(info).get("country"))
                if country is not None:
                    countries.append(country)
    values["nationality_status"] = status
    values["nationalities"] = tuple(countries)


def _names(name_info, values: dict) -> None:
    """nameInfo/nameData overrides the identification's names (it is the register's full name record)."""
    name_data = _kids(name_info).get("nameData") if name_info is not None else None
    if name_data is None:
        return
    kids = _kids(name_data)
    values["official_name"] = _text(kids.get("officialName")) or values.get("official_name")
    values["first_name"] = _text(kids.get("firstName")) or values.get("first_name") or _text(kids.get("callName"))


def _birth(birth_info, values: dict) -> None:
    birth_data = _kids(birth_info).get("birthData") if birth_info is not None else None
    if birth_data is None:
        return
    kids = _kids(birth_data)
    values["date_of_birth"] = _partial_date(kids.get("dateOfBirth")) or values.get("date_of_birth")
    sex = _text(kids.get("sex"))
    if sex is not None:
        values["sex"] = _SEX.get(sex)


def _languages(additional, values: dict) -> None:
    language = _text(_kids(additional).get("languageOfCorrespondance")) if additional is not None else None
    values["languages"] = (language.lower(),) if language else ()


def _permit(permit_data, values: dict) -> None:
    """eCH-0011 residencePermitData -> permit code, eCH-0006 base category, entry date."""
    values["permit_code"] = values["permit_category"] = values["entry_date"] = None
    if permit_data is None:
        return
    kids = _kids(permit_data)
    permit = kids.get("residencePermit")
    code = None if _nil(permit) else _text(permit)
    values["permit_code"] = code
    values["permit_category"] = PERMIT_CATEGORIES.get(code[:2], "other") if code else None
    values["entry_date"] = _date(kids.get("entryDate"), "entry_date", _BAD_ENTRY)


def _origin(comes_from) -> Origin | None:
    """eCH-0011 destinationType: unknown | swissTown | foreignCountry."""
    if comes_from is None:
        return None
    kids = _kids(comes_from)
    if (swiss := kids.get("swissTown")) is not None:
        town = _kids(swiss)
        return Origin(
            "swiss",
            SWITZERLAND,
            _int(town.get("municipalityId"), "municipalityId"),
            _text(town.get("municipalityName")),
        )
    if (foreign := kids.get("foreignCountry")) is not None:
        place = _kids(foreign)
        country = _country(place.get("country"))
        town = _text(place.get("town"))
        if country is not None and is_swiss(country.iso2, country.bfs_id):
            return Origin("swiss", SWITZERLAND, None, town)
        return Origin("abroad", country, None, town)
    return Origin("unknown")


def _address(dwelling) -> tuple[Address | None, str | None]:
    """eCH-0011 dwellingAddress -> (address, householdID)."""
    if dwelling is None:
        return None, None
    kids = _kids(dwelling)
    household = _text(kids.get("householdID"))
    address_el = kids.get("address")
    if address_el is None:
        return None, household
    a = _kids(address_el)
    postal = _text(a.get("swissZipCode")) or _text(a.get("foreignZipCode"))
    country = _text(a.get("country"))
    address = Address(_text(a.get("street")), _text(a.get("houseNumber")), postal, _text(a.get("town")),
                      country.upper() if country else None)  # fmt: skip
    return address, household


_RESIDENCE_KINDS = {"hasMainResidence": "main", "hasSecondaryResidence": "secondary", "hasOtherResidence": "other"}


def _residence(event_kids: dict, values: dict, *, nested: bool) -> bool:
    """Read has{Main,Secondary,Other}Residence into ``values``; False when the event has none.

    eCH-0020 types carry the reporting data directly; eCH-0011 types (correctReporting) nest it in
    ``mainResidence`` (main) or ``secondaryResidence`` (secondary, other).
    """
    for element, kind in _RESIDENCE_KINDS.items():
        holder = event_kids.get(element)
        if holder is not None:
            return _read_residence(holder, kind, values, nested=nested)
    return False


def _read_residence(holder, kind: str, values: dict, *, nested: bool) -> bool:
    data = holder
    if nested:
        data = _kids(holder).get("mainResidence" if kind == "main" else "secondaryResidence")
        if data is None:
            return False
    kids = _kids(data)
    municipality = kids.get("reportingMunicipality")
    if municipality is not None:
        m = _kids(municipality)
        values["municipality_bfs"] = _int(m.get("municipalityId"), "municipalityId")
        values["municipality_name"] = _text(m.get("municipalityName"))
    values["residence_type"] = kind
    values["arrival_date"] = _date(kids.get("arrivalDate"), "arrival_date", _BAD_ARRIVAL)
    values["origin"] = _origin(kids.get("comesFrom"))
    values["address"], values["household_id"] = _address(kids.get("dwellingAddress"))
    return True


def _record(values: dict, fields: frozenset[str] | None = None) -> PersonRecord:
    if fields is None:  # arrivals and base: every field present
        fields = frozenset(name for name in RECORD_FIELDS if values.get(name) not in (None, ()))
    return PersonRecord(**values, fields=fields)


def _full_person(person_el, values: dict) -> None:
    """eCH-0020 baseDeliveryPersonType (moveInPerson, baseDeliveryPerson)."""
    kids = _kids(person_el)
    identification = kids.get("personIdentification")
    if identification is None:
        raise _RecordError(
            "no_identification", _l("Person ohne Identifikation: weder lokale Personen-ID noch AHV-Nummer.")
        )
    _identification(identification, values)
    _names(kids.get("nameInfo"), values)
    _birth(kids.get("birthInfo"), values)
    if (nationality := kids.get("nationalityData")) is not None:
        _nationality(nationality, values)
    _languages(kids.get("personAdditionalData"), values)
    _permit(kids.get("residencePermitData"), values)


def _read_arrival_or_base(name: str, el) -> PersonRecord:
    kids = _kids(el)
    person_el = kids.get("moveInPerson" if name == "moveIn" else "baseDeliveryPerson")
    if person_el is None:
        raise _RecordError("no_person", _l("Die Meldung enthält keine Personendaten."))
    values: dict = {}
    _full_person(person_el, values)
    if not _residence(kids, values, nested=False) or values.get("arrival_date") is None:
        raise _RecordError("arrival_date", _l("Zuzugsdatum fehlt."))
    return _record(values)


def _read_correction(name: str, el) -> PersonRecord:
    kids = _kids(el)
    values: dict = {}
    if name == "correctIdentification":
        return _read_identification_correction(kids)
    person_el = next((child for child in el if _local(child.tag).endswith("Person")), None)
    if person_el is None:
        raise _RecordError(
            "no_identification", _l("Person ohne Identifikation: weder lokale Personen-ID noch AHV-Nummer.")
        )
    _identification(person_el, values)
    identified = {key: values[key] for key in ("local_person_id", "vn") if values.get(key) is not None}
    values = dict(identified)
    if name == "correctName":
        _names(kids.get("nameInfo"), values)
    elif name == "correctNationality":
        _nationality(kids.get("nationalityData"), values)
    elif name == "correctResidencePermit":
        _permit(kids.get("residencePermitData"), values)
    elif name == "correctPersonAdditionalData":
        _languages(kids.get("personAdditionalData"), values)
    elif name == "correctBirthInfo":
        _birth(kids.get("birthInfo"), values)
    elif name == "correctReporting":
        _residence(kids, values, nested=True)
    return _record(values, CORRECTION_FIELDS[name])


def _read_identification_correction(kids: dict) -> PersonRecord:
    """correctIdentification: the record carries the new ids, ``previous_*`` the ones it replaces."""
    person = kids.get("correctIdentificationPerson")
    parts = _kids(person) if person is not None else {}
    before, after = parts.get("personIdentificationBefore"), parts.get("personIdentificationAfter")
    if before is None or after is None:
        raise _RecordError(
            "no_identification", _l("Person ohne Identifikation: weder lokale Personen-ID noch AHV-Nummer.")
        )
    old: dict = {}
    _identification(before, old)
    new: dict = {}
    _identification(after, new)
    values = {
        "local_person_id": new.get("local_person_id"),
        "vn": new.get("vn"),
        "previous_local_person_id": old.get("local_person_id"),
        "previous_vn": old.get("vn"),
    }
    return _record(values, CORRECTION_FIELDS["correctIdentification"])


_READERS = {"arrival": _read_arrival_or_base, "base": _read_arrival_or_base, "correction": _read_correction}
