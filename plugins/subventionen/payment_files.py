"""A payment run as files: the pain.001 for the canton's bank, the sheet, a payment advice per tenant.

A thin adapter from the run's rows to the pure generators (``transfers``, ``pain001``, ``payment_sheet``,
``payment_advice``), which know nothing of the database.  They are imported when a file is asked for,
so the rest of the module works without them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from core.db import db
from core.tenancy import Tenant, canton_tenant
from plugins.subventionen import payment_runs
from plugins.subventionen.models import PaymentItem, PaymentRun


def ready() -> bool:
    """Whether the generators are installed (until then the pages offer no files)."""
    try:
        from plugins.subventionen import pain001, payment_advice, payment_sheet, transfers  # noqa: F401
    except ImportError:
        return False
    return True


def purpose(run: PaymentRun, item: PaymentItem) -> str:
    """The remittance text the commune's bank statement shows (German: one text for the canton's files)."""
    with force_locale("de"):
        return _("Integrationskredit %(year)s, Abrechnung %(number)s", year=run.year, number=item.claim_number)


def batch(run: PaymentRun):
    """The run as the generators' :class:`transfers.PaymentBatch`, its transfers in claim order."""
    from plugins.subventionen import transfers

    rows = payment_runs.items(run)
    names = dict(db.session.execute(sa.select(Tenant.id, Tenant.name)
                                    .where(Tenant.id.in_({row.claimant_tenant_id for row in rows}))).all())
    account = payment_runs.debtor(canton_tenant())
    created_at: datetime = run.created_at
    return transfers.PaymentBatch(
        message_id=run.message_id, created_at=created_at, execution_date=run.execution_date,
        debtor=transfers.Debtor(name=account.name, iban=account.iban),
        transfers=[transfers.Transfer(creditor_name=names[row.claimant_tenant_id], creditor_iban=row.iban,
                                      amount=row.amount, reference=row.claim_number, purpose=purpose(run, row))
                   for row in rows])


def pain001(run: PaymentRun) -> bytes:
    from plugins.subventionen import pain001 as generator

    return generator.build(batch(run))


def sheet(run: PaymentRun) -> bytes:
    from plugins.subventionen import payment_sheet

    return payment_sheet.build(batch(run))


def advice(run: PaymentRun, claim_number: str) -> bytes | None:
    """The advice PDF of one transfer (None where the run has no such claim)."""
    from plugins.subventionen import payment_advice

    payments = batch(run)
    transfer = next((t for t in payments.transfers if t.reference == claim_number), None)
    return None if transfer is None else payment_advice.render(payments, transfer)
