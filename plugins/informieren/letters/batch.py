"""Welcome letters: a PDF per household, one combined file to print, marked as sent; the timeline.

A person receives one welcome letter (one ``WelcomeLetter`` row, shared by the
household's letter); a batch job takes everybody who has none yet, so a second
run produces nothing new.  An explicit *regenerate* for chosen persons replaces
their rows.  A household whose address lacks street, postal code or town is held
back (it keeps waiting) unless the officer included it explicitly on the preview
(:mod:`plugins.informieren.letters.preview`); then its letter is flagged.
The templates are in :mod:`plugins.informieren.letters.templates`, the pages in
:mod:`plugins.informieren.letters.views`; the PDF layout and fonts are core's (:mod:`core.documents`).
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from babel import UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from core import audit, clock, i18n, provisioning
from core.access import can
from core.db import db
from core.documents.letter import Letter, LetterLink, links_for, render_each
from core.documents.text import is_latin, is_rtl_language, language_script, latin_spelling, scripts
from core.jobs import JobContext, JobKind, ResultFile
from core.people import TimelineEntry
from core.tenancy import Municipality
from plugins.informieren.letters.templates import CONTACT_SETTING, FALLBACK_LANGUAGE, fill, templates
from plugins.informieren.letters.texts import DEFAULTS
from plugins.informieren.models import LetterTemplate, Newcomer, WelcomeLetter, refresh_stage

JOB_KIND = "informieren.letters"
GENERATED, SENT = "generated", "sent"
# A batch writes to at most this many persons, the earliest arrivals first; the others wait for the next
# batch. It bounds the worker's memory and time (about 10 ms a letter) and the size of the result files.
MAX_BATCH_PERSONS = 2000


# What an envelope needs to reach someone: without these the post returns the letter.
ADDRESS_FIELDS = ("street", "postal_code", "town")


# -- households ---------------------------------------------------------------------------------


@dataclass
class Household:
    key: str  # "<bfs>:<registry household id>" or "<bfs>:person-<uuid>"
    members: list[Newcomer]

    @property
    def first(self) -> Newcomer:
        return self.members[0]


def household_key(person: Newcomer) -> str:
    own = person.household_key or f"person-{person.id}"
    return f"{person.municipality_bfs}:{own}"[:100]


def member_order(person: Newcomer):
    # The oldest first: the household's reference person (an unknown birth date last).
    return (person.date_of_birth or "9999", person.official_name, person.first_name, str(person.id))


def households(persons: list[Newcomer]) -> list[Household]:
    """Persons grouped by household (members moving together), in the order of the first person's name."""
    grouped: dict[str, list[Newcomer]] = defaultdict(list)
    for person in persons:
        grouped[household_key(person)].append(person)
    result = [Household(key, sorted(members, key=member_order)) for key, members in grouped.items()]
    return sorted(result, key=lambda h: (h.first.official_name.casefold(), h.first.first_name.casefold(), h.key))


def choose_language(household: Household, available) -> str:
    """The first language of the first person that has a template, then the other members', else German."""
    for person in household.members:
        for language in person.languages or ():
            if language in available:
                return language
    return FALLBACK_LANGUAGE


def address_gaps(person: Newcomer) -> list[str]:
    """The parts of the address an envelope needs that are missing (of :data:`ADDRESS_FIELDS`)."""
    return [name for name in ADDRESS_FIELDS if not (getattr(person, name) or "").strip()]


def needs_latin(person: Newcomer) -> bool:
    """Whether the person's name has letters Swiss Post cannot read (Cyrillic, Arabic, Ethiopic …)."""
    return not is_latin(f"{person.first_name} {person.official_name}")


def envelope_name(person: Newcomer, latin: bool) -> str:
    """The person's whole name for the address block: in Latin letters where chosen."""
    return latin_spelling(person.full_name) if latin and needs_latin(person) else person.full_name


