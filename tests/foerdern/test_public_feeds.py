"""The public page's feeds: /<tenant>/angebote.ics (RFC 5545, the dated offers) and /<tenant>/angebote.json
(stable field names, texts in the chosen language with German marked); the same offers as the page."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from tests.foerdern import public_world
from tests.foerdern.public_world import NEXT_MONTH


@pytest.fixture
def world(ctx):
    return public_world.build()


def calendar(client, query=""):
    response = client.get("/grenchen/angebote.ics" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return response, icalendar.Calendar.from_ical(response.data)


def feed(client, path="/grenchen/angebote.json"):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response, response.get_json()


# -- iCalendar ----------------------------------------------------------------------------------------


def test_the_calendar_has_one_all_day_event_per_dated_offer(client, world):
    _response, cal = calendar(client, "?lang=fr")
    assert cal["VERSION"] == "2.0" and "start.integration" in str(cal["PRODID"])
    events = {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}
    assert set(events) == {"Cours d'allemand A1 pour mères", "Gesundheitstreff Thal"}  # the dated ones only
    course = events["Cours d'allemand A1 pour mères"]
    assert str(course["UID"]) == f"{world.course.id}@localhost"
    assert course["SUMMARY"].params["LANGUAGE"] == "fr"
    assert course.decoded("DTSTART") == NEXT_MONTH
    assert course.decoded("DTEND") == NEXT_MONTH + timedelta(days=91)  # exclusive: the day after the last
    assert course["DTSTART"].params["VALUE"] == "DATE"
    description = str(course["DESCRIPTION"])
    for part in ("Deux fois par semaine", "CHF 120.00", "avec la KulturLegi"):
        assert part in description
    assert str(course["LOCATION"]) == "Schulhaus Kastels, Grenchen"
    assert str(course["URL"]) == "https://www.ecap.example/anmeldung"
    regional = events["Gesundheitstreff Thal"]
    assert regional["SUMMARY"].params["LANGUAGE"] == "de"  # German, marked as such
    assert regional.decoded("DTEND") == NEXT_MONTH + timedelta(days=1)  # no end date: the one day
    assert "Offre régionale de Balsthal" in str(regional["DESCRIPTION"])
    assert str(regional["URL"]).endswith(f"/grenchen/angebote?lang=fr#angebot-{world.regional.id}")


def test_the_calendar_escapes_and_folds_text(client, world):
    public_world.add(world.grenchen, "escape", timing="dates", starts_on=NEXT_MONTH,
                     title={"de": "Kurs; mit Komma, Backslash \\ und " + "sehr langem Titel " * 6})
    response, cal = calendar(client)
    raw = response.data.decode()
    assert "Kurs\\; mit Komma\\, Backslash \\\\ und" in raw
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))  # folded at 75 octets
    summaries = [str(event["SUMMARY"]) for event in cal.walk("VEVENT")]
    assert any(summary.startswith("Kurs; mit Komma, Backslash \\ und sehr") for summary in summaries)


def test_the_calendar_uid_is_stable_and_filters_apply(client, world):
    first = calendar(client, "?lang=fr")[1]
    second = calendar(client, "?lang=de")[1]
    uids = lambda cal: {str(event["UID"]) for event in cal.walk("VEVENT")}  # noqa: E731
    assert uids(first) == uids(second)
    only_courses = calendar(client, "?art=language_course")[1]
    assert [str(event["SUMMARY"]) for event in only_courses.walk("VEVENT")] == ["Deutschkurs A1 für Mütter"]


# -- JSON ---------------------------------------------------------------------------------------------


def test_the_json_feed_has_stable_fields_and_says_the_language_of_each_text(client, world):
    response, data = feed(client, "/grenchen/angebote.json?lang=fr")
    assert response.headers["Content-Language"] == "fr"
    assert data["version"] == 1 and data["language"] == "fr"
    assert data["tenant"] == {"slug": "grenchen", "name": "Grenchen"}
    assert data["languages"] == ["de", "fr", "ar", "ti"]
    assert data["page"].endswith("/grenchen/angebote?lang=fr") and data["filters"] == {}
    offers = {offer["id"]: offer for offer in data["offers"]}
    assert set(offers) == {str(o.id) for o in (world.course, world.cafe, world.regional, world.cantonal, world.hidden)}
    course = offers[str(world.course.id)]
    assert course["title"] == {"text": "Cours d'allemand A1 pour mères", "language": "fr", "fallback": False}
    assert course["publisher"] == {"slug": "grenchen", "name": "Grenchen"} and course["reach"] == "own"
    assert course["cost"] == {"amount": 12000, "reduced": 3000, "free": False, "reduction_conditions": {
        "text": "avec la KulturLegi", "language": "fr", "fallback": False}}
    assert course["kind"] == "language_course" and course["timing"] == "dates"
    assert course["starts_on"] == NEXT_MONTH.isoformat()
    assert course["languages"] == ["de", "ti"] and course["target_groups"] == ["parents", "adults"]
    assert course["place"] == {"address": "Schulhaus Kastels", "municipality_bfs": 2546, "municipality": "Grenchen",
                               "online": False}
    assert course["registration"] == {"url": "https://www.ecap.example/anmeldung", "contact": None}
    cafe = offers[str(world.cafe.id)]
    assert cafe["title"] == {"text": "Elterncafé Zentrum", "language": "de", "fallback": True}
    assert cafe["schedule"]["language"] == "de" and cafe["cost"]["free"] is True
    assert offers[str(world.cantonal.id)]["publisher"] == {"slug": "kanton", "name": "Kanton Solothurn"}
    assert offers[str(world.cantonal.id)]["reach"] == "cantonal"
    assert offers[str(world.regional.id)]["publisher"]["slug"] == "balsthal"


def test_the_json_feed_follows_the_filters(client, world):
    _response, data = feed(client, "/grenchen/angebote.json?kostenlos=1&fuer=parents")
    assert [offer["id"] for offer in data["offers"]] == [str(world.cafe.id)]
    assert data["filters"] == {"fuer": "parents", "kostenlos": "1"}


@pytest.mark.parametrize("lang", ["xx", "uk", "", "%3Cscript%3E", "de-CH"])
def test_a_bad_language_falls_back_to_german(client, world, lang):
    _response, data = feed(client, f"/grenchen/angebote.json?lang={lang}")
    assert data["language"] == "de"
    ics = client.get(f"/grenchen/angebote.ics?lang={lang}")
    assert ics.status_code == 200 and b"LANGUAGE=de" in ics.data


# -- cross-tenant, caching ----------------------------------------------------------------------------


def test_another_tenants_own_offer_never_appears_in_the_feeds(client, world):
    _response, balsthal = feed(client, "/balsthal/angebote.json")
    ids = {offer["id"] for offer in balsthal["offers"]}
    assert ids == {str(world.club.id), str(world.regional.id), str(world.cantonal.id)}  # hid the canton's other
    _response, grenchen = feed(client)
    assert str(world.club.id) not in {offer["id"] for offer in grenchen["offers"]}
    for path in ("/grenchen/angebote.ics", "/kanton/angebote.ics", "/balsthal/angebote.ics"):
        assert b"Dornacher" not in client.get(path).data
    assert b"Deutschkurs" not in client.get("/balsthal/angebote.ics").data


def test_feeds_are_cacheable_and_set_no_cookie(client, world):
    for path in ("/grenchen/angebote.ics?lang=fr", "/grenchen/angebote.json?lang=fr"):
        response = client.get(path)
        assert "public" in response.headers["Cache-Control"] and "max-age=300" in response.headers["Cache-Control"]
        assert "Set-Cookie" not in response.headers and response.headers["Content-Language"] == "fr"
        assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
