"""One payment run of the integration credit, as pure data: who pays, who is paid, how much, for which claim.

The payment files (:mod:`.pain001`, :mod:`.payment_sheet`, :mod:`.payment_advice`) are drawn from a
:class:`PaymentRun` alone, so they can be made and tested without a database. A run is checked
whole when it is built: every IBAN (the canton's and each tenant's) through
:func:`core.money.validate_iban`, every amount a positive int of Rappen rounded to 5 Rappen (payments
are: :func:`core.money.round_to_5`), every claim number usable as the bank's end-to-end reference and
paid once. Whatever is wrong is refused with one :class:`PaymentRunRefused` that names each tenant
concerned, so no file is ever made from a run that a bank would reject in part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from schwifty import BIC
from schwifty.exceptions import SchwiftyException

from core.errors import UserError
from core.money import MAX_RAPPEN, format_chf, round_to_5, validate_iban

ZURICH = ZoneInfo("Europe/Zurich")
# The SWIFT character set, which the Swiss Payment Standards ask of the references (MsgId, EndToEndId).
REFERENCE = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")


@dataclass(frozen=True)
class Debtor:
    """The canton's account the run is paid from."""

    name: str
    iban: str
    bic: str | None = None  # without one, the bank is named by the IID in the IBAN


@dataclass(frozen=True)
class Creditor:
    """A tenant (a commune or regional group) being paid, with its postal address where it is known."""

    name: str
    iban: str | None
    street: str | None = None
    building_number: str | None = None
    post_code: str | None = None
    town: str | None = None
    country: str = "CH"
    language: str = "de"  # of its payment advice

    def compact(self) -> Creditor:
        """The creditor as a run holds it: its IBAN in compact form (a :class:`UserError` if it is not valid)."""
        return replace(self, iban=validate_iban(self.iban))

    def address_lines(self) -> tuple[str, ...]:
        """The address as it is printed in an envelope's window."""
        street = " ".join(part for part in (self.street, self.building_number) if part)
        place = " ".join(part for part in (self.post_code, self.town) if part)
        return tuple(line for line in (self.name, street, place) if line)


@dataclass(frozen=True)
class Transfer:
    """One payment: a claim's amount to its tenant. ``claim_number`` is the end-to-end reference."""

    creditor: Creditor
    amount: int  # Rappen, a multiple of 5
    claim_number: str
    year: int
    purpose: str = ""  # the bank statement's text; by default "Integrationskredit <year>, Abrechnung <number>"

    def __post_init__(self):
        if not self.purpose:
            # German whoever makes the run: the statement is read by the tenant's accounts, not in the UI.
            object.__setattr__(self, "purpose", f"Integrationskredit {self.year}, Abrechnung {self.claim_number}")