def greeting_parts(person: Newcomer, language: str, latin: bool) -> tuple[str, str]:
    """First and family name as the greeting writes them: the original script where the letter's language is
    written in it, else as on the envelope (a German letter greets «Olena Shevchenko», a Ukrainian one
    «Олена Шевченко»)."""
    if latin and needs_latin(person):
        own = scripts(f"{person.first_name} {person.official_name}") - {"Latn"}
        if own != {language_script(language)}:
            return latin_spelling(person.first_name), latin_spelling(person.official_name)
    return person.first_name, person.official_name


def _names(members: list[Newcomer], language: str, latin: frozenset = frozenset(), first_only: bool = False) -> str:
    """«João Pereira, Ana Silva Pereira und Inês Silva Pereira»: each person's whole name, in the letter's language.

    Whole names, never first names grouped under one family name: «Ana und Inês Silva Pereira» reads as
    one person with two first names, or as Ana without a family name.
    """
    parts = [greeting_parts(person, language, person.id in latin) for person in members]
    return _join([first if first_only else f"{first} {family}".strip() for first, family in parts], language)


def _join(items: list[str], language: str) -> str:
    items = [item for item in items if item]
    try:
        return format_list(items, locale=language) if items else ""
    except (UnknownLocaleError, ValueError):
        return ", ".join(items)


def _format_date(day: date, language: str) -> str:
    try:
        return format_date(day, "long", locale=language)
    except (UnknownLocaleError, ValueError):
        return format_date(day, "long", locale=FALLBACK_LANGUAGE)


def recipient_lines(household: Household, commune: str, latin: frozenset = frozenset()) -> tuple[str, ...]:
    """The address block: one line per person (whole names; Latin letters for those in ``latin``), street, town."""
    first = household.first
    street = " ".join(part for part in (first.street, first.house_number) if part)
    town = " ".join(part for part in (first.postal_code, first.town or commune) if part)
    names = [envelope_name(person, person.id in latin) for person in household.members]
    return tuple(line for line in (*names, street, town) if line)


def compose(household: Household, template: LetterTemplate, tenant_name: str, commune: str, contact: str,
            letter_date: date, links: tuple[LetterLink, ...] = (), latin: frozenset = frozenset()) -> Letter:
    """The letter of a household: placeholders filled, address and date in the template's language.

    ``links``: what the other active modules want printed at its end (``core.documents.letter.links_for``:
    Fördern's offers page in the letter's language, with a QR code). ``latin``: the ids of the persons whose
    names the envelope spells in Latin letters.
    """
    language, first = template.language, household.first
    values = {
        "household_names": _names(household.members, language, latin),
        "first_names": _names(household.members, language, latin, first_only=True),
        "first_name": greeting_parts(first, language, first.id in latin)[0],
        "official_name": greeting_parts(first, language, first.id in latin)[1],
        "commune": commune,
        "tenant": tenant_name,
        "date": _format_date(letter_date, language),
        "arrival_date": _format_date(first.arrival_date, language),
        "contact": contact.strip() or tenant_name,
    }
    sender = (tenant_name, *[line for line in contact.strip().splitlines() if line.strip()])
    # A template may be in any language Babel knows (Hebrew, Yiddish ...), not only in the platform's
    # content languages: the documents' own check decides right to left, not content_languages.direction.
    return Letter(
        language=language, rtl=is_rtl_language(language), sender=sender,
        recipient=recipient_lines(household, commune, latin), place_date=f"{commune}, {values['date']}",
        subject=fill(template.subject, values), body=fill(template.body, values), links=links,
    )


# -- the batch job ---------------------------------------------------------------------------------


def job_kinds() -> list[JobKind]:
    return [JobKind(JOB_KIND, run_batch, _l("Begrüssungsschreiben"), queue="reports", timeout_seconds=3600,
                    permission="informieren.letters.manage", keep_days=90)]


