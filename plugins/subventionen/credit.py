"""The canton's side of a year: its credit (amount, claim period, deadline) and its rules in numbered versions.

Rules are versioned, and a saved version never changes: a claim names the version it was computed with,
and that name must mean the same rules for the snapshot the canton reviews, the approval and the payment.
The canton changes a year's rules by saving a new version (the form starts from a copy of the current
one, is edited, and on saving the new version is the current one at once); claims still in preparation
are computed again with it, submitted ones keep theirs.  Once the ledger holds a payment for the year the
year is *frozen*: no new version, and the claim period stays as it is (the paid claims were computed with
both); the amount may still grow, never below what is committed.

Every tenant reads the credits and rules (``SharedReads``); only the canton's tenant writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, clock, modules
from core.activity import label as activity_label
from core.db import db
from core.errors import UserError
from core.money import format_chf
from core.tenancy import canton_tenant
from plugins.subventionen.models import (
    COMMITMENT,
    COMMUNE_CAP,
    CORRECTION,
    COST_SHARE,
    FLAT_COMMUNE,
    FLAT_TENANT,
    PAYMENT,
    PER_ACTIVITY,
    Credit,
    LedgerEntry,
    Rule,
    RuleSet,
)
from plugins.subventionen.rules import FULL_SHARE

FIRST_YEAR, LAST_YEAR = 2017, 2100  # the credit runs from 2017 (until 2021 as planned; later years allowed)

KIND_LABELS = {
    FLAT_TENANT: _l("Pauschale pro Mandant"),
    FLAT_COMMUNE: _l("Pauschale pro Gemeinde"),
    PER_ACTIVITY: _l("Betrag pro Aktivität"),
    COST_SHARE: _l("Anteil an den ausgewiesenen Kosten"),
    COMMUNE_CAP: _l("Höchstbetrag pro Gemeinde"),
}


def check_year(year: int) -> int:
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserError(_("Der Integrationskredit beginnt 2017: bitte ein Jahr von %(first)s bis %(last)s angeben.",
                          first=FIRST_YEAR, last=LAST_YEAR))
    return year


# -- reading (every tenant) ------------------------------------------------------------------------


def _canton_id() -> int:
    return canton_tenant().id


def credit_of(year: int) -> Credit | None:
    return db.session.scalar(sa.select(Credit).where(Credit.tenant_id == _canton_id(), Credit.year == year))


def credits() -> list[Credit]:
    return db.session.scalars(sa.select(Credit).where(Credit.tenant_id == _canton_id())
                              .order_by(Credit.year.desc())).all()


def versions(year: int) -> list[RuleSet]:
    """The year's rule versions, newest first."""
    return db.session.scalars(sa.select(RuleSet).where(RuleSet.tenant_id == _canton_id(), RuleSet.year == year)
                              .order_by(RuleSet.version.desc())).all()


def current_version(year: int) -> RuleSet | None:
    found = versions(year)
    return found[0] if found else None


def current_versions() -> dict[int, int]:
    """Year → its current version number."""
    rows = db.session.execute(sa.select(RuleSet.year, sa.func.max(RuleSet.version))
                              .where(RuleSet.tenant_id == _canton_id()).group_by(RuleSet.year)).all()
    return dict(rows)


def rules_of(year: int, version: int) -> list[Rule]:
    return db.session.scalars(sa.select(Rule).where(Rule.tenant_id == _canton_id(), Rule.year == year,
                                                    Rule.version == version).order_by(Rule.seq)).all()


def activity_keys() -> dict[str, str]:
    """The activity keys the installed modules declare (what a rule may pay for), key → label."""
    return {figure.key: str(figure.label) for manifest in modules.registry().manifests.values()
            for figure in manifest.activity_keys}


