"""Payment runs: the approved, unpaid claims of a year put into one payment file, booked once when executed.

A run snapshots each claimant's IBAN from its setting ``subventionen.iban`` (read in that tenant), so the
file, the sheet and the advice say the same later even if the tenant changes its account.  A tenant
without a valid IBAN refuses the whole run, naming every such tenant: nothing is created.  The canton's
debit account is the canton's setting ``subventionen.debtor_iban`` (with ``subventionen.debtor_name``).

A claim in a run that is not executed yet is not put into another; such a run can be discarded (the
bank refused the file).  "Executed" books one payment per item in the ledger, once: the run's row lock
makes a second click wait and then find it executed; the ledger's unique index (one payment per claim)
holds the same rule in the database, should anything else try.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit, clock, provisioning
from core.db import db
from core.errors import UserError
from core.money import format_chf, validate_iban
from core.plugins import Setting
from core.tenancy import Tenant
from plugins.subventionen import ledger
from plugins.subventionen.models import PAYMENT, PaymentItem, PaymentRun

IBAN_SETTING = "subventionen.iban"  # a claimant's account (declared with the claims: claims.IBAN_SETTING)
DEBTOR_IBAN = "subventionen.debtor_iban"
DEBTOR_NAME = "subventionen.debtor_name"
DEFAULT_DEBTOR_NAME = "Kanton Solothurn, Amt für soziale Sicherheit"


def _iban_problem(value, tenant) -> str | None:
    if not value:
        return None
    try:
        validate_iban(value)
    except UserError as problem:
        return str(problem)
    return None


def _canton_only(value, tenant) -> str | None:
    if value and tenant is not None and not tenant.is_canton:
        return _("Das Konto für die Auszahlungen des Integrationskredits führt nur der Kanton.")
    return _iban_problem(value, tenant)


SETTINGS = (
    Setting(DEBTOR_IBAN, "", _l("Integrationskredit: IBAN des Kantons für die Auszahlungen (nur im Kanton)"),
            validate=_canton_only),
    Setting(DEBTOR_NAME, DEFAULT_DEBTOR_NAME, _l("Integrationskredit: Kontoinhaber für die Auszahlungen")),
)
@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str


def debtor(canton: Tenant) -> Debtor:
    """The canton's debit account, or a UserError saying where to set it."""
    try:
        iban = validate_iban(provisioning.get_setting(canton, DEBTOR_IBAN) or "")
    except UserError as problem:
        raise UserError(_("Das Konto des Kantons für die Auszahlungen fehlt oder stimmt nicht (Einstellung "
                          "«%(setting)s»): %(problem)s", setting=DEBTOR_IBAN, problem=problem)) from None
    return Debtor((provisioning.get_setting(canton, DEBTOR_NAME) or DEFAULT_DEBTOR_NAME).strip(), iban)


def tenant_iban(tenant: Tenant) -> str:
    """The tenant's account for payments, compact; a UserError where it is missing or invalid."""
    try:
        value = provisioning.get_setting(tenant, IBAN_SETTING)
    except KeyError:
        value = ""
    return validate_iban(value or "")


# -- what is due ---------------------------------------------------------------------------------------


def pending_numbers(year: int) -> dict[str, PaymentRun]:
    """The claims in a run of the year that is not executed yet, with their run."""
    rows = db.session.execute(sa.select(PaymentItem.claim_number, PaymentRun)
                              .join(PaymentRun, sa.and_(PaymentRun.tenant_id == PaymentItem.tenant_id,
                                                        PaymentRun.id == PaymentItem.run_id))
                              .where(PaymentRun.year == year, PaymentRun.executed_at.is_(None))).all()
    return dict(rows)


def due(year: int) -> list[ledger.ClaimBalance]:
    """The approved claims of the year not paid and not in a pending run."""
    pending = pending_numbers(year)
    return [b for b in ledger.claim_balances(year) if b.paid == 0 and b.committed > 0 and b.number not in pending]


def runs(year: int | None = None) -> list[PaymentRun]:
    query = sa.select(PaymentRun).order_by(PaymentRun.created_at.desc())
    if year is not None:
        query = query.where(PaymentRun.year == year)
    return db.session.scalars(query).all()


def run_or_none(run_id: uuid.UUID) -> PaymentRun | None:
    return db.session.scalar(sa.select(PaymentRun).where(PaymentRun.id == run_id))


def items(run: PaymentRun) -> list[PaymentItem]:
    return db.session.scalars(sa.select(PaymentItem).where(PaymentItem.run_id == run.id)
                              .order_by(PaymentItem.claim_number)).all()


def total(run: PaymentRun) -> int:
    return sum(item.amount for item in items(run))


