"""Pages for people, not developers (issue 15): names instead of ids, a readable audit log, refusals
that return to the form, jobs that say what they did, one date format, a 403 that helps."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from core import actors, api, audit, jobs, modules, reports
from core.audit import AuditEvent
from core.db import db
from core.plugins import Manifest, PluginError, PluginRegistry
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_tenant, make_user

MODULES = ("informieren", "foerdern", "fordern")


@pytest.fixture
def world(ctx):
    canton = make_tenant("kanton", kind="canton")
    grenchen = make_tenant("grenchen", communes=[2546], name="Grenchen")
    for module_id in MODULES:
        modules.entitle(grenchen, module_id)
        modules.activate(grenchen, module_id)
    db.session.commit()
    return canton, grenchen


def client_as(app, *memberships, name="Test Person"):
    client = app.test_client()
    user = login_as(client, *memberships, name=name)
    return client, user


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def events(tenant, action: str) -> list[AuditEvent]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.occurred_at)).all()


# -- names instead of ids ---------------------------------------------------------------------------------


def test_actors_read_as_names_and_labels(app, world):
    _canton, grenchen = world
    greta = make_user((grenchen, "tenant_admin"), name="Greta Gerber")
    token, _secret = api.issue_token(grenchen, "Einwohnerregister", ["informieren:import"], 30)
    db.session.commit()
    with app.test_request_context("/grenchen/"), tenant_scope(grenchen):
        from flask import g

        g.tenant = grenchen
        labels = actors.prefetch([f"user:{greta.id}", f"api_token:{token.id}", "system:demo", "cli:ops",
                                  f"job:{uuid.uuid4()}", "user:999999", f"api_token:{uuid.uuid4()}", None])
    assert labels[f"user:{greta.id}"] == "Greta Gerber"
    assert labels[f"api_token:{token.id}"] == "API-Schlüssel «Einwohnerregister»"
    assert labels["system:demo"] == "System" and labels["cli:ops"] == "Kommandozeile (ops)"
    assert labels["user:999999"] == "Benutzer/in Nr. 999999"  # a user gone: still no bare id
    others = sorted(labels[a] for a in labels if a.startswith(("job:", "api_token:")) and a != f"api_token:{token.id}")
    assert others == ["API-Schlüssel", "Hintergrundauftrag"]  # a key of another tenant, a job


def test_the_jobs_pages_name_who_asked(app, world):
    _canton, grenchen = world
    client, user = client_as(app, (grenchen, "tenant_admin"), name="Greta Gerber")
    with tenant_scope(grenchen):
        record = jobs.JobRecord(kind="report", params={"period": "2017", "format": "csv", "scope": "tenant"},
                                params_hash="x", requested_by=f"user:{user.id}", state="queued")
        db.session.add(record)
    db.session.commit()
    listing = client.get("/grenchen/auftraege").text
    page = client.get(f"/grenchen/auftraege/{record.id}").text
    assert "Greta Gerber" in listing and "Greta Gerber" in page
    assert f"user:{user.id}" not in listing and f"user:{user.id}" not in page


# -- the audit log -----------------------------------------------------------------------------------------


def test_the_audit_log_reads_in_the_users_language_with_names(app, world):
    _canton, grenchen = world
    client, user = client_as(app, (grenchen, "tenant_admin"), name="Greta Gerber")
    with tenant_scope(grenchen):
        audit.record("membership.add", object_type="user", object_id=user.id, detail={"role": "read_only"})
        # an entry as older versions wrote it: the object a Python tuple
        db.session.add(AuditEvent(actor=f"user:{user.id}", action="sensitive.read",
                                  object_type="fordern_cases", object_id=f"(UUID('{uuid.UUID(int=7)}'),)",
                                  detail={}))
    db.session.commit()
    page = client.get("/grenchen/protokoll").text
    assert "Rolle erteilt" in page and "Rolle: Nur lesen" in page and "Greta Gerber" in page
    assert "Modul eingeschaltet" in page and "Informieren" in page  # module.active, the module by its title
    assert "UUID(" not in page and f"Fall {str(uuid.UUID(int=7))[:8]}" in page
    assert f"user:{user.id}" not in page
    french = client.get("/grenchen/protokoll", headers={"Accept-Language": "fr"}).text
    assert "Module activé" in french and "Rôle attribué" in french
    # Filtered by a person's name, not their id; an unknown name finds nothing (and no error).
    by_greta = client.get("/grenchen/protokoll?actor=Greta").text
    assert "Gelesen" in by_greta and "Rolle erteilt" not in by_greta  # the role was granted by the system
    assert "Keine Einträge" in client.get("/grenchen/protokoll?actor=Niemand").text
    csv_text = client.get("/grenchen/protokoll.csv").data.decode("utf-8-sig")
    assert "Greta Gerber" in csv_text and str(uuid.UUID(int=7)) in csv_text and "UUID(" not in csv_text




# -- refused actions ----------------------------------------------------------------------------------------


def test_a_refused_form_returns_to_its_page_with_the_message(app, world):
    balsthal = make_tenant("balsthal", communes=[2422], name="Balsthal")  # nothing released yet
    client, _user = client_as(app, (balsthal, "tenant_admin"))
    page = client.get("/balsthal/module")
    data = {"csrf_token": csrf(page.text), "action": "activate"}
    back = client.post("/balsthal/module/informieren", data=data,
                       headers={"Referer": "http://localhost/balsthal/module"})
    assert back.status_code == 303 and back.headers["Location"] == "/balsthal/module"
    shown = client.get(back.headers["Location"]).text
    assert "Informieren ist für Balsthal noch nicht freigegeben; das tut die Fachstelle Integration" in shown
    assert modules.activations(balsthal) == {}  # nothing changed
    # Without a page to return to (or from another site): the message on the error page, as before.
    for headers in ({}, {"Referer": "https://elsewhere.example/balsthal/module"}):
        refused = client.post("/balsthal/module/informieren", data=data, headers=headers)
        assert refused.status_code == 400 and "noch nicht freigegeben" in refused.text


def test_the_canton_is_told_to_release_a_module_not_to_wait_for_the_canton(app, world):
    canton, _grenchen = world
    make_tenant("balsthal", communes=[2422], name="Balsthal")
    client, _user = client_as(app, (canton, "canton_admin"))
    page = client.get("/kanton/mandanten/balsthal")
    back = client.post("/kanton/mandanten/balsthal/module/fordern",
                       data={"csrf_token": csrf(page.text), "module-action": "activate"},
                       headers={"Referer": "http://localhost/kanton/mandanten/balsthal"})
    shown = client.get(back.headers["Location"]).text
    assert "Fordern ist für Balsthal noch nicht freigegeben; geben Sie es zuerst frei." in shown
    assert "Fachstelle" not in shown


def test_messages_name_modules_and_communes_and_give_swiss_dates(world):
    from core.errors import UserError

    _canton, grenchen = world
    balsthal = make_tenant("balsthal", communes=[2422], name="Balsthal")
    modules.entitle(balsthal, "fordern")
    with pytest.raises(UserError) as refused:
        modules.activate(balsthal, "fordern", date(2026, 12, 20))
    assert str(refused.value) == "Fordern braucht Informieren, aktiv in Balsthal spätestens ab 20.12.2026."
    with pytest.raises(UserError, match="Informieren kann nicht ausgeschaltet werden: Fordern braucht es"):
        modules.suspend(grenchen, "informieren")
    from core import provisioning

    with pytest.raises(UserError, match=r"Grenchen \(Grenchen\)"):  # the commune by name, its tenant beside
        provisioning.plan_communes(balsthal, [2546], date(2027, 1, 1))


# -- the 403 page --------------------------------------------------------------------------------------------


def test_a_403_names_the_permission_and_whom_to_ask(app, world):
    _canton, grenchen = world
    make_user((grenchen, "tenant_admin"), name="Anna Admin")
    client, _user = client_as(app, (grenchen, "read_only"))
    refused = client.get("/grenchen/mitglieder")
    assert refused.status_code == 403
    assert "Mitglieder und Rollen verwalten" in refused.text and "Anna Admin" in refused.text
    assert "Administration" in refused.text and "core.members.manage" not in refused.text
    french = client.get("/grenchen/mitglieder", headers={"Accept-Language": "fr"})
    assert french.status_code == 403 and "Anna Admin" in french.text and "Mitglieder" not in french.text


def test_a_403_in_a_tenant_without_administrators_points_to_the_canton(app, world):
    balsthal = make_tenant("balsthal", communes=[2422], name="Balsthal")
    client, _user = client_as(app, (balsthal, "read_only"))
    refused = client.get("/balsthal/mitglieder")
    assert refused.status_code == 403 and "Fachstelle Integration des Kantons" in refused.text


# -- jobs ----------------------------------------------------------------------------------------------------------


def _job(tenant, state: str, **values) -> jobs.JobRecord:
    with tenant_scope(tenant):
        record = jobs.JobRecord(kind="report", params={"period": "2017", "format": "csv", "scope": "tenant"},
                                params_hash=uuid.uuid4().hex, requested_by="system", state=state, **values)
        db.session.add(record)
    db.session.commit()
    return record


def test_progress_is_stored_as_a_message_id_and_shown_in_the_readers_language(app, world):
    _canton, grenchen = world
    record = _job(grenchen, "running")
    with tenant_scope(grenchen):  # as the job runs
        jobs.JobContext(record, grenchen).progress(1, 4, _l("Erstellt am %(when)s", when="01.03.2017"))
        db.session.commit()
    with tenant_scope(grenchen):
        stored = db.session.get(jobs.JobRecord, (grenchen.id, record.id), populate_existing=True)
    assert (stored.progress_message, stored.progress_params) == ("Erstellt am %(when)s", {"when": "01.03.2017"})
    client, _user = client_as(app, (grenchen, "tenant_admin"))
    assert client.get(f"/grenchen/auftraege/{record.id}.json").json["message"] == "Erstellt am 01.03.2017"
    french = client.get(f"/grenchen/auftraege/{record.id}.json", headers={"Accept-Language": "fr"}).json
    assert french["message"] == "Établi le 01.03.2017"
    page = client.get(f"/grenchen/auftraege/{record.id}", headers={"Accept-Language": "fr"}).text
    assert "Établi le 01.03.2017" in page


def test_a_finished_job_says_what_it_did_not_what_it_was_doing(app, world):
    _canton, grenchen = world
    done = _job(grenchen, "finished", progress_message="Schreiben werden erstellt", progress_done=7,
                progress_total=7)
    nothing = _job(grenchen, "finished", progress_message="Niemand wartet", progress_total=0)
    told = _job(grenchen, "finished", result={"message": "Abschnitte werden zusammengestellt", "params": {}})
    client, _user = client_as(app, (grenchen, "tenant_admin"))
    page = client.get(f"/grenchen/auftraege/{done.id}").text
    assert "Schreiben werden erstellt" not in page and "fertig" in page
    assert "Schreiben werden erstellt" not in client.get("/grenchen/auftraege").text
    assert "es gab nichts zu tun" in client.get(f"/grenchen/auftraege/{nothing.id}").text
    french = client.get(f"/grenchen/auftraege/{told.id}", headers={"Accept-Language": "fr"}).text
    assert "Compilation des sections" in french  # a result text, in the reader's language
    # The parameters are for support, folded away; a user never meets raw JSON in the open.
    assert re.search(r"<details>\s*<summary>Details für den Support</summary>", page)


# -- one date format -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_dates_read_dd_mm_yyyy_in_every_language(app, language):
    from flask_babel import format_date, format_datetime

    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert format_date(date(2026, 12, 20)) == "20.12.2026"
        assert format_date(date(2026, 12, 20), "short") == format_date(date(2026, 12, 20), "medium") == "20.12.2026"
        assert format_datetime(datetime(2026, 12, 20, 13, 5, tzinfo=UTC), "short") == "20.12.2026, 14:05"
        from flask import render_template_string

        # A day kept as ISO text in JSON reads the same; what is no day stays as it is.
        assert render_template_string("{{ '2017-06-15'|isodate }} {{ 'bald'|isodate }}") == "15.06.2017 bald"


def test_xlsx_cells_hold_real_dates(app, ctx):
    table = reports.Table("Module", ["Modul", "seit", "geändert"],
                          [["Informieren", date(2017, 1, 1), datetime(2017, 6, 20, 12, 30, tzinfo=UTC)]])
    report = reports.Report("Bericht", "2017", [reports.Section("Mandant", [table])])
    with app.test_request_context("/"):
        sheet = load_workbook(io.BytesIO(reports.render_xlsx(report))).active
        text = reports.render_csv(report).decode("utf-8-sig")
    since, changed = sheet["B6"], sheet["C6"]
    assert since.value == datetime(2017, 1, 1) and since.number_format == "DD.MM.YYYY"
    assert changed.value == datetime(2017, 6, 20, 14, 30) and changed.number_format == "DD.MM.YYYY HH:MM"
    assert "01.01.2017" in text and "2017-01-01" not in text


# -- the registry of audit labels ----------------------------------------------------------------------------


def test_a_module_labels_its_own_audit_actions_only():
    class Plugin:
        manifest = Manifest(id="notes", title="Notes", version="1.0",
                            audit_actions={"fordern.case.owner": "Stolen"})

    with pytest.raises(PluginError, match=r"must start with 'notes\.'"):
        PluginRegistry([Plugin()])