def describe(rule) -> str:
    """A rule in one line: «Betrag pro Aktivität: Erstinformationsgespräche geführt, CHF 150.00»."""
    kind = str(KIND_LABELS.get(rule.kind, rule.kind))
    if rule.kind == PER_ACTIVITY:
        return f"{kind}: {activity_label(rule.activity_key)}, {format_chf(rule.amount)}"
    if rule.kind == COST_SHARE:
        text = f"{kind}: {format_share(rule.share)}"
        return text + (_(", höchstens %(amount)s", amount=format_chf(rule.ceiling)) if rule.ceiling is not None
                       else "")
    return f"{kind}: {format_chf(rule.amount)}"


def shown(rule) -> str:
    """:func:`describe` for a page: «CHF 150.00» is never broken over two lines."""
    return describe(rule).replace("CHF ", "CHF\u00a0")


def format_share(basis_points: int) -> str:
    whole, rest = divmod(basis_points, 100)
    return f"{whole}.{rest:02d} %".replace(".00 %", " %")


# -- the year's freeze (read in the canton's tenant) ---------------------------------------------


def first_payment(year: int) -> LedgerEntry | None:
    """The first payment of a claim of ``year`` the ledger holds: from then on the year is frozen."""
    return db.session.scalar(sa.select(LedgerEntry).where(
        LedgerEntry.tenant_id == _canton_id(), LedgerEntry.year == year, LedgerEntry.kind == PAYMENT)
        .order_by(LedgerEntry.booked_on, LedgerEntry.booked_at).limit(1))


def frozen_message(year: int) -> str | None:
    """Why the year's rules and claim period can no longer change, or None."""
    payment = first_payment(year)
    if payment is None:
        return None
    return _("Die Regeln %(year)s sind eingefroren: Abrechnung %(number)s ist am %(day)s ausbezahlt worden. "
             "Bezahlte Abrechnungen behalten ihre Regeln.", year=year, number=payment.claim_number,
             day=payment.booked_on.strftime("%d.%m.%Y"))


def committed(year: int) -> int:
    """What the ledger has committed of the year's credit (commitments and their corrections)."""
    total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.tenant_id == _canton_id(), LedgerEntry.year == year,
        LedgerEntry.kind.in_((COMMITMENT, CORRECTION))))
    return int(total or 0)  # PostgreSQL sums a BIGINT as NUMERIC (a Decimal): whole Rappen all the same


# -- writing (the canton) -------------------------------------------------------------------------


def set_credit(year: int, amount: int, claims_from: date | None = None, claims_until: date | None = None,
               deadline: date | None = None) -> Credit:
    """Set (or change) the credit of ``year``; the claim period defaults to the calendar year, the deadline to
    the end of the following March.  Call in the canton's scope; audited."""
    check_year(year)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise UserError(_("Der Kredit muss ein Betrag über null sein."))
    credit = credit_of(year)
    claims_from = claims_from or (credit.claims_from if credit else date(year, 1, 1))
    claims_until = claims_until or (credit.claims_until if credit else date(year, 12, 31))
    deadline = deadline or (credit.deadline if credit else date(year + 1, 3, 31))
    if claims_from > claims_until:
        raise UserError(_("Die Abrechnungsperiode muss vor ihrem Ende beginnen."))
    if deadline < claims_until:
        raise UserError(_("Die Frist für die Abrechnungen kann nicht vor dem Ende der Abrechnungsperiode liegen."))
    if credit is not None:
        _check_change(credit, amount, claims_from, claims_until)
    before = _credit_values(credit) if credit else None
    if credit is None:
        credit = Credit(year=year)
        db.session.add(credit)
    credit.amount, credit.claims_from, credit.claims_until, credit.deadline = (amount, claims_from, claims_until,
                                                                               deadline)
    credit.set_at, credit.set_by = clock.utcnow(), audit.current_actor()
    audit.record("subventionen.credit.set", object_type="subventionen.credit", object_id=year,
                 detail={"before": before, "after": _credit_values(credit)})
    return credit


def _check_change(credit: Credit, amount: int, claims_from: date, claims_until: date) -> None:
    taken = committed(credit.year)
    if amount < taken:
        raise UserError(_("Vom Kredit %(year)s sind %(taken)s zugesagt: er kann nicht kleiner werden.",
                          year=credit.year, taken=format_chf(taken)))
    frozen = frozen_message(credit.year)
    if frozen and (claims_from, claims_until) != (credit.claims_from, credit.claims_until):
        raise UserError(frozen)


