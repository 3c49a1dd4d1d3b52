"""The communes' yearly feedback: the canton sends a round, each tenant answers its own (until the deadline),
the canton evaluates all answers (audited) and exports them."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core import clock
from core.audit import AuditEvent
from core.console.feedback import service as feedback
from core.console.feedback.models import FeedbackRequest
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_tenant
from tests.test_formula_injection import LEAK as FORMULA
from tests.test_formula_injection import assert_no_formula


@pytest.fixture
def world(ctx):
    canton = make_tenant("kanton", kind="canton")
    return canton, make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])


def csrf(client, path) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).text).group(1)


DEADLINE = clock.today() + timedelta(days=30)


def send_round(client, canton_client_token, tenants, year="2017", deadline=None, confirmed=True):
    """The round's form sent; with ``confirmed``, as from the preview (the second step)."""
    return client.post("/kanton/rueckmeldungen", data={
        "csrf_token": canton_client_token, "year": year, "deadline": (deadline or DEADLINE).isoformat(),
        "note": "Bitte bis Ende März.", "tenants": [str(t.id) for t in tenants],
        **({"confirmed": "1"} if confirmed else {})})


@pytest.fixture
def sent(app, client, world):
    """The canton (logged in on ``client``) sent the 2017 round to Grenchen only."""
    canton, grenchen, _balsthal = world
    login_as(client, (canton, "canton_admin"))
    token = csrf(client, "/kanton/rueckmeldungen")
    assert send_round(client, token, [grenchen]).status_code == 302
    commune = app.test_client()
    login_as(commune, (grenchen, "tenant_admin"))
    return client, token, commune, csrf(commune, "/grenchen/rueckmeldung/2017")


def answer(commune, token, **fields):
    data = {"csrf_token": token, "worked": "", "effort": "", "problems": "", "remarks": "", **fields}
    return commune.post("/grenchen/rueckmeldung/2017", data=data)


def test_a_round_goes_to_the_chosen_tenants_who_answer_and_change_their_answer(app, world, sent):
    canton_client, _token, commune, token = sent
    _canton, grenchen, balsthal = world
    home = commune.get("/grenchen/").text
    assert "Rückmeldung an den Kanton 2017" in home and "noch offen" in home
    assert 'href="/grenchen/rueckmeldung"' in home  # the menu
    page = commune.get("/grenchen/rueckmeldung/2017")
    assert page.status_code == 200 and "Bitte bis Ende März." in page.text
    saved = answer(commune, token, worked="Die Begrüssungsbriefe", effort="12,5", problems="Zu wenig Dolmetscher")
    assert saved.status_code == 302
    assert "Rückmeldung an den Kanton 2017" not in commune.get("/grenchen/").text  # answered
    assert answer(commune, token, worked="Die Begrüssungsbriefe und Gespräche", effort="40").status_code == 302
    with tenant_scope(grenchen):
        rows = db.session.scalars(sa.select(FeedbackRequest)).all()
    assert len(rows) == 1 and rows[0].effort_minutes == 2400 and rows[0].worked.endswith("Gespräche")
    assert rows[0].problems == ""  # an emptied field is emptied
    assert 'value="40"' in commune.get("/grenchen/rueckmeldung/2017").text

    other = app.test_client()
    login_as(other, (balsthal, "tenant_admin"))
    assert other.get("/balsthal/rueckmeldung/2017").status_code == 404  # not asked
    assert "noch keine Rückmeldung erbeten" in other.get("/balsthal/rueckmeldung").text
    assert other.get("/grenchen/rueckmeldung/2017").status_code == 404  # another tenant's

    overview = canton_client.get("/kanton/rueckmeldungen/2017").text
    assert "Die Begrüssungsbriefe und Gespräche" in overview and "40" in overview
    assert "Balsthal" in overview.split("An weitere Mandanten senden")[1]  # may still be asked
    with tenant_scope(_canton):
        reasons = [e.detail.get("reason") for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "canton_scope.enter"))]
    assert "feedback round 2017: answers" in reasons


def test_malformed_hours_get_a_field_error_and_nothing_typed_is_lost(world, sent):
    _canton_client, _token, commune, token = sent
    for effort in ("zwölf", "-3", "12,555", "1e3", "99999999"):
        response = answer(commune, token, worked="Viel gelernt", effort=effort)
        assert response.status_code == 400, effort
        assert "ist keine Anzahl Stunden" in response.text and "Viel gelernt" in response.text
    with tenant_scope(world[1]):
        assert db.session.scalars(sa.select(FeedbackRequest)).one().answered_at is None


