"""The example third-party module, installed as its own distribution, walked through HTTP and core's API.

Not collected on its own (no ``test_`` prefix): ``tests/test_plugins.py`` builds and installs
``tests/example_plugin`` into a directory of its own and runs this file, with core's isolation and
migration tests, in a fresh pytest process where that directory is on the path.  The module is found
through its entry point alone, like any third party's.
"""

from __future__ import annotations

import io
import json
import re
import time
import types
import uuid
from datetime import date, timedelta
from importlib.metadata import entry_points
from pathlib import Path

import example_notes
import pytest
import sqlalchemy as sa
from alembic import command
from example_notes.models import Note, OfficeHour
from flask_migrate import downgrade, upgrade

from core import builtin, clock, content_languages, events, modules, provisioning
from core.access import Membership, permissions_of
from core.attachments import Attachment
from core.audit import AuditEvent
from core.db import db
from core.hookspecs import hookimpl
from core.people import Person, retention
from core.plugins import ENTRY_POINT_GROUP, Manifest, PluginRegistry, discover
from core.submissions import Submission
from core.tenancy import canton_tenant, tenant_scope
from tests.conftest import REPO, clear_database, login_as, make_app, make_tenant, make_user
from tests.informieren.test_interviews import interviews_of, invite_form, make_person, outcome_form, reload
from tests.samples import SAMPLES
from tests.test_tenant_settings import _form as settings_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SECRET = "archiv-s3cret-token"


# -- core's isolation test walks every installed model: these are the module's samples ------------


def _sample_person() -> Person:
    person = Person(official_name="Muster", first_name="Ana", municipality_bfs=2601)
    db.session.add(person)
    db.session.flush()
    return person


SAMPLES.update({
    Note: lambda: Note(person_id=_sample_person().id, text="Sample", written_on=date(2017, 3, 1), written_by="test"),
    OfficeHour: lambda: OfficeHour(weekday=0, opens="14:00", closes="17:00", place={"de": "Stadthaus"}),
})


# -- the world: the canton, Grenchen and Balsthal, Informieren and the example active in both ------


def _listener():
    """Another module taking the example's event: what it receives proves the delivery."""
    plugin = types.ModuleType("notes_listener")
    plugin.manifest = Manifest(id="notes_listener", title="Listener", version="1.0", always_on=True,
                               subscribes=("example_notes.note_added",))
    plugin.received = []

    @hookimpl
    def handle_event(tenant, event):
        plugin.received.append((tenant.slug, event.payload))
        return "noted"

    plugin.handle_event = handle_event
    return plugin


@pytest.fixture
def world(app, database_url):
    listener = _listener()
    test_app = make_app(plugins=[*discover(), listener], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        grenchen, balsthal = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
        for tenant in (grenchen, balsthal):
            for module_id in ("informieren", "example_notes"):
                modules.entitle(tenant, module_id)
                modules.activate(tenant, module_id)
        db.session.commit()
        yield types.SimpleNamespace(app=test_app, listener=listener, canton=canton_tenant(), grenchen=grenchen,
                                    balsthal=balsthal)
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def client_of(world, *memberships, name="Olga Offizier"):
    client = world.app.test_client()
    login_as(client, *memberships, name=name)
    return client


def sign_in(client, user) -> None:
    from core import sessions

    session_id = sessions.open_session(user.id)
    db.session.commit()
    with client.session_transaction() as session:
        now = int(time.time())
        session.update(user_id=user.id, login_at=now, seen_at=now, provider="test", sid=session_id)


def person_in(tenant, first_name="Ana", official_name="Muster") -> Person:
    """A person as core keeps them (a module without its own kind of person adds them like this)."""
    with tenant_scope(tenant):
        person = Person(official_name=official_name, first_name=first_name, municipality_bfs=2546,
                        languages=["ti"])
        db.session.add(person)
    db.session.commit()
    return person


def write_note(client, tenant, person, text="Sucht eine Lehrstelle.", fee="1234.50", file=("bescheid.pdf", PDF)):
    url = f"/{tenant.slug}/beratung/personen/{person.id}/neu"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = {"csrf_token": csrf(page.text), "text": text, "fee": fee}
    if file:
        data["attachment"] = (io.BytesIO(file[1]), file[0])
    return client.post(url, data=data, content_type="multipart/form-data")


def notes_of(tenant, person=None) -> list[Note]:
    with tenant_scope(tenant):
        query = sa.select(Note).order_by(Note.created_at).execution_options(populate_existing=True)
        return db.session.scalars(query if person is None else query.where(Note.person_id == person.id)).all()


def attachment_of(tenant, note) -> Attachment:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Attachment).where(Attachment.owner_id == str(note.id))
                                  .execution_options(populate_existing=True)).one()


