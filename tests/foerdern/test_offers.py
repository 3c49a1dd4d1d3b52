"""Fördern's offers through their pages: create, edit, delete, own kinds; each validation error in the
user's language; roles; a tenant without the module; another tenant's offer; the translated fallback."""

from __future__ import annotations

import html
import re
import uuid

import pytest
import sqlalchemy as sa

from core import audit, clock, content_languages, modules
from core.db import db
from core.tenancy import tenant_scope
from plugins.foerdern.models import Offer, OwnKind
from tests.conftest import login_as, make_tenant
from tests.informieren.register_support import hidden

LIST = "/grenchen/foerdern/angebote"
NEW = f"{LIST}/neu"


def active_tenant(slug: str, communes: list[int], languages=("fr", "ti")):
    tenant = make_tenant(slug, communes=communes)
    modules.entitle(tenant, "foerdern")
    modules.activate(tenant, "foerdern")
    content_languages.set_offered(tenant, list(languages))
    db.session.commit()
    return tenant


@pytest.fixture
def grenchen(ctx):
    return active_tenant("grenchen", [2546])


@pytest.fixture
def officer(client, grenchen):
    login_as(client, (grenchen, "integration_officer"), name="Greta Gerber")
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(page: str) -> str:
    return hidden(page, "csrf_token")


NEXT = clock.today().year + 1  # the offer's dates lie ahead: it is current


def valid_form(**changes) -> dict:
    data = {
        "title-de": "Deutschkurs A1 für Eltern", "title-fr": "Cours d'allemand A1 pour parents",
        "description-de": "Deutsch lernen, während die Kinder betreut werden.", "kind": "language_course",
        "provider_name": "ECAP Solothurn", "provider_contact": "Frau Muster, 032 000 00 00",
        "address": "Schulhaus Kastels, Grenchen", "municipality": "2546", "timing": "dates",
        "starts_on": f"{NEXT}-09-04", "ends_on": f"{NEXT}-12-18", "languages": ["de", "ti"],
        "target_groups": ["parents", "adults"], "age_min": "18", "age_max": "65", "childcare": "y",
        "cost": "120.-", "reduced_cost": "20", "reduction_conditions-de": "mit KulturLegi",
        "registration_url": "https://www.ecap.ch/anmeldung",
        "valid_from": f"{NEXT}-06-01", "valid_until": f"{NEXT}-12-31",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client, url: str, data: dict):
    page = client.get(url).get_data(as_text=True)
    payload = {"csrf_token": csrf(page), **data}
    if 'name="form_key"' in page:
        payload.setdefault("form_key", hidden(page, "form_key"))
    return client.post(url, data=payload)


def stored(tenant) -> list[Offer]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Offer).execution_options(populate_existing=True)).all()


def audit_actions(tenant) -> list[str]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(audit.AuditEvent.action).where(
            audit.AuditEvent.action.like("foerdern.%")).order_by(audit.AuditEvent.occurred_at)).all()


def add_offer(tenant, **values) -> Offer:
    with tenant_scope(tenant):
        offer = Offer(id=uuid.uuid4(), **{"title": {"de": "Elterncafé"}, "kind": "parents_group",
                                          "updated_by": "test", **values})
        db.session.add(offer)
        db.session.commit()
    return offer


# -- create, edit, delete ------------------------------------------------------------------------