def test_after_the_deadline_an_answer_cannot_be_given_or_changed(world, sent, monkeypatch):
    canton_client, canton_token, commune, token = sent
    monkeypatch.setattr(clock, "today", lambda: DEADLINE + timedelta(days=1))
    page = commune.get("/grenchen/rueckmeldung/2017")
    assert "Die Frist ist abgelaufen" in page.text and "disabled" in page.text
    late = answer(commune, token, worked="Spät", effort="3")
    assert late.status_code == 400 and "Die Frist ist am" in late.text
    with tenant_scope(world[1]):
        assert db.session.scalars(sa.select(FeedbackRequest)).one().answered_at is None
    assert "nicht beantwortet" in commune.get("/grenchen/rueckmeldung").text
    # The canton moves the deadline: the tenant may answer again.
    later = (DEADLINE + timedelta(days=7)).isoformat()
    moved = canton_client.post("/kanton/rueckmeldungen/2017/frist",
                               data={"csrf_token": canton_token, "deadline": later})
    assert moved.status_code == 302
    assert answer(commune, token, worked="Doch noch", effort="3").status_code == 302


def test_a_second_round_for_a_year_and_bad_round_forms_are_refused(world, sent):
    canton_client, token, _commune, _token = sent
    _canton, grenchen, balsthal = world
    again = send_round(canton_client, token, [balsthal])
    assert again.status_code == 400 and "Für 2017 gibt es schon eine Umfrage." in again.text
    nobody = send_round(canton_client, token, [], year="2018")
    assert nobody.status_code == 400 and "mindestens einen Mandanten" in nobody.text
    bad = canton_client.post("/kanton/rueckmeldungen", data={
        "csrf_token": token, "year": "zwanzig", "deadline": "31.3.2019", "tenants": [str(grenchen.id)]})
    assert bad.status_code == 400 and bad.text.count('class="error"') >= 2
    # Sending to more tenants: the new one receives it, the one who has it keeps its request.
    preview = canton_client.post("/kanton/rueckmeldungen/2017/senden",
                                 data={"csrf_token": token, "tenants": [str(balsthal.id)]})
    assert preview.status_code == 200 and "Noch ist nichts versandt" in preview.text and "Balsthal" in preview.text
    with tenant_scope(balsthal):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackRequest)) == 0
    more = canton_client.post("/kanton/rueckmeldungen/2017/senden",
                              data={"csrf_token": token, "tenants": [str(balsthal.id)], "confirmed": "1"})
    assert more.status_code == 302
    assert canton_client.post("/kanton/rueckmeldungen/2017/senden",
                              data={"csrf_token": token, "tenants": [str(grenchen.id)]}).status_code == 400
    for tenant in (grenchen, balsthal):
        with tenant_scope(tenant):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackRequest)) == 1
    assert canton_client.get("/kanton/rueckmeldungen/2031").status_code == 404