def audit_of(tenant, action: str) -> list[AuditEvent]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.occurred_at)).all()


def noted(world, client=None):
    """An officer, a person of Grenchen and a note about them (with a fee and a PDF)."""
    client = client or client_of(world, (world.grenchen, "integration_officer"))
    person = person_in(world.grenchen)
    assert write_note(client, world.grenchen, person).status_code == 302
    return client, person, notes_of(world.grenchen, person)[0]


# -- installed as a distribution of its own ---------------------------------------------------------


def test_the_module_is_a_distribution_of_its_own_found_through_its_entry_point():
    package = Path(example_notes.__file__).parent
    assert REPO not in package.parents  # the installed copy, not tests/example_plugin
    [found] = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "example_notes"]
    assert found.value == "example_notes" and found.dist.name == "start-integration-example-notes"
    for language in ("fr", "it", "en"):  # its catalogue, compiled by its own build
        assert (package / "translations" / language / "LC_MESSAGES" / "messages.mo").is_file()
    sources = "\n".join(path.read_text() for path in package.rglob("*.py"))
    assert not re.search(r"^\s*(from|import) plugins\b", sources, re.M)  # core alone


def test_it_takes_informierens_event_but_does_not_need_informieren():
    assert example_notes.manifest.requires == ()
    registry = PluginRegistry([builtin, example_notes])  # Informieren not installed: still starts
    assert registry.subscriptions["informieren.needs_handed_over"] == ["example_notes"]


# -- the person: a note, its panel and timeline, the event, the export ------------------------------


def test_a_note_about_a_person_is_written_shown_and_announced(world):
    client = client_of(world, (world.grenchen, "integration_officer"))
    person = person_in(world.grenchen)
    page = client.get(f"/grenchen/personen/{person.id}")
    assert "<h2>Beratungsnotizen</h2>" in page.text and "Noch keine Beratungsnotizen." in page.text

    response = write_note(client, world.grenchen, person)
    [note] = notes_of(world.grenchen, person)
    assert response.status_code == 302 and response.headers["Location"] == f"/grenchen/beratung/{note.id}"
    assert (note.text, note.fee, note.source, note.written_on) == ("Sucht eine Lehrstelle.", 123450, "staff",
                                                                   clock.today())
    shown = client.get(f"/grenchen/beratung/{note.id}").text
    assert "Sucht eine Lehrstelle." in shown and "CHF 1'234.50" in shown and "bescheid.pdf" in shown

    # the event it declares reached the module that takes it, and the delivery is audited
    assert world.listener.received == [("grenchen", {"person_id": str(person.id), "note_id": str(note.id),
                                                     "source": "staff"})]
    [emitted] = audit_of(world.grenchen, "event.emitted")
    assert emitted.object_id == "example_notes.note_added" and emitted.detail == {"delivered_to": ["notes_listener"]}
    assert [e.object_type for e in audit_of(world.grenchen, "sensitive.create")] == ["example_notes"]

    # core's person page: the module's panel and its entry in the timeline
    page = client.get(f"/grenchen/personen/{person.id}").text
    panel = page.split("<h2>Beratungsnotizen</h2>")[1].split("</section>")[0]
    assert f'href="/grenchen/beratung/{note.id}"' in panel and "Sucht eine Lehrstelle." in panel
    assert "CHF 1'234.50" in panel
    timeline = page.split('class="timeline"')[1]
    assert "Beratungsnotiz</a>" in timeline and "CHF 1'234.50" in timeline
    assert "Sucht eine Lehrstelle." not in timeline  # a sensitive note's text stays on its own page
    assert "Beratungsnotizen" in client.get("/grenchen/").text  # the start page's key figure


def test_the_pages_speak_the_users_language_from_the_modules_own_catalogue(world):
    client, person, note = noted(world)
    page = client.get(f"/grenchen/personen/{person.id}", headers={"Accept-Language": "fr-CH,fr"}).text
    assert "<h2>Notes de consultation</h2>" in page and "Écrire une note" in page
    assert "Nota di consulenza" in client.get(f"/grenchen/beratung/{note.id}", headers={"Accept-Language": "it"}).text