def test_an_officer_creates_an_offer_through_the_editor(officer, grenchen):
    response = post(officer, NEW, valid_form())
    assert response.status_code == 302, text(response)
    [offer] = stored(grenchen)
    assert offer.title == {"de": "Deutschkurs A1 für Eltern", "fr": "Cours d'allemand A1 pour parents"}
    assert (offer.kind, offer.own_kind_id, offer.timing) == ("language_course", None, "dates")
    assert (offer.cost, offer.reduced_cost) == (12000, 2000)
    assert offer.languages == ["de", "ti"] and offer.target_groups == ["adults", "parents"]
    assert (offer.age_min, offer.age_max, offer.childcare, offer.women_only) == (18, 65, True, False)
    assert offer.municipality_bfs == 2546 and offer.reach == "own"
    assert offer.updated_by.startswith("user:")
    assert response.headers["Location"].endswith(f"/foerdern/angebote/{offer.id}")
    page = text(officer.get(response.headers["Location"]))
    assert "Deutschkurs A1 für Eltern" in page and "CHF 120.00" in page and "Grenchen" in page
    assert "Greta Gerber" in page  # who changed it last, by name
    assert "Eltern, Erwachsene" not in page and "Erwachsene, Eltern, 18 bis 65 Jahre" in page
    assert audit_actions(grenchen) == ["foerdern.offer.create"]
    listing = text(officer.get(LIST))
    assert "Deutschkurs A1 für Eltern" in listing and "1 Angebot" in listing


def test_a_second_post_of_the_same_form_creates_one_offer(officer, grenchen):
    page = officer.get(NEW).get_data(as_text=True)
    payload = {"csrf_token": csrf(page), "form_key": hidden(page, "form_key"), **valid_form()}
    first, second = officer.post(NEW, data=payload), officer.post(NEW, data=payload)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stored(grenchen)) == 1


def test_an_officer_edits_an_offer_and_the_change_is_audited(officer, grenchen):
    offer = add_offer(grenchen, cost=5000)
    edit = f"{LIST}/{offer.id}/bearbeiten"
    form = text(officer.get(edit))
    assert 'value="Elterncafé"' in form and 'value="50.00"' in form
    response = post(officer, edit, valid_form(**{"title-de": "Elterncafé am Montag", "timing": "recurring",
                                                 "schedule-de": "jeden Montag, 9 bis 11 Uhr", "cost": "",
                                                 "reduced_cost": "", "reduction_conditions-de": ""}))
    assert response.status_code == 302, text(response)
    [changed] = stored(grenchen)
    assert changed.title["de"] == "Elterncafé am Montag" and changed.cost == 0
    assert changed.schedule == {"de": "jeden Montag, 9 bis 11 Uhr"}
    assert (changed.starts_on, changed.ends_on) == (None, None)  # a recurring offer keeps no dates
    page = text(officer.get(f"{LIST}/{offer.id}"))
    assert "kostenlos" in page and "jeden Montag, 9 bis 11 Uhr" in page
    with tenant_scope(grenchen):
        event = db.session.scalars(sa.select(audit.AuditEvent).where(
            audit.AuditEvent.action == "foerdern.offer.update")).one()
    assert event.object_id == str(offer.id) and {"title", "cost", "schedule"} <= set(event.detail["fields"])


