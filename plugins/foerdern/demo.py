"""Demonstration data for ``flask demo load`` (``make run``): typical offers, and needs and referrals of persons.

Titles and descriptions in German and in languages newcomers read (French, Tigrinya, Arabic, ...);
the tenant offers those content languages from then on, if it offered only German.  Each reach is
shown: the communes' own offers, regional ones shared between neighbours (``REGIONAL``) and the
canton's (``CANTONAL``, in every tenant with Fördern).  The needs and referrals go to the tenant's
demo persons (Informieren's), found by the language they read best.  Ids are derived from the tenant
and a fixed key, so loading twice adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from core import clock, content_languages
from core.db import db
from core.people import Person
from core.tenancy import Tenant, TenantKind, get_tenant, served_municipalities
from plugins.foerdern import needs, published, referrals
from plugins.foerdern.models import Offer, PublishedOffer
from plugins.foerdern.needs_models import Need, Referral

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


# The canton's integration office publishes to every tenant.
CANTONAL = [
    ("kanton-dolmetschen", "counselling",
     {"de": "Interkulturelles Dolmetschen: für Gespräche mit Schule, Arzt und Behörden",
      "fr": "Interprétariat interculturel : pour parler avec l'école, le médecin et les autorités",
      "ti": "ባህላዊ ትርጉም", "ar": "الترجمة الشفهية بين الثقافات",
      "uk": "Міжкультурний усний переклад"},
     {"de": "Die Fachstelle Integration vermittelt Dolmetschende in über 40 Sprachen. Für Sie kostenlos.",
      "fr": "Le service de l'intégration trouve des interprètes dans plus de 40 langues. Gratuit pour vous."},
     "ongoing", {"target_groups": ["adults", "families"], "languages": ["de", "fr", "ti", "ar", "uk", "fa"],
                 "provider_name": "Kanton Solothurn, Fachstelle Integration",
                 "registration_contact": "Fachstelle Integration, Telefon 032 627 00 00"}),
    ("kanton-willkommen", "other",
     {"de": "Willkommen im Kanton Solothurn: Informationsabend", "fr": "Bienvenue dans le canton de Soleure",
      "ar": "مرحباً بكم في كانتون زولوتورن"},
     {"de": "Wie die Schweiz funktioniert: Gemeinde, Kanton, Schule, Arbeit. Mit Übersetzung."},
     "dates", {"target_groups": ["adults"], "languages": ["de", "fr", "ar", "ti"],
               "provider_name": "Kanton Solothurn, Fachstelle Integration",
               "registration_url": "https://so.ch/integration/anmeldung"}),
]
# Neighbours that share one offer: publisher -> recipients.
REGIONAL = {"biberist": ("zuchwil",), "balsthal": ("oensingen",)}
REGIONAL_OFFER = ("regional-konversation", "language_course",
                  {"de": "Deutsch-Konversation der Region", "fr": "Conversation allemande de la région",
                   "uk": "Розмовна німецька в регіоні"},
                  {"de": "Deutsch sprechen üben, in kleinen Gruppen, abwechselnd in den Nachbargemeinden."},
                  "recurring", {"schedule": {"de": "donnerstags, 18.30–20 Uhr"}, "target_groups": ["adults"],
                                "languages": ["de"], "cost": 2000})

# (key, the person's first language, category, level, note, state, days ago)
NEEDS = [
    ("ti-language", "ti", "language", "A1", "Möchte Deutsch lernen, am liebsten vormittags.", "open", 40),
    ("ti-childcare", "ti", "childcare", None, "Zwei Kinder (2 und 4 Jahre).", "open", 40),
    ("ti-work", "ti", "work", None, "War Schneiderin in Asmara.", "open", 40),
    ("uk-language", "uk", "language", "B1", "", "open", 120),
    ("uk-health", "uk", "health", None, "Sucht eine Hausärztin.", "open", 100),
    ("uk-housing", "uk", "housing", None, "Wohnung zu klein für die Familie.", "open", 110),
    ("pt-work", "pt", "work", None, "", "withdrawn", 30),
    ("ar-language", "ar", "language", "alpha", "Lesen und Schreiben in lateinischer Schrift.", "open", 20),
    ("ar-social", "ar", "social", None, "Kennt in der Gemeinde noch niemanden.", "open", 20),
    ("pt-childcare", "pt", "childcare", None, "", "open", 5),
]
# (key, the person's first language, offer key, need key, steps: (state, days ago))
REFERRALS = [
    ("ti-course", "ti", "deutsch-a1", "ti-language", (("proposed", 40), ("registered", 35))),
    ("uk-counselling", "uk", "beratung", "uk-housing",
     (("proposed", 110), ("registered", 108), ("attending", 100), ("completed", 60))),
    ("ar-cafe", "ar", "elterncafe", "ar-social", (("proposed", 18),)),
    ("pt-meeting", "pt", "frauentreff", None, (("proposed", 30), ("dropped_out", 25))),
]


def demo_id(tenant: Tenant, key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"start.integration/demo/{tenant.slug}/foerdern/{key}")


def load(tenant: Tenant) -> list[str]:
    return [*load_offers(tenant), *load_needs(tenant)]


def load_offers(tenant: Tenant) -> list[str]:
    """Create the demo offers in the tenant; returns what was added."""
    communes = served_municipalities(tenant, clock.today())
    if tenant.kind != TenantKind.CANTON and not communes:
        return []
    if content_languages.offered(tenant) == [content_languages.GERMAN]:
        content_languages.set_offered(tenant, DEMO_LANGUAGES)
    if tenant.kind == TenantKind.CANTON:
        added = sum(_add(tenant, spec, None, reach="cantonal") for spec in CANTONAL)
    else:
        added = sum(_add(tenant, spec, communes[0].bfs_number) for spec in OFFERS)
        recipients = [get_tenant(slug).id for slug in REGIONAL.get(tenant.slug, ())]
        if recipients:
            added += _add(tenant, REGIONAL_OFFER, communes[0].bfs_number, reach="regional", recipients=recipients)
    return [f"+ {added} Integrationsangebote (Demo)"] if added else []


def _add(tenant: Tenant, spec, bfs_number: int | None, reach: str = "own", recipients=()) -> int:
    """Add one demo offer and publish it; 0 where it exists."""
    key, kind, title, description, timing, values = spec
    offer_id = demo_id(tenant, key)
    offer = db.session.get(Offer, (tenant.id, offer_id))
    if offer is not None:
        if db.session.get(PublishedOffer, (tenant.id, offer_id)) is None:  # loaded before the projection
            published.publish(offer, recipients)
        return 0
    today = clock.today()
    dates = {"starts_on": today + timedelta(days=21), "ends_on": today + timedelta(days=21 + 7 * 14)} \
        if timing == "dates" else {}
    offer = Offer(id=offer_id, kind=kind, title=title, description=description, timing=timing, reach=reach,
                  municipality_bfs=bfs_number, updated_by="system:demo", **dates, **values)
    db.session.add(offer)
    published.publish(offer, recipients)
    return 1


def load_needs(tenant: Tenant) -> list[str]:
    """Needs and referrals of the tenant's demo persons (one per first language); returns what was added."""
    persons = {}
    for person in db.session.scalars(sa.select(Person).where(Person.anonymised_on.is_(None))
                                     .order_by(Person.official_name, Person.first_name)):
        if person.languages:
            persons.setdefault(person.languages[0], person)
    today = clock.today()
    added = [_need(tenant, persons.get(language), key, values, today)
             for key, language, *values in NEEDS]
    referred = [_referral(tenant, persons.get(language), key, offer, need, steps, today)
                for key, language, offer, need, steps in REFERRALS]
    lines = [f"+ {sum(added)} Bedürfnisse (Demo)"] if any(added) else []
    return lines + ([f"+ {sum(referred)} Zuweisungen (Demo)"] if any(referred) else [])