@pytest.mark.parametrize(("values", "message"), [
    ({"fee": "zwölf"}, "«zwölf» ist kein Betrag in Franken (zum Beispiel 1&#39;234.50)."),
    ({"fee": "-5"}, "Eine Gebühr kann nicht negativ sein."),
    ({"fee": "12.345"}, "hat mehr als zwei Stellen nach dem Punkt"),
    ({"text": " "}, "Bitte eine Notiz schreiben."),
    ({"file": ("programm.pdf", b"MZ\x90\x00" + b"\x00" * 64)}, "hat keinen erlaubten Dateityp"),
])
def test_bad_input_is_explained_in_german_and_nothing_is_kept(world, values, message):
    client = client_of(world, (world.grenchen, "integration_officer"))
    person = person_in(world.grenchen)
    response = write_note(client, world.grenchen, person, **values)
    assert response.status_code == 400 and message in response.text
    assert notes_of(world.grenchen) == [] and world.listener.received == []


def test_a_fee_is_whole_rappen_and_never_negative_down_to_the_database(world):
    person = person_in(world.grenchen)
    with tenant_scope(world.grenchen), pytest.raises(sa.exc.StatementError, match="must be an int of Rappen"):
        db.session.add(Note(person_id=person.id, text="x", written_on=clock.today(), written_by="t", fee=12.5))
        db.session.flush()
    db.session.rollback()
    insert = sa.text("INSERT INTO example_notes (tenant_id, id, person_id, text, written_on, written_by, fee, source, "
                     "created_at) VALUES (:tenant, :id, :person, 'x', '2017-03-01', 't', -1, 'staff', :now)")
    with tenant_scope(world.grenchen), pytest.raises(sa.exc.IntegrityError):  # past the ORM: the migration's check
        db.session.execute(insert, {"tenant": world.grenchen.id, "id": uuid.uuid4().hex, "person": person.id.hex,
                                    "now": clock.utcnow()})
    db.session.rollback()


def test_the_export_of_a_person_holds_the_notes_also_while_the_module_is_off(world):
    _client, person, _note = noted(world)
    admin = client_of(world, (world.grenchen, "tenant_admin"), name="Anna Admin")
    modules.suspend(world.grenchen, "example_notes")  # a suspended module still holds its data
    db.session.commit()
    response = admin.get(f"/grenchen/personen/{person.id}/auskunft")
    assert response.status_code == 200
    [section] = json.loads(response.data)["sections"]["Beratungsnotizen"]
    assert section["text"] == "Sucht eine Lehrstelle." and section["fee"] == "CHF 1'234.50"
    assert section["fee_rappen"] == 123450 and section["attachments"] == ["bescheid.pdf"]
    assert [e.object_id for e in audit_of(world.grenchen, "person.export")] == [str(person.id)]


# -- Informieren's hand-over becomes a note ---------------------------------------------------------


def test_needs_handed_over_by_informieren_become_a_note_once(world):
    client = client_of(world, (world.grenchen, "integration_officer"))
    newcomer = make_person(world.grenchen, languages=["ti"])
    assert invite_form(client, world.grenchen, newcomer).status_code == 302
    [interview] = interviews_of(world.grenchen, newcomer)
    response = outcome_form(client, world.grenchen, interview, needs="Deutschkurs A1\nKinderbetreuung",
                            offers="Elterntreff Grenchen")
    assert response.status_code == 302
    [note] = notes_of(world.grenchen, newcomer)  # the newcomer is core's person: the same id
    assert note.source == f"informieren.interview:{interview.id}"
    assert note.text == ("Aus dem Erstinformationsgespräch übergeben.\nBedürfnisse: Deutschkurs A1, Kinderbetreuung\n"
                         "Vorgeschlagene Angebote: Elterntreff Grenchen")
    [(_slug, payload)] = world.listener.received  # the note announced in turn
    assert payload["source"] == note.source
    assert reload(world.grenchen, interview).handed_over["recorded"] == ["Beratungsnotiz erfasst"]

    with tenant_scope(world.grenchen):  # the same hand-over again (a retried job): no second note
        again = events.emit(world.grenchen, "informieren.needs_handed_over", person_id=str(newcomer.id),
                            interview_id=str(interview.id), needs=["Deutschkurs A1"], offers=[], languages=["ti"])
        db.session.commit()
    assert again == [] and len(notes_of(world.grenchen, newcomer)) == 1