def test_deleting_asks_first_then_deletes(officer, grenchen):
    offer = add_offer(grenchen)
    url = f"{LIST}/{offer.id}/loeschen"
    confirm = officer.get(url)
    assert confirm.status_code == 200 and "Endgültig löschen" in text(confirm)
    assert len(stored(grenchen)) == 1  # showing the question deletes nothing
    assert officer.post(url, data={}).status_code == 400  # no CSRF token: refused
    assert len(stored(grenchen)) == 1
    response = post(officer, url, {})
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    assert stored(grenchen) == []
    assert audit_actions(grenchen) == ["foerdern.offer.delete"]
    assert "ist gelöscht" in text(officer.get(LIST))


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"ends_on": f"{NEXT}-09-01"}, "ends_on", "Das Ende liegt vor dem Beginn."),
    ({"valid_until": f"{NEXT}-05-01"}, "valid_until", "«Gültig bis» liegt vor «Gültig ab»."),
    ({"cost": "-5"}, "cost", "Die Kosten können nicht negativ sein."),
    ({"reduced_cost": "-1.50"}, "reduced_cost", "Die Kosten können nicht negativ sein."),
    ({"cost": "zwölf"}, "cost", "«zwölf» ist kein Betrag in Franken"),
    ({"title-de": "  "}, "title", "Der deutsche Text fehlt"),
    ({"description-de": "", "description-fr": "Apprendre l'allemand"}, "description", "Der deutsche Text fehlt"),
    ({"registration_url": "javascript:alert(1)"}, "registration_url", "mit https:// oder http:// beginnt"),
    ({"registration_url": "ftp://ecap.ch/anmeldung"}, "registration_url", "mit https:// oder http:// beginnt"),
    ({"registration_url": "www.ecap.ch"}, "registration_url", "mit https:// oder http:// beginnt"),
    ({"age_min": "65", "age_max": "18"}, "age_max", "Das höchste Alter liegt unter dem tiefsten."),
    ({"age_min": "-3"}, "age_min", "Bitte ein Alter zwischen 0 und 120 Jahren eingeben."),
    ({"age_min": "zehn"}, "age_min", "Bitte ein Alter in ganzen Jahren eingeben."),
    ({"starts_on": "31.02.2017"}, "starts_on", "Bitte ein gültiges Datum eingeben."),
    ({"starts_on": ""}, "starts_on", "Bitte den Beginn angeben"),
    ({"timing": "recurring"}, "schedule", "Bitte den Zeitplan auf Deutsch angeben."),
    ({"timing": "someday"}, "timing", "Bitte eine der angebotenen Möglichkeiten wählen."),
    ({"kind": "own:" + str(uuid.uuid4())}, "kind", "Diese Art von Angebot gibt es nicht"),
    ({"languages": ["de", "xx"]}, "languages", "Bitte nur Einträge der Liste wählen."),
    ({"municipality": "9999"}, "municipality", "Bitte eine Gemeinde der Liste wählen."),
    ({"reduction_conditions-de": ""}, "reduction_conditions", "wer die reduzierten Kosten bezahlt"),
])
def test_bad_input_gets_a_field_error_and_nothing_is_saved(officer, grenchen, changes, field, message):
    response = post(officer, NEW, valid_form(**changes))
    assert response.status_code == 400
    page = text(response)
    error = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', page)
    assert error, f"no error beside {field}"
    assert message in error.group(1)
    assert stored(grenchen) == [] and audit_actions(grenchen) == []


def test_the_errors_are_in_the_users_language(officer, grenchen):
    officer.get("/language/fr")
    response = post(officer, NEW, valid_form(ends_on=f"{NEXT}-09-01", cost="-5", **{"title-de": ""}))
    page = text(response)
    assert response.status_code == 400
    assert "Das Ende liegt vor dem Beginn." not in page
    assert "La fin est antérieure au début." in page
    assert "Les coûts ne peuvent pas être négatifs." in page


def test_a_failed_edit_changes_nothing(officer, grenchen):
    offer = add_offer(grenchen)
    response = post(officer, f"{LIST}/{offer.id}/bearbeiten",
                    valid_form(**{"title-de": "Neuer Titel", "age_min": "70", "age_max": "7"}))
    assert response.status_code == 400
    [kept] = stored(grenchen)
    assert kept.title == {"de": "Elterncafé"} and kept.age_min is None
    assert audit_actions(grenchen) == []


# -- the tenant's own kinds ------------------------------------------------------------------------


