"""The world of the review, ledger and payment tests: the canton with a credit, communes with submitted claims.

Claims are made the way the claims' pages will make them: a ``models.Claim`` with its lines in the
commune, handed to the canton through ``core.submissions.submit`` with a snapshot whose codes give
the year, the rule version, the total in Rappen and the lines.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from schwifty import IBAN

from core import audit, modules, provisioning, submissions
from core.db import db
from core.money import format_chf
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import decisions, payment_runs
from plugins.subventionen.access import CLAIM_KIND, FINANCE
from plugins.subventionen.models import FLAT_COMMUNE, PER_ACTIVITY, SUBMITTED, Claim, ClaimLine, Credit
from tests.conftest import login_as, make_tenant
from tests.fordern.escalation_world import csrf_token, text  # noqa: F401 (the pages' helpers, shared)

TODAY = date(2018, 3, 1)
YEAR = 2017
MODULE = "subventionen"


def iban(account: int) -> str:
    """A valid Swiss IBAN (not a QR-IBAN) for an account number."""
    return IBAN.generate("CH", bank_code="00762", account_code=f"{account:012d}").compact


def activate(tenant) -> None:
    modules.entitle(tenant, MODULE)
    modules.activate(tenant, MODULE)


def world(communes: int = 2):
    """The canton (debit account set) and communes with the module and an IBAN: (canton, [communes])."""
    bfs = [2546, 2422, 2581, 2601, 2407, 2573, 2534, 2613][:communes]
    tenants = [make_tenant(f"gemeinde{n}", communes=[number], name=f"Gemeinde {n}") for n, number in enumerate(bfs)]
    canton = canton_tenant()
    activate(canton)
    provisioning.set_setting(canton, payment_runs.DEBTOR_IBAN, iban(999))
    for number, tenant in enumerate(tenants, start=1):
        activate(tenant)
        provisioning.set_setting(tenant, payment_runs.IBAN_SETTING, iban(number))
    db.session.commit()
    return canton, tenants


def set_credit(year: int = YEAR, amount: int = 90_000_000) -> None:
    with tenant_scope(canton_tenant()):
        db.session.add(Credit(year=year, amount=amount, claims_from=date(year, 1, 1), claims_until=date(year, 12, 31),
                              deadline=date(year + 1, 3, 31), set_by="user:test"))
    db.session.commit()


def snapshot(claim: Claim, lines: list[ClaimLine]) -> dict:
    """The payload the claims' pages hand over: labels for people, codes for the canton's review."""
    return {
        "Jahr": claim.year,
        "Total": format_chf(claim.total),
        "Zeilen": [f"{line.quantity} × {line.kind}: {format_chf(line.amount)}" for line in lines],
        decisions.CODES: {
            "year": claim.year, "rule_version": claim.rule_version, "total": claim.total,
            "lines": [{"bfs_number": line.bfs_number, "kind": line.kind, "activity_key": line.activity_key,
                       "quantity": line.quantity, "rate": line.rate, "amount": line.amount} for line in lines],
        },
    }


def submitted_claim(tenant, total: int, year: int = YEAR) -> tuple[uuid.UUID, str]:
    """A claim of ``total`` Rappen in two lines, submitted; (its id, its number).  Committed."""
    flat = total // 3
    with tenant_scope(tenant), audit.acting_as("user:officer"):
        claim = Claim(id=uuid.uuid4(), year=year, rule_version=1, total=total, created_by="user:officer")
        db.session.add(claim)
        db.session.flush()
        lines = [ClaimLine(claim_id=claim.id, seq=1, bfs_number=2546, rule_seq=1, kind=FLAT_COMMUNE, quantity=1,
                           rate=flat, amount=flat),
                 ClaimLine(claim_id=claim.id, seq=2, bfs_number=2546, rule_seq=2, kind=PER_ACTIVITY,
                           activity_key="informieren.first_interviews", quantity=1, rate=total - flat,
                           amount=total - flat)]
        db.session.add_all(lines)
        db.session.flush()
        found = submissions.submit(tenant, CLAIM_KIND, str(claim.id), f"Abrechnung {year}", snapshot(claim, lines))
        claim.state, claim.number = SUBMITTED, found.number
        db.session.commit()
        return claim.id, found.number


def claim_row(tenant, claim_id) -> Claim:
    with tenant_scope(tenant):
        return db.session.scalar(sa.select(Claim).where(Claim.id == claim_id).execution_options(populate_existing=True))


def submission(number: str):
    with tenant_scope(canton_tenant()):
        return db.session.scalar(sa.select(submissions.Submission).where(submissions.Submission.number == number)
                                 .execution_options(populate_existing=True))


def as_canton(step, *args, **kwargs):
    """Run a decision in the canton's scope as finance staff; commit it (or roll back and raise)."""
    with tenant_scope(canton_tenant()), audit.acting_as("user:finance"):
        try:
            result = step(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
        return result


def client_as(app, *memberships):
    client = app.test_client()
    login_as(client, *memberships)
    return client


def finance(app):
    return client_as(app, (canton_tenant(), FINANCE))


def post(client, page_url: str, action: str, data: dict | None = None):
    """Open the page, then post ``data`` with its CSRF token to ``action``."""
    return client.post(action, data={"csrf_token": csrf_token(client, page_url), **(data or {})})
