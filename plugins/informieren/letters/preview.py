"""The preview of a batch: who would get which letter, and what would keep a letter from arriving.

Before a batch is generated the officer sees each household's envelope and three kinds of flags:
an incomplete address (street, postal code or town missing: held back unless included), a name in
a script Swiss Post cannot read (a Latin spelling offered for the envelope), and persons whose
language has no template (they would get the letter in another language, German by default).
Generating takes exactly the previewed persons: the page carries their ids and a fingerprint of
what it showed, and the start refuses a batch that has changed since (see the pages).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass

from core.documents.text import latin_spelling
from plugins.informieren.letters import batch
from plugins.informieren.letters.batch import Household
from plugins.informieren.letters.templates import templates
from plugins.informieren.models import Newcomer


@dataclass
class HouseholdPreview:
    """One letter of the batch as it would be made, with what stands in its way."""

    household: Household
    language: str
    commune: str
    gaps: list[str]  # missing address fields (batch.ADDRESS_FIELDS)
    other_script: list[tuple[Newcomer, str]]  # persons whose names are not Latin, with the Latin spelling
    untemplated: list[tuple[str, list[Newcomer]]]  # a language without a template, and who reads it best

    @property
    def key(self) -> str:
        return self.household.key

    @property
    def person_ids(self) -> list[uuid.UUID]:
        return [person.id for person in self.household.members]

    def envelope(self, latin: frozenset) -> tuple[str, ...]:
        """The address block as printed, with the Latin spellings of the persons in ``latin``."""
        return batch.recipient_lines(self.household, self.commune, latin)


@dataclass
class BatchPreview:
    letters: list[HouseholdPreview]
    capped: bool  # more persons wait than one batch takes

    @property
    def persons(self) -> int:
        return sum(len(letter.household.members) for letter in self.letters)

    def count(self, flag: str) -> int:
        return sum(1 for letter in self.letters if getattr(letter, flag))

    def latin_candidates(self) -> frozenset:
        return frozenset(person.id for letter in self.letters for person, _latin in letter.other_script)


def preview(params: dict) -> BatchPreview:
    """The batch the parameters would take now (``batch.waiting_query``, the cap), household by household."""
    persons = batch.take_batch(batch.waiting_query(params))
    available = templates()
    communes = batch.commune_names({person.municipality_bfs for person in persons})
    letters = []
    for household in batch.households(persons):
        language = batch.choose_language(household, available)
        commune = communes.get(household.first.municipality_bfs, "")
        letters.append(HouseholdPreview(
            household, language, commune, batch.address_gaps(household.first),
            [(person, latin_spelling(person.full_name)) for person in household.members if batch.needs_latin(person)],
            _untemplated(household, language),
        ))
    return BatchPreview(letters, capped=len(persons) >= batch.MAX_BATCH_PERSONS)


def _untemplated(household: Household, language: str) -> list[tuple[str, list[Newcomer]]]:
    """The languages the members read best that the letter is not in (no template), each with its readers.

    A member who also reads the letter's language is not listed: the letter is in a language they read.
    """
    readers: dict[str, list[Newcomer]] = {}
    for person in household.members:
        if person.languages and language not in person.languages:
            readers.setdefault(person.languages[0], []).append(person)
    return list(readers.items())


def fingerprint(shown_batch: BatchPreview) -> str:
    """A digest of what the preview showed: who, their names, address and languages, each letter's language.

    Generating compares it with the batch as it is then, so a change in between (a person added or gone,
    an address corrected, a template added) shows the preview again instead of making other letters.
    """
    shown = [[letter.key, letter.language, [
        [str(p.id), p.first_name, p.official_name, p.street, p.house_number, p.postal_code, p.town, p.languages]
        for p in letter.household.members]] for letter in shown_batch.letters]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()