# -- the steps -----------------------------------------------------------------------------------------


def create(canton: Tenant, year: int, execution_date: date) -> PaymentRun:
    """A run of every due claim of the year; refused (nothing created) without a valid IBAN for each tenant."""
    if execution_date < clock.today():
        raise UserError(_("Das Ausführungsdatum liegt in der Vergangenheit."))
    ledger.lock_credit(year)  # the same lock as the approvals: the claims due stay due until the commit
    claims = due(year)
    if not claims:
        pending = sorted({run.message_id for run in pending_numbers(year).values()})
        if pending:
            raise UserError(_("Die genehmigten, unbezahlten Abrechnungen von %(year)s sind schon im offenen "
                              "Zahlungslauf %(runs)s.", year=year, runs=", ".join(pending)))
        raise UserError(_("Für %(year)s gibt es keine genehmigten, unbezahlten Abrechnungen.", year=year))
    account = debtor(canton)
    tenants = {t.id: t for t in db.session.scalars(
        sa.select(Tenant).where(Tenant.id.in_({c.claimant_tenant_id for c in claims})))}
    ibans, missing = {}, []
    for tenant_id in sorted(tenants, key=lambda i: tenants[i].name):
        try:
            ibans[tenant_id] = tenant_iban(tenants[tenant_id])
        except UserError:
            missing.append(tenants[tenant_id].name)
    if missing:
        raise UserError(_("Ohne gültige IBAN (Einstellung «%(setting)s» der Gemeinde): %(tenants)s. Es ist kein "
                          "Zahlungslauf erstellt.", setting=IBAN_SETTING, tenants=", ".join(missing)))
    run_id = uuid.uuid4()
    run = PaymentRun(id=run_id, year=year, message_id=f"SUBV{year}{run_id.hex[:20].upper()}",
                     execution_date=execution_date, created_by=audit.current_actor())
    db.session.add(run)
    db.session.flush()
    for claim in claims:
        db.session.add(PaymentItem(run_id=run.id, claim_number=claim.number,
                                   claimant_tenant_id=claim.claimant_tenant_id, amount=claim.committed,
                                   iban=ibans[claim.claimant_tenant_id]))
    db.session.flush()
    audit.record("subventionen.payment_run.created", object_type="subventionen_payment_run", object_id=run.id,
                 detail={"year": year, "message_id": run.message_id, "claims": len(claims), "debtor": account.iban,
                         "total": sum(c.committed for c in claims)})
    return run


def _locked_run(run_id: uuid.UUID) -> PaymentRun:
    run = ledger.locked(PaymentRun, PaymentRun.id == run_id)
    if run is None:
        raise UserError(_("Diesen Zahlungslauf gibt es nicht."))
    return run


def _refuse_executed(run: PaymentRun) -> None:
    if run.executed_at is not None:
        raise UserError(_("Der Zahlungslauf %(id)s ist bereits als ausgeführt gebucht: Nichts ist nochmals gebucht.",
                          id=run.message_id))


def mark_executed(run_id: uuid.UUID) -> int:
    """Book the run's payments in the ledger, one per item, once; returns the amount booked."""
    run = _locked_run(run_id)
    _refuse_executed(run)
    booked = 0
    try:
        for item in items(run):
            ledger.book(PAYMENT, run.year, item.claimant_tenant_id, item.claim_number, item.amount,
                        _("Zahlungslauf %(id)s", id=run.message_id), run_id=run.id)
            booked += item.amount
    except IntegrityError:  # a claim paid already: the ledger's unique index holds
        db.session.rollback()
        raise UserError(_("Eine Abrechnung dieses Zahlungslaufs ist bereits ausbezahlt: Nichts ist gebucht.")) from None
    run.executed_at, run.executed_by = clock.utcnow(), audit.current_actor()
    audit.record("subventionen.payment_run.executed", object_type="subventionen_payment_run", object_id=run.id,
                 detail={"year": run.year, "message_id": run.message_id, "total": booked})
    return booked


def discard(run_id: uuid.UUID) -> PaymentRun:
    """Delete a run not executed (its claims are due again); an executed run stays."""
    run = _locked_run(run_id)
    if run.executed_at is not None:
        raise UserError(_("Ein ausgeführter Zahlungslauf bleibt: Seine Zahlungen sind gebucht."))
    audit.record("subventionen.payment_run.discarded", object_type="subventionen_payment_run", object_id=run.id,
                 detail={"year": run.year, "message_id": run.message_id, "total": format_chf(total(run))})
    db.session.execute(sa.delete(PaymentItem).where(PaymentItem.run_id == run.id))
    db.session.delete(run)
    db.session.flush()
    return run
