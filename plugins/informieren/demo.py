"""Demonstration newcomers for ``flask demo load`` (``make run``): a few households per tenant.

Arrival dates are relative to today, so the worklist shows newcomers due and overdue; ``demo_history``
adds the newcomers, letters and interviews of the years since 2017 (the activity the subsidies count).
Ids are derived from the tenant and a fixed key, so loading twice adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from core import clock, provisioning
from core.tenancy import Tenant, served_municipalities
from plugins.informieren import demo_history
from plugins.informieren.letters.templates import CONTACT_SETTING
from plugins.informieren.models import Source
from plugins.informieren.register.records import create_person

# (key, household, official name, first name, sex, born, nationalities, languages, permit, days ago)
PEOPLE = [
    ("silva-1", "silva", "Silva Pereira", "Ana", "f", "1988-04-12", ["PT"], ["pt", "fr"], "B", 5),
    ("silva-2", "silva", "Pereira", "João", "m", "1986", ["PT"], ["pt"], "B", 5),
    ("silva-3", "silva", "Silva Pereira", "Inês", "f", "2015-09-30", ["PT"], ["pt"], "B", 5),
    ("tesfay", "tesfay", "Tesfay", "ሳምራዊት", "f", "1995-01", ["ER"], ["ti", "en"], "F", 40),
    ("kovalenko", "kovalenko", "Коваленко", "Олена", "f", "1979-07-03", ["UA"], ["uk", "ru"], "S", 120),
    ("haddad", "haddad", "Haddad", "Youssef", "m", "1990-11-21", ["SY"], ["ar"], "N", 20),
    ("mueller", "mueller", "Müller", "Jonas", "m", "1992-02-14", ["DE"], ["de"], "L", 2),
    ("rossi", "rossi", "Rossi", "Giulia", "f", "1984-06-08", ["IT"], ["it"], "B", 95),
    ("krasniqi", "krasniqi", "Krasniqi", "Arben", "m", "1983-03-01", ["XK"], ["sq", "de"], "C", 10),
]


def load(tenant: Tenant) -> list[str]:
    """Create the demo newcomers in the tenant's first commune; returns what was added."""
    communes = served_municipalities(tenant, clock.today())
    if not communes:
        return []
    commune = communes[0]
    if not provisioning.get_setting(tenant, CONTACT_SETTING):
        provisioning.set_setting(tenant, CONTACT_SETTING, f"Integrationsstelle {commune.name}, Stadthaus, "
                                 f"Telefon 032 000 00 00, integration@{tenant.slug}.example")
    created, first_of = [], {}
    for key, household, name, first, sex, born, nationalities, languages, permit, days in PEOPLE:
        data = {"official_name": name, "first_name": first, "sex": sex, "date_of_birth": born,
                "nationalities": nationalities, "languages": languages, "permit_category": permit,
                "arrival_date": (clock.today() - timedelta(days=days)).isoformat(),
                "municipality_bfs": commune.bfs_number, "street": "Bahnhofstrasse",
                "postal_code": demo_history.POSTCODES.get(commune.bfs_number, ""),
                "house_number": str(len(household)), "town": commune.name,
                "moves_with": str(first_of[household]) if household in first_of else "new"}
        person_id = uuid.uuid5(uuid.NAMESPACE_URL, f"start.integration/demo/{tenant.slug}/{key}")
        person, new = create_person(data, tenant, source=Source.MANUAL, person_id=person_id)
        first_of.setdefault(household, person.id)
        if new:
            created.append(person.full_name)
    lines = [f"+ {len(created)} Neuzuzügerinnen und Neuzuzüger (Demo)"] if created else []
    return lines + demo_history.load(tenant)
