"""Money: integer Rappen (CHF cents), never float; Swiss formatting, 5-Rappen rounding, pro-rata split, IBAN.

Amounts are ``int`` Rappen everywhere: in Python, in the database (:func:`money_column`) and in
the API. Floats are refused at every door (formatting, binding, the database's own check).

Formatting is the one Swiss style of payment documents, in every UI language:
``CHF 1'234.50``, ``CHF -1'234.50``, ``CHF 0.00``. The thousands separator is the ASCII
apostrophe ``'``, deliberately: it is what banks, the QR-bill software and the canton's
documents print, what staff type and what survives a copy into Excel or an e-banking form.
Babel is not used here because recent CLDR data gives de_CH the typographic apostrophe
(U+2019) and no space after the currency (``CHF-1’234.50``), and fr_CH a narrow space and a
decimal comma; payment documents and mixed-language tenants want one form.
:func:`parse_chf` reads both apostrophes, spaces, ``1234.-`` and a decimal comma.

IBANs are checked with schwifty. Only accounts in Switzerland and Liechtenstein are accepted
(the canton pays communes, in CHF), and QR-IBANs (bank id 30000–31999) are refused: a
QR-IBAN may only be paid with a QR reference from a QR-bill, so an ordinary payment to it
is rejected by the bank.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup
from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException
from sqlalchemy.orm import mapped_column
from sqlalchemy.sql.base import SchemaEventTarget

from core.errors import UserError

MAX_RAPPEN = 10**15  # ten trillion francs: far beyond any budget, well within BIGINT
IBAN_COUNTRIES = ("CH", "LI")
QR_IID = range(30000, 32000)  # the bank ids reserved for QR-IBANs


def _require_int(value, what: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int of Rappen, not {type(value).__name__}")
    return value


# -- formatting and parsing ----------------------------------------------------------------


def format_chf(rappen: int, *, symbol: bool = True) -> str:
    """``CHF 1'234.50`` (``1'234.50`` without the symbol); a minus sign before the digits."""
    rappen = _require_int(rappen)
    sign = "-" if rappen < 0 else ""
    francs, cents = divmod(abs(rappen), 100)
    number = f"{sign}{francs:,}.{cents:02d}".replace(",", "'")
    return f"CHF {number}" if symbol else number


def chf(rappen: int | None) -> Markup:
    """The template filter ``chf``: an empty string for no amount.

    Marked safe (it is built from an int alone) so the apostrophe is not escaped to ``&#39;``.
    """
    return Markup("" if rappen is None else format_chf(rappen))


# Thousands separators people type or paste: apostrophes, spaces (also no-break ones).
_SEPARATORS = re.compile(r"[’'ʼ\s\u00a0\u202f]+")
_CURRENCY = re.compile(r"^(?:chf|fr\.?|sfr\.?)\s*|\s*(?:chf|fr\.?|sfr\.?)$", re.IGNORECASE)
_AMOUNT = re.compile(r"^(-)?(\d{1,3}(?:'\d{3})+|\d+)(?:[.,](\d*|--?))?$")


def parse_chf(text: str) -> int:
    """The Rappen of an amount as a person writes it; a :class:`UserError` naming the value if it is none.

    Accepts ``1234.5``, ``1'234.50``, ``1’234.50``, ``CHF 1 234.50``, ``Fr. 12.-``, ``1234``,
    ``12,50`` and a leading minus. Refuses more than two decimals, letters, wrong grouping.
    """
    raw = text if isinstance(text, str) else ""
    value = _CURRENCY.sub("", raw.strip()).strip()
    if not value:
        raise UserError(_("Bitte einen Betrag angeben."))
    match = _AMOUNT.match(_SEPARATORS.sub("'", value))
    if match is None:
        raise UserError(_("«%(value)s» ist kein Betrag in Franken (zum Beispiel 1'234.50).", value=raw.strip()))
    sign, francs, decimals = match.groups()
    decimals = "" if decimals is None or decimals.startswith("-") else decimals
    if len(decimals) > 2:
        raise UserError(_("«%(value)s» hat mehr als zwei Stellen nach dem Punkt: Beträge gehen auf den Rappen.",
                          value=raw.strip()))
    rappen = int(francs.replace("'", "")) * 100 + int(decimals.ljust(2, "0"))
    if rappen >= MAX_RAPPEN:
        raise UserError(_("«%(value)s» ist zu gross für einen Betrag.", value=raw.strip()))
    return -rappen if sign else rappen


# -- rounding and allocation ------------------------------------------------------------------


def round_to_5(rappen: int) -> int:
    """Commercial rounding to 5 Rappen for payments: 1, 2 down; 3, 4 up (x.x25 CHF would go up).

    Whole Rappen never fall on the midpoint 2.5, so half-up needs no tie rule; negative
    amounts round symmetrically (away from zero alike): ``round_to_5(-r) == -round_to_5(r)``.
    """
    rappen = _require_int(rappen)
    magnitude = (abs(rappen) + 2) // 5 * 5
    return -magnitude if rappen < 0 else magnitude


def allocate(total: int, weights: list[int], *, unit: int = 1) -> list[int]:
    """Split ``total`` pro rata to ``weights``; the parts always add up to ``total`` exactly.

    Largest remainder method: every part gets the whole units of its exact share, the units
    left over go one each to the largest remainders, ties to the earlier weight. So every part
    is within one ``unit`` of its exact share. With ``unit=5`` the parts are multiples of
    5 Rappen (``total`` must be one). A negative total is split like its magnitude.

    All weights zero: a total of 0 gives zeros; any other total is refused with a
    :class:`UserError`, since nothing says who should get it (an equal split would pay
    those who did nothing).
    """
    total, unit = _require_int(total), _require_int(unit, "unit")
    weights = [_require_int(w, "weight") for w in weights]
    if unit <= 0 or total % unit:
        raise ValueError(f"total {total} is not a multiple of the unit {unit}")
    if not weights or any(w < 0 for w in weights):
        raise ValueError("weights must be a non-empty list of non-negative ints")
    if total < 0:
        return [-part for part in allocate(-total, weights, unit=unit)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total == 0:
            return [0] * len(weights)
        raise UserError(_("Der Betrag von %(amount)s lässt sich nicht verteilen: alle Anteile sind null.",
                          amount=format_chf(total)))
    units = total // unit
    shares = [divmod(units * w, weight_sum) for w in weights]
    parts = [whole for whole, _rest in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[: units - sum(parts)]:
        parts[i] += 1
    return [part * unit for part in parts]


# -- IBAN -------------------------------------------------------------------------------------


def validate_iban(text: str) -> str:
    """The IBAN in compact form (``CH9300762011623852957``), or a :class:`UserError` in the user's language.

    Spaces and lower case are fine. Only Swiss and Liechtenstein accounts, no QR-IBAN (see above).
    """
    raw = (text if isinstance(text, str) else "").strip()
    if not raw:
        raise UserError(_("Bitte eine IBAN angeben."))
    try:
        iban = IBAN(raw)
    except InvalidChecksumDigits:
        raise UserError(_("Die Prüfziffer der IBAN «%(value)s» stimmt nicht; bitte die Nummer prüfen.",
                          value=raw)) from None
    except SchwiftyException:
        raise UserError(_("«%(value)s» ist keine gültige IBAN.", value=raw)) from None
    if iban.country_code not in IBAN_COUNTRIES:
        raise UserError(_("Die IBAN «%(value)s» gehört nicht zu einem Konto in der Schweiz oder in Liechtenstein.",
                          value=raw))
    if int(iban.bank_code) in QR_IID:
        raise UserError(_("«%(value)s» ist eine QR-IBAN, die nur für QR-Rechnungen gilt; "
                          "bitte die gewöhnliche IBAN des Kontos angeben.", value=raw))
    return iban.compact


# -- database ---------------------------------------------------------------------------------


class Money(sa.TypeDecorator, SchemaEventTarget):
    """Rappen in a BIGINT that brings its own database check to every table it is used in.

    Binding anything but an int (a float, a Decimal) raises. The check is bound to the type, as
    SQLAlchemy's Boolean binds its own: so it is copied with a mixin's column, autogenerate
    renders ``sa.Column('amount', core.money.Money(), ...)`` without it (add ``import core.money``
    to the migration), and a migration creating that column creates the check too.
    """

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, non_negative: bool = True):
        super().__init__()
        self.non_negative = non_negative

    def process_bind_param(self, value, dialect):
        return None if value is None else _require_int(value)

    def __repr__(self) -> str:  # what autogenerate writes into a migration
        return "Money()" if self.non_negative else "Money(non_negative=False)"

    def _set_parent(self, parent, **kw):  # the column; the hook SQLAlchemy's own schema types use
        parent._on_table_attach(self._add_check)

    def _add_check(self, column: sa.Column, table: sa.Table) -> None:
        """A whole number (SQLite would keep 12.5 in an integer column), and not below zero unless allowed."""
        condition = column == sa.cast(column, sa.BigInteger)
        if self.non_negative:
            condition = sa.and_(condition, column >= 0)
        # Bound to the type like Boolean's check: alembic leaves it to the type, PostgreSQL's DDL reads its column.
        table.append_constraint(sa.CheckConstraint(condition, name=f"{column.name}_money", _type_bound=True))


def money_column(*, nullable: bool = False, non_negative: bool = True, **kwargs):
    """A mapped money column with its check: ``amount: Mapped[int] = money_column()``."""
    return mapped_column(Money(non_negative=non_negative), nullable=nullable, **kwargs)
