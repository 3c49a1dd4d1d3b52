"""Fördern's demo offers: loaded with ``flask demo load``, once, in the tenant's content languages."""

from __future__ import annotations

import sqlalchemy as sa

from core import content_languages, modules
from core.db import db
from core.tenancy import tenant_scope
from plugins.foerdern import demo
from plugins.foerdern.models import Offer
from tests.conftest import login_as, make_tenant


def test_the_demo_offers_load_once_and_the_tenant_offers_their_languages(ctx):
    grenchen = make_tenant("grenchen", communes=[2546])
    with tenant_scope(grenchen):
        assert demo.load(grenchen) == [f"+ {len(demo.OFFERS)} Integrationsangebote (Demo)"]
        db.session.commit()
        assert demo.load(grenchen) == []  # idempotent
        db.session.commit()
        offers = db.session.scalars(sa.select(Offer)).all()
    assert len(offers) == len(demo.OFFERS)
    assert all(offer.title["de"] for offer in offers)
    assert {"ti", "ar"} <= set(content_languages.offered(grenchen))


def test_the_demo_offers_show_on_the_offers_page(client, ctx):
    grenchen = make_tenant("grenchen", communes=[2546])
    modules.entitle(grenchen, "foerdern")
    modules.activate(grenchen, "foerdern")
    with tenant_scope(grenchen):
        demo.load(grenchen)
        db.session.commit()
    login_as(client, (grenchen, "integration_officer"))
    page = client.get("/grenchen/foerdern/angebote")
    assert page.status_code == 200
    assert "Deutschkurs A1 mit Kinderbetreuung" in page.text and "Frauentreff International" in page.text


def test_the_demo_shows_every_reach(runner):
    from core import clock
    from core.tenancy import get_tenant
    from plugins.foerdern import published

    assert runner.invoke(args=["demo", "load"]).exit_code == 0

    def shown(slug):
        with tenant_scope(get_tenant(slug)):
            return {(row.reach, row.title["de"]) for row in published.visible(clock.today())}

    cantonal = {("cantonal", "Interkulturelles Dolmetschen: für Gespräche mit Schule, Arzt und Behörden"),
                ("cantonal", "Willkommen im Kanton Solothurn: Informationsabend")}
    regional = ("regional", "Deutsch-Konversation der Region")
    for slug in ("grenchen", "zuchwil", "biberist", "oensingen"):
        assert cantonal <= shown(slug), slug
    assert regional in shown("zuchwil") and regional in shown("biberist")
    assert regional not in shown("grenchen")
    assert ("own", "Frauentreff International") in shown("zuchwil")


def test_the_demo_persons_get_needs_and_referrals_once(ctx):
    from core import demo as core_demo
    from core import worklist
    from plugins.foerdern.needs_models import Need, Referral, ReferralStep

    grenchen = make_tenant("grenchen", communes=[2546])
    for module_id in ("informieren", "foerdern"):
        modules.entitle(grenchen, module_id)
        modules.activate(grenchen, module_id)
    db.session.commit()
    lines = core_demo.load_module_data()  # Informieren's persons first, whatever the plugins' order
    assert f"grenchen: + {len(demo.NEEDS)} Bedürfnisse (Demo)" in lines
    assert f"grenchen: + {len(demo.REFERRALS)} Zuweisungen (Demo)" in lines
    assert not any("Bedürfnisse" in line or "Zuweisungen" in line for line in core_demo.load_module_data())
    with tenant_scope(grenchen):
        counts = [db.session.scalar(sa.select(sa.func.count()).select_from(model))
                  for model in (Need, Referral, ReferralStep)]
        states = dict(db.session.execute(sa.select(Need.state, sa.func.count()).group_by(Need.state)).all())
    assert counts == [len(demo.NEEDS), len(demo.REFERRALS), sum(len(r[4]) for r in demo.REFERRALS)]
    assert states["met"] == 1 and states["withdrawn"] == 1  # the counselling completed, a need withdrawn
    [item] = [i for i in worklist.items(grenchen) if i.key == "foerdern.referrals_follow_up"]
    assert item.count == 1
