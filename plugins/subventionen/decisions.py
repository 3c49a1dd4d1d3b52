"""The canton's decisions on the communes' claims: approve, reduce, return; the shortfall and its pro-rata split.

Runs in the canton's tenant and reads core's submission rows only (kind :data:`access.CLAIM_KIND`): the
snapshot the commune submitted, whose machine-readable part (:data:`CODES`) gives the year, the rule
version, the total in Rappen and the lines.  The commune's claim rows stay the commune's.

- **Approve** books a commitment of the claim's total rounded to 5 Rappen (:func:`core.money.round_to_5`:
  what can be paid) and accepts the submission; **reduce** books a smaller amount (a multiple of 5 Rappen)
  with the reason.  Both hold the year's credit row lock (:func:`ledger.lock_credit`) from before the
  sum of the commitments until the commit, so concurrent approvals never exceed the credit; and both
  re-read the submission under that lock, so an approval that lost the race says what happened.
- **Return** sends the claim back for correction with a reason (:func:`core.submissions.change`).
- Where the open claims and the commitments exceed the credit, :func:`proposal` splits what is left
  pro rata (:func:`core.money.allocate`, unit 5 Rappen) and :func:`approve_pro_rata` approves all at
  those amounts at once.

The decision reaches the commune's claim through the ``submission_changed`` hook, in the commune's scope:
:func:`record_in_claim` (the amount travels from the canton's request to it as the step's ``decision``,
core.submissions.change).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from core import submissions
from core.db import db
from core.errors import UserError
from core.money import allocate, format_chf, round_to_5
from core.submissions import State, Submission, SubmissionEvent, SubmissionVersion
from core.tenancy import Tenant
from plugins.subventionen import ledger
from plugins.subventionen.access import CLAIM_KIND
from plugins.subventionen.models import APPROVED, COMMITMENT, RETURNED, Claim

CODES = "Kennzeichen"  # the snapshot's machine-readable part, as Fordern's snapshots have it
REVIEWING = (State.SUBMITTED, State.IN_REVIEW)


# -- the snapshot ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimCodes:
    """What the canton reads of a submitted claim by machine."""

    year: int
    rule_version: int | None
    total: int  # Rappen, as the commune's rules computed it
    lines: list[dict] = field(default_factory=list)

    @property
    def payable(self) -> int:
        """What an approval commits and a payment pays: the total rounded to 5 Rappen."""
        return round_to_5(self.total)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def codes(payload) -> ClaimCodes | None:
    """The snapshot's codes, or None where they are missing or not what a claim gives."""
    found = payload.get(CODES) if isinstance(payload, dict) else None
    if not isinstance(found, dict):
        return None
    year, total, version = found.get("year"), found.get("total"), found.get("rule_version")
    if not (_whole(year) and _whole(total) and total >= 0):
        return None
    lines = [line for line in found.get("lines") or [] if isinstance(line, dict)]
    return ClaimCodes(year, version if _whole(version) else None, total, lines)


# -- what the canton reviews -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    """A submitted claim as the canton sees it: the submission, the commune, its codes, its bookings."""

    submission: Submission
    tenant: Tenant
    version: SubmissionVersion
    codes: ClaimCodes | None
    balance: ledger.ClaimBalance | None

    @property
    def is_open(self) -> bool:
        return self.submission.state in REVIEWING

    @property
    def is_paid(self) -> bool:
        return bool(self.balance and self.balance.paid)

    @property
    def committed(self) -> int | None:
        return self.balance.committed if self.balance else None


def _current_versions(query) -> list[tuple[Submission, Tenant, SubmissionVersion]]:
    return db.session.execute(
        query.join(Tenant, Tenant.id == Submission.tenant_id)
        .join(SubmissionVersion, sa.and_(SubmissionVersion.tenant_id == Submission.tenant_id,
                                         SubmissionVersion.submission_id == Submission.id,
                                         SubmissionVersion.version == Submission.version))
        .where(Submission.kind == CLAIM_KIND)).all()


def listing(year: int) -> tuple[list[Reviewed], list[Reviewed]]:
    """The year's submitted claims (not withdrawn), by number; and those whose snapshot gives no year or total."""
    rows = _current_versions(sa.select(Submission, Tenant, SubmissionVersion)
                             .where(Submission.state != State.WITHDRAWN).order_by(Submission.number))
    balances = {b.number: b for b in ledger.claim_balances(year)}
    of_year, unreadable = [], []
    for found, tenant, version in rows:
        known = codes(version.payload)
        if known is None:
            unreadable.append(Reviewed(found, tenant, version, None, None))
        elif known.year == year:
            of_year.append(Reviewed(found, tenant, version, known, balances.get(found.number)))
    return of_year, unreadable


