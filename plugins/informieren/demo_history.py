"""The demo's history: newcomers from 2017 on, with the welcome letters and first-information interviews of
those years, so that the activity counts (``core.activity.counts``) have something to count per commune and
year, as the subsidy accounting of the start-up financing (2017–2021) needs.

Each commune a tenant served gets arrivals in numbers of its size, fewer each year, within the validity of
the tenant's link to it and from the day Informieren was switched on there. Every newcomer receives a letter
(one per household) about a week after arriving and is invited to an interview, held about three weeks after
arriving (every sixth declines): letter, invitation and outcome fall in the year of the arrival, so a year's
counts are the plan's (:func:`planned`). The records go through Informieren's own functions (the register,
``letters.batch.record_sent``, the interview forms), as an officer's would.

These persons are past Informieren's retention period: the daily job anonymises them, and the counts stay
(core keeps the newcomer's commune, the letter and the interview's outcome and day).

Their first languages are none of those Fördern's demo looks for (ti, uk, pt, ar), so its needs and referrals
stay with the recent demo newcomers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta

import sqlalchemy as sa

from core import modules
from core.db import db
from core.tenancy import Tenant, TenantMunicipality, tenant_scope
from plugins.informieren.interviews import checklist
from plugins.informieren.interviews.forms import InvitationForm, OutcomeForm
from plugins.informieren.interviews.records import invite, record_outcome
from plugins.informieren.letters.batch import record_sent
from plugins.informieren.models import Outcome, Source
from plugins.informieren.register.records import create_person

YEARS = {2017: 1.0, 2018: 0.8, 2019: 0.65, 2020: 0.5, 2021: 0.4}  # of the commune's arrivals in 2017
# Arrivals from abroad in 2017 for the demo, by BFS number (the pilot communes, roughly by size).
ARRIVALS_2017 = {2546: 36, 2534: 18, 2513: 14, 2473: 12, 2407: 10, 2422: 9, 2573: 8, 2465: 4, 2455: 2}
OTHER_COMMUNE = 3
# The pilot communes' postcodes, so the demo's letters have a complete address.
POSTCODES = {2546: "2540", 2534: "4528", 2513: "4562", 2473: "4143", 2407: "4702", 2422: "4710", 2573: "4657",
             2465: "4584", 2455: "4571"}
LAST_ARRIVAL = (11, 30)  # letters and interviews of a year's arrivals fall in that year
LETTER_AFTER, INVITED_AFTER, HELD_AFTER = timedelta(days=7), timedelta(days=10), timedelta(days=24)
DECLINES_EVERY = 6  # the sixth, twelfth, … newcomer of a commune's year declines the interview
HOUSEHOLD_EVERY = 5  # the second, seventh, … moves with the newcomer before (a couple)

# (nationality, languages, permit, family names, women's first names, men's first names)
ORIGINS = [
    ("IT", ["it"], "B", ["Esposito", "Russo", "Ferrari", "Romano"], ["Chiara", "Francesca"], ["Luca", "Marco"]),
    ("XK", ["sq", "de"], "C", ["Berisha", "Gashi", "Hoxha", "Morina"], ["Arta", "Drita"], ["Driton", "Valon"]),
    ("TR", ["tr"], "B", ["Yılmaz", "Kaya", "Demir", "Çelik"], ["Ayşe", "Elif"], ["Mehmet", "Emre"]),
    ("DE", ["de"], "B", ["Schmidt", "Fischer", "Weber", "Wagner"], ["Lena", "Sabine"], ["Lukas", "Felix"]),
    ("ES", ["es"], "B", ["García", "Fernández", "López", "Martín"], ["Lucía", "Carmen"], ["Javier", "Pablo"]),
    ("LK", ["ta", "en"], "B", ["Sivakumar", "Tharmalingam", "Rajendran"], ["Kavitha", "Priya"],
     ["Suresh", "Kumaran"]),
    ("MK", ["mk", "sq"], "B", ["Ristovski", "Angelov", "Petrov"], ["Elena", "Marija"], ["Goran", "Nikola"]),
    ("AF", ["fa", "de"], "F", ["Ahmadi", "Hosseini", "Rahimi", "Sultani"], ["Mariam", "Zahra"], ["Reza", "Ahmad"]),
    ("PL", ["pl"], "L", ["Nowak", "Wójcik", "Mazur"], ["Agnieszka", "Katarzyna"], ["Piotr", "Tomasz"]),
    ("SO", ["so", "en"], "F", ["Mohamed", "Hassan", "Abdi", "Warsame"], ["Hodan", "Sahra"], ["Farah", "Yusuf"]),
    ("RS", ["sr"], "B", ["Jovanović", "Petrović", "Nikolić"], ["Jelena", "Milica"], ["Stefan", "Nemanja"]),
    ("HU", ["hu"], "B", ["Nagy", "Kovács", "Tóth", "Szabó"], ["Eszter", "Katalin"], ["Zoltán", "Gábor"]),
    ("IN", ["en", "hi"], "L", ["Sharma", "Patel", "Iyer"], ["Ananya", "Divya"], ["Rohan", "Arjun"]),
    ("IQ", ["ku", "de"], "F", ["Karim", "Rashid", "Salih"], ["Shirin", "Avin"], ["Dilshad", "Aram"]),
]


@dataclass(frozen=True)
class Slot:
    """One newcomer of the history: where, when, and how the first information went."""

    key: str
    bfs_number: int
    commune: str
    arrival: date
    number: int  # in the tenant's history
    household: int  # the number of its household in the tenant's history (picks the origin)
    moves_with_previous: bool
    declines: bool


def arrivals_in(bfs_number: int, year: int) -> int:
    return max(1, round(ARRIVALS_2017.get(bfs_number, OTHER_COMMUNE) * YEARS[year]))


def informieren_since(tenant: Tenant) -> date | None:
    row = modules.activations(tenant).get("informieren")
    return row.effective_from if row is not None else None


def slots(tenant: Tenant) -> list[Slot]:
    """The tenant's history: each commune it served, each year, as many arrivals as the plan says, spread evenly
    over the days the tenant served the commune with Informieren switched on."""
    since = informieren_since(tenant)
    if since is None:
        return []
    with tenant_scope(tenant):
        links = db.session.scalars(sa.select(TenantMunicipality).order_by(TenantMunicipality.bfs_number,
                                                                           TenantMunicipality.valid_from)).all()
    found: list[Slot] = []
    households = 0
    for link in links:
        for year in YEARS:
            first = max(date(year, 1, 2), link.valid_from, since)
            last = min(date(year, *LAST_ARRIVAL), link.valid_to or date.max)
            if first > last:
                continue
            count = arrivals_in(link.bfs_number, year)
            span = (last - first).days
            for index in range(count):
                couple = index % HOUSEHOLD_EVERY == 1
                arrival = found[-1].arrival if couple else first + timedelta(days=span * index // count)
                households += not couple
                found.append(Slot(f"history/{link.bfs_number}/{year}/{index}", link.bfs_number,
                                  link.municipality.name, arrival, len(found), households - 1, couple,
                                  index % DECLINES_EVERY == DECLINES_EVERY - 1))
    return found


def planned(tenant: Tenant, year: int) -> dict[str, dict[int, int]]:
    """The activity the history gives a year: {activity key: {BFS number: count}} (letters, interviews held)."""
    letters: dict[int, int] = {}
    held: dict[int, int] = {}
    for slot in slots(tenant):
        if slot.arrival.year == year:
            letters[slot.bfs_number] = letters.get(slot.bfs_number, 0) + 1
            if not slot.declines:
                held[slot.bfs_number] = held.get(slot.bfs_number, 0) + 1
    return {"informieren.letters_sent": letters, "informieren.interviews_held": held}


def load(tenant: Tenant) -> list[str]:
    """Create the history (idempotent: each newcomer's id derives from the tenant and its slot)."""
    topics = dict(checklist.checklist(tenant)[:4])
    created, previous = 0, None
    for slot in slots(tenant):
        person, new = create_person(_person_data(slot, previous), tenant, source=Source.MANUAL,
                                    person_id=uuid.uuid5(uuid.NAMESPACE_URL,
                                                         f"start.integration/demo/{tenant.slug}/{slot.key}"))
        previous = person
        if new:
            _first_information(person, slot, topics)
            created += 1
    return [f"+ {created} Neuzuzügerinnen und Neuzuzüger seit 2017, mit Schreiben und Gesprächen (Demo)"] \
        if created else []


def _person_data(slot: Slot, previous) -> dict:
    nationality, languages, permit, families, women, men = ORIGINS[slot.household % len(ORIGINS)]
    if slot.moves_with_previous:  # the partner: the other sex, the family name of the one before
        family, sex = previous.official_name, "m" if previous.sex == "f" else "f"
        nationality, languages, permit = previous.nationalities[0], previous.languages, previous.permit_category
    else:
        family, sex = families[slot.number % len(families)], "f" if slot.number % 2 == 0 else "m"
    names = women if sex == "f" else men
    return {"official_name": family, "first_name": names[(slot.number // 2) % len(names)], "sex": sex,
            "date_of_birth": str(1965 + slot.number * 13 % 35), "nationalities": [nationality],
            "languages": languages, "permit_category": permit, "arrival_date": slot.arrival.isoformat(),
            "municipality_bfs": slot.bfs_number, "street": "Dorfstrasse", "house_number": str(1 + slot.number % 60),
            "postal_code": POSTCODES.get(slot.bfs_number, ""), "town": slot.commune,
            "moves_with": str(previous.id) if slot.moves_with_previous else "new"}


def _first_information(person, slot: Slot, topics: dict[str, str]) -> None:
    """The letter, the invitation and the outcome, on the days of the year they happened."""
    record_sent([person], slot.arrival + LETTER_AFTER)
    held_on = slot.arrival + HELD_AFTER
    invitation = InvitationForm(formdata=None, meta={"csrf": False}, data={
        "invitation": "appointment", "invited_on": slot.arrival + INVITED_AFTER, "appointment_date": held_on,
        "appointment_time": time(10, 0), "place": "Gemeindehaus", "interpreter_language": ""})
    interview = invite(person, invitation)
    outcome = Outcome.DECLINED if slot.declines else Outcome.HELD
    result = OutcomeForm(formdata=None, meta={"csrf": False}, data={
        "outcome": outcome, "held_on": held_on, "topics": list(topics) if outcome == Outcome.HELD else [],
        "notes": "", "needs": "", "offers": ""})
    record_outcome(person, interview, result, topics)
