"""A tenant's claims: prepared from its activity and costs under the year's rules, submitted to the canton.

A claim (one per tenant and year, a withdrawn one aside) is computed from live figures while it is a
draft or returned: the activity counts (:func:`core.activity.counts` over the credit's claim period,
attributed to the communes by the days the tenant served them, see :mod:`plugins.subventionen.rules`),
the documented costs and the current version of the year's rules.  Submitting hands the canton a
snapshot (German labels, and under ``Kennzeichen`` the codes the review reads) through
:func:`core.submissions.submit`; from then on the claim does not change in the tenant until the canton
returns it.  The claim's state follows the submission's steps (:func:`follow_submission`, called from
the ``submission_changed`` hook): submitted or resubmitted, withdrawn.  The canton's decisions (accept,
reduce, return) are recorded by the review's part of the module.

Deadline: a claim submitted after the credit's deadline is accepted, marked late in the snapshot, and the
page warns before: the canton decides in its review whether to take it (returning or reducing it), a
commune is not shut out of its subsidy by the software for a day.  A claim is refused before the end of
its claim period (it would claim part of the year, and there is one claim a year).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import activity, attachments, audit, clock, submissions
from core.db import db
from core.errors import UserError
from core.money import format_chf, validate_iban
from core.reports import Period
from core.submissions import Submission, SubmissionEvent
from core.tenancy import Municipality, Tenant, TenantMunicipality, tenant_scope
from plugins.subventionen import credit as credits
from plugins.subventionen.access import CLAIM_KIND
from plugins.subventionen.models import (
    APPROVED,
    COMMUNE_CAP,
    COST_SHARE,
    DRAFT,
    FLAT_COMMUNE,
    FLAT_TENANT,
    PER_ACTIVITY,
    RETURNED,
    SUBMITTED,
    WITHDRAWN,
    Claim,
    ClaimLine,
    Cost,
)
from plugins.subventionen.rules import ROUNDING, RuleTerms, Span, compute, days_served, period_days, spans

RECEIPT_OWNER = "subventionen.cost"  # the owner type of a cost's receipts (core attachments)
EDITABLE = (DRAFT, RETURNED)

STATE_LABELS = {
    DRAFT: _l("in Vorbereitung"),
    SUBMITTED: _l("eingereicht"),
    RETURNED: _l("zur Korrektur zurückgegeben"),
    APPROVED: _l("genehmigt"),
    WITHDRAWN: _l("zurückgezogen"),
}
LINE_LABELS = {
    FLAT_TENANT: _l("Pauschale pro Mandant"),
    FLAT_COMMUNE: _l("Pauschale pro Gemeinde"),
    COST_SHARE: _l("Anteil an den ausgewiesenen Kosten"),
    COMMUNE_CAP: _l("Kürzung auf den Höchstbetrag pro Gemeinde"),
    ROUNDING: _l("Rundung auf 5 Rappen"),
}

# The snapshot's keys: German labels (a snapshot is a document, as submitted) and the codes under CODES.
TENANT, YEAR, PERIOD, RULES, LINES, COSTS, TOTAL, LATE, CODES = (
    "Mandant", "Jahr", "Abrechnungsperiode", "Regeln", "Positionen", "Ausgewiesene Kosten", "Total",
    "Nach der Frist eingereicht", "Kennzeichen")


# -- reading ----------------------------------------------------------------------------------------


def claims() -> list[Claim]:
    """The current tenant's claims, newest year first."""
    return db.session.scalars(sa.select(Claim).order_by(Claim.year.desc(), Claim.created_at.desc())).all()


def open_claim(year: int) -> Claim | None:
    """The tenant's claim of ``year`` that is not withdrawn (there is at most one)."""
    return db.session.scalar(sa.select(Claim).where(Claim.year == year, Claim.state != WITHDRAWN))


def lines_of(claim: Claim) -> list[ClaimLine]:
    return db.session.scalars(sa.select(ClaimLine).where(ClaimLine.claim_id == claim.id)
                              .order_by(ClaimLine.seq)).all()


def costs_of(claim: Claim) -> list[Cost]:
    return db.session.scalars(sa.select(Cost).where(Cost.claim_id == claim.id)
                              .order_by(Cost.spent_on, Cost.created_at)).all()