def reviewed(number: str) -> Reviewed | None:
    """The submitted claim with this number (None for another kind or none)."""
    rows = _current_versions(sa.select(Submission, Tenant, SubmissionVersion).where(Submission.number == number))
    if not rows:
        return None
    found, tenant, version = rows[0]
    return Reviewed(found, tenant, version, codes(version.payload), ledger.balance_of(number))


# -- the shortfall -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """The year's credit against its commitments and open claims; where short, the pro-rata split of what is left."""

    year: int
    credit: int
    committed: int
    open_claimed: int  # what the open claims would commit (each rounded to 5 Rappen)
    parts: list[tuple[Reviewed, int]]  # only where short

    @property
    def left(self) -> int:
        return self.credit - self.committed

    @property
    def shortfall(self) -> int:
        return max(0, self.committed + self.open_claimed - self.credit)

    @property
    def distributable(self) -> int:
        """What is left, down to 5 Rappen: what the pro-rata parts add up to."""
        return max(0, self.left - self.left % 5)

    @property
    def digest(self) -> str:
        """Names this proposal: approving it is refused once anything it was computed from has changed."""
        text = "|".join(f"{row.submission.number}:{row.submission.version}:{part}" for row, part in self.parts)
        return hashlib.sha256(f"{self.year}|{self.credit}|{self.committed}|{text}".encode()).hexdigest()[:32]


def pro_rata(left: int, claims: list[int]) -> list[int]:
    """``left`` (down to 5 Rappen) split in proportion to ``claims`` (multiples of 5 Rappen).

    Where the claims exceed it, the parts add up to it exactly and none exceeds its claim.
    """
    distributable = max(0, left - left % 5)
    if not claims or sum(claims) <= distributable:
        return list(claims)
    return allocate(distributable, claims, unit=5)


def proposal(year: int, rows: list[Reviewed]) -> Proposal | None:
    """None while the year has no credit."""
    credit = ledger.credit_of(year)
    if credit is None:
        return None
    open_rows = [row for row in rows if row.is_open and row.codes is not None and not row.balance]
    claimed = [row.codes.payable for row in open_rows]
    committed = ledger.committed(year)
    short = committed + sum(claimed) > credit.amount
    parts = list(zip(open_rows, pro_rata(credit.amount - committed, claimed), strict=True)) if short else []
    return Proposal(year, credit.amount, committed, sum(claimed), parts)


# -- the decisions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the canton decided, for the hook that runs in the commune's scope."""

    submission_id: uuid.UUID
    amount: int
    reason: str


def _fresh(found: Submission) -> Submission:
    """The submission as committed now (read again after a lock was taken)."""
    return db.session.scalar(sa.select(Submission).where(Submission.tenant_id == found.tenant_id,
                                                         Submission.id == found.id)
                             .execution_options(populate_existing=True))


def _codes_of(found: Submission) -> ClaimCodes:
    if found.kind != CLAIM_KIND:
        raise UserError(_("Eingabe %(number)s ist keine Abrechnung.", number=found.number))
    known = codes(submissions.versions(found)[0].payload)
    if known is None:
        raise UserError(_("Eingabe %(number)s nennt weder Jahr noch Total lesbar: bitte an die Gemeinde "
                          "zurückweisen.", number=found.number))
    return known


def refuse_unless_open(found: Submission, version: int | None = None) -> None:
    """A claim that is booked, paid, returned or withdrawn is not decided (again); the message says which.

    ``version``: the one the person decided on; refused if the commune has submitted another since.
    """
    balance = ledger.balance_of(found.number)
    if balance is not None and balance.paid:
        raise UserError(_("Abrechnung %(number)s ist bereits ausbezahlt (%(amount)s): Sie wird nicht nochmals "
                          "genehmigt.", number=found.number, amount=format_chf(balance.paid)))
    if balance is not None:
        raise UserError(_("Abrechnung %(number)s ist bereits genehmigt (%(amount)s): Nichts ist geändert.",
                          number=found.number, amount=format_chf(balance.committed)))
    if found.state not in REVIEWING:
        raise UserError(_("Abrechnung %(number)s ist «%(state)s»: Hier ist nichts zu entscheiden.",
                          number=found.number, state=found.state_label))
    if version is not None and version != found.version:
        raise UserError(_("Die Gemeinde hat inzwischen Fassung %(version)s eingereicht: bitte diese prüfen.",
                          version=found.version))


def _start(found: Submission) -> None:
    if found.state == State.SUBMITTED:
        submissions.change(found, "start_review")


