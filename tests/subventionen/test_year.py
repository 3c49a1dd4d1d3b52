"""A subsidy year end to end, through the module's own steps: the canton sets the 2017 credit and rules, the
tenants prepare their claims from their Informieren activity and submit them, the canton's finance approves,
the payment run's pain.001 validates against the schema, executing it books the payments once, and the
ledger balances to the Rappen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from lxml import etree

from core import clock, provisioning
from core.db import db
from core.errors import UserError
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import claims, decisions, ledger, pain001, payment_files, payment_runs
from tests.subventionen import review_world
from tests.subventionen.world import BUCHEGG, GRENCHEN, LUETERKOFEN, TODAY, newcomer, prepared, state_of, world

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


@pytest.fixture
def year_2017(ctx, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime.combine(TODAY, time(9), tzinfo=UTC))
    canton, grenchen, buchegg, _lueterkofen, _balsthal = world(monkeypatch)
    for day in (date(2017, 3, 1), date(2017, 5, 2), date(2017, 9, 9)):
        newcomer(grenchen, GRENCHEN, letter_on=day, interview_on=day)
    newcomer(buchegg, BUCHEGG, letter_on=date(2017, 4, 4))
    newcomer(buchegg, LUETERKOFEN, letter_on=date(2017, 8, 8), interview_on=date(2017, 8, 20))
    provisioning.set_setting(canton, payment_runs.DEBTOR_IBAN, review_world.iban(999))
    for number, tenant in enumerate((grenchen, buchegg), start=1):
        provisioning.set_setting(tenant, claims.IBAN_SETTING, review_world.iban(number))
    db.session.commit()
    return canton, grenchen, buchegg


def submitted(tenant) -> tuple:
    claim = prepared(tenant)
    with tenant_scope(tenant):
        number = claims.submit(tenant, claim.id).number
        db.session.commit()
    return claim, number


def test_a_year_from_the_credit_to_the_balanced_ledger(year_2017):
    canton, grenchen, buchegg = year_2017
    (g_claim, g_number), (b_claim, b_number) = submitted(grenchen), submitted(buchegg)
    with tenant_scope(grenchen), pytest.raises(UserError, match="schon eingereicht"):  # a double submission
        claims.submit(grenchen, g_claim.id)
    approved = {number: review_world.as_canton(decisions.approve, review_world.submission(number))
                for number in (g_number, b_number)}
    for tenant, claim, number in ((grenchen, g_claim, g_number), (buchegg, b_claim, b_number)):
        found = state_of(tenant, claim.id)
        assert (found.state, found.approved) == ("approved", approved[number]) and found.total == approved[number]

    run = review_world.as_canton(payment_runs.create, canton, 2017, TODAY)
    with tenant_scope(canton_tenant()):
        document = etree.fromstring(payment_files.pain001(run))
    pain001.validate(etree.tostring(document))  # the schema, and the sums both levels state
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    total = sum(approved.values())
    assert pain001.rappen_of(document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS)) == total
    assert sorted(e.text for e in document.findall(".//p:CdtTrfTxInf//p:IBAN", namespaces=NS)) == sorted(
        (review_world.iban(1), review_world.iban(2)))

    assert review_world.as_canton(payment_runs.mark_executed, run.id) == total
    with pytest.raises(UserError, match=r"ausgeführt|ausbezahlt"):  # executing twice books nothing more
        review_world.as_canton(payment_runs.mark_executed, run.id)
    with pytest.raises(UserError):  # a paid claim is not approved again
        review_world.as_canton(decisions.approve, review_world.submission(g_number))
    with tenant_scope(canton_tenant()):
        assert ledger.committed(2017) == ledger.paid(2017) == total
        assert sum(entry.amount for entry in ledger.entries(2017)) == 2 * total
        [figures] = ledger.year_figures([2017])
        assert figures.left == 90_000_000 - total
        assert all(balance.committed == balance.paid for balance in ledger.claim_balances(2017))