# -- the public page ----------------------------------------------------------------------------------


def test_the_office_hours_are_public_in_the_tenants_content_languages(world):
    content_languages.set_offered(world.grenchen, ["de", "ar", "ti"])
    db.session.commit()
    admin = client_of(world, (world.grenchen, "tenant_admin"), name="Anna Admin")
    url = "/grenchen/beratung/sprechstunden/bearbeiten"
    form = admin.get(url).text
    assert 'name="place-ar"' in form and 'dir="rtl"' in form and 'name="place-ti"' in form
    data = {"csrf_token": csrf(form), "weekday": "1", "opens": "14:00", "closes": "17:30",
            "place-de": "Stadthaus, Zimmer 12", "place-ar": "دار البلدية، الغرفة 12"}
    refused = admin.post(url, data={**data, "closes": "13:00", "place-de": ""})
    assert refused.status_code == 400 and "Das Ende muss nach dem Beginn liegen." in refused.text
    assert "Der deutsche Text fehlt" in refused.text
    assert admin.post(url, data=data).status_code == 302

    visitor = world.app.test_client()
    page = visitor.get("/grenchen/beratung/sprechstunden")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert page.headers["Cache-Control"].startswith("public, max-age=")
    assert "Dienstag, <span dir=\"ltr\">14:00–17:30</span>" in page.text and "Stadthaus, Zimmer 12" in page.text
    arabic = visitor.get("/grenchen/beratung/sprechstunden?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in arabic and "دار البلدية، الغرفة 12" in arabic and "الثلاثاء" in arabic
    tigrinya = visitor.get("/grenchen/beratung/sprechstunden?lang=ti").text
    assert "ሰሉስ" in tigrinya and "Stadthaus, Zimmer 12" in tigrinya and "noch nicht übersetzt" in tigrinya
    # a member of staff sees the same page: no session, no staff menu
    staff = admin.get("/grenchen/beratung/sprechstunden")
    assert "Set-Cookie" not in staff.headers and "Abmelden" not in staff.text and "Anna Admin" not in staff.text

    modules.suspend(world.balsthal, "example_notes")
    db.session.commit()
    assert visitor.get("/balsthal/beratung/sprechstunden").status_code == 404


# -- the canton -----------------------------------------------------------------------------------------


def test_a_note_is_submitted_to_the_canton_and_follows_its_decision(world):
    client, _person, note = noted(world)
    url = f"/grenchen/beratung/{note.id}/einreichen"
    token = csrf(client.get(f"/grenchen/beratung/{note.id}").text)
    submitted = client.post(url, data={"csrf_token": token})
    assert submitted.status_code == 302
    number = f"BN-{clock.today().year}-0001"
    assert number in client.get(submitted.headers["Location"]).text
    again = client.post(url, data={"csrf_token": token})  # the canton has it already
    assert again.status_code == 400 and f"Dieses Objekt liegt dem Kanton schon vor: Eingabe {number}" in again.text
    assert number in client.get("/grenchen/eingaben").text

    office = client_of(world, (world.canton, "canton_office"), name="Fabio Fachstelle")
    inbox = office.get("/kanton/eingaben").text
    assert number in inbox and "Beratungsnotiz" in inbox
    snapshot = office.get(f"/kanton/eingaben/{number}").text
    assert "Sucht eine Lehrstelle." in snapshot and "CHF 1&#39;234.50" in snapshot and "bescheid.pdf" in snapshot
    assert office.get(f"/kanton/beratung/{note.id}").status_code == 404  # the snapshot, never the note itself

    def step(name, reason=""):
        page = office.get(f"/kanton/eingaben/{number}").text
        return office.post(f"/kanton/eingaben/{number}/{name}", data={"csrf_token": csrf(page), "note": reason})

    assert step("pruefen").status_code == 302
    assert notes_of(world.grenchen)[0].submission_state == "in_review"
    assert step("zurueckweisen", "Bitte die Quittung beilegen.").status_code == 302
    assert notes_of(world.grenchen)[0].submission_state == "returned"
    assert "zurückgewiesen" in client.get(f"/grenchen/beratung/{note.id}").text
    assert client.post(url, data={"csrf_token": token}).status_code == 302  # resubmitted: a new version
    with tenant_scope(world.grenchen):
        submission = db.session.scalars(sa.select(Submission)).one()
    assert (submission.number, submission.version, submission.state) == (number, 2, "submitted")
    assert notes_of(world.grenchen)[0].submission_state == "submitted"


# -- the module's role -----------------------------------------------------------------------------------


def test_a_member_with_the_counsellor_role_reads_and_writes_notes_and_nothing_more(world):
    _officer, person, note = noted(world)
    counsellor = make_user(name="Clara Beraterin")
    admin = client_of(world, (world.grenchen, "tenant_admin"), name="Anna Admin")
    page = admin.get("/grenchen/mitglieder").text
    assert 'value="example_notes.counsellor"' in page
    added = admin.post("/grenchen/mitglieder", data={"csrf_token": csrf(page), "email": counsellor.email,
                                                    "role": "example_notes.counsellor"})
    assert added.status_code == 302
    assert permissions_of({"example_notes.counsellor"}, world.grenchen) >= {
        "example_notes.read", "example_notes.write", "core.persons.read"}

    client = world.app.test_client()
    sign_in(client, counsellor)
    assert "<h2>Beratungsnotizen</h2>" in client.get(f"/grenchen/personen/{person.id}").text
    assert client.get(f"/grenchen/beratung/{note.id}").status_code == 200
    assert write_note(client, world.grenchen, person, text="Zweites Gespräch.", fee="").status_code == 302
    # handing a note to the canton is the integration officer's: a counsellor holds no submit permission
    token = csrf(client.get(f"/grenchen/beratung/{note.id}").text)
    assert client.post(f"/grenchen/beratung/{note.id}/einreichen", data={"csrf_token": token}).status_code == 403
    for url in ("/grenchen/einstellungen", "/grenchen/beratung/sprechstunden/bearbeiten", "/grenchen/mitglieder"):
        assert client.get(url).status_code == 403, url

    # the role is a commune's: the canton does not offer it
    canton_admin = client_of(world, (world.canton, "canton_admin"), name="Kathrin Kanton")
    page = canton_admin.get("/kanton/mitglieder").text
    assert "example_notes.counsellor" not in page
    refused = canton_admin.post("/kanton/mitglieder", data={"csrf_token": csrf(page), "email": counsellor.email,
                                                            "role": "example_notes.counsellor"})
    assert refused.status_code == 200 and "Diese Rolle gibt es in diesem Mandanten nicht." in refused.text
    with tenant_scope(world.canton):
        assert db.session.scalars(sa.select(Membership).where(Membership.user_id == counsellor.id)).all() == []


@pytest.mark.parametrize("role", ["read_only", "residents_services", "tenant_admin"])
def test_roles_without_the_modules_permissions_get_403_and_no_panel(world, role):
    _officer, person, note = noted(world)
    client = client_of(world, (world.grenchen, role), name="Rolf Rolle")
    assert client.get(f"/grenchen/beratung/{note.id}").status_code == 403
    assert client.get(f"/grenchen/beratung/personen/{person.id}/neu").status_code == 403
    assert client.get(f"/grenchen/anhang/{attachment_of(world.grenchen, note).id}").status_code == 403
    if role != "tenant_admin":  # the administrator sees no person pages
        page = client.get(f"/grenchen/personen/{person.id}").text
        assert "Beratungsnotizen" not in page and "Beratungsnotiz" not in page


# -- settings: a secret and a typed one -------------------------------------------------------------------


def test_the_secret_setting_is_never_shown_nor_logged_and_the_typed_one_is_checked(world):
    admin = client_of(world, (world.grenchen, "tenant_admin"), name="Anna Admin")
    page = admin.get("/grenchen/einstellungen").text
    assert "Zugangsschlüssel des Aktenarchivs" in page and "Aufbewahrungsfrist der Beratungsnotizen (Jahre)" in page
    for value, message in (("abc", "Bitte eine ganze Zahl von 1 bis 30 eingeben."),
                           ("0", "Bitte eine ganze Zahl von 1 bis 30 eingeben.")):
        refused = admin.post("/grenchen/einstellungen",
                             data=settings_form(page, **{"s-example_notes.retention_years": value}))
        assert refused.status_code == 400 and message in refused.text
    saved = admin.post("/grenchen/einstellungen", data=settings_form(
        page, **{"s-example_notes.archive_token": SECRET, "s-example_notes.retention_years": "7"}))
    assert saved.status_code == 302
    assert provisioning.get_setting(world.grenchen, "example_notes.archive_token") == SECRET
    assert provisioning.get_setting(world.grenchen, "example_notes.retention_years") == 7
    page = admin.get("/grenchen/einstellungen").text
    assert SECRET not in page and ">gesetzt</strong>" in page
    assert SECRET not in admin.get("/grenchen/protokoll").text
    logged = {e.object_id: e.detail for e in audit_of(world.grenchen, "tenant.setting")}
    assert logged["example_notes.archive_token"] == {"value": "***"}
    assert logged["example_notes.retention_years"] == {"value": 7}


# -- retention -----------------------------------------------------------------------------------------------


def test_a_note_holds_its_person_until_the_period_of_notes_is_over(world):
    _client, person, note = noted(world)
    other = person_in(world.grenchen, first_name="Otto", official_name="Ohne")  # no module holds him
    later = clock.today() + timedelta(days=2 * 366)  # past core's own year
    with tenant_scope(world.grenchen):
        assert set(retention.due(world.grenchen, later)) == {other.id}
    assert retention.apply(world.grenchen, later) == 1
    db.session.commit()

    provisioning.set_setting(world.grenchen, "example_notes.retention_years", 1)
    db.session.commit()
    assert retention.apply(world.grenchen, later) == 1
    db.session.commit()
    with tenant_scope(world.grenchen):
        anonymised = db.session.get(Person, (world.grenchen.id, person.id), populate_existing=True)
    assert anonymised.anonymised_on == later and anonymised.official_name == ""
    [erased] = notes_of(world.grenchen, person)
    assert (erased.text, erased.fee, erased.written_on) == ("", 123450, note.written_on)  # the figures stay
    assert attachment_of(world.grenchen, note).deleted
    assert [e.detail["fields"] for e in audit_of(world.grenchen, "sensitive.update")] == [["text"]]


# -- tenants and activation ------------------------------------------------------------------------------------


def test_another_tenant_finds_nothing_and_an_inactive_module_nothing_at_all(world):
    client, person, note = noted(world)
    file = attachment_of(world.grenchen, note)
    both = client_of(world, (world.grenchen, "integration_officer"), (world.balsthal, "integration_officer"))
    assert both.get(f"/grenchen/beratung/{note.id}").status_code == 200
    for url in (f"/balsthal/beratung/{note.id}", f"/balsthal/beratung/personen/{person.id}/neu",
                f"/balsthal/anhang/{file.id}"):
        assert both.get(url).status_code == 404, url
    stranger = client_of(world, (world.balsthal, "integration_officer"), name="Bruno Balsthal")
    assert stranger.get(f"/grenchen/beratung/{note.id}").status_code == 404  # not a member there
    assert stranger.get(f"/grenchen/anhang/{file.id}").status_code == 404

    download = client.get(f"/grenchen/anhang/{file.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")

    modules.suspend(world.grenchen, "example_notes")
    db.session.commit()
    for url in ("/grenchen/beratung/", f"/grenchen/beratung/{note.id}", f"/grenchen/anhang/{file.id}",
                "/grenchen/beratung/sprechstunden"):
        assert client.get(url).status_code == 404, url
    assert "Beratungsnotizen" not in client.get(f"/grenchen/personen/{person.id}").text
    assert len(notes_of(world.grenchen)) == 1  # switched off, not deleted


# -- the migration branch -------------------------------------------------------------------------------------


def test_the_upgrade_to_2_0_stops_over_free_standing_notes_of_1_0(scratch_database_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=scratch_database_url)
    with app.app_context():
        upgrade(revision="heads")
        downgrade(revision="example_notes_0001")
        provisioning.load_municipalities()
        tenant = make_tenant("grenchen", communes=[2546])
        insert = sa.text("INSERT INTO example_notes (tenant_id, id, text) VALUES (:tenant, :id, 'alt')")
        with tenant_scope(tenant):
            db.session.execute(insert, {"tenant": tenant.id, "id": "0" * 32})
        db.session.commit()
        config = app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match=r"each of the 1 free-standing notes of 1\.0"):
            command.upgrade(config, "heads")  # (flask_migrate's upgrade would log the error and exit)
        with tenant_scope(tenant):
            db.session.execute(sa.text("DELETE FROM example_notes"))
        db.session.commit()
        upgrade(revision="heads")
        db.session.remove()
        db.engine.dispose()
