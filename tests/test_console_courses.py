"""Introductory courses: the canton publishes, commune staff register and cancel, the waiting list moves up,
the canton records attendance, each tenant sees only its own staff; two people never get the last seat."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEvent
from core.auth import User
from core.console.courses import service as courses
from core.console.courses.models import Course, CourseRegistration
from core.db import db
from core.errors import UserError
from core.tenancy import get_tenant, tenant_scope
from tests.conftest import POSTGRES, login_as, make_tenant, make_user


@pytest.fixture
def world(ctx):
    return make_tenant("kanton", kind="canton"), make_tenant("grenchen", communes=[2546]), make_tenant(
        "balsthal", communes=[2422])


def add_course(canton, capacity=2, published=True, days=10, title="Einführung start.integration") -> Course:
    start = clock.utcnow() + timedelta(days=days)
    with tenant_scope(canton):
        course = Course(title=title, place="Solothurn, Ambassadorenhof", capacity=capacity, published=published,
                        starts_at=start, ends_at=start + timedelta(hours=3), created_by="test")
        db.session.add(course)
    db.session.commit()
    return course


def staff(app, tenant, name, role="integration_officer"):
    client = app.test_client()
    user = login_as(client, (tenant, role), name=name)
    return client, user, csrf(client, f"/{tenant.slug}/kurse")


def csrf(client, path) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).text).group(1)


def registrations(canton, course) -> dict[str, tuple[str, int | None]]:
    """{name: (status, seat)} of a course, read as the canton."""
    db.session.expire_all()
    with tenant_scope(canton):
        rows = db.session.execute(
            sa.select(CourseRegistration, User.name).join(User, User.id == CourseRegistration.user_id)
            .where(CourseRegistration.course_id == course.id)
        ).all()
    return {name: (registration.status, registration.seat) for registration, name in rows}


# -- the canton publishes --------------------------------------------------------------------------


def test_the_canton_creates_publishes_and_edits_a_course(app, client, world):
    canton, grenchen, _balsthal = world
    login_as(client, (canton, "canton_office"))
    token = csrf(client, "/kanton/kurse/neu")
    form = {"csrf_token": token, "title": "Einführung für Einwohnerdienste", "place": "Olten",
            "starts_at": "2030-03-14T09:00", "ends_at": "2030-03-14T12:00", "capacity": "12",
            "description": "Erstinformation, Begrüssungsschreiben"}
    bad = client.post("/kanton/kurse/neu", data={**form, "ends_at": "2030-03-14T08:00", "capacity": "viele"})
    assert bad.status_code == 400
    assert "Das Ende muss nach dem Beginn liegen." in bad.text and 'value="Einführung für Einwohnerdienste"' in bad.text
    assert 'class="error"' in bad.text.split('name="capacity"')[1].split("</p>")[0]  # a field error on the seats
    assert client.post("/kanton/kurse/neu", data={**form, "starts_at": "14.3.2030"}).status_code == 400
    with tenant_scope(canton):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0

    created = client.post("/kanton/kurse/neu", data=form)
    assert created.status_code == 302
    with tenant_scope(canton):
        course = db.session.scalars(sa.select(Course)).one()
    assert course.starts_at.isoformat() == "2030-03-14T08:00:00+00:00"  # 9:00 in Solothurn (winter time)
    assert not course.published
    commune, _user, _token = staff(app, grenchen, "Gina Gerber")
    assert "Einführung für Einwohnerdienste" not in commune.get("/grenchen/kurse").text  # a draft

    edit = client.get(f"/kanton/kurse/{course.id}/bearbeiten")
    assert 'value="2030-03-14T09:00"' in edit.text
    assert client.post(f"/kanton/kurse/{course.id}/bearbeiten",
                       data={**form, "published": "y"}).status_code == 302
    listing = commune.get("/grenchen/kurse").text
    assert "Einführung für Einwohnerdienste" in listing and "12 von 12" in listing
    assert "Einführung für Einwohnerdienste" in client.get("/kanton/kurse/verwalten").text
    assert client.get("/kanton/kurse/00000000-0000-0000-0000-000000000000").status_code == 404


# -- registering, the waiting list, cancelling -------------------------------------------------------


def test_a_full_course_keeps_a_waiting_list_that_moves_up_in_order(app, world):
    canton, grenchen, balsthal = world
    course = add_course(canton, capacity=2)
    people = {name: staff(app, tenant, name) for name, tenant in
              (("Anna", grenchen), ("Beat", grenchen), ("Carla", balsthal), ("Dario", grenchen))}

    def post(name, action):
        client, _user, token = people[name]
        tenant = "balsthal" if name == "Carla" else "grenchen"
        return client.post(f"/{tenant}/kurse/{course.id}/{action}", data={"csrf_token": token},
                           follow_redirects=True)

    assert "Sie sind angemeldet." in post("Anna", "anmelden").text
    assert "Sie sind angemeldet." in post("Beat", "anmelden").text
    full = post("Carla", "anmelden")
    assert "Der Kurs ist ausgebucht: Sie stehen auf der Warteliste" in full.text and "ausgebucht" in full.text
    post("Dario", "anmelden")
    assert registrations(canton, course) == {"Anna": ("registered", 1), "Beat": ("registered", 2),
                                             "Carla": ("waiting", None), "Dario": ("waiting", None)}

    assert "Sie sind abgemeldet." in post("Anna", "abmelden").text
    assert registrations(canton, course) == {"Anna": ("cancelled", None), "Beat": ("registered", 2),
                                             "Carla": ("registered", 1), "Dario": ("waiting", None)}
    assert "Sie sind für diesen Kurs nicht angemeldet." in post("Anna", "abmelden").text  # cancel twice
    assert "Sie sind angemeldet." not in post("Anna", "anmelden").text  # back, behind Dario
    assert registrations(canton, course)["Anna"] == ("waiting", None)
    post("Beat", "abmelden")
    assert registrations(canton, course)["Dario"] == ("registered", 2)
    with tenant_scope(canton):
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("course.%"))).all()
    assert actions.count("course.move_up") == 2
    with tenant_scope(grenchen):  # the registrant's tenant has its staff's actions in its own log
        assert "course.register" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_registering_twice_makes_no_second_registration(app, world):
    canton, grenchen, _balsthal = world
    course = add_course(canton)
    client, _user, token = staff(app, grenchen, "Anna")
    url = f"/grenchen/kurse/{course.id}/anmelden"
    client.post(url, data={"csrf_token": token})
    again = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200 and "Sie sind für diesen Kurs schon angemeldet." in again.text
    assert registrations(canton, course) == {"Anna": ("registered", 1)}


def test_a_person_registered_through_one_tenant_cannot_cancel_through_another(app, world):
    canton, grenchen, balsthal = world
    course = add_course(canton)
    course_id = course.id  # the refusals roll back, which expires what the session holds
    user = make_user((grenchen, "integration_officer"), (balsthal, "integration_officer"), name="Rita")
    courses.register(course_id, user, grenchen)
    with pytest.raises(UserError, match="nicht angemeldet"):
        courses.cancel(course_id, user, balsthal)
    with pytest.raises(UserError, match="schon angemeldet"):
        courses.register(course_id, user, balsthal)
    assert registrations(canton, course) == {"Rita": ("registered", 1)}


def test_drafts_unknown_and_begun_courses_take_no_registrations(app, world):
    canton, grenchen, _balsthal = world
    draft = add_course(canton, published=False)
    begun = add_course(canton, days=-1, title="Vorbei")
    client, _user, token = staff(app, grenchen, "Anna")
    assert client.post(f"/grenchen/kurse/{draft.id}/anmelden", data={"csrf_token": token}).status_code == 404
    late = client.post(f"/grenchen/kurse/{begun.id}/anmelden", data={"csrf_token": token},
                       follow_redirects=True)
    assert "Der Kurs hat schon begonnen" in late.text
    assert registrations(canton, begun) == {} and registrations(canton, draft) == {}
    assert "Vorbei" not in client.get("/grenchen/kurse").text.split("<h2>")[0]  # not offered any more


# -- what each side sees --------------------------------------------------------------------------------


def test_each_tenant_sees_only_its_own_staff_and_the_canton_sees_all(app, client, world):
    canton, grenchen, balsthal = world
    course = add_course(canton, capacity=5)
    for name, tenant in (("Anna Aebi", grenchen), ("Carla Cattaneo", balsthal)):
        courses.register(course.id, make_user((tenant, "residents_services"), name=name), tenant)
    grenchen_page = staff(app, grenchen, "Gina", role="read_only")[0].get("/grenchen/kurse").text
    assert "Anna Aebi" in grenchen_page and "Carla Cattaneo" not in grenchen_page
    assert "3 von 5" in grenchen_page  # seat counts of everyone, names of its own only
    balsthal_page = staff(app, balsthal, "Bea", role="tenant_admin")[0].get("/balsthal/kurse").text
    assert "Carla Cattaneo" in balsthal_page and "Anna Aebi" not in balsthal_page
    assert [r.user_id for r, _c, _u in courses.tenant_registrations(balsthal)] == [
        db.session.scalar(sa.select(User.id).where(User.name == "Carla Cattaneo"))]
    login_as(client, (canton, "canton_admin"))
    detail = client.get(f"/kanton/kurse/{course.id}").text
    assert "Anna Aebi" in detail and "Carla Cattaneo" in detail and "Grenchen" in detail and "Balsthal" in detail


def test_the_canton_records_attendance_and_the_tenant_sees_it(app, client, world):
    canton, grenchen, _balsthal = world
    course = add_course(canton, capacity=1)
    anna, bruno = make_user((grenchen, "residents_services"), name="Anna"), make_user(
        (grenchen, "residents_services"), name="Bruno")
    present = courses.register(course.id, anna, grenchen)
    waiting = courses.register(course.id, bruno, grenchen)
    login_as(client, (canton, "canton_office"))
    token = csrf(client, f"/kanton/kurse/{course.id}")
    early = client.post(f"/kanton/kurse/{course.id}/anwesenheit",
                        data={"csrf_token": token, "present": [str(present.id)]})
    assert early.status_code == 400 and "erst ab Kursbeginn" in early.text
    with tenant_scope(canton):
        db.session.get(Course, (canton.id, course.id)).starts_at = clock.utcnow() - timedelta(hours=1)
    db.session.commit()
    saved = client.post(f"/kanton/kurse/{course.id}/anwesenheit",
                        data={"csrf_token": token, "present": [str(present.id), str(waiting.id), "kein-uuid"]})
    assert saved.status_code == 302
    db.session.expire_all()
    rows = {user.name: registration for registration, _course, user in courses.tenant_registrations(grenchen)}
    assert rows["Anna"].attended is True and rows["Bruno"].attended is None  # the waiting list was not there
    page = staff(app, grenchen, "Gina")[0].get("/grenchen/kurse").text
    assert re.search(r"Anna</th>.*?<td>ja</td>", page, re.S)


def test_fewer_seats_than_taken_are_refused_and_more_seats_move_the_waiting_list_up(app, client, world):
    canton, grenchen, _balsthal = world
    course = add_course(canton, capacity=1)
    for name in ("Anna", "Beat", "Carla"):
        courses.register(course.id, make_user((grenchen, "integration_officer"), name=name), grenchen)
    login_as(client, (canton, "canton_admin"))
    url = f"/kanton/kurse/{course.id}/bearbeiten"
    token = csrf(client, url)
    form = {"csrf_token": token, "title": course.title, "place": course.place, "starts_at": "2030-03-14T09:00",
            "ends_at": "2030-03-14T12:00", "published": "y"}
    assert client.post(url, data={**form, "capacity": "3"}).status_code == 302
    assert registrations(canton, course) == {"Anna": ("registered", 1), "Beat": ("registered", 2),
                                             "Carla": ("registered", 3)}
    refused = client.post(url, data={**form, "capacity": "2"})
    assert refused.status_code == 400 and "3 Personen haben schon einen Platz" in refused.text
    assert registrations(canton, course)["Carla"] == ("registered", 3)


# -- concurrency ---------------------------------------------------------------------------------------


def test_two_people_taking_the_last_seat_at_once_do_not_both_get_it(app, world):
    """Six people register at the same moment for one seat, each in a session of their own."""
    canton, grenchen, _balsthal = world
    course = add_course(canton, capacity=1)
    users = [make_user((grenchen, "integration_officer"), name=f"Person {n}").id for n in range(6)]
    start = threading.Barrier(len(users))
    outcomes, errors = [], []

    def take_seat(user_id):
        with app.app_context():
            try:
                user, tenant = db.session.get(User, user_id), get_tenant("grenchen")
                start.wait()
                outcomes.append(courses.register(course.id, user, tenant).status)
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take_seat, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(outcomes) == ["registered"] + ["waiting"] * 5
    seats = [seat for status, seat in registrations(canton, course).values() if status == "registered"]
    assert seats == [1]


@pytest.mark.skipif(not POSTGRES, reason="row locks need PostgreSQL")
def test_the_course_row_is_locked_while_a_seat_is_handed_out(app, world):
    """A registration waits for another session's lock on the course before it counts the seats."""
    canton, grenchen, _balsthal = world
    course = add_course(canton, capacity=1)
    user_id = make_user((grenchen, "integration_officer")).id
    locked, release, results = threading.Event(), threading.Event(), {}

    def hold_lock():
        with app.app_context():
            with tenant_scope(get_tenant("kanton")):
                courses._locked_course(course.id, published_only=True)
            locked.set()
            release.wait(10)
            db.session.rollback()
            db.session.remove()

    def register():
        with app.app_context():
            user, tenant = db.session.get(User, user_id), get_tenant("grenchen")
            results["status"] = courses.register(course.id, user, tenant).status
            db.session.remove()

    holder, waiter = threading.Thread(target=hold_lock), threading.Thread(target=register)
    holder.start()
    assert locked.wait(10)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # waiting for the lock
    release.set()
    holder.join(10)
    waiter.join(10)
    assert results == {"status": "registered"}
