"""A world for the public offers page: the canton and three communes, offers of every reach, published.

- kanton (canton, Fördern active): a cantonal counselling offer (translated into French) and a second
  cantonal offer that Balsthal hides;
- grenchen (Fördern active, content languages fr, ti, ar): its own language course (dated, reduced price,
  French and Tigrinya), a free parents' café (German only, recurring), an expired offer and one not yet valid;
- balsthal (Fördern active): its own club, and a regional offer shared with Grenchen only;
- dornach: Fördern entitled, not active, with an offer of its own (never shown anywhere).
"""

from __future__ import annotations

import types
import uuid
from datetime import timedelta

from core import clock, content_languages, modules
from core.db import db
from core.tenancy import tenant_scope
from plugins.foerdern import offers, published
from plugins.foerdern.models import Offer, PublishedOffer
from tests.conftest import make_tenant

TODAY = clock.today()
NEXT_MONTH = TODAY + timedelta(days=30)


def add(tenant, key: str, recipients=(), **values) -> Offer:
    """An offer saved and published as the editor does (``offers.save``)."""
    defaults = {"title": {"de": key}, "kind": "other", "timing": "ongoing", "reach": "own", "languages": [],
                "target_groups": [], "cost": 0}
    with tenant_scope(tenant):
        offer = Offer(id=uuid.uuid5(uuid.NAMESPACE_URL, f"test/{tenant.slug}/{key}"))
        offers.save(offer, {**defaults, **values}, new=True, recipients=[r.id for r in recipients])
        db.session.commit()
    return offer


def activate(tenant, languages=()):
    modules.entitle(tenant, "foerdern")
    modules.activate(tenant, "foerdern")
    if languages:
        content_languages.set_offered(tenant, list(languages))
    db.session.commit()


def build() -> types.SimpleNamespace:
    kanton = make_tenant("kanton", kind="canton", name="Kanton Solothurn")
    grenchen = make_tenant("grenchen", communes=[2546], name="Grenchen")
    balsthal = make_tenant("balsthal", communes=[2422], name="Balsthal")
    dornach = make_tenant("dornach", communes=[2473], name="Dornach")
    for tenant, languages in ((kanton, ("fr",)), (grenchen, ("fr", "ti", "ar")), (balsthal, ())):
        activate(tenant, languages)
    modules.entitle(dornach, "foerdern")
    db.session.commit()
    w = types.SimpleNamespace(kanton=kanton, grenchen=grenchen, balsthal=balsthal, dornach=dornach)
    w.cantonal = add(kanton, "beratung", reach="cantonal", kind="counselling",
                     title={"de": "Rechtsberatung für Migrantinnen und Migranten", "fr": "Conseil juridique"},
                     description={"de": "Kostenlos und vertraulich, auf Anfrage mit Übersetzung."},
                     provider_name="Fachstelle Integration", languages=["de", "fr", "ar"], target_groups=["adults"])
    w.hidden = add(kanton, "versteckt", reach="cantonal", kind="work", title={"de": "Jobcoaching Kanton"})
    w.course = add(grenchen, "kurs", kind="language_course", timing="dates", starts_on=NEXT_MONTH,
                   ends_on=NEXT_MONTH + timedelta(days=90), cost=12000, reduced_cost=3000,
                   reduction_conditions={"de": "mit KulturLegi", "fr": "avec la KulturLegi"},
                   title={"de": "Deutschkurs A1 für Mütter", "fr": "Cours d'allemand A1 pour mères",
                          "ti": "ትምህርቲ ጀርመንኛ A1"},
                   description={"de": "Zweimal pro Woche; die Kinder werden betreut.",
                                "fr": "Deux fois par semaine ; garde d'enfants."},
                   provider_name="ECAP Solothurn", address="Schulhaus Kastels", municipality_bfs=2546,
                   languages=["de", "ti"], target_groups=["parents", "adults"], women_only=True, childcare=True,
                   registration_url="https://www.ecap.example/anmeldung")
    w.cafe = add(grenchen, "cafe", kind="parents_group", timing="recurring",
                 schedule={"de": "jeden ersten Mittwoch im Monat"}, title={"de": "Elterncafé Zentrum"},
                 description={"de": "Eltern tauschen sich über Schule und Kindergarten aus."},
                 languages=["de", "ar"], target_groups=["parents"], registration_contact="Telefon 032 000 00 00")
    w.expired = add(grenchen, "abgelaufen", title={"de": "Abgelaufener Kurs"}, valid_until=TODAY - timedelta(days=1))
    w.future = add(grenchen, "zukunft", title={"de": "Kurs ab nächstem Jahr"}, valid_from=TODAY + timedelta(days=400))
    w.club = add(balsthal, "verein", kind="club", title={"de": "Fussballclub Balsthal"}, cost=5000)
    w.regional = add(balsthal, "region", reach="regional", recipients=[grenchen], kind="health",
                     title={"de": "Gesundheitstreff Thal"}, timing="dates", starts_on=NEXT_MONTH)
    w.dornach_offer = add(dornach, "dornach", title={"de": "Dornacher Sprachtreff"})
    with tenant_scope(balsthal):
        published.hide(db.session.get(PublishedOffer, (kanton.id, w.hidden.id)))
        db.session.commit()
    return w