def commune_names(bfs_numbers) -> dict[int, str]:
    wanted = {number for number in bfs_numbers if number is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(Municipality.bfs_number, Municipality.name)
                                   .where(Municipality.bfs_number.in_(wanted))).all())


def line_label(line, names: dict[int, str]) -> str:
    """«Grenchen: Erstinformationsgespräche geführt» – what a line pays for, in the user's language."""
    what = activity.label(line.activity_key) if line.kind == PER_ACTIVITY else str(LINE_LABELS.get(line.kind,
                                                                                                    line.kind))
    if line.bfs_number is None:
        return what
    return f"{names.get(line.bfs_number, line.bfs_number)}: {what}"


def line_detail(line, period_length: int, costs_total: int) -> str:
    """How the line's amount comes about: «12 × CHF 150.00», «184 von 365 Tagen», «50 % von CHF 8'000.00»."""
    if line.kind == PER_ACTIVITY:
        return f"{line.quantity} × {format_chf(line.rate)}"
    if line.kind in (FLAT_COMMUNE, COMMUNE_CAP):
        base = format_chf(line.rate)
        if line.quantity >= period_length:
            return base if line.kind == FLAT_COMMUNE else _("höchstens %(amount)s", amount=base)
        return _("%(amount)s für %(days)s von %(of)s Tagen", amount=base, days=line.quantity, of=period_length)
    if line.kind == COST_SHARE:
        return _("von %(amount)s", amount=format_chf(costs_total))
    return ""


def period_of(claim_credit) -> Period:
    start, end = claim_credit.claims_from, claim_credit.claims_until
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")


# -- checks -----------------------------------------------------------------------------------------


def refuse_unless_editable(claim: Claim) -> None:
    if claim.state not in EDITABLE:
        raise UserError(_("Die Abrechnung %(number)s ist «%(state)s»: sie kann nicht mehr geändert werden.",
                          number=claim.number or claim.year, state=STATE_LABELS[claim.state]))


def year_setup(year: int):
    """The year's credit and current rules, or a UserError saying what the canton has not set yet."""
    found = credits.credit_of(year)
    if found is None:
        raise UserError(_("Für %(year)s hat der Kanton keinen Integrationskredit festgelegt: es gibt keine "
                          "Abrechnung für dieses Jahr.", year=year))
    version = credits.current_version(year)
    if version is None:
        raise UserError(_("Für %(year)s hat der Kanton noch keine Regeln festgelegt.", year=year))
    return found, version


def stale_reason(claim: Claim) -> str | None:
    """Why the claim must be computed again before it is submitted, or None."""
    found, version = year_setup(claim.year)
    if version.version != claim.rule_version:
        return _("Der Kanton hat die Regeln %(year)s geändert (jetzt Version %(version)s): bitte die Abrechnung neu "
                 "berechnen.", year=claim.year, version=version.version)
    if claim.computed_at is None or found.set_at > claim.computed_at:
        return _("Der Kanton hat den Kredit %(year)s geändert: bitte die Abrechnung neu berechnen.", year=claim.year)
    return None


def is_late(claim: Claim, today: date | None = None) -> bool:
    found = credits.credit_of(claim.year)
    return found is not None and (today or clock.today()) > found.deadline


# -- computing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """The communes served in the period, the activity counted for them, what could not be attributed."""

    spans: list[Span]
    counts: dict[str, dict[int, int]]
    unattributed: dict[str, int]  # activity key -> count for communes the tenant did not serve on that day


def attribute(tenant: Tenant, period: Period) -> Attribution:
    """Count the tenant's activity and give each commune's what happened while the tenant served it."""
    with tenant_scope(tenant):
        links = db.session.scalars(sa.select(TenantMunicipality)).all()
    served = spans(links, period.start, period.end)
    everything = activity.counts(tenant, period)
    by_span: dict[tuple[date, date], list[int]] = {}
    for span in served:
        by_span.setdefault((span.start, span.end), []).append(span.bfs_number)
    attributed: dict[str, dict[int, int]] = {}
    for (start, end), numbers in by_span.items():
        found = everything if (start, end) == (period.start, period.end) else activity.counts(
            tenant, Period(start, end, f"{start.isoformat()}..{end.isoformat()}"))
        for key, per_commune in found.items():
            into = attributed.setdefault(key, {})
            for bfs in numbers:
                if per_commune.get(bfs):
                    into[bfs] = into.get(bfs, 0) + per_commune[bfs]
    unattributed = {}
    for key, per_commune in everything.items():
        rest = sum(per_commune.values()) - sum(attributed.get(key, {}).values())
        if rest:
            unattributed[key] = rest
    return Attribution(served, attributed, unattributed)


