"""core.money: Rappen, Swiss formatting and parsing, 5-Rappen rounding, pro-rata allocation, IBAN, the column."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from flask import render_template_string
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.db import NAMING_CONVENTION
from core.errors import UserError
from core.money import (
    MAX_RAPPEN,
    Money,
    allocate,
    format_chf,
    money_column,
    parse_chf,
    round_to_5,
    validate_iban,
)

relaxed = settings(deadline=None)  # a shared, busy machine: no time limit per example
amounts = st.integers(min_value=-MAX_RAPPEN + 1, max_value=MAX_RAPPEN - 1)


# -- formatting and parsing ----------------------------------------------------------------


@pytest.mark.parametrize(("rappen", "text"), [
    (123450, "CHF 1'234.50"), (-123450, "CHF -1'234.50"), (0, "CHF 0.00"), (5, "CHF 0.05"), (-5, "CHF -0.05"),
    (100_000_000, "CHF 1'000'000.00"), (99, "CHF 0.99"),
])
def test_format_chf_in_the_swiss_style_of_payment_documents(rappen, text):
    assert format_chf(rappen) == text
    assert format_chf(rappen, symbol=False) == text.removeprefix("CHF ")


@pytest.mark.parametrize("value", [12.5, Decimal("12.50"), "1250", True, None])
def test_format_chf_takes_only_int_rappen(value):
    with pytest.raises(TypeError):
        format_chf(value)


@pytest.mark.parametrize(("text", "rappen"), [
    ("1234.5", 123450), ("1'234.50", 123450), ("1’234.50", 123450), ("CHF 1 234.50", 123450),
    ("1234.-", 123400), ("1234.--", 123400), ("1234", 123400), ("  12.05 ", 1205), ("-12.05", -1205),
    ("CHF -1'234.50", -123450), ("12,50", 1250), ("Fr. 3.-", 300), ("3.20 CHF", 320), ("1\u202f234.50", 123450),
    ("0", 0), ("0.5", 50),
])
def test_parse_chf_reads_what_people_write(text, rappen):
    assert parse_chf(text) == rappen


@pytest.mark.parametrize(("text", "message"), [
    ("12.345", "«12.345» hat mehr als zwei Stellen nach dem Punkt"),
    ("1.5e3", "«1.5e3» ist kein Betrag in Franken"),
    ("zwölf", "«zwölf» ist kein Betrag in Franken"),
    ("12a", "«12a» ist kein Betrag in Franken"),
    ("1'23.00", "«1'23.00» ist kein Betrag in Franken"),  # wrong grouping: a typo, not a guess
    ("1,234.50", "«1,234.50» ist kein Betrag in Franken"),  # comma and point: ambiguous
    ("--5", "«--5» ist kein Betrag in Franken"),
    ("", "Bitte einen Betrag angeben."),
    ("  CHF ", "Bitte einen Betrag angeben."),
    ("1" * 20, "ist zu gross"),
])
def test_parse_chf_refuses_with_a_message_naming_the_value(ctx, text, message):
    with pytest.raises(UserError, match=re.escape(message)):
        parse_chf(text)


def test_parse_chf_refuses_a_non_string(ctx):
    with pytest.raises(UserError):
        parse_chf(None)


def test_the_messages_are_translated(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}), pytest.raises(UserError) as error:
        parse_chf("douze")
    assert "douze" in str(error.value) and "kein Betrag" not in str(error.value)


@relaxed
@given(amounts)
def test_parse_reads_back_what_format_writes(rappen):
    assert parse_chf(format_chf(rappen)) == rappen
    assert parse_chf(format_chf(rappen, symbol=False)) == rappen


# -- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(("rappen", "rounded"), [
    (0, 0), (1, 0), (2, 0), (3, 5), (4, 5), (5, 5), (7, 5), (8, 10), (123452, 123450), (123453, 123455),
    (-2, 0), (-3, -5), (-8, -10),
])
def test_round_to_5(rappen, rounded):
    assert round_to_5(rappen) == rounded


@relaxed
@given(amounts)
def test_round_to_5_is_nearest_multiple_of_5_and_symmetric(rappen):
    rounded = round_to_5(rappen)
    assert rounded % 5 == 0
    assert abs(rounded - rappen) <= 2  # the nearest: whole Rappen never sit on a midpoint
    assert round_to_5(-rappen) == -rounded
    assert round_to_5(rounded) == rounded


def test_round_to_5_refuses_floats():
    with pytest.raises(TypeError):
        round_to_5(2.5)


# -- allocation ------------------------------------------------------------------------------

weight_lists = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(any)


@relaxed
@given(st.integers(min_value=-10**12, max_value=10**12), weight_lists)
def test_allocation_adds_up_and_each_part_is_within_one_rappen_of_its_share(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - Fraction(total * weight, sum(weights))) < 1
        if weight == 0:
            assert part == 0


@relaxed
@given(st.integers(min_value=-10**11, max_value=10**11).map(lambda n: n * 5), weight_lists)
def test_allocation_in_5_rappen(total, weights):
    parts = allocate(total, weights, unit=5)
    assert sum(parts) == total
    assert all(part % 5 == 0 for part in parts)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - Fraction(total * weight, sum(weights))) < 5


@relaxed
@given(st.integers(min_value=0, max_value=10**9), weight_lists)
def test_allocation_is_deterministic_and_monotone_in_the_weights(total, weights):
    parts = allocate(total, weights)
    assert parts == allocate(total, list(weights))
    for i in range(len(weights)):
        for j in range(len(weights)):
            if weights[i] >= weights[j]:
                assert parts[i] >= parts[j] - 1


def test_allocation_ties_go_to_the_earlier_weight():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(200, [1, 1, 1]) == [67, 67, 66]
    assert allocate(10, [1, 1, 1], unit=5) == [5, 5, 0]
    assert allocate(100_00, [3, 0, 1]) == [75_00, 0, 25_00]


def test_allocation_with_all_weights_zero(ctx):
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(UserError, match=r"CHF 100\.00 lässt sich nicht verteilen"):
        allocate(100_00, [0, 0, 0])


@pytest.mark.parametrize(("total", "weights", "unit"), [
    (100, [], 1), (100, [1, -1], 1), (100, [1.5, 1], 1), (12.5, [1], 1), (101, [1, 1], 5), (100, [1], 0),
])
def test_allocation_refuses_bad_arguments(total, weights, unit):
    with pytest.raises((ValueError, TypeError)):
        allocate(total, weights, unit=unit)


# -- IBAN --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "compact"), [
    ("CH93 0076 2011 6238 5295 7", "CH9300762011623852957"),
    ("ch9300762011623852957", "CH9300762011623852957"),
    (" LI21 0881 0000 2324 013A A ", "LI21088100002324013AA"),
])
def test_swiss_and_liechtenstein_ibans_are_accepted_and_compacted(text, compact):
    assert validate_iban(text) == compact


@pytest.mark.parametrize(("text", "message"), [
    ("CH93 0076 2011 6238 5295 8", "Die Prüfziffer der IBAN «CH93 0076 2011 6238 5295 8» stimmt nicht"),
    ("CH93 0076 2011", "«CH93 0076 2011» ist keine gültige IBAN"),
    ("Konto 1234", "«Konto 1234» ist keine gültige IBAN"),
    ("DE89 3704 0044 0532 0130 00", "gehört nicht zu einem Konto in der Schweiz oder in Liechtenstein"),
    ("CH44 3199 9123 0008 8901 2", "«CH44 3199 9123 0008 8901 2» ist eine QR-IBAN"),
    ("", "Bitte eine IBAN angeben."),
])
def test_bad_ibans_are_refused_in_german(ctx, text, message):
    with pytest.raises(UserError, match=re.escape(message)):
        validate_iban(text)


# -- the template filter ---------------------------------------------------------------------------


def test_the_chf_filter(app):
    with app.test_request_context():
        assert render_template_string("{{ 123450|chf }}|{{ none|chf }}|{{ -5|chf }}") == "CHF 1'234.50||CHF -0.05"


# -- the column and its database check -----------------------------------------------------------


class ProbeBase(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Amount:
    """A mixin: each table it is mixed into gets its own copy of the column and of its check."""

    amount: Mapped[int] = money_column()


class Probe(Amount, ProbeBase):
    """A table of its own, outside the application's metadata."""

    __tablename__ = "money_probe"

    id: Mapped[int] = mapped_column(primary_key=True)
    correction: Mapped[int | None] = money_column(nullable=True, non_negative=False)


