"""The import pipeline: registry messages and CSV rows in, newcomers (and the reasons for the rest) out.

One :class:`Importer` serves one :class:`~plugins.informieren.models.ImportRun`.  It is fed files
(``add_files``) or prepared events (``add_events``) and writes in chunks: the events of a chunk are
matched against the tenant's persons with lookups prepared once (ids in dicts, rows loaded per chunk
in one query), new rows go in as bulk inserts, and each chunk is committed with the run's counts
and the job's progress.  What a chunk committed stays even if a later chunk fails.

Rules (issue 5): only arrivals **from abroad** create newcomers; moves from a Swiss commune are
counted and skipped; an arrival of unknown origin is skipped and flagged for review; a commune the
tenant does not serve on the arrival date is rejected; persons are matched on the registry's local
person id (with the commune) and then on the AHV number, never on names; a correction updates only
the fields it corrects and never creates a person; a message already taken (same bytes) does nothing.
A person created with the names and birth date of someone the tenant has already (typed in by hand,
say) is created and flagged for review (issue 15), as core's duplicate warning would flag them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit, clock
from core.clock import utcnow
from core.db import current_scope, db
from core.i18n import sort_text
from core.people import Person, search_name
from core.people.models import name_variants
from core.tenancy import Tenant, TenantMunicipality, commune_name, tenant_scope
from plugins.informieren.countries import eu_efta
from plugins.informieren.models import ImportItem, ImportRun, Newcomer, PersonChange, ReceivedMessage, Source

COUNT_KEYS = (
    "created", "updated", "unchanged", "skipped_swiss", "skipped_before_since", "review", "rejected", "refused",
    "already_imported", "other_events", "test_deliveries", "possible_duplicates",
)
CHUNK_SIZE = 1000
HASH_LOOKUP_BATCH = 500  # files whose hashes are looked up in one query
HASH_BLOCK = 1024 * 1024
INDEX_PAGE = 10_000  # register rows read at a time when the importer builds its index
ROW_LOOKUP_BATCH = 900  # ids per IN (...) (SQLite allows 32,766 parameters; PostgreSQL more)
DEFAULT_SINCE = date(2017, 1, 1)  # the introduction year of first information

# Person columns an import sets; the rest (stage, timestamps, source) belong to the register.
IMPORTED_FIELDS = (
    "official_name", "first_name", "sex", "date_of_birth", "nationalities", "languages", "arrival_date",
    "municipality_bfs", "permit_category", "eu_efta", "street", "house_number", "postal_code", "town",
    "household_key", "local_person_id", "vn",
)
PERSON_COLUMNS = ("tenant_id", "id", *(c for c in IMPORTED_FIELDS if c in Person.__table__.c))
NEWCOMER_COLUMNS = tuple(c.key for c in Newcomer.__table__.c)
NEWCOMER_KIND = Newcomer.__mapper_args__["polymorphic_identity"]
REQUIRED_FIELDS = ("official_name", "first_name", "arrival_date", "municipality_bfs")
# A correction names what it corrects; some names stand for several columns.
CORRECTED_COLUMNS = {
    "address": ("street", "house_number", "postal_code", "town"),
    "nationalities": ("nationalities", "eu_efta"),
    "nationality": ("nationalities", "eu_efta"),
    "name": ("official_name", "first_name"),
    "household_id": ("household_key",),
    "household": ("household_key",),
    "permit": ("permit_category",),
}


def _not_served(bfs: int, arrival: date) -> str:
    return _("Die Gemeinde %(commune)s wird von diesem Mandanten nicht betreut (weder am %(day)s, dem Tag des "
             "Zuzugs, noch heute).", commune=commune_name(bfs), day=arrival.strftime("%d.%m.%Y"))


def household_key(record, arrival: date | None) -> str | None:
    """The registry's household id, else a key stable for members moving in together (date and address)."""
    if getattr(record, "household_id", None):
        return f"hh:{record.municipality_bfs}:{record.household_id}"[:100]
    address = getattr(record, "address", None)
    if address is None or not (address.street or address.postal_code):
        return None
    parts = (arrival, record.municipality_bfs, address.street, address.house_number, address.postal_code,
             address.town)
    text = "|".join("" if p is None else str(p).strip().casefold() for p in parts)
    return "adr:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def default_since(tenant: Tenant) -> date:
    """The tenant's Informieren activation date, else 1 January 2017 (see docs/informieren.md)."""
    from core import modules

    row = modules.activations(tenant).get("informieren")
    return row.effective_from if row is not None and row.effective_from else DEFAULT_SINCE