def recompute(tenant: Tenant, claim: Claim) -> Attribution:
    """Compute the claim's lines again from live figures under the current rules (draft or returned only)."""
    refuse_unless_editable(claim)
    found, version = year_setup(claim.year)
    period = period_of(found)
    attribution = attribute(tenant, period)
    costs_total = sum(cost.amount for cost in costs_of(claim))
    rules = [RuleTerms.of(rule) for rule in credits.rules_of(claim.year, version.version)]
    result = compute(rules, period.start, period.end, attribution.spans, attribution.counts, costs_total)
    names = commune_names(span.bfs_number for span in attribution.spans)
    db.session.execute(sa.delete(ClaimLine).where(ClaimLine.claim_id == claim.id))
    ordered = sorted(result.lines, key=lambda line: (line.bfs_number is None, names.get(line.bfs_number, ""),
                                                     line.bfs_number or 0))
    ordered = [line for line in ordered if line.kind != ROUNDING] + [line for line in ordered if line.kind == ROUNDING]
    for seq, line in enumerate(ordered, start=1):
        db.session.add(ClaimLine(claim_id=claim.id, seq=seq, bfs_number=line.bfs_number, rule_seq=line.rule_seq,
                                 kind=line.kind, activity_key=line.activity_key, quantity=line.quantity,
                                 rate=line.rate, amount=line.amount))
    claim.total, claim.rule_version, claim.computed_at = result.total, version.version, clock.utcnow()
    return attribution


def prepare(tenant: Tenant, year: int) -> Claim:
    """Start the tenant's claim for ``year`` (computed at once); refused where one is open already."""
    if tenant.is_canton:
        raise UserError(_("Der Kanton reicht keine Abrechnungen ein."))
    credits.check_year(year)
    year_setup(year)
    existing = open_claim(year)
    if existing is not None:
        raise UserError(_("Für %(year)s gibt es schon eine Abrechnung (%(state)s).", year=year,
                          state=STATE_LABELS[existing.state]))
    claim = Claim(id=uuid.uuid4(), year=year, rule_version=0, state=DRAFT, created_by=audit.current_actor())
    try:
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:
        raise UserError(_("Für %(year)s gibt es schon eine Abrechnung.", year=year)) from None
    recompute(tenant, claim)
    audit.record("subventionen.claim.prepared", object_type="subventionen.claim", object_id=claim.id,
                 detail={"year": year, "total": claim.total, "rule_version": claim.rule_version})
    return claim


def locked(claim_id: uuid.UUID) -> Claim | None:
    """The claim, its row locked until the transaction ends (two requests on one claim take turns)."""
    return db.session.scalar(sa.select(Claim).where(Claim.id == claim_id).with_for_update()
                             .execution_options(populate_existing=True))


# -- costs -------------------------------------------------------------------------------------------


def add_cost(tenant: Tenant, claim: Claim, description: str, amount: int, spent_on: date,
             bfs_number: int | None, receipts=()) -> Cost:
    """A documented cost with its receipts (prepared uploads); the claim is computed again."""
    refuse_unless_editable(claim)
    found, _version = year_setup(claim.year)
    if not found.claims_from <= spent_on <= found.claims_until:
        raise UserError(_("Die Kosten müssen in der Abrechnungsperiode liegen (%(start)s bis %(end)s).",
                          start=found.claims_from.strftime("%d.%m.%Y"), end=found.claims_until.strftime("%d.%m.%Y")))
    cost = Cost(id=uuid.uuid4(), claim_id=claim.id, bfs_number=bfs_number, description=description.strip(),
                amount=amount, spent_on=spent_on, created_by=audit.current_actor())
    db.session.add(cost)
    db.session.flush()
    for upload in receipts:
        attachments.add(attachments.Owner.of(RECEIPT_OWNER, cost.id), upload)
    recompute(tenant, claim)
    audit.record("subventionen.cost.added", object_type="subventionen.claim", object_id=claim.id,
                 detail={"cost": str(cost.id), "amount": amount, "description": cost.description})
    return cost