def approve(found: Submission, amount: int | None = None, reason: str = "", version: int | None = None) -> int:
    """Commit ``amount`` (default: the claim's total rounded to 5 Rappen) and accept; returns the amount.

    Refused, with nothing booked, where the claim is not open or the credit left does not cover it.
    """
    known = _codes_of(found)
    amount = known.payable if amount is None else amount
    if amount <= 0:
        raise UserError(_("Abrechnung %(number)s ergibt keinen Betrag: bitte zurückweisen.", number=found.number))
    credit = ledger.lock_credit(known.year)  # until the commit: the sum below stays true
    found = _fresh(found)
    refuse_unless_open(found, version)
    ledger.refuse_beyond_credit(credit, amount, ledger.committed(known.year))
    ledger.book(COMMITMENT, known.year, found.tenant_id, found.number, amount, reason)
    _start(found)
    submissions.change(found, "accept", reason, decision=Decision(found.id, amount, reason))
    return amount


def reduce(found: Submission, amount: int, reason: str, version: int | None = None) -> int:
    """Approve less than claimed, with the reason: a multiple of 5 Rappen, above zero and below the total."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Eine Kürzung braucht eine Begründung."))
    known = _codes_of(found)
    if amount % 5:
        raise UserError(_("%(amount)s geht nicht auf 5 Rappen auf: Auszahlungen sind auf 5 Rappen gerundet.",
                          amount=format_chf(amount)))
    if amount <= 0:
        raise UserError(_("Eine Kürzung auf null ist keine Genehmigung: bitte die Abrechnung zurückweisen."))
    if amount >= known.total:
        raise UserError(_("%(amount)s ist nicht weniger als beantragt (%(claimed)s): Das ist keine Kürzung.",
                          amount=format_chf(amount), claimed=format_chf(known.total)))
    return approve(found, amount, reason, version)


def give_back(found: Submission, reason: str, version: int | None = None) -> None:
    """Return the claim to the commune for correction, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Bitte einen Grund angeben."))
    found = _fresh(found)
    refuse_unless_open(found, version)
    _start(found)
    submissions.change(found, "return", reason)


def pro_rata_reason(year: int, part: int, payable: int) -> str:
    return _("anteilige Kürzung: Der Integrationskredit %(year)s reicht nicht für alle Abrechnungen; %(part)s "
             "statt %(payable)s.", year=year, part=format_chf(part), payable=format_chf(payable))


def approve_pro_rata(year: int, digest: str) -> list[tuple[str, int]]:
    """Approve every open claim of the year at its pro-rata part; returns (number, amount) of each approved.

    Refused unless the proposal the person saw (its ``digest``) is still the one the ledger gives now.
    A part of nothing leaves its claim in review.
    """
    ledger.lock_credit(year)
    rows, _unreadable = listing(year)
    current = proposal(year, rows)
    if current is None or not current.parts:
        raise UserError(_("Der Integrationskredit %(year)s reicht für alle offenen Abrechnungen: bitte einzeln "
                          "genehmigen.", year=year))
    if current.digest != digest:
        raise UserError(_("Seit der Vorschlag berechnet wurde, hat sich etwas geändert: bitte den neuen Vorschlag "
                          "prüfen."))
    if current.distributable == 0:
        raise UserError(_("Vom Integrationskredit %(year)s ist nichts mehr übrig: bitte die offenen Abrechnungen "
                          "zurückweisen oder den Kredit erhöhen.", year=year))
    done = []
    for row, part in current.parts:
        payable = row.codes.payable
        if part == payable:
            done.append((row.submission.number, approve(row.submission)))
        elif part > 0:
            done.append((row.submission.number, reduce(row.submission, part, pro_rata_reason(year, part, payable))))
    return done


# -- the commune's side ------------------------------------------------------------------------------


def record_in_claim(tenant: Tenant, submission: Submission, event: SubmissionEvent) -> None:
    """The ``submission_changed`` hook's part for the canton's decision, in the commune's scope.

    ``accept``: the claim is approved with the amount and the reason; an acceptance that did not come
    from the review pages (core's generic step) is refused, since it names no amount.  ``return``:
    the claim is returned with the reason.  Other steps are the claim's own business.
    """
    if event.action not in ("accept", "return"):
        return
    decision = submissions.decision()
    if event.action == "accept" and (decision is None or decision.submission_id != submission.id):
        raise UserError(_("Eine Abrechnung genehmigt der Kanton auf der Prüfseite der Subventionen, mit dem "
                          "Betrag: Dort wird er im Integrationskredit gebucht."))
    claim = db.session.scalar(sa.select(Claim).where(Claim.id == _claim_id(submission.object_id)))
    if claim is None:
        return
    if event.action == "accept":
        claim.state, claim.approved, claim.decision_note = APPROVED, decision.amount, decision.reason
    else:
        claim.state, claim.decision_note = RETURNED, event.note


def _claim_id(object_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(object_id)
    except ValueError:
        return None