# -- what flows through -------------------------------------------------------------------------------


@dataclass
class FileRefusal:
    """A file refused as a whole before it was parsed (an unsafe ZIP member, say)."""

    filename: str
    reason: str
    code: str = "refused"


@dataclass
class _Pending:
    """One event waiting for its chunk, with the context to report it."""

    filename: str
    message_id: str
    event: Any  # ech0020.Event or an event of the CSV reader (same attributes)


@dataclass
class _Received:
    """The end of a message: the message is recorded as received with the chunk that holds its end."""

    sha256: str
    message_id: str


@dataclass
class _Slot:
    """A person touched in the current chunk: a row of the database or one to insert."""

    id: uuid.UUID
    values: dict
    new: bool
    row: Newcomer | None = None
    changed: set = field(default_factory=set)


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _limit(column: str, value):
    """Cut a text to its column's length (a registry may send longer texts than the register keeps)."""
    if isinstance(value, str):
        length = Newcomer.__mapper__.columns[column].type.length
        return value[:length] if length else value
    return value


def _describe(record) -> dict:
    """Enough to find the person in the registry: names, ids, dates, commune (never more)."""
    return {
        "official_name": getattr(record, "official_name", None),
        "first_name": getattr(record, "first_name", None),
        "date_of_birth": getattr(record, "date_of_birth", None),
        "local_person_id": getattr(record, "local_person_id", None),
        "vn": getattr(record, "vn", None),
        "arrival_date": _iso(getattr(record, "arrival_date", None)),
        "municipality_bfs": getattr(record, "municipality_bfs", None),
    }


def _invalid_ids(record) -> str | None:
    """Ids are matched as they are, so one that does not fit the register is refused, not cut."""
    local_id, vn = getattr(record, "local_person_id", None), getattr(record, "vn", None)
    if local_id and len(local_id) > Person.__table__.c.local_person_id.type.length:
        return _("Die Personenkennung des Registers ist zu lang.")
    if vn and not (len(vn) == 13 and vn.isdigit()):
        return _("Die AHV-Nummer «%(vn)s» hat nicht 13 Ziffern.", vn=vn)
    return None


def sha256_of(content: bytes | BinaryIO) -> str:
    if isinstance(content, bytes | bytearray):
        return hashlib.sha256(content).hexdigest()
    digest = hashlib.sha256()
    content.seek(0)
    while block := content.read(HASH_BLOCK):
        digest.update(block)
    return digest.hexdigest()


def _register_ids() -> Iterator[tuple]:
    """The register's ids, a page at a time: a large register's rows are never in memory at once.

    Pages by key rather than a server-side cursor, which PostgreSQL's pipeline (the RLS settings) rules out.
    """
    query = sa.select(Newcomer.id, Newcomer.municipality_bfs, Newcomer.local_person_id, Newcomer.vn)
    last = None
    while True:
        page = query if last is None else query.where(Newcomer.id > last)
        rows = db.session.execute(page.order_by(Newcomer.id).limit(INDEX_PAGE)).all()
        yield from rows
        if len(rows) < INDEX_PAGE:
            return
        last = rows[-1][0]