def test_the_answers_as_xlsx(world, sent):
    canton_client, _token, commune, token = sent
    answer(commune, token, worked="Erstinformation", effort="7.5", remarks="Danke")
    response = canton_client.get("/kanton/rueckmeldungen/2017.xlsx")
    assert response.status_code == 200 and 'filename="rueckmeldungen-2017.xlsx"' in response.headers[
        "Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    grenchen = next(row for row in rows if row[0] == "Grenchen")
    assert grenchen[2] == 7.5 and grenchen[3] == "Erstinformation" and grenchen[5] == "Danke"
    assert ("Antworten", 1) in [row[:2] for row in rows]


def test_a_feedback_answer_is_text_in_the_cantons_xlsx(sent):
    canton_client, _token, commune, token = sent
    assert answer(commune, token, worked=FORMULA, problems="@SUM(1)", remarks="-2+3").status_code == 302
    response = canton_client.get("/kanton/rueckmeldungen/2017.xlsx")
    assert response.status_code == 200
    assert_no_formula(response.data, FORMULA, "@SUM(1)", "-2+3")


def test_only_the_roles_with_the_permission_answer(app, world, sent):
    grenchen = world[1]
    officer = app.test_client()
    login_as(officer, (grenchen, "integration_officer"))
    assert officer.get("/grenchen/rueckmeldung").status_code == 403
    assert "Rückmeldung an den Kanton 2017" not in officer.get("/grenchen/").text


@pytest.mark.parametrize(("text", "minutes"), [
    ("12", 720), ("12.5", 750), ("12,5", 750), ("1'200", 72000), ("0,25", 15), ("", None), ("  ", None)])
def test_hours_as_people_type_them(text, minutes):
    assert feedback.parse_hours(text) == minutes
    if minutes is not None:
        assert feedback.parse_hours(feedback.hours_text(minutes)) == minutes


@pytest.mark.parametrize("text", ["abc", "-1", "1.2.3", "12,555", "1e3", "100001"])
def test_hours_that_are_no_hours(text):
    with pytest.raises(ValueError):
        feedback.parse_hours(text)


def test_a_requests_deadline_is_inclusive():
    request_ = FeedbackRequest(year=2017, deadline=date(2018, 3, 31))
    assert request_.is_open(date(2018, 3, 31)) and not request_.is_open(date(2018, 4, 1))


# -- mails to the communes -----------------------------------------------------------------------------


def _outbox(tmp_path) -> list:
    from email import message_from_bytes, policy

    return [message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted((tmp_path / "outbox").glob("*.eml"))]


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    from core import mail

    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setattr(mail, "outbox", lambda: tmp_path / "outbox")
    return lambda: _outbox(tmp_path)


def test_sending_a_round_mails_those_who_answer_in_the_tenants_asked(app, client, world, outbox):
    from tests.conftest import make_user

    canton, grenchen, balsthal = world
    admin = make_user((grenchen, "tenant_admin"))
    make_user((grenchen, "read_only"))  # does not answer feedback
    make_user((balsthal, "tenant_admin"))  # not asked
    login_as(client, (canton, "canton_admin"))
    assert send_round(client, csrf(client, "/kanton/rueckmeldungen"), [grenchen]).status_code == 302
    [notice] = outbox()
    assert notice["To"] == admin.email and notice["Subject"] == "Der Kanton bittet um Ihre Rückmeldung 2017"
    assert "/grenchen/rueckmeldung/2017" in notice.get_content() and "Bitte bis Ende März." in notice.get_content()
    assert "http://localhost/grenchen/rueckmeldung/2017" in notice.get_content()  # a link, not a path


def test_a_round_is_previewed_before_it_goes_out_and_can_be_changed(app, client, world, outbox):
    from core.console.feedback.models import FeedbackRound
    from tests.conftest import make_user

    canton, grenchen, balsthal = world
    make_user((grenchen, "tenant_admin"))
    login_as(client, (canton, "canton_admin"))
    token = csrf(client, "/kanton/rueckmeldungen")
    preview = send_round(client, token, [grenchen, balsthal], confirmed=False)
    assert preview.status_code == 200 and "Noch ist nichts versandt" in preview.text
    assert "2 Mandanten" in preview.text and "Balsthal, Grenchen" in preview.text
    assert "Der Kanton bittet um Ihre Rückmeldung 2017" in preview.text and "Bitte bis Ende März." in preview.text
    assert "http://localhost/balsthal/rueckmeldung/2017" in preview.text
    assert "Jetzt an 2 Mandanten senden" in preview.text and 'name="confirmed" value="1"' in preview.text
    changed = client.post("/kanton/rueckmeldungen", data={
        "csrf_token": token, "year": "2017", "deadline": DEADLINE.isoformat(), "note": "Bitte bis Ende März.",
        "tenants": [str(grenchen.id)], "confirmed": "1", "change": "1"})
    assert changed.status_code == 200 and "Neue Umfrage" in changed.text and "Bitte bis Ende März." in changed.text
    with tenant_scope(canton):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackRound)) == 0
    assert outbox() == []
    assert send_round(client, token, [grenchen]).status_code == 302
    assert len(outbox()) == 1


def test_a_deadline_already_past_is_refused_and_nothing_goes_out(client, world, sent, outbox):
    from core.console.feedback.models import FeedbackRound

    canton_client, token, _commune, _token = sent
    canton, grenchen, balsthal = world
    yesterday = clock.today() - timedelta(days=1)
    late = send_round(canton_client, token, [balsthal], year="2018", deadline=yesterday)
    assert late.status_code == 400 and "ist schon vorbei" in late.text
    assert send_round(canton_client, token, [balsthal], year="2018", deadline=yesterday,
                      confirmed=False).status_code == 400  # no preview either
    with tenant_scope(canton):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackRound)) == 1  # 2017's only
    moved = canton_client.post("/kanton/rueckmeldungen/2017/frist",
                               data={"csrf_token": token, "deadline": yesterday.isoformat()})
    assert moved.status_code == 400 and "ist schon vorbei" in moved.text
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(FeedbackRequest.deadline)) == DEADLINE


def test_a_week_before_the_deadline_an_unanswered_request_is_recalled_once(app, world, outbox):
    from tests.conftest import make_user

    _canton, grenchen, balsthal = world
    make_user((grenchen, "tenant_admin"))
    make_user((balsthal, "tenant_admin"))
    due = clock.today() + timedelta(days=7)
    with tenant_scope(grenchen):
        db.session.add(FeedbackRequest(year=2017, deadline=due))
    with tenant_scope(balsthal):
        db.session.add(FeedbackRequest(year=2017, deadline=due, answered_at=clock.utcnow(), answered_by="x"))
    db.session.commit()
    for _run in range(2):
        for tenant in (grenchen, balsthal):
            with tenant_scope(tenant):
                feedback.remind(tenant)
            db.session.commit()
    [reminder] = outbox()  # once, and only to the tenant that has not answered
    assert reminder["Subject"].startswith("Erinnerung: Rückmeldung 2017 an den Kanton bis")
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "feedback.reminded")) == 1