def _need(tenant: Tenant, person: Person | None, key: str, values: list, today) -> bool:
    category, level, note, state, days = values
    need_id = demo_id(tenant, f"need/{key}")
    if person is None or db.session.get(Need, (tenant.id, need_id)) is not None:
        return False
    day = today - timedelta(days=days)
    need = needs.add(person, category, level, note, day, need_id=need_id)
    need.created_at = clock.start_of(day)  # as if recorded then: the person's timeline shows it on that day
    if state != "open":
        needs.set_state(need, state, today - timedelta(days=days - 5))
    return True


def _referral(tenant: Tenant, person: Person | None, key: str, offer_key: str, need_key: str | None, steps,
              today) -> bool:
    referral_id = demo_id(tenant, f"referral/{key}")
    offer_id = demo_id(tenant, offer_key)
    offer = next((o for o in needs.current_offers(today) if o.offer_id == offer_id), None)
    if person is None or offer is None or db.session.get(Referral, (tenant.id, referral_id)) is not None:
        return False
    need = db.session.get(Need, (tenant.id, demo_id(tenant, f"need/{need_key}"))) if need_key else None
    (first, days), *rest = steps
    referral = referrals.refer(person, offer, need, first, today - timedelta(days=days), "", today,
                               referral_id=referral_id)
    for state, days in rest:
        referrals.take_step(tenant, referral, state, today - timedelta(days=days), "", today, need_met=True)
    return True
