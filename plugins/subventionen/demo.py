"""Demonstration data for ``flask demo load``: the 2017 credit (CHF 900'000) with its rules and the canton's debit
account, and each pilot tenant's 2017 claim, computed from its activity, submitted and approved by the canton's
finance (Franz Furrer), with the tenant's IBAN: ready to pay (a payment run is the finance staff's to make)."""

from __future__ import annotations

from core import audit, provisioning
from core.db import db
from core.tenancy import Tenant, canton_tenant, tenant_scope
from plugins.subventionen import claims, credit, decisions, payment_runs
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


DEBTOR_IBAN = "CH5604835012345678009"  # the canton's account for the demo (a valid, made-up IBAN)
# The pilots' accounts for the demo: valid, made-up IBANs of a Swiss bank (no QR-IBAN), one per tenant.
IBANS = {"balsthal": "CH9100762000000000001", "biberist": "CH6400762000000000002",
         "buchegg-lueterkofen": "CH3700762000000000003", "dornach": "CH1000762000000000004",
         "dulliken": "CH8000762000000000005", "grenchen": "CH5300762000000000006",
         "oensingen": "CH2600762000000000007", "zuchwil": "CH9600762000000000008"}


def year_2017() -> list[str]:
    """The canton's 2017 credit and first rules, unless set (idempotent; whichever tenant's demo comes first)."""
    added = []
    canton = canton_tenant()
    if not provisioning.get_setting(canton, payment_runs.DEBTOR_IBAN):
        provisioning.set_setting(canton, payment_runs.DEBTOR_IBAN, DEBTOR_IBAN)
    with tenant_scope(canton):
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
    if tenant.slug in IBANS and not provisioning.get_setting(tenant, claims.IBAN_SETTING):
        provisioning.set_setting(tenant, claims.IBAN_SETTING, IBANS[tenant.slug])
    claim = claims.prepare(tenant, YEAR)
    db.session.flush()
    submission = claims.submit(tenant, claim.id)
    with tenant_scope(canton_tenant()), audit.acting_as("system:demo"):
        decisions.approve(submission)
    return [*added, f"+ Abrechnung 2017 {submission.number} (eingereicht und genehmigt)"]
