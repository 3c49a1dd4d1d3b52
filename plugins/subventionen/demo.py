"""Demonstration data for ``flask demo load``: the 2017 credit (CHF 900'000) with its rules in the canton, and each
pilot tenant's 2017 claim, computed from its activity and submitted to the canton (the review approves it)."""

from __future__ import annotations

from core.db import db
from core.tenancy import Tenant, canton_tenant, tenant_scope
from plugins.subventionen import claims, credit
from plugins.subventionen.credit import RuleDraft
from plugins.subventionen.models import COST_SHARE, FLAT_COMMUNE, FLAT_TENANT, PER_ACTIVITY

YEAR, AMOUNT = 2017, 90_000_000
RULES = (
    RuleDraft(FLAT_TENANT, amount=500_000),
    RuleDraft(FLAT_COMMUNE, amount=200_000),
    RuleDraft(PER_ACTIVITY, amount=5_000, activity_key="informieren.letters_sent"),
    RuleDraft(PER_ACTIVITY, amount=15_000, activity_key="informieren.interviews_held"),
    RuleDraft(COST_SHARE, share=5_000, ceiling=1_000_000),
)


def year_2017() -> list[str]:
    """The canton's 2017 credit and first rules, unless set (idempotent; whichever tenant's demo comes first)."""
    added = []
    with tenant_scope(canton_tenant()):
        if credit.credit_of(YEAR) is None:
            credit.set_credit(YEAR, AMOUNT)
            added.append("+ Integrationskredit 2017 (CHF 900'000.00)")
        if credit.current_version(YEAR) is None:
            credit.save_version(YEAR, list(RULES), "Regeln 2017 (Demo)", None)
            added.append("+ Regeln 2017, Version 1")
        db.session.flush()
    return added


def load(tenant: Tenant) -> list[str]:
    added = year_2017()
    if tenant.is_canton or claims.open_claim(YEAR) is not None:
        return added
    claim = claims.prepare(tenant, YEAR)
    db.session.flush()
    submission = claims.submit(tenant, claim.id)
    return [*added, f"+ Abrechnung 2017 {submission.number} (eingereicht)"]
