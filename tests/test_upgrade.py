"""A database filled by the previous release (0.1: the demo and imported newcomers) upgrades intact.

``tests/data/release_0_1/dump.json`` holds its rows, made by ``make_dump.py`` at that release.
The test builds that release's schema (its revisions), loads the rows as the owner, upgrades to
the heads and finds every person, letter and interview through today's models.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from core import provisioning
from core.db import UTCDateTime, db
from core.people import Person, matching
from core.tenancy import get_tenant, tenant_scope
from plugins.informieren.models import Interview, Newcomer, PersonChange, WelcomeLetter
from tests.conftest import make_app

DUMP = json.loads((Path(__file__).parent / "data" / "release_0_1" / "dump.json").read_text())
RELEASE_HEADS = ("core_0007", "informieren_0003")


def _typed(column: sa.Column):
    """The type to bind a dumped value with, from the reflected column."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return UTCDateTime()
    if isinstance(kind, sa.Date):
        return sa.Date()
    if isinstance(kind, sa.JSON):
        return sa.JSON()
    if isinstance(kind, sa.Uuid) or (isinstance(kind, sa.CHAR) and kind.length == 32):
        return sa.Uuid()
    return kind


def _value(value, kind):
    if value is None:
        return None
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Uuid):
        return uuid.UUID(value)
    return value


def load_release_rows(url: str) -> None:
    owner = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if owner.dialect.name == "sqlite":  # as the application's engine: references are checked
        sa.event.listen(owner, "connect", lambda connection, record: connection.execute("PRAGMA foreign_keys = ON"))
    metadata = sa.MetaData()
    metadata.reflect(owner)
    with owner.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")
        for table in metadata.sorted_tables:
            rows = DUMP["tables"].get(table.name)
            if not rows:
                continue
            typed = sa.Table(table.name, sa.MetaData(), *(sa.Column(c.name, _typed(c)) for c in table.columns))
            kinds = {c.name: c.type for c in typed.columns}
            connection.execute(sa.insert(typed), [{k: _value(v, kinds[k]) for k, v in row.items()} for row in rows])
        if connection.dialect.name == "postgresql":  # the serial ids go on after the loaded ones
            for table in ("tenants", "users"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    owner.dispose()


def test_a_database_of_release_0_1_upgrades_with_every_person_letter_and_interview(scratch_database_url):
    old_database = scratch_database_url
    app = make_app(SQLALCHEMY_DATABASE_URI=old_database)
    with app.app_context():
        for revision in RELEASE_HEADS:
            upgrade(revision=revision)
        provisioning.load_municipalities()  # reference data, as `flask communes load` put it there
        db.session.commit()
        load_release_rows(old_database)
        upgrade(revision="heads")
        old = {table: {row["id"] if "id" in row else row["person_id"]: row for row in rows}
               for table, rows in DUMP["tables"].items()
               if table in ("informieren_persons", "informieren_letters", "informieren_interviews")}
        persons, letters, interviews = {}, {}, {}
        for slug in {row["slug"] for row in DUMP["tables"]["tenants"]}:
            tenant = get_tenant(slug)
            with tenant_scope(tenant):
                persons.update({str(p.id): p for p in db.session.scalars(sa.select(Newcomer))})
                letters.update({str(row.person_id): row for row in db.session.scalars(sa.select(WelcomeLetter))})
                interviews.update({str(i.id): i for i in db.session.scalars(sa.select(Interview))})
                changes = db.session.scalars(sa.select(PersonChange.person_id)).all()
                assert {str(c) for c in changes} <= set(persons)

        assert set(persons) == set(old["informieren_persons"]) and len(persons) == 73
        for person_id, row in old["informieren_persons"].items():
            person = persons[person_id]
            for field in ("official_name", "first_name", "date_of_birth", "nationalities", "languages", "vn",
                          "local_person_id", "household_key", "municipality_bfs", "permit_category", "stage",
                          "source", "street", "postal_code", "town"):
                assert getattr(person, field) == row[field], (person_id, field)
            assert person.arrival_date.isoformat() == row["arrival_date"] and person.kind == "informieren.newcomer"
        assert set(letters) == set(old["informieren_letters"]) and len(letters) == 10
        for person_id, row in old["informieren_letters"].items():
            assert (letters[person_id].state, letters[person_id].language) == (row["state"], row["language"])
            assert letters[person_id].sent_on.isoformat() == row["sent_on"]
        assert set(interviews) == set(old["informieren_interviews"]) and len(interviews) == 4
        for interview_id, row in old["informieren_interviews"].items():
            interview = interviews[interview_id]
            assert (interview.notes, interview.topics) == (row["notes"], row["topics"])
            assert interview.outcome == row["outcome"]

        grenchen = get_tenant("grenchen")
        with tenant_scope(grenchen):  # the moved identities are searchable in any spelling
            names = db.session.scalars(sa.select(Person.official_name).where(matching("kovalenko"))).all()
        assert names == ["Коваленко"]
        db.session.remove()
