"""The world of the Subventionen tests: the canton with the 2017 credit and rules; Grenchen, a regional group
and Lüterkofen (which joins the group on 1 July 2017) with Informieren's activity in 2017."""

from __future__ import annotations

import html
import re
from datetime import date

import sqlalchemy as sa

from core import clock, modules, provisioning
from core.db import db
from core.tenancy import Tenant, canton_tenant, tenant_scope
from plugins.informieren.models import Interview, Newcomer, WelcomeLetter
from plugins.subventionen import claims, credit
from plugins.subventionen.credit import RuleDraft
from plugins.subventionen.models import COMMUNE_CAP, COST_SHARE, FLAT_COMMUNE, FLAT_TENANT, PER_ACTIVITY, Claim

TODAY = date(2018, 2, 15)  # after the 2017 claim period, before its deadline (31.3.2018)
START = date(2017, 1, 1)
JOINS = date(2017, 7, 1)  # Lüterkofen-Ichertswil (2455) moves from its own tenant into the Buchegg group
GRENCHEN, BUCHEGG, MESSEN, LUETERKOFEN, BALSTHAL = 2546, 2465, 2457, 2455, 2422
LETTERS, INTERVIEWS = "informieren.letters_sent", "informieren.interviews_held"

RULES_2017 = [
    RuleDraft(FLAT_TENANT, amount=500_000),  # CHF 5'000 per tenant
    RuleDraft(FLAT_COMMUNE, amount=200_000),  # CHF 2'000 per commune served (pro rata by days)
    RuleDraft(PER_ACTIVITY, amount=5_000, activity_key=LETTERS),  # CHF 50 per letter
    RuleDraft(PER_ACTIVITY, amount=15_000, activity_key=INTERVIEWS),  # CHF 150 per interview
    RuleDraft(COST_SHARE, share=5_000, ceiling=1_000_000),  # 50 % of the costs, at most CHF 10'000
    RuleDraft(COMMUNE_CAP, amount=3_000_000),  # CHF 30'000 per commune
]


def activate(tenant: Tenant, *module_ids: str) -> None:
    for module_id in module_ids:
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id, START)


def world(monkeypatch=None, *, with_rules: bool = True):
    """The tenants (committed): canton, grenchen, buchegg (region), lueterkofen, balsthal (without Subventionen)."""
    if monkeypatch is not None:
        monkeypatch.setattr(clock, "today", lambda: TODAY)
    canton = provisioning.create_tenant("kanton", "Kanton Solothurn", "canton", [])
    grenchen = provisioning.create_tenant("grenchen", "Grenchen", "commune", [GRENCHEN], START)
    buchegg = provisioning.create_tenant("buchegg", "Regionale Umsetzung Buchegg", "region", [BUCHEGG, MESSEN], START)
    lueterkofen = provisioning.create_tenant("lueterkofen", "Lüterkofen-Ichertswil", "commune", [LUETERKOFEN], START)
    balsthal = provisioning.create_tenant("balsthal", "Balsthal", "commune", [BALSTHAL], START)
    provisioning.apply_plan(provisioning.plan_communes(buchegg, [BUCHEGG, MESSEN, LUETERKOFEN], JOINS,
                                                       take_over=True))
    activate(canton, "subventionen")
    for tenant in (grenchen, buchegg, lueterkofen):
        activate(tenant, "informieren", "subventionen")
    activate(balsthal, "informieren")
    db.session.commit()
    if with_rules:
        set_year(2017)
    return canton_tenant(), grenchen, buchegg, lueterkofen, balsthal


def set_year(year: int, amount: int = 90_000_000, rules=RULES_2017) -> None:
    with tenant_scope(canton_tenant()):
        credit.set_credit(year, amount)
        if rules:
            credit.save_version(year, list(rules), "erste Regeln", None)
        db.session.commit()


def newcomer(tenant: Tenant, bfs: int, *, letter_on: date | None = None, interview_on: date | None = None,
             name: str = "Muster") -> Newcomer:
    """A newcomer of commune ``bfs`` in ``tenant``, welcomed by letter and interviewed on the days given."""
    with tenant_scope(tenant):
        person = Newcomer(official_name=name, first_name="Ana", arrival_date=date(2017, 1, 2), municipality_bfs=bfs,
                          nationalities=["PT"], languages=["pt"])
        db.session.add(person)
        db.session.flush()
        if letter_on:
            db.session.add(WelcomeLetter(person_id=person.id, household_key=str(person.id), language="de",
                                         state="sent", sent_on=letter_on))
        if interview_on:
            db.session.add(Interview(person_id=person.id, invitation="letter", invited_on=date(2017, 1, 1),
                                     outcome="held", held_on=interview_on, created_by="test"))
        db.session.commit()
    return person


def claim_of(tenant: Tenant, year: int = 2017) -> Claim | None:
    with tenant_scope(tenant):
        return claims.open_claim(year)


def prepared(tenant: Tenant, year: int = 2017) -> Claim:
    with tenant_scope(tenant):
        claim = claims.prepare(tenant, year)
        db.session.commit()
        return claim


def lines(tenant: Tenant, claim: Claim) -> list[tuple]:
    """(bfs, kind, activity key, quantity, amount) of each line."""
    with tenant_scope(tenant):
        return [(line.bfs_number, line.kind, line.activity_key, line.quantity, line.amount)
                for line in claims.lines_of(claim)]


def state_of(tenant: Tenant, claim_id) -> Claim:
    with tenant_scope(tenant):
        return db.session.scalar(sa.select(Claim).where(Claim.id == claim_id).execution_options(
            populate_existing=True))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page)
    assert found, "no CSRF token"
    return found.group(1)


def post(client, page_url: str, action: str, data: dict | None = None, **kwargs):
    """Open ``page_url``, then post ``data`` with its CSRF token to ``action``."""
    token = csrf(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)
