"""The demo's history since 2017: newcomers, welcome letters and first-information interviews per commune and
year, counted by core's activity counts (what the subsidy accounting asks), before and after retention."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core import activity
from core.db import db
from core.people import Person
from core.people import retention as people_retention
from core.reports import Period
from core.tenancy import get_tenant, tenant_scope
from plugins.informieren import demo_history
from plugins.informieren.models import Interview, Newcomer, WelcomeLetter

LETTERS, HELD = "informieren.letters_sent", "informieren.interviews_held"


def activity_of(slug: str, year: int) -> dict:
    found = activity.counts(get_tenant(slug), Period.parse(str(year)))
    return {LETTERS: found[LETTERS], HELD: found[HELD]}


def test_the_pilots_have_activity_from_2017_per_commune_and_year_and_keep_it_past_retention(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "grenchen: + 120 Neuzuzügerinnen und Neuzuzüger seit 2017" in first.output

    # Grenchen: a few dozen a year, fewer each year; a letter to each, every sixth declines the interview.
    assert activity_of("grenchen", 2017) == {LETTERS: {2546: 36}, HELD: {2546: 30}}
    grenchen = [sum(activity_of("grenchen", year)[LETTERS].values()) for year in demo_history.YEARS]
    assert grenchen == sorted(grenchen, reverse=True) and grenchen[-1] > 0
    # A regional group: the history spread over the communes it serves, from Informieren's start (April 2017).
    assert activity_of("buchegg-lueterkofen", 2017) == {LETTERS: {2465: 4, 2455: 2}, HELD: {2465: 4, 2455: 2}}
    for slug in ("balsthal", "biberist", "dornach", "dulliken", "oensingen", "zuchwil"):
        assert activity_of(slug, 2017) == demo_history.planned(get_tenant(slug), 2017), slug
    with tenant_scope(get_tenant("buchegg-lueterkofen")):
        first_arrival = db.session.scalar(sa.select(sa.func.min(Newcomer.arrival_date)))
    assert first_arrival >= date(2017, 4, 1)  # Informieren switched on there
    with tenant_scope(get_tenant("grenchen")):  # a letter's address is complete: street, postcode, town
        addresses = set(db.session.execute(sa.select(Person.postal_code, Person.town)
                                           .where(Person.anonymised_on.is_(None))).all())
    assert addresses == {("2540", "Grenchen")}

    again = runner.invoke(args=["demo", "load"])
    assert "seit 2017" not in again.output  # loading twice adds nothing
    assert activity_of("grenchen", 2017) == {LETTERS: {2546: 36}, HELD: {2546: 30}}

    # The daily retention anonymises the history (past Informieren's five years); the counts stay.
    grenchen_tenant = get_tenant("grenchen")
    before = {year: activity_of("grenchen", year) for year in demo_history.YEARS}
    assert people_retention.apply(grenchen_tenant) > 100
    db.session.commit()
    assert {year: activity_of("grenchen", year) for year in demo_history.YEARS} == before
    with tenant_scope(grenchen_tenant):
        anonymised = db.session.scalar(sa.select(sa.func.count()).select_from(Person)
                                       .where(Person.anonymised_on.is_not(None)))
        letters = db.session.scalar(sa.select(sa.func.count()).select_from(WelcomeLetter))
        interviews = db.session.scalar(sa.select(sa.func.count()).select_from(Interview))
    assert anonymised > 100 and letters == 120 and interviews == 120


def test_the_history_follows_the_links_of_a_regional_group(ctx):
    """A commune that joined the group in 2019 has its newcomers there from 2019, none before."""
    from core import modules, provisioning
    from plugins.informieren import demo as informieren_demo
    from tests.conftest import make_tenant

    make_tenant("kanton", kind="canton")
    region = provisioning.create_tenant("region", "Region", "region", [2465, 2456], date(2017, 1, 1))
    provisioning.set_communes(region, [2465, 2456, 2455], date(2019, 1, 1))
    modules.entitle(region, "informieren")
    modules.activate(region, "informieren", date(2017, 1, 1))
    db.session.commit()
    with tenant_scope(region):
        slots = demo_history.slots(region)
        assert informieren_demo.load(region)
        db.session.commit()
    assert {slot.arrival.year for slot in slots if slot.bfs_number == 2455} == {2019, 2020, 2021}
    assert activity_of("region", 2018) == {LETTERS: {2465: 3, 2456: 2}, HELD: {2465: 3, 2456: 2}}
    assert activity_of("region", 2019) == demo_history.planned(region, 2019) == {
        LETTERS: {2465: 3, 2456: 2, 2455: 1}, HELD: {2465: 3, 2456: 2, 2455: 1}}