class OtherProbe(Amount, ProbeBase):
    __tablename__ = "money_probe_other"

    id: Mapped[int] = mapped_column(primary_key=True)


@pytest.fixture
def probe_engine(app):
    """The probe table, created and dropped as the database owner."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    ProbeBase.metadata.create_all(engine)
    yield engine
    ProbeBase.metadata.drop_all(engine)
    engine.dispose()


def checks(table: sa.Table) -> dict[str, str]:
    """{name: condition} of the table's checks, as CREATE TABLE writes them."""
    ddl = str(sa.schema.CreateTable(table))
    return dict(re.findall(r"CONSTRAINT (\w+) CHECK \((.*)\)", ddl))


def test_money_column_declares_a_bigint_with_a_named_check():
    table = Probe.__table__
    assert isinstance(table.c.amount.type, Money) and not table.c.amount.nullable
    assert checks(table) == {
        "ck_money_probe_amount_money": "amount = CAST(amount AS BIGINT) AND amount >= 0",
        "ck_money_probe_correction_money": "correction = CAST(correction AS BIGINT)",
    }
    assert checks(OtherProbe.__table__) == {
        "ck_money_probe_other_amount_money": "amount = CAST(amount AS BIGINT) AND amount >= 0",
    }


def test_a_migration_gets_the_check_from_the_type():
    """Autogenerate writes the type (not the check); the type brings the check when the migration runs."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"target_metadata": ProbeBase.metadata})
        code = render_python_code(produce_migrations(context, ProbeBase.metadata).upgrade_ops)
    assert "sa.Column('amount', core.money.Money(), nullable=False)" in code
    assert "sa.Column('correction', core.money.Money(non_negative=False), nullable=True)" in code
    assert "CheckConstraint" not in code
    in_migration = sa.Table("t", sa.MetaData(naming_convention=NAMING_CONVENTION), sa.Column("paid", Money()))
    assert checks(in_migration) == {"ck_t_paid_money": "paid = CAST(paid AS BIGINT) AND paid >= 0"}


def test_the_database_keeps_whole_rappen_and_refuses_floats_and_negatives(probe_engine):
    with Session(probe_engine) as session:
        session.add_all([Probe(amount=123450, correction=-500), Probe(amount=0), Probe(amount=9 * 10**17)])
        session.commit()
        assert session.scalars(sa.select(Probe.amount).order_by(Probe.id)).all() == [123450, 0, 9 * 10**17]
    for value in (12.5, Decimal("12.50")):  # refused before it reaches the database
        with Session(probe_engine) as session, pytest.raises(sa.exc.StatementError, match="int of Rappen"):
            session.add(Probe(amount=value))
            session.flush()
    with Session(probe_engine) as session, pytest.raises(sa.exc.IntegrityError):
        session.add(Probe(amount=-1))
        session.flush()
    # Past the application (raw SQL): the database itself refuses a negative amount ...
    with probe_engine.connect() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(sa.text("INSERT INTO money_probe (amount) VALUES (-100)"))
    # ... and a fraction of a Rappen: SQLite would keep 12.5 in an integer column, the check refuses it
    # (PostgreSQL's BIGINT rounds it on the way in, so the stored value is still a whole number).
    with probe_engine.begin() as connection:
        try:
            connection.execute(sa.text("INSERT INTO money_probe (id, amount) VALUES (99, 12.5)"))
        except sa.exc.IntegrityError:
            stored = None
        else:
            stored = connection.scalar(sa.text("SELECT amount FROM money_probe WHERE id = 99"))
    assert stored is None if probe_engine.dialect.name == "sqlite" else stored == 13
