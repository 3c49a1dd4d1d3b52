"""Fördern's referral outcome reaches the measure that names the offer (a note, the follow-up suggested);
the offers come from the hook ``offer_choices``: none where Fördern is not active."""

from __future__ import annotations

import sqlalchemy as sa

from core import modules
from core.db import db
from core.tenancy import tenant_scope
from plugins.fordern import measures
from plugins.fordern.measure_models import Measure
from plugins.fordern.models import Case
from tests.foerdern.needs_support import TODAY, add_offer, refer
from tests.fordern.support import BASE, NEXT_WEEK, open_case, person, text


def measure_for(tenant, who, offer=None) -> Measure:
    case = open_case(tenant, who)
    with tenant_scope(tenant):
        case = db.session.get(Case, (tenant.id, case.id))
        case.state = "interview_held"  # the interview's own pages are tested elsewhere
        choice = (f"{offer.tenant_id}:{offer.id}", "Deutschkurs") if offer else None
        measure = measures.add(case, "language_course", "A2", "Deutsch A2", NEXT_WEEK, choice)
        measures.agree(case, TODAY)
        db.session.commit()
        return measure


def test_a_completed_referral_is_noted_on_the_measure_and_suggests_met(officer, grenchen):
    from plugins.foerdern import referrals

    ana = person(grenchen)
    offer, other = add_offer(grenchen, title="Deutschkurs A2"), add_offer(grenchen, title="Elterncafé")
    measure, unrelated = measure_for(grenchen, ana, offer), measure_for(grenchen, person(grenchen), offer)
    referral = refer(grenchen, ana, offer, state="registered")
    with tenant_scope(grenchen):
        answers = referrals.take_step(grenchen, referral, "completed", TODAY, "", TODAY)
        db.session.commit()
    db.session.expire_all()
    with tenant_scope(grenchen):
        noted = db.session.get(Measure, (grenchen.id, measure.id))
        untouched = db.session.get(Measure, (grenchen.id, unrelated.id))
    assert (noted.referral_outcome, noted.referral_on, noted.result) == ("completed", TODAY, None)
    assert untouched.referral_outcome is None  # another person's measure
    assert answers is not None
    page = text(officer.get(f"{BASE}/faelle/{noted.case_id}/massnahmen/{noted.id}"))
    assert "Aus Fördern: Angebot abgeschlossen" in page and '<option selected value="met">' in page
    # A referral to another offer says nothing about the measure.
    with tenant_scope(grenchen):
        referrals.take_step(grenchen, refer(grenchen, ana, other), "dropped_out", TODAY, "", TODAY)
        db.session.commit()
    db.session.expire_all()
    with tenant_scope(grenchen):
        assert db.session.get(Measure, (grenchen.id, measure.id)).referral_outcome == "completed"


def test_offer_choices_come_from_foerdern_where_it_is_active(officer, grenchen):
    offer = add_offer(grenchen, title="Deutschkurs A2")
    with tenant_scope(grenchen):
        choices = measures.offer_choices(grenchen, TODAY)
    assert (f"{grenchen.id}:{offer.id}", "Deutschkurs A2 (Sprachkurs)") in choices
    modules.suspend(grenchen, "foerdern")
    db.session.commit()
    with tenant_scope(grenchen):
        assert measures.offer_choices(grenchen, TODAY) == []
        assert db.session.scalars(sa.select(Measure)).all() == []