def remove_cost(tenant: Tenant, claim: Claim, cost: Cost) -> None:
    refuse_unless_editable(claim)
    for receipt in attachments.listing(attachments.Owner.of(RECEIPT_OWNER, cost.id)):
        attachments.delete(receipt)
    audit.record("subventionen.cost.removed", object_type="subventionen.claim", object_id=claim.id,
                 detail={"cost": str(cost.id), "amount": cost.amount, "description": cost.description})
    db.session.delete(cost)
    db.session.flush()
    recompute(tenant, claim)


def receipts_of(cost_ids) -> dict[uuid.UUID, list]:
    return {cost_id: attachments.listing(attachments.Owner.of(RECEIPT_OWNER, cost_id)) for cost_id in cost_ids}


# -- submitting ---------------------------------------------------------------------------------------


def snapshot(tenant: Tenant, claim: Claim, late: bool) -> tuple[dict, list]:
    """What the canton reviews: the claim in German, line by line, with the codes its review reads."""
    from flask_babel import force_locale

    found = credits.credit_of(claim.year)
    lines, costs = lines_of(claim), costs_of(claim)
    costs_total = sum(cost.amount for cost in costs)
    length = period_days(found.claims_from, found.claims_until)
    receipts = receipts_of([cost.id for cost in costs])
    with force_locale("de"):
        names = commune_names([line.bfs_number for line in lines] + [cost.bfs_number for cost in costs])
        payload = {
            TENANT: tenant.name,
            YEAR: claim.year,
            PERIOD: f"{found.claims_from.strftime('%d.%m.%Y')} – {found.claims_until.strftime('%d.%m.%Y')}",
            RULES: f"Version {claim.rule_version}",
            LINES: [{"Position": line_label(line, names), "Berechnung": line_detail(line, length, costs_total),
                     "Betrag": format_chf(line.amount)} for line in lines] or ["keine"],
            COSTS: [{"Beschreibung": cost.description, "Datum": cost.spent_on.strftime("%d.%m.%Y"),
                     "Gemeinde": names.get(cost.bfs_number, "–"), "Betrag": format_chf(cost.amount),
                     "Belege": len(receipts[cost.id])} for cost in costs] or ["keine"],
            TOTAL: format_chf(claim.total),
        }
    if late:
        payload[LATE] = True
    payload[CODES] = {
        "claim": str(claim.id), "year": claim.year, "rule_version": claim.rule_version, "total": claim.total,
        "costs": costs_total, "late": late, "period": [found.claims_from.isoformat(), found.claims_until.isoformat()],
        "lines": [{"seq": line.seq, "bfs_number": line.bfs_number, "rule_seq": line.rule_seq, "kind": line.kind,
                   "activity_key": line.activity_key, "quantity": line.quantity, "rate": line.rate,
                   "amount": line.amount} for line in lines],
    }
    files = [{"id": str(item.id), "filename": item.filename} for cost in costs for item in receipts[cost.id]]
    return payload, files


def submit(tenant: Tenant, claim_id: uuid.UUID) -> Submission:
    """Hand the claim to the canton (or again, after it was returned); refused with a message otherwise."""
    claim = locked(claim_id)  # a second request waits here, then finds the claim submitted
    if claim is None:
        raise UserError(_("Diese Abrechnung gibt es nicht (mehr)."))
    if claim.state not in EDITABLE:
        raise UserError(_("Die Abrechnung %(year)s ist schon eingereicht (%(number)s, %(state)s).", year=claim.year,
                          number=claim.number, state=STATE_LABELS[claim.state]))
    found, _version = year_setup(claim.year)
    today = clock.today()
    if today <= found.claims_until:
        raise UserError(_("Die Abrechnung %(year)s kann erst nach dem Ende der Abrechnungsperiode (%(end)s) "
                          "eingereicht werden.", year=claim.year, end=found.claims_until.strftime("%d.%m.%Y")))
    stale = stale_reason(claim)
    if stale:
        raise UserError(stale)
    late = today > found.deadline
    payload, files = snapshot(tenant, claim, late)
    title = _("Abrechnung %(year)s, %(tenant)s", year=claim.year, tenant=tenant.name)
    return submissions.submit(tenant, CLAIM_KIND, str(claim.id), title, payload, files,
                              note=_("nach der Frist") if late else "")