def _name_index() -> dict[str, list[tuple[uuid.UUID, str]]]:
    """The tenant's persons with a birth date by each spelling of their names (what core's duplicate check
    compares), a page at a time; anonymised records are never offered."""
    index: dict[str, list[tuple[uuid.UUID, str]]] = {}
    query = sa.select(Person.id, Person.search_name, Person.date_of_birth).where(
        Person.anonymised_on.is_(None), Person.date_of_birth.is_not(None))
    last = None
    while True:
        page = query if last is None else query.where(Person.id > last)
        rows = db.session.execute(page.order_by(Person.id).limit(INDEX_PAGE)).all()
        for person_id, names, born in rows:
            for variant in filter(None, names.split("|")):
                index.setdefault(variant, []).append((person_id, born))
        if len(rows) < INDEX_PAGE:
            return index
        last = rows[-1][0]


def _births_agree(one: str, other: str) -> bool:
    """Partial birth dates agree as far as both are known ("1992" and "1992-02-14" do)."""
    return one.startswith(other) or other.startswith(one)


def db_tenant_id() -> int:
    return current_scope().tenant_id


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


class Importer:
    """Imports into one tenant for one run; call :meth:`finish` at the end."""

    def __init__(self, tenant: Tenant, run: ImportRun, *, since: date, source: str = Source.ECH0020,
                 chunk_size: int | None = None, progress: Callable[[int, int | None, str], None] | None = None,
                 parse: Callable[[bytes], Any] | None = None):
        self.tenant = tenant
        self.run = run
        self.since = since
        self.today = clock.today()  # the import's day, for which communes the tenant serves now
        self.source = source
        self.chunk_size = chunk_size or CHUNK_SIZE
        self.report_progress = progress
        self._parse = parse
        self.actor = audit.current_actor()
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.refused_files: list[tuple[str, str]] = []
        self.files_done = 0
        self.files_total: int | None = None  # set by the caller when known
        self.events_total: int | None = None
        self.events_done = 0
        self._buffer: list[_Pending | _Received] = []
        self._events_in_buffer = 0
        self._seen_hashes: set[str] = set()  # files taken in this run
        self._refused_hashes: dict[str, tuple[str, str]] = {}  # files refused in this run: (reason, code)
        self._items: list[dict] = []
        self._names: dict | None = None  # the name index, built when the first person is created
        with tenant_scope(tenant):
            self._load_index()
            self._start_over()

    # -- lookups prepared once -------------------------------------------------------------------

    def _load_index(self) -> None:
        self.by_local: dict[tuple[int, str], uuid.UUID] = {}
        self.by_vn: dict[str, uuid.UUID] = {}
        self.by_local_id: dict[str, set[uuid.UUID]] = {}  # the local id alone (corrections name no commune)
        for person_id, bfs, local_id, vn in _register_ids():
            if local_id:
                self.by_local[(bfs, local_id)] = person_id
                self.by_local_id.setdefault(local_id, set()).add(person_id)
            if vn:
                self.by_vn[vn] = person_id
        self.links = [
            (link.bfs_number, link.valid_from, link.valid_to)
            for link in db.session.scalars(sa.select(TenantMunicipality))
        ]

    def _start_over(self) -> None:
        """An attempt reads all of the run's files again, so the counts describe this run, not its attempts.

        An earlier attempt (a killed worker's, or one that lost a race) committed chunks: its items and
        taken messages are forgotten here (with this attempt's first commit), and what it did to persons
        is remembered, so that meeting them again counts as "created" or "updated" once more, not as
        "unchanged", and adds no second change to their history.
        """
        self._earlier: dict[uuid.UUID, list[str]] = {}  # person → the kinds of change earlier attempts made
        if not self.run.counts:  # a new run: no attempt committed anything yet (each commit writes counts)
            return
        rows = db.session.execute(sa.select(PersonChange.person_id, PersonChange.kind)
                                  .where(PersonChange.import_id == self.run.id).order_by(PersonChange.occurred_at))
        for person_id, kind in rows:
            self._earlier.setdefault(person_id, []).append(kind)
        db.session.execute(sa.delete(ImportItem).where(ImportItem.import_id == self.run.id))
        db.session.execute(sa.delete(ReceivedMessage).where(ReceivedMessage.import_id == self.run.id))

    def _again(self, person_id: uuid.UUID) -> str:
        """How an event that changes nothing counts: as the earlier attempt's change it repeats, if any."""
        kinds = self._earlier.get(person_id)
        if not kinds:
            return "unchanged"
        return "created" if kinds.pop(0) == "created" else "updated"

    def serves(self, bfs: int | None, arrival: date) -> bool:
        """Whether the tenant serves the commune on the arrival day or today (as the register's form checks).

        Today: a tenant set up after its newcomers arrived still takes them; the arrival day: a late
        message of someone who arrived while the tenant served the commune.
        """
        return any(b == bfs and start <= day and (end is None or day <= end)
                   for b, start, end in self.links for day in (arrival, self.today))

    # -- feeding ------------------------------------------------------------------------------------

    def parse(self, content: bytes | BinaryIO):
        """The message checked as a whole; its records are read one at a time from ``entries()``."""
        if self._parse is None:
            from plugins.informieren.imports import ech0020

            self._parse = ech0020.open_message
        return self._parse(content)

    def add_files(self, files: Iterable[tuple[str, bytes | BinaryIO] | FileRefusal]) -> None:
        """Registry messages (name, bytes or a seekable binary file), or refusals of the unpacking.

        Hashes are looked up in batches; a file's content is read in blocks, never whole.
        """
        for group in _batched(files, HASH_LOOKUP_BATCH):
            digests = {id(f): sha256_of(f[1]) for f in group if not isinstance(f, FileRefusal)}
            known = self._received(set(digests.values()))
            for item in group:
                if isinstance(item, FileRefusal):
                    self.refuse(item.filename, item.reason, item.code)
                else:
                    self._add_message(item[0], item[1], digests[id(item)], known)
                self.files_done += 1
                self._report_files()

    def _received(self, digests: set[str]) -> dict[str, uuid.UUID | None]:
        found = {}
        with tenant_scope(self.tenant):
            for part in _batched(digests, ROW_LOOKUP_BATCH):
                rows = db.session.execute(
                    sa.select(ReceivedMessage.sha256, ReceivedMessage.import_id).where(ReceivedMessage.sha256.in_(part))
                )
                found.update(dict(rows.all()))
        return found

    def _add_message(self, filename: str, data: bytes, digest: str, known: dict) -> None:
        if digest in self._seen_hashes or digest in known:
            self.counts["already_imported"] += 1
            return
        if digest in self._refused_hashes:  # a copy of a refused file is refused too, without parsing it again
            self.refuse(filename, *self._refused_hashes[digest])
            return
        from plugins.informieren.imports import ech0020

        try:
            message = self.parse(data)
        except ech0020.MessageError as error:
            self._refused_hashes[digest] = (str(error), getattr(error, "code", "invalid"))
            self.refuse(filename, *self._refused_hashes[digest])
            return
        self._seen_hashes.add(digest)  # taken: a copy later in the run is already imported
        message_id = str(message.message_id or "")[:200]
        if getattr(message, "test_delivery", False):
            # The registry's connection test (eCH-0058 testDeliveryFlag): real people must not come of it.
            self.counts["test_deliveries"] += 1
            self._item(filename, None, "skipped", _("Testlieferung des Registers: nichts übernommen."),
                       {"message_id": message_id})
            self._buffer.append(_Received(digest, message_id))
            return
        if self.files_total == 1:  # one file: the progress counts its records
            self.events_total = message.events_total
        self.add_events(filename, message_id, self._events_of(filename, message_id, message))
        self._buffer.append(_Received(digest, message_id))

    def _events_of(self, filename: str, message_id: str, message) -> Iterator:
        """The message's events as the parser reads them; a rejected record is reported on the way."""
        from plugins.informieren.imports import ech0020

        for entry in message.entries():
            if isinstance(entry, ech0020.Rejected):
                self.reject_row(filename, entry.position, str(entry.reason),
                                {"message_id": message_id, "event": entry.name})
            else:
                yield entry

    def add_events(self, filename: str, message_id: str, events: Iterable) -> None:
        for event in events:
            # Flushed before the next event, not after the last: a full chunk keeps its message's end.
            if self._events_in_buffer >= self.chunk_size:
                self.flush()
            self._buffer.append(_Pending(filename, message_id, event))
            self._events_in_buffer += 1

    def taken(self, digest: str) -> bool:
        """Whether a file (a CSV with its mapping) was taken before; counted as already imported if so."""
        if digest in self._seen_hashes or digest in self._received({digest}):
            self.counts["already_imported"] += 1
            return True
        return False

    def add_record(self, filename: str, digest: str, message_id: str, events: Iterable) -> None:
        """A file not in eCH-0020 (a CSV) already turned into events, recorded as received with its end."""
        self._seen_hashes.add(digest)
        self.add_events(filename, message_id, events)
        self._buffer.append(_Received(digest, message_id))

    def refuse(self, filename: str, reason: str, code: str = "refused") -> None:
        """The file as a whole is refused (nothing of it is written); the others go on."""
        self.counts["refused"] += 1
        self.refused_files.append((filename, reason))
        self._item(filename, None, "refused", reason, {"code": code})

    def reject_row(self, filename: str, position: int | None, reason: str, detail: dict | None = None) -> None:
        self.counts["rejected"] += 1
        self._item(filename, position, "rejected", reason, detail or {})
        if len(self._items) >= self.chunk_size:  # a file of rejected records only: its reasons go in chunks too
            self.flush()

    def _item(self, filename, position, outcome, reason, detail) -> None:
        self._items.append({
            "tenant_id": self.tenant.id, "id": uuid.uuid4(), "import_id": self.run.id, "filename": filename[:300],
            "position": position, "outcome": outcome, "reason": reason, "detail": detail,
        })

    # -- a chunk ------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Process the buffered events and commit them with the run's counts."""
        pending, self._buffer, self._events_in_buffer = self._buffer, [], 0
        with tenant_scope(self.tenant):
            slots = self._load_slots(pending)
            self._new_persons: list[_Slot] = []
            self._changes: list[dict] = []
            received = []
            for entry in pending:
                if isinstance(entry, _Received):
                    received.append({"tenant_id": self.tenant.id, "sha256": entry.sha256,
                                     "message_id": entry.message_id, "import_id": self.run.id,
                                     "received_at": utcnow()})
                else:
                    self._handle(entry, slots)
            self._write(slots, received)
            self.run.counts = dict(self.counts)
            self.events_done += sum(isinstance(entry, _Pending) for entry in pending)
            if self.report_progress and self.events_total:
                self.report_progress(self.events_done, self.events_total,
                                     _("%(done)s von %(total)s Datensätzen", done=self.events_done,
                                       total=self.events_total))
        db.session.commit()

    def _load_slots(self, pending: list) -> dict[uuid.UUID, _Slot]:
        """The persons of the chunk already in the register, in one query per batch of ids."""
        ids = set()
        for entry in pending:
            if isinstance(entry, _Pending) and entry.event.person is not None:
                found = self._match(entry.event.person, previous=entry.event.kind == "correction")
                if found is not None:
                    ids.add(found)
        slots = {}
        for part in _batched(ids, ROW_LOOKUP_BATCH):
            for row in db.session.scalars(sa.select(Newcomer).where(Newcomer.id.in_(part))):
                slots[row.id] = _Slot(row.id, {f: getattr(row, f) for f in IMPORTED_FIELDS}, new=False, row=row)
        return slots

    @staticmethod
    def _slot(person_id: uuid.UUID, slots: dict) -> _Slot:
        """The slot of a matched person; one the chunk's first lookup did not foresee is loaded now."""
        if person_id not in slots:
            row = db.session.get(Newcomer, (db_tenant_id(), person_id))
            slots[person_id] = _Slot(row.id, {f: getattr(row, f) for f in IMPORTED_FIELDS}, new=False, row=row)
        return slots[person_id]

    def _match(self, record, previous: bool = False) -> uuid.UUID | None:
        """The person with the record's local id in its commune, else with its AHV number; never by name.

        A correction of the identification carries the ids before it (``previous_*``): those match.
        """
        local_id = getattr(record, "local_person_id", None)
        vn = getattr(record, "vn", None)
        if previous:
            local_id = getattr(record, "previous_local_person_id", None) or local_id
            vn = getattr(record, "previous_vn", None) or vn
        bfs = record.municipality_bfs
        if local_id and bfs is None:  # a correction names no commune: the id must be unique in the tenant
            found = self.by_local_id.get(local_id, ())
            if len(found) == 1:
                return next(iter(found))
        if local_id and (bfs, local_id) in self.by_local:
            return self.by_local[(bfs, local_id)]
        return self.by_vn.get(vn) if vn else None

    def _handle(self, entry: _Pending, slots: dict) -> None:
        event, record = entry.event, entry.event.person
        if event.kind == "other" or record is None:
            self.counts["other_events"] += 1
        elif event.kind == "correction":
            self._correct(entry, record, slots)
        elif event.kind in ("arrival", "base"):
            self._arrive(entry, record, slots)
        else:
            self.counts["other_events"] += 1

    def _reject(self, entry: _Pending, reason: str, record=None) -> None:
        self.counts["rejected"] += 1
        self._event_item(entry, "rejected", reason, record)

    def _event_item(self, entry: _Pending, outcome: str, reason: str, record) -> None:
        detail = {"event": entry.event.name, "message_id": entry.message_id, **_describe(record)}
        self._item(entry.filename, entry.event.position, outcome, reason, detail)

    def _arrive(self, entry: _Pending, record, slots: dict) -> None:
        arrival = record.arrival_date
        if entry.event.kind == "base" and (arrival is None or arrival < self.since):
            self.counts["skipped_before_since"] += 1
            return
        if arrival is None:
            self._reject(entry, _("Das Zuzugsdatum fehlt."), record)
            return
        if not self.serves(record.municipality_bfs, arrival):
            # A message for a commune the tenant does not serve: rejected, whatever the origin.
            self._reject(entry, _not_served(record.municipality_bfs, arrival), record)
            return
        kind = record.origin.kind if record.origin is not None else "unknown"
        if kind == "swiss":
            self.counts["skipped_swiss"] += 1
            return
        if kind != "abroad":
            self.counts["review"] += 1
            self._event_item(entry, "review", _("Herkunft unbekannt: bitte prüfen, ob die Person aus dem Ausland "
                                                "zugezogen ist."), record)
            return
        values = self._values(record)
        missing = [f for f in REQUIRED_FIELDS if not values.get(f)]
        if missing:
            self._reject(entry, _("Angaben fehlen: %(fields)s.", fields=", ".join(missing)), record)
            return
        invalid = _invalid_ids(record)
        if invalid:
            self._reject(entry, invalid, record)
            return
        person_id = self._match(record)
        if person_id is None:
            self._create(entry, values, slots)
            return
        slot = self._slot(person_id, slots)
        if entry.event.kind == "arrival" and arrival <= slot.values["arrival_date"]:
            # The same arrival again (re-sent, or older): it fills gaps but does not undo corrections.
            values = {k: v for k, v in values.items() if slot.values.get(k) in (None, [], "")}
        self._update(entry, slot, values, kind="arrival")

    def _correct(self, entry: _Pending, record, slots: dict) -> None:
        person_id = self._match(record, previous=True)
        if person_id is None:
            self._reject(entry, _("Unbekannte Person: eine Korrektur legt keine Person an."), record)
            return
        slot = self._slot(person_id, slots)
        values = self._values(record)
        columns = set()
        for name in getattr(record, "fields", ()) or ():
            columns.update(CORRECTED_COLUMNS.get(name, (name,)))
        wanted = {c: values[c] for c in columns if c in values and (values[c] is not None or c not in REQUIRED_FIELDS)}
        arrival = wanted.get("arrival_date") or slot.values["arrival_date"]
        if "arrival_date" in wanted or "nationalities" in wanted:
            wanted["eu_efta"] = eu_efta(wanted.get("nationalities", slot.values["nationalities"]), arrival)
        if wanted.get("municipality_bfs") and not self.serves(wanted["municipality_bfs"], arrival):
            self._reject(entry, _not_served(wanted["municipality_bfs"], arrival), record)
            return
        self._update(entry, slot, wanted, kind="correction")

    def _values(self, record) -> dict:
        nationalities = [c.code for c in (record.nationalities or ()) if getattr(c, "code", None)]
        address = record.address
        values = {
            "official_name": record.official_name, "first_name": record.first_name, "sex": record.sex,
            "date_of_birth": record.date_of_birth, "nationalities": nationalities,
            "languages": [lang for lang in (record.languages or ()) if lang], "arrival_date": record.arrival_date,
            "municipality_bfs": record.municipality_bfs, "permit_category": record.permit_category,
            "eu_efta": eu_efta(nationalities, record.arrival_date),
            "street": address.street if address else None, "house_number": address.house_number if address else None,
            "postal_code": address.postal_code if address else None, "town": address.town if address else None,
            "household_key": household_key(record, record.arrival_date),
            "local_person_id": record.local_person_id, "vn": record.vn,
        }
        return {key: _limit(key, value) for key, value in values.items()}

    def _create(self, entry: _Pending, values: dict, slots: dict) -> None:
        slot = _Slot(uuid.uuid4(), values, new=True)
        slots[slot.id] = slot
        self._new_persons.append(slot)
        self._index(slot)
        self.counts["created"] += 1
        given = sorted(k for k, v in values.items() if v not in (None, []))
        self._changes.append(self._change(slot.id, "created", given))
        self._flag_if_known(entry, slot)

    def _flag_if_known(self, entry: _Pending, slot: _Slot) -> None:
        """A new person with the names and birth date of a person the tenant has: created, and flagged.

        Created rather than held back: the registry's record is the truth and carries the ids its later
        messages are matched on, and a file is taken once, so a held-back row would be lost. The flag
        lists both persons, and core's person page shows them as possible duplicates of each other.
        """
        values, born = slot.values, slot.values.get("date_of_birth")
        if not born:
            return
        if self._names is None:
            self._names = _name_index()
        variants = name_variants(values.get("first_name"), values.get("official_name"))
        known = (entry for variant in variants for entry in self._names.get(variant, ()))
        matches = list(dict.fromkeys(other_id for other_id, other_born in known
                                     if other_id != slot.id and _births_agree(born, other_born)))
        for variant in variants:
            self._names.setdefault(variant, []).append((slot.id, born))
        if matches:
            self.counts["possible_duplicates"] += 1
            detail = {"event": entry.event.name, "message_id": entry.message_id, **_describe(entry.event.person),
                      "person_id": str(slot.id), "matches": [str(person_id) for person_id in matches]}
            self._item(entry.filename, entry.event.position, "duplicate",
                       _("Neu erfasst, aber möglicherweise dieselbe Person wie eine bereits erfasste (gleicher Name "
                         "und gleiches Geburtsdatum): bitte prüfen."), detail)

    def _update(self, entry: _Pending, slot: _Slot, wanted: dict, kind: str) -> None:
        if kind == "arrival":  # a message does not blank what the register knows
            wanted = {k: v for k, v in wanted.items() if v not in (None, [], "")}
        changed = {k: v for k, v in wanted.items() if slot.values.get(k) != v}
        conflict = self._conflict(slot, changed)
        if conflict:
            self._reject(entry, conflict, entry.event.person)
            return
        if not changed:
            again = self._again(slot.id)
            self.counts[again] += 1
            if again == "created":  # an earlier attempt created them: its flag went with its items
                self._flag_if_known(entry, slot)
            return
        self._unindex(slot)
        slot.values.update(changed)
        slot.changed.update(changed)
        self._index(slot)
        self.counts["updated"] += 1
        self._changes.append(self._change(slot.id, "corrected", sorted(changed)))

    def _conflict(self, slot: _Slot, changed: dict) -> str | None:
        """A new id that already belongs to another person: refuse rather than merge two persons."""
        vn = changed.get("vn")
        if vn and self.by_vn.get(vn, slot.id) != slot.id:
            return _("Die AHV-Nummer gehört bereits einer anderen Person.")
        if "local_person_id" in changed or "municipality_bfs" in changed:
            key = (changed.get("municipality_bfs", slot.values["municipality_bfs"]),
                   changed.get("local_person_id", slot.values["local_person_id"]))
            if key[1] and self.by_local.get(key, slot.id) != slot.id:
                return _("Die Personenkennung des Registers gehört bereits einer anderen Person.")
        return None

    def _index(self, slot: _Slot) -> None:
        values = slot.values
        if values.get("local_person_id"):
            self.by_local[(values["municipality_bfs"], values["local_person_id"])] = slot.id
            self.by_local_id.setdefault(values["local_person_id"], set()).add(slot.id)
        if values.get("vn"):
            self.by_vn[values["vn"]] = slot.id

    def _unindex(self, slot: _Slot) -> None:
        values = slot.values
        self.by_local.pop((values["municipality_bfs"], values.get("local_person_id")), None)
        self.by_local_id.get(values.get("local_person_id"), set()).discard(slot.id)
        if values.get("vn"):
            self.by_vn.pop(values["vn"], None)

    def _change(self, person_id: uuid.UUID, kind: str, fields: list[str]) -> dict:
        return {"tenant_id": self.tenant.id, "id": uuid.uuid4(), "person_id": person_id, "occurred_at": utcnow(),
                "actor": self.actor, "kind": kind, "source": self.source, "fields": fields,
                "import_id": self.run.id}

    def _write(self, slots: dict, received: list[dict]) -> None:
        """Bulk inserts on the tables (one statement per table: the ORM would group rows by their
        None columns), ORM updates for the persons already there."""
        now = utcnow()
        rows = [{**{c: None for c in IMPORTED_FIELDS}, **slot.values, "tenant_id": self.tenant.id, "id": slot.id,
                 "source": self.source, "stage": "new"} for slot in self._new_persons]
        # A newcomer is two rows: core's person (the identity) and Informieren's own (joined inheritance).
        persons = [{**{c: row[c] for c in PERSON_COLUMNS}, "kind": NEWCOMER_KIND, "created_at": now, "updated_at": now,
                    "search_name": search_name(row["first_name"], row["official_name"]),
                    "sort_name": sort_text(row["official_name"], row["first_name"])} for row in rows]
        newcomers = [{c: row[c] for c in NEWCOMER_COLUMNS} for row in rows]
        for slot in slots.values():
            if not slot.new and slot.changed:
                for column in slot.changed:
                    setattr(slot.row, column, slot.values[column])
        db.session.flush()
        for table, values in ((Person.__table__, persons), (Newcomer.__table__, newcomers),
                              (PersonChange.__table__, self._changes), (ImportItem.__table__, self._items),
                              (ReceivedMessage.__table__, received)):
            if values:
                db.session.execute(sa.insert(table), values)
        self._items = []

    # -- progress and the end ---------------------------------------------------------------------------

    def _report_files(self) -> None:
        if self.report_progress and self.files_total and self.files_total > 1 and (
                self.files_done % 100 == 0 or self.files_done == self.files_total):
            self.report_progress(self.files_done, self.files_total, _("%(done)s von %(total)s Dateien",
                                                                      done=self.files_done, total=self.files_total))

    def finish(self) -> ImportRun:
        """Write what is left, close the run and record it in the audit log."""
        self.flush()
        with tenant_scope(self.tenant):
            self.run.counts = dict(self.counts)
            self.run.finished_at = utcnow()
            if self.refused_files and not any(self.counts[k] for k in COUNT_KEYS if k != "refused"):
                self.run.refused = "; ".join(f"{name}: {reason}" for name, reason in self.refused_files)[:4000]
            audit.record("informieren.import", object_type="informieren_import", object_id=self.run.id,
                         detail={"source": self.source, "filename": self.run.filename, "counts": self.run.counts})
        db.session.commit()
        return self.run