def test_own_kinds_are_added_used_and_deleted_only_when_unused(officer, grenchen):
    response = post(officer, "/grenchen/foerdern/arten", {"name-de": "Nähtreff", "name-ti": "ምስፋይ"})
    assert response.status_code == 302
    with tenant_scope(grenchen):
        kind = db.session.scalars(sa.select(OwnKind)).one()
    assert post(officer, "/grenchen/foerdern/arten", {"name-de": "nähtreff"}).status_code == 400  # taken
    assert post(officer, "/grenchen/foerdern/arten", {"name-de": "Sprachkurs"}).status_code == 400  # built in
    assert post(officer, NEW, valid_form(kind=f"own:{kind.id}")).status_code == 302
    [offer] = stored(grenchen)
    assert (offer.kind, offer.own_kind_id) == ("own", kind.id)
    assert "Nähtreff" in text(officer.get(LIST))
    assert "Nähtreff" in text(officer.get(f"{LIST}?art=own:{kind.id}"))
    assert "Keine Angebote gefunden." in text(officer.get(f"{LIST}?art=childcare"))
    delete = f"/grenchen/foerdern/arten/{kind.id}/loeschen"
    post(officer, "/grenchen/foerdern/arten", {})  # a page to take a token from
    refused = officer.post(delete, data={"csrf_token": csrf(officer.get("/grenchen/foerdern/arten").text)})
    assert refused.status_code == 302
    assert "von 1 Angeboten verwendet" in text(officer.get("/grenchen/foerdern/arten"))
    post(officer, f"{LIST}/{offer.id}/loeschen", {})
    token = csrf(officer.get(f"{LIST}/neu").text)
    assert officer.post(delete, data={"csrf_token": token}).status_code == 302
    with tenant_scope(grenchen):
        assert db.session.scalars(sa.select(OwnKind)).all() == []
    assert audit_actions(grenchen) == ["foerdern.kind.create", "foerdern.offer.create", "foerdern.offer.delete",
                                       "foerdern.kind.delete"]


# -- the list ------------------------------------------------------------------------------------


def test_the_list_searches_and_filters_by_kind_and_validity(officer, grenchen):
    from datetime import date, timedelta

    from core import clock

    today = clock.today()
    add_offer(grenchen, title={"de": "Deutschkurs", "fr": "Cours d'allemand"}, kind="language_course",
              provider_name="ECAP")
    add_offer(grenchen, title={"de": "Spielgruppe"}, kind="childcare", valid_until=today - timedelta(days=1))
    add_offer(grenchen, title={"de": "Nähkurs"}, kind="club", timing="dates", starts_on=date(2016, 1, 1),
              ends_on=today - timedelta(days=3))
    assert _titles(officer, "") == ["Deutschkurs"]
    assert _titles(officer, "?gueltig=abgelaufen") == ["Nähkurs", "Spielgruppe"]
    assert _titles(officer, "?gueltig=alle") == ["Deutschkurs", "Nähkurs", "Spielgruppe"]
    assert _titles(officer, "?gueltig=alle&art=childcare") == ["Spielgruppe"]
    assert _titles(officer, "?suche=allemand") == ["Deutschkurs"]  # every language is searched
    assert _titles(officer, "?suche=ecap") == ["Deutschkurs"]
    assert _titles(officer, "?art=nonsense&gueltig=nonsense") == []


def _titles(client, query: str) -> list[str]:
    page = text(client.get(LIST + query))
    return re.findall(r'<a href="/grenchen/foerdern/angebote/[0-9a-f-]+"><span lang="de">([^<]*)</span>', page)


def test_a_missing_translation_shows_the_german_text_marked(officer, grenchen):
    add_offer(grenchen, title={"de": "Deutschkurs", "fr": "Cours d'allemand"},
              description={"de": "Für Anfängerinnen und Anfänger."})
    add_offer(grenchen, title={"de": "Spielgruppe"})
    officer.get("/language/fr")
    listing = text(officer.get(LIST))
    assert '<span lang="fr">Cours d\'allemand</span><' in listing  # translated: no mark
    assert re.search(r'<span lang="de">Spielgruppe</span> <small class="untranslated">\(en allemand', listing)
    [offer] = [o for o in stored(grenchen) if o.title["de"] == "Deutschkurs"]
    page = text(officer.get(f"{LIST}/{offer.id}"))
    assert '<h1><span lang="fr">Cours d\'allemand</span></h1>' in page
    assert re.search(r'<p lang="de" class="description">Für Anfängerinnen und Anfänger.</p> '
                     r'<small class="untranslated">', page)
    officer.get("/language/de")
    assert "untranslated" not in text(officer.get(LIST))


# -- who may, and where ---------------------------------------------------------------------------


