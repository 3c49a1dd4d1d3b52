"""Finding people: a search insensitive to accents and scripts, and the duplicate warning."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from core.db import db
from core.people.models import Person, name_variants

# Persons in the Swiss order of their names (Person.sort_name), the anonymised last.
SWISS_ORDER = (Person.anonymised_on.is_not(None), Person.sort_name, Person.id)


def condition(word: str):
    """SQL: a person matches one word of a search (a name in any spelling, the registry's id, AHV digits)."""
    options = [Person.local_person_id.icontains(word, autoescape=True)]
    options += [Person.search_name.contains(variant, autoescape=True) for variant in name_variants(word)]
    digits = word.replace(".", "")
    if digits.isdigit() and len(digits) >= 3:
        options.append(Person.vn.contains(digits, autoescape=True))
    return sa.or_(*options)


def matching(text: str):
    """SQL: every word of ``text`` matches (see :func:`condition`)."""
    return sa.and_(*(condition(word) for word in text.split()))


def duplicates(official_name: str, first_name: str, date_of_birth: str | None, vn: str | None,
               exclude: uuid.UUID | None = None, limit: int = 5) -> list[Person]:
    """Persons of the current tenant who may be the same: same AHV number, or same names and birth date.

    Names compare in any spelling (accents, scripts); a partial birth date compares as far as both
    are known ("1992" matches "1992-02-14").  Anonymised records are never offered.
    """
    options = []
    if vn:
        options.append(Person.vn == vn)
    variants = name_variants(first_name, official_name)
    if variants and date_of_birth:
        same_name = sa.or_(*(Person.search_name.contains(f"|{v}|", autoescape=True) for v in variants))
        options.append(sa.and_(same_name, _same_birth(date_of_birth)))
    if not options:
        return []
    query = sa.select(Person).where(sa.or_(*options), Person.anonymised_on.is_(None))
    if exclude is not None:
        query = query.where(Person.id != exclude)
    return db.session.scalars(query.order_by(*SWISS_ORDER).limit(limit)).all()


def _same_birth(date_of_birth: str):
    """SQL: the birth dates agree as far as both are known ("1992" and "1992-02-14" do; "1992-03" and "1992-02" not)."""
    prefixes = [date_of_birth[:n] for n in (4, 7, 10) if len(date_of_birth) >= n]
    return sa.or_(
        Person.date_of_birth.startswith(date_of_birth, autoescape=True),  # stored as exactly or more precisely
        Person.date_of_birth.in_(prefixes),  # stored less precisely
    )
