"""The demo's subsidy year: the canton's 2017 credit and rules, and each pilot's 2017 claim computed from the
activity of the other modules' demo history (so the subsidy demo loads after them) and submitted."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.tenancy import canton_tenant, get_tenant, tenant_scope
from plugins.subventionen.models import Claim, ClaimLine, Credit


def test_the_pilots_claim_2017_from_their_activity(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with tenant_scope(canton_tenant()):
        assert db.session.get(Credit, (canton_tenant().id, 2017)).amount == 90_000_000
    grenchen = get_tenant("grenchen")
    with tenant_scope(grenchen):
        claim = db.session.scalar(sa.select(Claim).where(Claim.year == 2017))
        quantities = dict(db.session.execute(sa.select(ClaimLine.activity_key, ClaimLine.quantity).where(
            ClaimLine.claim_id == claim.id, ClaimLine.activity_key.is_not(None))).all())
        assert claim.state == "submitted" and claim.number
        assert claim.total == sum(db.session.scalars(sa.select(ClaimLine.amount)
                                                     .where(ClaimLine.claim_id == claim.id)))
    # Informieren's 2017 history in Grenchen: 36 letters sent, 30 interviews held (tests/informieren/test_demo_history)
    assert quantities == {"informieren.letters_sent": 36, "informieren.interviews_held": 30}
    again = runner.invoke(args=["demo", "load"])
    assert "Abrechnung 2017" not in again.output  # loading twice adds nothing