def test_reading_roles_see_offers_but_may_not_change_them(client, grenchen):
    offer = add_offer(grenchen)
    login_as(client, (grenchen, "residents_services"))
    assert client.get(LIST).status_code == 200
    assert "Neues Angebot" not in text(client.get(LIST))
    assert client.get(f"{LIST}/{offer.id}").status_code == 200
    token = csrf(client.get(LIST).text)  # the logout form's
    for url in (NEW, f"{LIST}/{offer.id}/bearbeiten", f"{LIST}/{offer.id}/loeschen"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={"csrf_token": token, **valid_form()}).status_code == 403, url
    assert client.post("/grenchen/foerdern/arten", data={"csrf_token": token, "name-de": "X"}).status_code == 403
    assert len(stored(grenchen)) == 1


def test_a_role_without_fördern_gets_403(client, grenchen):
    from core.access import set_grant

    set_grant(grenchen, "read_only", "foerdern.offers.read", False)
    db.session.commit()
    login_as(client, (grenchen, "read_only"))
    assert client.get(LIST).status_code == 403


@pytest.mark.parametrize("state", ["none", "entitled", "suspended"])
def test_a_tenant_without_fördern_answers_404(app, client, ctx, state):
    tenant = make_tenant("grenchen", communes=[2546])
    if state != "none":
        modules.entitle(tenant, "foerdern")
    if state == "suspended":
        modules.activate(tenant, "foerdern")
        modules.suspend(tenant, "foerdern")
    db.session.commit()
    offer = add_offer(tenant)
    login_as(client, (tenant, "integration_officer"), (tenant, "tenant_admin"))
    urls = [(method, rule.build({"tenant": "grenchen", "offer_id": offer.id, "kind_id": uuid.uuid4(),
                                 "publisher_id": tenant.id, "action": "ausblenden", "person_id": uuid.uuid4(),
                                 "need_id": uuid.uuid4(), "referral_id": uuid.uuid4()})[1])
            for rule in app.url_map.iter_rules() if rule.endpoint.startswith("foerdern.")
            for method in sorted(rule.methods & {"GET", "POST"})]
    assert len(urls) >= 10
    for method, url in urls:
        assert client.open(url, method=method, data=valid_form()).status_code == 404, (method, url)


def test_another_tenants_offer_is_not_found(client, grenchen):
    balsthal = active_tenant("balsthal", [2422])
    theirs = add_offer(balsthal, title={"de": "Deutschtreff Balsthal"})
    with tenant_scope(balsthal):
        their_kind = OwnKind(id=uuid.uuid4(), name={"de": "Balsthaler Art"})
        db.session.add(their_kind)
        db.session.commit()
    login_as(client, (grenchen, "integration_officer"))
    for url in (f"{LIST}/{theirs.id}", f"{LIST}/{theirs.id}/bearbeiten", f"{LIST}/{theirs.id}/loeschen",
                f"/grenchen/foerdern/arten/{their_kind.id}/bearbeiten"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"{LIST}/{theirs.id}/loeschen", {}).status_code == 404
    assert "Deutschtreff Balsthal" not in text(client.get(f"{LIST}?gueltig=alle"))
    # Balsthal's own kind cannot be given to a Grenchen offer either.
    response = post(client, NEW, valid_form(kind=f"own:{their_kind.id}"))
    assert response.status_code == 400 and stored(grenchen) == []
    assert [o.title["de"] for o in stored(balsthal)] == ["Deutschtreff Balsthal"]


def test_the_start_page_counts_current_and_expired_offers(officer, grenchen):
    from datetime import timedelta

    add_offer(grenchen, title={"de": "Deutschkurs"})
    add_offer(grenchen, title={"de": "Spielgruppe"}, valid_until=clock.today() - timedelta(days=1))
    add_offer(grenchen, title={"de": "Nähkurs"}, valid_until=clock.today() - timedelta(days=2))
    page = text(officer.get("/grenchen/foerdern/"))
    assert "1 aktuelles Angebot" in page and "2 abgelaufene Angebote" in page
