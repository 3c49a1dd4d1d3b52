"""Creating and changing a newcomer: each change recorded as a ``PersonChange`` and audited; the household."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import sqlalchemy as sa

from core import audit
from core.db import db
from core.people import Person, duplicates
from core.tenancy import Tenant
from plugins.informieren.models import Newcomer, PersonChange, Source, Stage
from plugins.informieren.register.checks import PersonInvalid, check_person


def _household(values: dict, person: Newcomer | None, source: str) -> None:
    """"Moves with" someone: the same household key (given to them first if they have none); "new": a new one."""
    mate = values.pop("moves_with", None)
    if isinstance(mate, Newcomer):
        if mate.household_key is None:
            mate.household_key = f"manual:{mate.id}"
            _record(mate, "edited", source, ["household_key"])
        values["household_key"] = mate.household_key
    elif mate == "new":
        values["household_key"] = f"manual:{uuid.uuid4()}"
    if person is not None and values.get("household_key", person.household_key) == person.household_key:
        values.pop("household_key", None)


def possible_duplicates(values: Mapping, exclude: uuid.UUID | None = None) -> list[Person]:
    """Persons of the tenant who may be the one being entered: same AHV number, or same names and birth date
    (core's matching: any spelling, a partial birth date as far as known)."""
    return duplicates(values.get("official_name") or "", values.get("first_name") or "",
                      values.get("date_of_birth"), values.get("vn"), exclude=exclude)


def create_person(data: Mapping, tenant: Tenant, *, source: str = Source.MANUAL,
                  person_id: uuid.UUID | None = None, name_holder: bool = True) -> tuple[Newcomer, bool]:
    """Create a newcomer from ``data`` (checked); returns (person, created).

    ``person_id`` is the form's (or API client's) key of this entry: when a person with that id
    exists already, the entry was submitted twice and the existing person is returned.
    """
    person_id = person_id or uuid.uuid4()
    existing = db.session.get(Newcomer, (tenant.id, person_id))
    if existing is not None:
        return existing, False
    try:
        values = check_person(data, tenant, name_holder=name_holder)
    except PersonInvalid:
        # The same entry, sent twice at once, may have been saved since we looked: its AHV number
        # is then "taken" by this very entry.
        existing = db.session.get(Newcomer, (tenant.id, person_id))
        if existing is not None:
            return existing, False
        raise
    _household(values, None, source)
    values.setdefault("household_key", f"manual:{person_id}")
    person = Newcomer(id=person_id, source=source, stage=Stage.NEW, **values)
    try:
        with db.session.begin_nested():
            db.session.add(person)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another request took the key or an id between our check and our insert.
        existing = db.session.get(Newcomer, (tenant.id, person_id))
        if existing is not None:
            return existing, False
        check_person(data, tenant, name_holder=name_holder)  # now names the duplicate field
        raise
    fields = sorted(name for name, value in values.items() if value not in (None, []))
    _record(person, "created", source, fields)
    return person, True


def update_person(person: Newcomer, data: Mapping, tenant: Tenant, *, source: str = Source.MANUAL,
                  partial: bool = False, name_holder: bool = True) -> list[str]:
    """Apply the checked changes in ``data``; returns the names of the changed fields."""
    values = check_person(data, tenant, person, partial=partial, name_holder=name_holder)
    _household(values, person, source)
    if not values:
        return []
    for name, value in values.items():
        setattr(person, name, value)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        check_person(data, tenant, person, partial=partial, name_holder=name_holder)
        raise
    fields = sorted(values)
    _record(person, "edited", source, fields)
    return fields


def _record(person: Newcomer, kind: str, source: str, fields: list[str]) -> None:
    db.session.add(PersonChange(person_id=person.id, actor=audit.current_actor(), kind=kind, source=source,
                                fields=fields))
    action = "informieren.person.create" if kind == "created" else "informieren.person.update"
    # Field names only: the audit log is read by administrators, the values belong in the register.
    audit.record(action, object_type="informieren_person", object_id=person.id,
                 detail={"source": source, "fields": fields})


def household_members(person: Newcomer) -> list[Newcomer]:
    if not person.household_key:
        return []
    return db.session.scalars(
        sa.select(Newcomer).where(Newcomer.household_key == person.household_key, Newcomer.id != person.id)
        .order_by(Newcomer.date_of_birth, Newcomer.first_name)
    ).all()