def _credit_values(credit: Credit) -> dict:
    return {"amount": credit.amount, "claims_from": credit.claims_from.isoformat(),
            "claims_until": credit.claims_until.isoformat(), "deadline": credit.deadline.isoformat()}


@dataclass(frozen=True)
class RuleDraft:
    """A rule as the canton enters it for a new version."""

    kind: str
    amount: int | None = None
    activity_key: str | None = None
    share: int | None = None  # basis points
    ceiling: int | None = None


def check_rules(drafts: list[RuleDraft]) -> None:
    """A version's rules make sense together: one of each kind (per activity: one per key), the figures each
    kind needs, keys that are declared."""
    if not drafts:
        raise UserError(_("Eine Version braucht mindestens eine Regel."))
    seen = set()
    keys = activity_keys()
    for draft in drafts:
        kind = str(KIND_LABELS.get(draft.kind, draft.kind))
        identity = (draft.kind, draft.activity_key if draft.kind == PER_ACTIVITY else None)
        if identity in seen:
            raise UserError(_("Die Regel «%(kind)s» steht zweimal in der Version.", kind=describe_draft(draft)))
        seen.add(identity)
        if draft.kind not in KIND_LABELS:
            raise UserError(_("Unbekannte Art von Regel: %(kind)s", kind=draft.kind))
        if draft.kind == PER_ACTIVITY and draft.activity_key not in keys:
            raise UserError(_("«%(key)s» ist keine Aktivität, die ein Modul zählt.", key=draft.activity_key or ""))
        if draft.kind == COST_SHARE:
            if draft.share is None or not 1 <= draft.share <= FULL_SHARE:
                raise UserError(_("«%(kind)s» braucht einen Anteil von mehr als 0 bis 100 %%.", kind=kind))
        elif draft.amount is None or draft.amount <= 0:
            raise UserError(_("«%(kind)s» braucht einen Betrag über null.", kind=kind))


def describe_draft(draft: RuleDraft) -> str:
    return describe(draft) if (draft.amount is not None or draft.share is not None) else str(
        KIND_LABELS.get(draft.kind, draft.kind))


def save_version(year: int, drafts: list[RuleDraft], note: str, based_on: int | None) -> RuleSet:
    """Save ``drafts`` as the year's next rule version, the current one from now on (canton's scope; audited).

    ``based_on`` is the version the form was a copy of: if another version was saved meanwhile, this one is
    refused rather than silently replacing what the other person saved.
    """
    check_year(year)
    if credit_of(year) is None:
        raise UserError(_("Für %(year)s ist noch kein Kredit festgelegt: zuerst den Kredit, dann die Regeln.",
                          year=year))
    frozen = frozen_message(year)
    if frozen:
        raise UserError(frozen)
    check_rules(drafts)
    current = current_version(year)
    if (current.version if current else None) != based_on:
        raise UserError(_("Inzwischen wurde Version %(version)s der Regeln %(year)s gespeichert; bitte die neue "
                          "Version von dort aus bearbeiten.", version=current.version, year=year))
    version = (current.version if current else 0) + 1
    rule_set = RuleSet(year=year, version=version, note=(note or "").strip(), created_by=audit.current_actor())
    db.session.add(rule_set)
    db.session.flush()  # the version before its rules (composite foreign key)
    for seq, draft in enumerate(drafts, start=1):
        db.session.add(Rule(year=year, version=version, seq=seq, kind=draft.kind, amount=draft.amount,
                            activity_key=draft.activity_key if draft.kind == PER_ACTIVITY else None,
                            share=draft.share if draft.kind == COST_SHARE else None,
                            ceiling=draft.ceiling if draft.kind == COST_SHARE else None))
    db.session.flush()
    audit.record("subventionen.rules.saved", object_type="subventionen.rules", object_id=f"{year}/{version}",
                 detail={"year": year, "version": version, "note": rule_set.note,
                         "rules": [describe_draft(draft) for draft in drafts]})
    return rule_set
