"""Demonstration offers for ``flask demo load`` (``make run``): a few typical offers per tenant.

Titles and descriptions in German and in languages newcomers read (French, Tigrinya, Arabic, ...);
the tenant offers those content languages from then on, if it offered only German.  Ids are derived
from the tenant and a fixed key, so loading twice adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from core import clock, content_languages
from core.db import db
from core.tenancy import Tenant, served_municipalities
from plugins.foerdern import published
from plugins.foerdern.models import Offer, PublishedOffer

DEMO_LANGUAGES = ("de", "fr", "ti", "ar", "uk")

# (key, kind, title, description, timing, values)
OFFERS = [
    ("deutsch-a1", "language_course",
     {"de": "Deutschkurs A1 mit Kinderbetreuung", "fr": "Cours d'allemand A1 avec garde d'enfants",
      "ti": "ናይ ጀርመን ቋንቋ ትምህርቲ A1", "ar": "دورة اللغة الألمانية A1 مع رعاية الأطفال",
      "uk": "Курс німецької мови A1 з доглядом за дітьми"},
     {"de": "Deutsch für den Alltag, zweimal pro Woche; die Kinder werden nebenan betreut.",
      "fr": "L'allemand du quotidien, deux fois par semaine ; les enfants sont gardés à côté."},
     "dates", {"cost": 12000, "reduced_cost": 3000, "childcare": True, "target_groups": ["adults", "parents"],
               "reduction_conditions": {"de": "mit KulturLegi oder Sozialhilfe"},
               "provider_name": "ECAP Solothurn", "registration_url": "https://www.ecap.example/anmeldung"}),
    ("elterncafe", "parents_group",
     {"de": "Elterncafé: Schule und Kindergarten verstehen", "fr": "Café des parents : comprendre l'école",
      "ar": "مقهى الأهل: فهم المدرسة وروضة الأطفال"},
     {"de": "Eltern tauschen sich aus; eine Lehrperson beantwortet Fragen. Mit Übersetzung."},
     "recurring", {"schedule": {"de": "jeden ersten Mittwoch im Monat, 9–11 Uhr",
                                "fr": "le premier mercredi du mois, 9 h – 11 h"},
                   "target_groups": ["parents"], "languages": ["de", "ar", "ti"],
                   "provider_name": "Schulsozialarbeit"}),
    ("beratung", "counselling",
     {"de": "Integrationsberatung", "fr": "Conseil en intégration", "ti": "ምኽሪ ምትእስሳር",
      "ar": "استشارات الاندماج", "uk": "Консультації з інтеграції"},
     {"de": "Fragen zu Arbeit, Wohnen, Schule und Gesundheit: vertraulich und kostenlos."},
     "ongoing", {"target_groups": ["adults", "families"], "languages": ["de", "fr", "en"],
                 "registration_contact": "Integrationsstelle, Telefon 032 000 00 00"}),
    ("frauentreff", "club",
     {"de": "Frauentreff International", "fr": "Rencontre internationale des femmes"},
     {"de": "Frauen aus aller Welt treffen sich zum Gespräch und Ausflügen."},
     "recurring", {"schedule": {"de": "dienstags, 14–16 Uhr"}, "women_only": True, "target_groups": ["adults"]}),
]


def load(tenant: Tenant) -> list[str]:
    """Create the demo offers in the tenant; returns what was added."""
    communes = served_municipalities(tenant, clock.today())
    if not communes:
        return []
    if content_languages.offered(tenant) == [content_languages.GERMAN]:
        content_languages.set_offered(tenant, DEMO_LANGUAGES)
    today, added = clock.today(), 0
    for key, kind, title, description, timing, values in OFFERS:
        offer_id = uuid.uuid5(uuid.NAMESPACE_URL, f"start.integration/demo/{tenant.slug}/foerdern/{key}")
        offer = db.session.get(Offer, (tenant.id, offer_id))
        if offer is not None:
            if db.session.get(PublishedOffer, (tenant.id, offer_id)) is None:  # loaded before the projection
                published.publish(offer)
            continue
        dates = {"starts_on": today + timedelta(days=21), "ends_on": today + timedelta(days=21 + 7 * 14)} \
            if timing == "dates" else {}
        offer = Offer(id=offer_id, kind=kind, title=title, description=description, timing=timing,
                      municipality_bfs=communes[0].bfs_number, updated_by="system:demo", **dates, **values)
        db.session.add(offer)
        published.publish(offer)  # the public page and the other tenants read the projection
        added += 1
    return [f"+ {added} Integrationsangebote (Demo)"] if added else []