def batch_params(arrival_from: date | None = None, arrival_to: date | None = None, commune: int | None = None,
                 regenerate: list | None = None, letter_date: date | None = None, persons: list | None = None,
                 include_incomplete: list | None = None, latin: list | None = None, held_back: int = 0) -> dict:
    """The parameters of a batch job (what its record shows).

    ``persons``: exactly these (the preview's selection), if they still wait; ``include_incomplete``: persons
    whose household gets a letter although its address is incomplete; ``latin``: persons whose names the
    envelope spells in Latin letters (without it, everybody's whose name needs it); ``held_back``: households
    with an incomplete address the preview left out (for the job's result).
    """
    params: dict = {"date": (letter_date or clock.today()).isoformat()}
    if arrival_from:
        params["arrival_from"] = arrival_from.isoformat()
    if arrival_to:
        params["arrival_to"] = arrival_to.isoformat()
    if commune:
        params["commune"] = int(commune)
    if regenerate:
        params["regenerate"] = _id_list(regenerate)
    if held_back:
        params["held_back"] = held_back
    for key, ids in (("persons", persons), ("include_incomplete", include_incomplete), ("latin", latin)):
        if ids is not None:
            params[key] = _id_list(ids)
    return params


def _id_list(ids) -> list[str]:
    return sorted({str(person_id) for person_id in ids})


def _id_set(values) -> frozenset:
    return frozenset(uuid.UUID(value) for value in values or ())


def waiting_query(params: dict):
    """The persons a batch takes: those without a letter (filtered), or the ones to regenerate.

    Never an anonymised person: there is nobody to write to any more."""
    query = sa.select(Newcomer).where(Newcomer.anonymised_on.is_(None))
    if params.get("regenerate"):
        return query.where(Newcomer.id.in_(_id_set(params["regenerate"])))
    query = query.outerjoin(WelcomeLetter, sa.and_(WelcomeLetter.tenant_id == Newcomer.tenant_id,
                                                   WelcomeLetter.person_id == Newcomer.id))
    query = query.where(WelcomeLetter.person_id.is_(None))
    if "persons" in params:  # the preview's selection: whoever of it still waits
        query = query.where(Newcomer.id.in_(_id_set(params["persons"])))
    if params.get("arrival_from"):
        query = query.where(Newcomer.arrival_date >= date.fromisoformat(params["arrival_from"]))
    if params.get("arrival_to"):
        query = query.where(Newcomer.arrival_date <= date.fromisoformat(params["arrival_to"]))
    if params.get("commune"):
        query = query.where(Newcomer.municipality_bfs == int(params["commune"]))
    return query


def run_batch(context: JobContext) -> list[ResultFile]:
    """Render the letters of everybody waiting (or chosen), mark them generated; files and marks commit together."""
    params, tenant = context.params, context.tenant
    letter_date = date.fromisoformat(params["date"])
    persons = take_batch(waiting_query(params))
    if not persons:
        context.result(_l("Niemand wartet auf ein Begrüssungsschreiben."))
        return []
    groups, held = hold_back(households(persons), _id_set(params.get("include_incomplete")))
    held_back = len(held) + params.get("held_back", 0)
    if not groups:
        context.result(_summary(0, 0, held_back))
        return []
    persons = [person for household in groups for person in household.members]
    latin = _id_set(params["latin"]) if "latin" in params else frozenset(p.id for p in persons if needs_latin(p))
    context.progress(0, len(groups), _("Schreiben werden erstellt"))
    available = templates()
    contact = provisioning.get_setting(tenant, CONTACT_SETTING) or ""
    communes = commune_names({person.municipality_bfs for person in persons})
    letters, links = [], {}
    for household in groups:
        template = available.get(choose_language(household, available)) or _shipped(FALLBACK_LANGUAGE)
        if template.language not in links:  # asked once per language of the batch
            links[template.language] = links_for(tenant, template.language)
        letters.append(compose(household, template, tenant.name, communes.get(household.first.municipality_bfs, ""),
                               contact, letter_date, links[template.language], latin))

    def progress(done: int) -> None:
        if done % 50 == 0 or done == len(letters):
            context.progress(done, len(letters), _("Schreiben werden erstellt"))

    # The single PDFs go straight into a ZIP in a temporary file, which core stores in chunks.
    archive_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by core.jobs once stored)
    with zipfile.ZipFile(archive_file, "w", zipfile.ZIP_DEFLATED) as archive:
        combined, _singles = render_each(letters, progress,
                                         each=lambda number, pdf: archive.writestr(
                                             _zip_name(number, groups[number - 1], letters[number - 1]), pdf))
    archive_file.seek(0)
    incomplete = sum(1 for household in groups if address_gaps(household.first))
    _mark_generated(groups, letters, context.record.id, incomplete)
    context.progress(len(letters), len(letters))
    context.result(_summary(len(letters), incomplete, held_back))  # shown once done (several sentences: German)
    stem = f"begruessungsschreiben-{letter_date.isoformat()}"
    return [ResultFile(f"{stem}.pdf", "application/pdf", combined),
            ResultFile(f"{stem}.zip", "application/zip", archive_file)]


