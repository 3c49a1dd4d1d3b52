"""Welcome letters: templates, the batch job and its PDFs, marking as sent, the pages and who may use them."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from core import audit, clock, jobs, modules, provisioning
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.letters import batch as letter_batch
from plugins.informieren.letters import templates as letter_templates
from plugins.informieren.letters import texts as letter_texts
from plugins.informieren.models import LetterTemplate, Newcomer, Stage, WelcomeLetter
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.informieren.letter_support import preview_post

ARABIC_NAME = ("محمد", "العلي")
CYRILLIC_NAME = ("Олена", "Шевченко")
TIGRINYA_NAME = ("ሰላም", "ተስፋይ")


@pytest.fixture(scope="module")
def letters_app(app, database_url):
    """Jobs in-process (no Redis), whatever the environment says."""
    return make_app(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=None)


@pytest.fixture
def world(letters_app):
    with letters_app.app_context():
        make_tenant("kanton", kind="canton")
        grenchen = make_tenant("grenchen", communes=[2546], name="Einwohnergemeinde Grenchen")
        balsthal = make_tenant("balsthal", communes=[2422])
        for tenant in (grenchen, balsthal):
            modules.entitle(tenant, "informieren")
            modules.activate(tenant, "informieren")
        db.session.commit()
        yield letters_app, grenchen, balsthal
        db.session.rollback()
        db.session.remove()
    clear_database(letters_app)


def add_person(tenant, first, family, languages=("de",), household=None, born="1980-01-01", arrival=None,
               bfs=None, street="Bielstrasse", number="12", postal="2540", town="Grenchen") -> Newcomer:
    with tenant_scope(tenant):
        person = Newcomer(first_name=first, official_name=family, languages=list(languages), household_key=household,
                        date_of_birth=born, arrival_date=arrival or date(2017, 3, 1),
                        municipality_bfs=bfs or (2546 if tenant.slug == "grenchen" else 2422),
                        street=street, house_number=number, postal_code=postal, town=town, nationalities=[])
        db.session.add(person)
    db.session.commit()
    return person


def run_batch(tenant, **filters) -> jobs.JobRecord:
    params = letter_batch.batch_params(letter_date=date(2017, 3, 14), **filters)
    record = jobs.enqueue(letter_batch.JOB_KIND, tenant, params)
    with tenant_scope(tenant):
        record = db.session.get(jobs.JobRecord, (tenant.id, record.id), populate_existing=True)
        assert record.state == "finished", record.error
        return record


def files_of(tenant, record) -> dict[str, bytes]:
    with tenant_scope(tenant):
        return {f.filename: f.read_all(tenant) for f in db.session.scalars(
            sa.select(jobs.JobFile).where(jobs.JobFile.job_id == record.id))}


def pdf_text(data: bytes) -> str:
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def letter_rows(tenant) -> list[WelcomeLetter]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(WelcomeLetter).execution_options(populate_existing=True)).all()


def stage_of(tenant, person) -> str:
    with tenant_scope(tenant):
        return db.session.get(Newcomer, (tenant.id, person.id), populate_existing=True).stage


def token(client, path) -> str:
    return client.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def add_arabic_template(tenant):
    with tenant_scope(tenant):
        db.session.add(LetterTemplate(language="ar", subject="مرحبا بكم في {commune}",
                                      body="مرحبا {household_names}\n\nنحن سعداء بوجودكم في {commune}."))
    db.session.commit()


# -- templates ---------------------------------------------------------------------------------


def test_activation_seeds_the_four_shipped_languages_once(world):
    _app, grenchen, _b = world
    with tenant_scope(grenchen):
        assert set(letter_templates.templates()) == {"de", "fr", "it", "en"}
        assert next(iter(letter_templates.templates())) == "de"
        assert "{commune}" in letter_templates.templates()["fr"].subject
        assert letter_templates.install_defaults(grenchen) == 0  # idempotent
        db.session.delete(db.session.get(LetterTemplate, (grenchen.id, "it")))
        db.session.flush()
        letter_templates.templates()["de"].body = "Eigener Text"
        assert letter_templates.install_defaults(grenchen) == 1  # only what is missing
        assert letter_templates.templates()["de"].body == "Eigener Text"  # the tenant's own text is kept


def test_shipped_texts_use_only_known_placeholders():
    for subject, body in letter_texts.DEFAULTS.values():
        assert letter_templates.placeholder_errors(subject) == [] and letter_templates.placeholder_errors(body) == []


@pytest.mark.parametrize("text", ["{x.__class__}", "{commune.__class__.__init__}", "{date[0]}", "{date!r}",
                                  "{date:>30}", "{0}", "{}", "{unbekannt}"])
def test_placeholders_beyond_the_list_are_refused(app, text):
    with app.test_request_context():
        [message] = letter_templates.placeholder_errors(f"Guten Tag {text}")
    assert message.startswith("Unbekannter Platzhalter") and "{commune}" in message


@pytest.mark.parametrize("text", ["{commune", "commune}", "{{commune}", "{"])
def test_unbalanced_braces_are_refused(app, text):
    with app.test_request_context():
        [message] = letter_templates.placeholder_errors(text)
    assert "Klammern sind nicht ausgeglichen" in message


def test_filling_never_evaluates_what_it_replaces():
    filled = letter_templates.fill("{{literal}} {commune} {x.__class__}", {"commune": "Grenchen"})
    assert filled == "{literal} Grenchen "


def test_editing_a_template_validates_placeholders_and_keeps_the_old_text(world):
    app, grenchen, _b = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    url = "/grenchen/informieren/schreiben/vorlagen/fr"
    csrf = token(client, url)
    for bad, message in (("Bonjour {prenom}", "Unbekannter Platzhalter: {prenom}"),
                         ("Bonjour {x.__class__}", "Unbekannter Platzhalter: {x.__class__}"),
                         ("Bonjour {commune", "nicht ausgeglichen")):
        response = client.post(url, data={"csrf_token": csrf, "subject": "Bienvenue", "body": bad})
        assert response.status_code == 400 and message in response.text
        assert 'value="Bienvenue"' in response.text  # what was typed is still there
    response = client.post(url, data={"csrf_token": csrf, "subject": "Salut {first_names}", "body": "Texte {tenant}"})
    assert response.status_code == 302
    with tenant_scope(grenchen):
        db.session.expire_all()
        row = db.session.get(LetterTemplate, (grenchen.id, "fr"))
        assert (row.subject, row.body) == ("Salut {first_names}", "Texte {tenant}")
        assert row.updated_by != "system"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEvent).where(
            audit.AuditEvent.action == "informieren.letter_template.update")) == 1
    assert client.get("/grenchen/informieren/schreiben/vorlagen/xx").status_code == 404


def test_adding_and_deleting_languages(world):
    app, grenchen, _b = world
    client = app.test_client()
    login_as(client, (grenchen, "tenant_admin"))
    page = client.get("/grenchen/informieren/schreiben/vorlagen")
    assert page.status_code == 200 and "{household_names}" in page.text and 'value="ar"' in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]

    def add(language, body="مرحبا {household_names}"):
        return client.post("/grenchen/informieren/schreiben/vorlagen", data={
            "csrf_token": csrf, "new-language": language, "new-subject": "مرحبا", "new-body": body})

    assert "kein zweibuchstabiger Sprachcode" in add("deu").text
    assert "nicht bekannt" in add("qq").text
    assert "schon eine Vorlage" in add("fr").text
    assert "Unbekannter Platzhalter" in add("ar", "مرحبا {name}").text
    assert add("ar").status_code == 302
    with tenant_scope(grenchen):
        assert set(letter_templates.templates()) == {"de", "fr", "it", "en", "ar"}
    edit = client.get("/grenchen/informieren/schreiben/vorlagen/ar")
    assert 'dir="rtl"' in edit.text
    preview = client.get("/grenchen/informieren/schreiben/vorlagen/ar/vorschau")
    assert preview.mimetype == "application/pdf" and "Muster" in pdf_text(preview.data)
    refused = client.post("/grenchen/informieren/schreiben/vorlagen/de/loeschen", data={"csrf_token": csrf})
    assert refused.status_code == 400 and "kann nicht gelöscht werden" in refused.text
    assert client.post("/grenchen/informieren/schreiben/vorlagen/ar/loeschen",
                       data={"csrf_token": csrf}).status_code == 302
    assert client.post("/grenchen/informieren/schreiben/vorlagen/ar/loeschen",
                       data={"csrf_token": csrf}).status_code == 404
    with tenant_scope(grenchen):
        assert "ar" not in letter_templates.templates() and "de" in letter_templates.templates()


def test_text_the_letters_cannot_print_is_refused_with_its_characters(world):
    app, grenchen, _b = world
    client = app.test_client()
    login_as(client, (grenchen, "tenant_admin"))
    csrf = token(client, "/grenchen/informieren/schreiben/vorlagen")
    tamil = client.post("/grenchen/informieren/schreiben/vorlagen", data={
        "csrf_token": csrf, "new-language": "ta", "new-subject": "வணக்கம்", "new-body": "வணக்கம் {household_names}"})
    assert tamil.status_code == 400 and "es fehlt eine Schrift dafür: வ (U+0BB5), ண (U+0BA3)" in tamil.text
    chinese = client.post("/grenchen/informieren/schreiben/vorlagen/kontakt", data={
        "csrf_token": csrf, "contact-contact": "Fachstelle Integration 欢迎"})
    assert chinese.status_code == 400 and "欢 (U+6B22)" in chinese.text
    with tenant_scope(grenchen):
        assert "ta" not in letter_templates.templates()
        assert provisioning.get_setting(grenchen, "informieren.letter_contact") == ""
    for printable in ("Grüezi Ана", "እንቋዕ ብደሓን መጻእኩም", "خوش آمدید", "Բարի գալուստ", "שלום"):
        assert letter_templates.unprintable_error(printable) is None, printable


def test_the_contact_goes_into_sender_and_text(world):
    app, grenchen, _b = world
    client = app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    csrf = token(client, "/grenchen/informieren/schreiben/vorlagen")
    assert client.post("/grenchen/informieren/schreiben/vorlagen/kontakt", data={
        "csrf_token": csrf, "contact-contact": "Fachstelle Integration\nTel. 032 655 66 77"}).status_code == 302
    add_person(grenchen, "Ana", "Silva", ["de"])
    text = pdf_text(files_of(grenchen, run_batch(grenchen))["begruessungsschreiben-2017-03-14.pdf"])
    assert text.count("Tel. 032 655 66 77") == 2  # the sender block and {contact} in the body


# -- the batch job -------------------------------------------------------------------------------------


def test_a_batch_renders_one_letter_per_household_in_its_language(world):
    _app, grenchen, _b = world
    add_arabic_template(grenchen)
    marie = add_person(grenchen, "Marie", "Dubois", ["fr", "de"], household="H1", born="1979")
    paul = add_person(grenchen, "Paul", "Dubois", ["fr"], household="H1", born="1977-05")
    tigrinya = add_person(grenchen, *TIGRINYA_NAME, languages=["ti"], street="Marktplatz", number="3")
    ukrainian = add_person(grenchen, *CYRILLIC_NAME, languages=["uk", "en"])
    arabic = add_person(grenchen, *ARABIC_NAME, languages=["ar"])
    record = run_batch(grenchen)

    files = files_of(grenchen, record)
    assert set(files) == {"begruessungsschreiben-2017-03-14.pdf", "begruessungsschreiben-2017-03-14.zip"}
    combined = PdfReader(io.BytesIO(files["begruessungsschreiben-2017-03-14.pdf"]))
    assert len(combined.pages) == 4  # four households, one page each
    singles = zipfile.ZipFile(io.BytesIO(files["begruessungsschreiben-2017-03-14.zip"]))
    texts = {name: pdf_text(singles.read(name)) for name in singles.namelist()}
    assert len(texts) == 4 and all(len(PdfReader(io.BytesIO(singles.read(n))).pages) == 1 for n in texts)

    [french] = [text for name, text in texts.items() if name.endswith("-fr.pdf")]
    # Whole names, the eldest first, each on a line of its own in the address block.
    assert "Bienvenue à Grenchen" in french and "Bonjour Paul Dubois et Marie Dubois" in french
    assert "Paul Dubois\nMarie Dubois\nBielstrasse 12\n2540 Grenchen" in french and "14 mars 2017" in french
    [german] = [text for name, text in texts.items() if name.endswith("-de.pdf")]
    assert "Willkommen in Grenchen" in german and "14. März 2017" in german
    # Names in another script: Latin on the envelope (without a preview: for everybody), and in the greeting
    # of a letter whose language is written in Latin letters.
    assert "Selam Tesfay\nMarktplatz 3" in german and "Guten Tag Selam Tesfay" in german
    [english] = [text for name, text in texts.items() if name.endswith("-en.pdf")]
    assert "Welcome to Grenchen" in english and "Olena Shevchenko" in english
    [arabic_text] = [text for name, text in texts.items() if name.endswith("-ar.pdf")]
    assert ARABIC_NAME[0] in arabic_text and ARABIC_NAME[1] in arabic_text  # the greeting keeps its script
    assert "Mhmd L'ly" in arabic_text  # the envelope does not

    rows = {row.person_id: row for row in letter_rows(grenchen)}
    assert len(rows) == 5 and {row.job_id for row in rows.values()} == {record.id}
    assert rows[marie.id].household_key == rows[paul.id].household_key == "2546:H1"
    assert (rows[marie.id].language, rows[tigrinya.id].language, rows[ukrainian.id].language,
            rows[arabic.id].language) == ("fr", "de", "en", "ar")
    assert {row.state for row in rows.values()} == {"generated"}
    assert stage_of(grenchen, marie) == Stage.LETTER_GENERATED


def test_a_person_receives_one_letter_however_often_the_batch_runs(world):
    _app, grenchen, _b = world
    ana = add_person(grenchen, "Ana", "Silva", ["pt"])
    first = run_batch(grenchen)
    second = jobs.enqueue(letter_batch.JOB_KIND, grenchen, letter_batch.batch_params(letter_date=date(2017, 3, 15)))
    with tenant_scope(grenchen):
        second = db.session.get(jobs.JobRecord, (grenchen.id, second.id), populate_existing=True)
    assert second.state == "finished" and "Niemand wartet" in second.result["message"]
    assert files_of(grenchen, second) == {}
    assert [row.job_id for row in letter_rows(grenchen)] == [first.id]
    # a newcomer of later is taken by the next run, alone
    later = add_person(grenchen, "Luis", "Costa", ["es"], arrival=date(2017, 4, 1))
    third = run_batch(grenchen)
    assert len(PdfReader(io.BytesIO(files_of(grenchen, third)["begruessungsschreiben-2017-03-14.pdf"])).pages) == 1
    assert {row.person_id: row.job_id for row in letter_rows(grenchen)} == {ana.id: first.id, later.id: third.id}


def test_regenerating_replaces_the_letter(world):
    _app, grenchen, _b = world
    ana = add_person(grenchen, "Ana", "Silva", ["it"])
    first = run_batch(grenchen)
    with tenant_scope(grenchen):
        letter_batch.mark_sent(first.id, date(2017, 3, 15))
    db.session.commit()
    again = run_batch(grenchen, regenerate=[ana.id])
    [row] = letter_rows(grenchen)
    assert (row.job_id, row.state, row.sent_on, row.language) == (again.id, "generated", None, "it")
    assert stage_of(grenchen, ana) == Stage.LETTER_GENERATED


def test_the_batch_takes_only_the_chosen_period_and_commune(world):
    _app, grenchen, _b = world
    march = add_person(grenchen, "Ana", "Silva", arrival=date(2017, 3, 10))
    add_person(grenchen, "Luis", "Costa", arrival=date(2017, 5, 10))
    run_batch(grenchen, arrival_from=date(2017, 3, 1), arrival_to=date(2017, 3, 31))
    assert [row.person_id for row in letter_rows(grenchen)] == [march.id]
    run_batch(grenchen, commune=2601)  # a commune without anyone waiting
    assert len(letter_rows(grenchen)) == 1


def test_a_household_without_any_template_language_gets_german(world):
    _app, grenchen, _b = world
    add_person(grenchen, "Selam", "Tesfay", ["ti", "am"], household="X")
    add_person(grenchen, "Yonas", "Tesfay", [], household="X")
    run_batch(grenchen)
    assert {row.language for row in letter_rows(grenchen)} == {"de"}


# -- marking as sent, the pages -------------------------------------------------------------------------


def test_marking_as_sent_once_refreshes_stage_and_timeline(world):
    app, grenchen, _b = world
    ana = add_person(grenchen, "Ana", "Silva", household="A")
    add_person(grenchen, "Rui", "Silva", household="A")
    luis = add_person(grenchen, "Luis", "Costa")
    record = run_batch(grenchen)
    client = app.test_client()
    login_as(client, (grenchen, "residents_services"))
    batch_url = f"/grenchen/informieren/schreiben/serien/{record.id}"
    page = client.get(batch_url)
    assert page.status_code == 200 and "Ana Silva" in page.text and "Luis Costa" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent_url = f"{batch_url}/versandt"
    future = (clock.today() + timedelta(days=1)).isoformat()
    response = client.post(sent_url, data={"csrf_token": csrf, "sent_on": future, "scope": "all"})
    assert response.status_code == 302 and {row.state for row in letter_rows(grenchen)} == {"generated"}
    assert "in der Zukunft" in client.get(batch_url).text
    assert client.post(sent_url, data={"csrf_token": csrf, "sent_on": "2017-03-16",
                                       "scope": "selected"}).status_code == 302  # nothing chosen: nothing done
    assert {row.state for row in letter_rows(grenchen)} == {"generated"}
    data = {"csrf_token": csrf, "sent_on": "2017-03-16", "scope": "selected", "household": ["2546:A", "nope"]}
    assert client.post(sent_url, data=data).status_code == 302
    assert client.post(sent_url, data=data).status_code == 302  # a double submit
    states = {row.person_id: (row.state, row.sent_on) for row in letter_rows(grenchen)}
    assert states[ana.id] == ("sent", date(2017, 3, 16)) and states[luis.id] == ("generated", None)
    assert stage_of(grenchen, ana) == Stage.LETTER_SENT and stage_of(grenchen, luis) == Stage.LETTER_GENERATED
    with tenant_scope(grenchen):
        events = db.session.scalars(sa.select(audit.AuditEvent).where(
            audit.AuditEvent.action == "informieren.letters.sent")).all()
        assert [(e.detail["persons"], e.detail["households"]) for e in events] == [(2, 1)]
    overview = client.get("/grenchen/informieren/schreiben")
    assert 'data-count="generated">1<' in overview.text and 'data-count="sent">2<' in overview.text
    assert 'data-count="waiting">0<' in overview.text and "begruessungsschreiben-2017-03-14.pdf" in overview.text

    with app.test_request_context("/grenchen/informieren/"), tenant_scope(grenchen):
        entries = letter_batch.timeline(ana.id)
        assert [str(e.title) for e in entries] == ["Begrüssungsschreiben erstellt", "Begrüssungsschreiben versandt"]
        assert entries[1].at.date() in (date(2017, 3, 15), date(2017, 3, 16)) and entries[0].url is None
        assert [str(e.title) for e in letter_batch.timeline(luis.id)] == ["Begrüssungsschreiben erstellt"]
        assert letter_batch.timeline(add_person(grenchen, "Neu", "Person").id) == []


def test_the_page_starts_a_batch_and_shows_its_job(world):
    app, grenchen, _b = world
    add_person(grenchen, "Ana", "Silva")
    client = app.test_client()
    login_as(client, (grenchen, "residents_services"))
    page = client.get("/grenchen/informieren/schreiben")
    assert page.status_code == 200 and 'data-count="waiting">1<' in page.text
    bad = client.get("/grenchen/informieren/schreiben/vorschau?batch-arrival_from=2017-05-01"
                     "&batch-arrival_to=2017-04-01")
    assert bad.status_code == 400 and "Das Ende liegt vor dem Anfang" in bad.text
    assert client.get("/grenchen/informieren/schreiben/vorschau?batch-arrival_from=kein+Datum").status_code == 400
    text, fields = preview_post(client, "?batch-commune=2546")
    assert "Ana\u00a0Silva" in text and fields["batch-commune"] == "2546"  # an envelope line: never broken
    response = client.post("/grenchen/informieren/schreiben", data=fields)
    assert response.status_code == 302 and "/grenchen/auftraege/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"])
    assert "begruessungsschreiben-" in job_page.text and "fertig" in job_page.text
    assert len(letter_rows(grenchen)) == 1


def test_roles_tenants_and_an_inactive_module(world):
    app, grenchen, balsthal = world
    add_person(grenchen, "Ana", "Silva")
    record = run_batch(grenchen)
    reader = app.test_client()
    login_as(reader, (grenchen, "read_only"))
    assert reader.get("/grenchen/informieren/schreiben").status_code == 200
    assert "Schreiben erstellen" not in reader.get("/grenchen/informieren/schreiben").text
    assert reader.get(f"/grenchen/informieren/schreiben/serien/{record.id}").status_code == 200
    csrf = token(reader, "/grenchen/informieren/schreiben")
    assert reader.get("/grenchen/informieren/schreiben/vorschau").status_code == 403
    for path in ("/grenchen/informieren/schreiben", f"/grenchen/informieren/schreiben/serien/{record.id}/versandt",
                 f"/grenchen/informieren/schreiben/serien/{record.id}/neu", "/grenchen/informieren/schreiben/vorlagen",
                 "/grenchen/informieren/schreiben/vorlagen/fr/loeschen"):
        assert reader.post(path, data={"csrf_token": csrf, "sent_on": "2017-03-16"}).status_code == 403, path
    assert reader.get("/grenchen/informieren/schreiben/vorlagen").status_code == 403
    clerk = app.test_client()
    login_as(clerk, (grenchen, "residents_services"))
    assert clerk.get("/grenchen/informieren/schreiben/vorlagen").status_code == 403  # settings: admin, officer
    # another tenant: its member sees none of grenchen's batches; a non-member gets 404 everywhere
    other = app.test_client()
    login_as(other, (balsthal, "integration_officer"))
    assert other.get(f"/balsthal/informieren/schreiben/serien/{record.id}").status_code == 404
    csrf = token(other, "/balsthal/informieren/schreiben")
    assert other.post(f"/balsthal/informieren/schreiben/serien/{record.id}/versandt",
                      data={"csrf_token": csrf, "sent_on": "2017-03-16"}).status_code == 404
    assert other.get("/grenchen/informieren/schreiben").status_code == 404
    assert {row.state for row in letter_rows(grenchen)} == {"generated"}
    assert 'data-count="waiting">0<' in other.get("/balsthal/informieren/schreiben").text
    # the module switched off: nothing there
    modules.suspend(grenchen, "informieren")
    db.session.commit()
    officer = app.test_client()
    login_as(officer, (grenchen, "integration_officer"))
    assert officer.get("/grenchen/informieren/schreiben").status_code == 404
    assert officer.get("/grenchen/informieren/schreiben/vorlagen").status_code == 404


def test_the_letter_of_another_tenant_is_never_taken(world):
    _app, grenchen, balsthal = world
    add_person(grenchen, "Ana", "Silva")
    add_person(balsthal, "Luis", "Costa")
    record = run_batch(balsthal)
    assert letter_rows(grenchen) == [] and len(letter_rows(balsthal)) == 1
    assert "Luis Costa" in pdf_text(files_of(balsthal, record)["begruessungsschreiben-2017-03-14.pdf"])


# -- a real rq worker ---------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a real rq worker needs REDIS_URL")
def test_the_batch_runs_on_a_real_worker(app, database_url):
    from redis import Redis

    from tests.test_jobs import worker

    Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    rq_app = make_app(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=os.environ["REDIS_URL"])
    with rq_app.app_context():
        make_tenant("kanton", kind="canton")
        grenchen = make_tenant("grenchen", communes=[2546])
        modules.entitle(grenchen, "informieren")
        modules.activate(grenchen, "informieren")
        db.session.commit()
        try:
            ana = add_person(grenchen, *CYRILLIC_NAME, languages=["it"])
            params = letter_batch.batch_params(letter_date=date(2017, 3, 14))
            record = jobs.enqueue(letter_batch.JOB_KIND, grenchen, params)
            assert jobs.queue("reports").count == 1
            worker(database_url, "--burst")
            with tenant_scope(grenchen):
                record = db.session.get(jobs.JobRecord, (grenchen.id, record.id), populate_existing=True)
            assert record.state == "finished", record.error
            text = pdf_text(files_of(grenchen, record)["begruessungsschreiben-2017-03-14.pdf"])
            assert "Benvenuti a Grenchen" in text and "Olena Shevchenko" in text  # Latin on the envelope
            assert stage_of(grenchen, ana) == Stage.LETTER_GENERATED
        finally:
            db.session.rollback()
            db.session.remove()
            clear_database(rq_app)


def test_a_missing_font_fails_the_job_with_a_clear_message(world, monkeypatch):
    _app, grenchen, _b = world
    from core.documents import fonts

    add_person(grenchen, "Ana", "Silva")
    monkeypatch.setattr(fonts, "FONT_DIRS", ["/nonexistent"])
    fonts.fonts.cache_clear()
    try:
        record = jobs.enqueue(letter_batch.JOB_KIND, grenchen, letter_batch.batch_params())
        with tenant_scope(grenchen):
            record = db.session.get(jobs.JobRecord, (grenchen.id, record.id), populate_existing=True)
        assert record.state == "failed" and "fonts-dejavu-core" in record.error
        assert letter_rows(grenchen) == []  # nothing marked without its files
    finally:
        monkeypatch.undo()
        fonts.fonts.cache_clear()


# -- bounded batches (issue 11) ------------------------------------------------------------------------------


def test_a_batch_takes_at_most_its_cap_earliest_first_households_whole_and_the_next_one_the_rest(world, monkeypatch):
    letters_app, grenchen, _balsthal = world
    monkeypatch.setattr(letter_batch, "MAX_BATCH_PERSONS", 3)
    add_person(grenchen, "Ana", "Silva", arrival=date(2017, 3, 1))
    add_person(grenchen, "Bea", "Costa", arrival=date(2017, 3, 2))
    for first in ("Omar", "Amina"):  # the household the cap would cut: it waits whole
        add_person(grenchen, first, "Yusuf", household="h1", arrival=date(2017, 3, 3))
    add_person(grenchen, "Luis", "Rocha", arrival=date(2017, 3, 4))
    first = run_batch(grenchen)
    assert sorted(name for name, _key in letter_rows_named(grenchen)) == ["Ana", "Bea"]
    zipped = files_of(grenchen, first)["begruessungsschreiben-2017-03-14.zip"]
    assert len(zipfile.ZipFile(io.BytesIO(zipped)).namelist()) == 2
    client = letters_app.test_client()
    login_as(client, (grenchen, "integration_officer"))
    with tenant_scope(grenchen):
        result = db.session.scalars(sa.select(jobs.JobFile).where(jobs.JobFile.job_id == first.id,
                                                                  jobs.JobFile.mimetype == "application/zip")).one()
    download = client.get(f"/grenchen/auftraege/{first.id}/dateien/{result.id}")
    assert download.status_code == 200 and download.data == zipped
    assert download.headers["Content-Length"] == str(len(zipped))
    run_batch(grenchen)
    assert sorted(name for name, _key in letter_rows_named(grenchen)) == ["Amina", "Ana", "Bea", "Luis", "Omar"]
    page = client.get("/grenchen/informieren/schreiben")
    assert "höchstens 3 Personen" in page.text


def letter_rows_named(tenant) -> list[tuple[str, str]]:
    with tenant_scope(tenant):
        return db.session.execute(sa.select(Newcomer.first_name, WelcomeLetter.household_key).join(
            WelcomeLetter, sa.and_(WelcomeLetter.tenant_id == Newcomer.tenant_id,
                                   WelcomeLetter.person_id == Newcomer.id))).all()
