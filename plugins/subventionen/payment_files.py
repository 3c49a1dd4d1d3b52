"""A payment run as files: the pain.001 for the canton's bank, the sheet, a payment advice per tenant.

A thin adapter from the run's rows (``models.PaymentRun``, ``models.PaymentItem``) to the pure generators
(``transfers``, ``pain001``, ``payment_sheet``, ``payment_advice``), which know nothing of the database.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.tenancy import Tenant, canton_tenant
from plugins.subventionen import pain001 as pain001_file
from plugins.subventionen import payment_advice, payment_runs, payment_sheet, transfers
from plugins.subventionen.models import PaymentRun

PLACE = "Solothurn"  # where the canton's advices are dated: the seat of its integration office


def generator_run(run: PaymentRun) -> transfers.PaymentRun:
    """The run as the generators take it: the canton's account, one transfer per claim, in claim order.

    Building it checks every IBAN, amount and reference (``transfers.PaymentRunRefused``, a UserError).
    """
    rows = payment_runs.items(run)
    names = dict(db.session.execute(sa.select(Tenant.id, Tenant.name)
                                    .where(Tenant.id.in_({row.claimant_tenant_id for row in rows}))).all())
    account = payment_runs.debtor(canton_tenant())
    return transfers.PaymentRun(
        debtor=transfers.Debtor(name=account.name, iban=account.iban), execution_date=run.execution_date,
        message_id=run.message_id, created_at=run.created_at,
        transfers=tuple(transfers.Transfer(creditor=transfers.Creditor(name=names[row.claimant_tenant_id],
                                                                        iban=row.iban),
                                           amount=row.amount, claim_number=row.claim_number, year=run.year)
                        for row in rows))


def pain001(run: PaymentRun) -> bytes:
    return pain001_file.render(generator_run(run))


def sheet(run: PaymentRun) -> bytes:
    return payment_sheet.render(generator_run(run))


def advice(run: PaymentRun, claim_number: str) -> bytes | None:
    """The advice PDF to the tenant paid for ``claim_number`` (all its claims in the run); None if none."""
    payments = generator_run(run)
    transfer = next((t for t in payments.transfers if t.claim_number == claim_number), None)
    if transfer is None:
        return None
    sender = (canton_tenant().name, payments.debtor.name)
    return payment_advice.render(payments, transfer.creditor, sender, PLACE)