def hold_back(groups: list[Household], included: frozenset) -> tuple[list[Household], list[Household]]:
    """The households to write to, and those held back: an incomplete address nobody included explicitly.

    A held-back household gets no letter and keeps waiting (on the worklist) until its address is complete.
    """
    kept, held = [], []
    for household in groups:
        complete = not address_gaps(household.first)
        (kept if complete or any(p.id in included for p in household.members) else held).append(household)
    return kept, held


def _summary(letters: int, incomplete: int, held_back: int) -> str:
    """What the job did, for its page: letters made, those to an incomplete address, households held back."""
    parts = [ngettext("%(num)s Schreiben erstellt.", "%(num)s Schreiben erstellt.", letters) if letters
             else _("Kein Schreiben erstellt.")]
    if incomplete:
        parts.append(ngettext("%(num)s davon an eine unvollständige Adresse (ausdrücklich eingeschlossen).",
                              "%(num)s davon an eine unvollständige Adresse (ausdrücklich eingeschlossen).",
                              incomplete))
    if held_back:
        parts.append(ngettext("%(num)s Haushalt mit unvollständiger Adresse zurückgehalten; er wartet weiter.",
                              "%(num)s Haushalte mit unvollständiger Adresse zurückgehalten; sie warten weiter.",
                              held_back))
    return " ".join(parts)


def take_batch(query) -> list[Newcomer]:
    """The first :data:`MAX_BATCH_PERSONS` waiting persons, earliest arrivals first, households kept whole.

    A household the cap would cut in two waits whole for the next batch (unless it alone is the batch).
    """
    ordered = query.order_by(Newcomer.arrival_date, Newcomer.municipality_bfs, Newcomer.household_key, Newcomer.id)
    persons = db.session.scalars(ordered.limit(MAX_BATCH_PERSONS + 1)).all()
    if len(persons) <= MAX_BATCH_PERSONS:
        return persons
    cut = household_key(persons[-1])
    kept = [person for person in persons[:-1] if household_key(person) != cut]
    return kept or persons[:-1]


def _shipped(language: str) -> LetterTemplate:
    """The shipped text, when a tenant somehow has no template for the fallback language."""
    subject, body = DEFAULTS[language]
    return LetterTemplate(language=language, subject=subject, body=body)