def follow_submission(submission: Submission, event: SubmissionEvent) -> None:
    """The tenant's own steps reach its claim: submitted or resubmitted (numbered), withdrawn."""
    if event.action not in ("submit", "resubmit", "withdraw"):
        return
    claim = db.session.scalar(sa.select(Claim).where(Claim.id == uuid.UUID(submission.object_id)))
    if claim is None:
        return
    if event.action == "withdraw":
        claim.state = WITHDRAWN
    else:
        claim.state, claim.number = SUBMITTED, submission.number


def withdraw(claim: Claim) -> None:
    """Take a submitted claim back while the canton has not started its review (core's rule)."""
    found = open_submission(claim)
    if found is None:
        raise UserError(_("Die Abrechnung liegt dem Kanton nicht vor."))
    submissions.change(found, "withdraw")


def open_submission(claim: Claim) -> Submission | None:
    return next((s for s in submissions.of_object(CLAIM_KIND, str(claim.id)) if s.state in submissions.OPEN_STATES),
                None)


def submission_of(claim: Claim) -> Submission | None:
    found = submissions.of_object(CLAIM_KIND, str(claim.id))
    return found[0] if found else None


def returned_note(claim: Claim) -> str:
    """The canton's reason for returning the claim (the latest return), or ''."""
    found = submission_of(claim)
    if found is None:
        return ""
    returns = [event for event in submissions.history(found) if event.action == "return"]
    return returns[-1].note if returns else ""


# -- the CLI's listing ----------------------------------------------------------------------------------


def listing(year: int) -> list[dict]:
    """Every tenant's claims of ``year`` (tenant, number, state, amount in Rappen, lines); canton scope."""
    from core.tenancy import canton_scope

    rows = []
    with canton_scope(f"subventionen claims {year}"):
        found = db.session.scalars(sa.select(Claim).where(Claim.year == year)).all()
        tenants = {tenant.id: tenant for tenant in db.session.scalars(sa.select(Tenant))}
        all_lines = db.session.scalars(sa.select(ClaimLine).where(ClaimLine.claim_id.in_([c.id for c in found]))
                                       .order_by(ClaimLine.seq)).all() if found else []
        for claim in sorted(found, key=lambda c: (tenants[c.tenant_id].slug, c.created_at)):
            rows.append({"tenant": tenants[claim.tenant_id].slug, "number": claim.number, "state": claim.state,
                         "rule_version": claim.rule_version, "total": claim.total, "approved": claim.approved,
                         "lines": [{"bfs_number": line.bfs_number, "kind": line.kind,
                                    "activity_key": line.activity_key, "quantity": line.quantity,
                                    "rate": line.rate, "amount": line.amount}
                                   for line in all_lines if line.claim_id == claim.id
                                   and line.tenant_id == claim.tenant_id]})
    return rows


def served_days(claim_credit, tenant: Tenant) -> dict[int, int]:
    """Per commune, the days of the claim period the tenant served it (for the claim page)."""
    with tenant_scope(tenant):
        links = db.session.scalars(sa.select(TenantMunicipality)).all()
    return days_served(spans(links, claim_credit.claims_from, claim_credit.claims_until))


# -- the tenant's account ---------------------------------------------------------------------------


IBAN_SETTING = "subventionen.iban"


def iban_problem(value: str, tenant: Tenant) -> str | None:
    """The setting's check: empty (not yet given) or a Swiss or Liechtenstein IBAN that is not a QR-IBAN."""
    if not (value or "").strip():
        return None
    try:
        validate_iban(value)
    except UserError as refused:
        return str(refused)
    return None
