"""The platform's person: who someone is, shared by every module of the tenant.

A module that keeps its own record *about being* something (Informieren's newcomer) may map it
as a subclass in joined-table inheritance: its table's key ``(tenant_id, id)`` references the
person's, its rows are loaded together with the person's, and ``kind`` says which subclass a
person is.  Other modules reference a person from their own tables with
``core.db.tenant_fk(["person_id"], "persons")``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from anyascii import anyascii
from flask_babel import gettext
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, uuid_pk
from core.i18n import SORT_TEXT_LENGTH, sort_text

# German spelling without umlauts: "Mueller" is how a Swiss office types "Müller" on a keyboard
# or finds it in a passport's machine-readable line; transliteration alone gives "Muller".
_GERMAN_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def name_variants(*names: str | None) -> list[str]:
    """The names in lower-case ASCII, in each spelling the search knows: accents and scripts fall away."""
    text = " ".join(name for name in names if name)
    variants = (anyascii(text).casefold(), anyascii(text.translate(_GERMAN_ASCII)).casefold())
    return list(dict.fromkeys(" ".join(v.split()) for v in variants if v.strip()))


def search_name(*names: str | None) -> str:
    """What the search compares: ``|muller|mueller|`` for "Müller", ``|kovalenko|`` for "Коваленко".

    A word of a search matches anywhere in it; a whole name matches between the bars
    (see :mod:`core.people.search`).
    """
    variants = name_variants(*names)
    return f"|{'|'.join(variants)}|"[:400] if variants else ""


def format_partial_date(value: str | None) -> str:
    """A partial ISO date (a date of birth: ``1985-03-14``, ``1985-03``, ``1985``) the Swiss way:
    14.03.1985, 03.1985 or 1985; an empty string for none."""
    return ".".join(reversed(value.split("-"))) if value else ""


class Person(TenantScoped, db.Model):
    """Someone the tenant's staff work with: a newcomer, or anyone a module enters."""

    __tablename__ = "persons"
    __table_args__ = (
        # The registry's ids: each at most once per tenant (matching is on ids, never on names).
        sa.Index("uq_persons_local_id", "tenant_id", "municipality_bfs", "local_person_id", unique=True,
                 sqlite_where=sa.text("local_person_id IS NOT NULL"),
                 postgresql_where=sa.text("local_person_id IS NOT NULL")),
        sa.Index("uq_persons_vn", "tenant_id", "vn", unique=True,
                 sqlite_where=sa.text("vn IS NOT NULL"), postgresql_where=sa.text("vn IS NOT NULL")),
        sa.Index("ix_persons_household", "tenant_id", "household_key"),
        sa.Index("ix_persons_birth", "tenant_id", "date_of_birth"),
        sa.Index("ix_persons_sort_name", "tenant_id", "sort_name"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(sa.String(40), default="person")  # the subclass, if a module maps one
    official_name: Mapped[str] = mapped_column(sa.String(100))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    sex: Mapped[str | None] = mapped_column(sa.String(1))  # "m", "f" or unknown
    date_of_birth: Mapped[str | None] = mapped_column(sa.String(10))  # partial ISO: "1985", "1985-03", "1985-03-14"
    nationalities: Mapped[list] = mapped_column(sa.JSON, default=list)  # ISO 3166 alpha-2 or "BFS-8xxx"
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)  # ISO 639-1, the one read best first
    municipality_bfs: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.bfs_number"))
    street: Mapped[str | None] = mapped_column(sa.String(150))
    house_number: Mapped[str | None] = mapped_column(sa.String(30))
    postal_code: Mapped[str | None] = mapped_column(sa.String(15))
    town: Mapped[str | None] = mapped_column(sa.String(100))
    household_key: Mapped[str | None] = mapped_column(sa.String(100))  # members of a household share it
    local_person_id: Mapped[str | None] = mapped_column(sa.String(80))  # "<category>:<id>" of the registry
    vn: Mapped[str | None] = mapped_column(sa.String(13))  # AHV number (13 digits)
    search_name: Mapped[str] = mapped_column(sa.String(400), default="")  # see search_name()
    # The Swiss order of "official name, first name" (core.i18n.sort_text): lists page in the database.
    sort_name: Mapped[str] = mapped_column(sa.String(SORT_TEXT_LENGTH), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    anonymised_on: Mapped[date | None]  # past every module's retention: what identified them is gone

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "person"}

    @property
    def full_name(self) -> str:
        if self.anonymised_on:
            return gettext("(anonymisiert)")
        return f"{self.first_name} {self.official_name}".strip()


@event.listens_for(Person, "before_insert", propagate=True)
@event.listens_for(Person, "before_update", propagate=True)
def _keep_search_name(mapper, connection, person: Person) -> None:
    person.search_name = search_name(person.first_name, person.official_name)
    person.sort_name = sort_text(person.official_name, person.first_name)