def commune_names(numbers: set[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(Municipality.bfs_number, Municipality.name)
                              .where(Municipality.bfs_number.in_(numbers)))
    return dict(rows.all())


def _mark_generated(groups: list[Household], letters: list[Letter], job_id: uuid.UUID, incomplete: int) -> None:
    _write_rows(groups, [letter.language for letter in letters], job_id, clock.utcnow(), None)
    audit.record("informieren.letters.generate", object_type="job", object_id=job_id,
                 detail={"households": len(groups), "persons": sum(len(h.members) for h in groups),
                         "incomplete_addresses": incomplete})


def _write_rows(groups: list[Household], languages: list[str], job_id: uuid.UUID | None, generated_at,
                sent_on: date | None) -> None:
    """Each member's letter row (generated, or sent on ``sent_on``), and their stage."""
    existing = {row.person_id: row for row in db.session.scalars(sa.select(WelcomeLetter).where(
        WelcomeLetter.person_id.in_([p.id for h in groups for p in h.members])))}
    for household, language in zip(groups, languages, strict=True):
        for person in household.members:
            row = existing.get(person.id)  # a regenerated letter replaces the row, never doubles it
            if row is None:
                row = WelcomeLetter(person_id=person.id)
                db.session.add(row)
            row.household_key, row.language, row.job_id = household.key, language, job_id
            row.state, row.generated_at, row.sent_on = (SENT if sent_on else GENERATED), generated_at, sent_on
    db.session.flush()
    for household in groups:
        for person in household.members:
            refresh_stage(person)


def record_sent(persons: list[Newcomer], sent_on: date) -> int:
    """Letters sent without a batch of the platform (the commune's mail merge before it used it; the demo's
    history): one per household, in the language a batch would choose, recorded as sent on ``sent_on``."""
    groups = households(persons)
    if not groups:
        return 0
    available = templates()
    _write_rows(groups, [choose_language(household, available) for household in groups], None,
                clock.start_of(sent_on), sent_on)
    audit.record("informieren.letters.sent", detail={"sent_on": sent_on.isoformat(), "persons": len(persons),
                                                     "households": len(groups), "batch": None})
    return len(persons)


def _zip_name(number: int, household: Household, letter: Letter) -> str:
    name = _ascii(f"{household.first.official_name}-{household.first.first_name}") or "haushalt"
    return f"{number:04d}-{name}-{letter.language}.pdf"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:60]


# -- sent ----------------------------------------------------------------------------------------


def mark_sent(job_id: uuid.UUID, sent_on: date, household_keys: list[str] | None = None) -> int:
    """Mark the batch's generated letters (or those of the chosen households) as sent; returns persons changed.

    Letters already sent keep their date, so a second submission changes nothing.
    """
    query = sa.select(WelcomeLetter).where(WelcomeLetter.job_id == job_id, WelcomeLetter.state == GENERATED)
    if household_keys is not None:
        query = query.where(WelcomeLetter.household_key.in_(household_keys))
    rows = db.session.scalars(query).all()
    if not rows:
        return 0
    for row in rows:
        row.state, row.sent_on = SENT, sent_on
    db.session.flush()
    for person in db.session.scalars(sa.select(Newcomer).where(Newcomer.id.in_([row.person_id for row in rows]))):
        refresh_stage(person)
    audit.record("informieren.letters.sent", object_type="job", object_id=job_id,
                 detail={"sent_on": sent_on.isoformat(), "persons": len(rows),
                         "households": len({row.household_key for row in rows})})
    return len(rows)


def counts() -> dict[str, int]:
    """Persons waiting for a letter, with a letter generated (not sent), with a letter sent."""
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(waiting_query({}).subquery()))
    by_state = dict(db.session.execute(sa.select(WelcomeLetter.state, sa.func.count())
                                       .group_by(WelcomeLetter.state)).all())
    return {"waiting": waiting, GENERATED: by_state.get(GENERATED, 0), SENT: by_state.get(SENT, 0)}


# -- timeline --------------------------------------------------------------------------------------


def timeline(person_id) -> list[TimelineEntry]:
    """The person's letter: when it was generated and, if so, sent."""
    row = db.session.scalar(sa.select(WelcomeLetter).where(WelcomeLetter.person_id == person_id))
    if row is None:
        return []
    url = _batch_url(row.job_id)
    detail = i18n.language_name(row.language)
    entries = [TimelineEntry(row.generated_at, "informieren", _l("Begrüssungsschreiben erstellt"), detail, url)]
    if row.state == SENT and row.sent_on:
        entries.append(TimelineEntry.on(row.sent_on, "informieren", _l("Begrüssungsschreiben versandt"), detail, url))
    return entries


def _batch_url(job_id) -> str | None:
    try:
        return url_for("informieren.letter_batch", job_id=job_id) if job_id and can("informieren.letters.manage") \
            else None
    except RuntimeError:  # outside a request (a job, the CLI): no links
        return None