class PaymentRunRefused(UserError):
    """A run that cannot be paid as it is; ``problems`` holds one message per fault, in the user's language."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PaymentRun:
    """One payment file's worth: the canton pays every transfer on ``execution_date``."""

    debtor: Debtor
    execution_date: date
    message_id: str  # unique per file: the bank refuses a message id it has seen
    created_at: datetime  # timezone-aware
    transfers: tuple[Transfer, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        transfers = tuple(self.transfers)
        problems = [*_run_problems(self), *(p for t in transfers for p in _transfer_problems(t)),
                    *_duplicate_problems(transfers)]
        if problems:
            raise PaymentRunRefused(problems)
        object.__setattr__(self, "debtor", replace(self.debtor, iban=validate_iban(self.debtor.iban),
                                                   bic=_bic(self.debtor.bic)))
        object.__setattr__(self, "transfers", tuple(_compact(t) for t in transfers))

    @property
    def total(self) -> int:
        return sum(transfer.amount for transfer in self.transfers)

    def by_creditor(self) -> dict[Creditor, list[Transfer]]:
        """The transfers per tenant, in the order of their first transfer."""
        grouped: dict[Creditor, list[Transfer]] = {}
        for transfer in self.transfers:
            grouped.setdefault(transfer.creditor, []).append(transfer)
        return grouped


def iban_groups(iban: str) -> str:
    """``CH93 0076 2011 6238 5295 7``: the IBAN as it is printed, in groups of four."""
    return " ".join(iban[start:start + 4] for start in range(0, len(iban), 4))


def _compact(transfer: Transfer) -> Transfer:
    return replace(transfer, creditor=transfer.creditor.compact())


def _bic(bic: str | None) -> str | None:
    return None if not bic else str(BIC(bic.strip()))


def _run_problems(run: PaymentRun) -> Iterable[str]:
    if not run.transfers:
        yield _("Der Zahlungslauf enthält keine Zahlung.")
    if not REFERENCE.fullmatch(run.message_id or ""):
        yield _("«%(value)s» taugt nicht als Nummer der Zahlungsdatei (höchstens 35 Zeichen: Buchstaben, "
                "Ziffern, Leerzeichen und / - ? : ( ) . , ' +).", value=run.message_id)
    if run.execution_date < run.created_at.astimezone(ZURICH).date():
        yield _("Das Ausführungsdatum %(date)s liegt vor dem Tag, an dem der Zahlungslauf erstellt wird.",
                date=run.execution_date.strftime("%d.%m.%Y"))
    yield from _account_problems(_("Konto des Kantons (%(name)s)", name=run.debtor.name), run.debtor.iban)
    try:
        _bic(run.debtor.bic)
    except SchwiftyException:
        yield _("«%(value)s» ist kein gültiger BIC.", value=run.debtor.bic)


def _transfer_problems(transfer: Transfer) -> Iterable[str]:
    tenant, number = transfer.creditor.name, transfer.claim_number
    if not (transfer.creditor.iban or "").strip():
        yield _("Für %(tenant)s ist keine IBAN erfasst; bitte in den Einstellungen des Mandanten nachtragen.",
                tenant=tenant)
    else:
        yield from _account_problems(tenant, transfer.creditor.iban)
    yield from _amount_problems(transfer.amount, tenant, number)
    if not REFERENCE.fullmatch(number or ""):
        yield _("Die Abrechnungsnummer «%(number)s» von %(tenant)s taugt nicht als Zahlungsreferenz (höchstens "
                "35 Zeichen: Buchstaben, Ziffern, Leerzeichen und / - ? : ( ) . , ' +).", number=number, tenant=tenant)


def _account_problems(holder: str, iban: str) -> Iterable[str]:
    try:
        validate_iban(iban)
    except UserError as error:
        yield _("%(holder)s: %(problem)s", holder=holder, problem=str(error))


def _amount_problems(amount: int, tenant: str, number: str) -> Iterable[str]:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int of Rappen, not {type(amount).__name__}")
    if amount <= 0:
        yield _("Der Betrag für %(tenant)s (Abrechnung %(number)s) muss grösser als null sein.",
                tenant=tenant, number=number)
    elif amount >= MAX_RAPPEN:
        yield _("Der Betrag für %(tenant)s (Abrechnung %(number)s) ist zu gross.", tenant=tenant, number=number)
    elif round_to_5(amount) != amount:
        yield _("Der Betrag von %(amount)s für %(tenant)s (Abrechnung %(number)s) ist nicht auf 5 Rappen "
                "gerundet (Zahlungen gehen auf 5 Rappen).", amount=format_chf(amount), tenant=tenant, number=number)


def _duplicate_problems(transfers: tuple[Transfer, ...]) -> Iterable[str]:
    seen: set[str] = set()
    for transfer in transfers:
        if transfer.claim_number in seen:
            yield _("Die Abrechnung %(number)s steht mehr als einmal im Zahlungslauf.", number=transfer.claim_number)
        seen.add(transfer.claim_number)
