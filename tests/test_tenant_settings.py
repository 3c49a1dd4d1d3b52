"""Settings modules declare: typed and checked wherever they are written, secrets never shown, one page per tenant."""

from __future__ import annotations

import json
import re
import types

import pytest
import sqlalchemy as sa

from core import create_app, provisioning, sync
from core.audit import AuditEvent
from core.db import Scope, db, scoped_to
from core.errors import UserError
from core.plugins import Manifest, PluginError, Setting, SettingType
from core.tenancy import tenant_scope
from tests.conftest import login_as
from tests.reviews_plugin import SECRET, reviews_world


@pytest.fixture
def world(app, database_url):
    yield from reviews_world(app, database_url)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _setting_events(tenant, key):
    with tenant_scope(tenant):
        return db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "tenant.setting", AuditEvent.object_id == key)
            .order_by(AuditEvent.occurred_at)
        ).all()


# -- set_setting checks every value against its declaration ---------------------------------------------


@pytest.mark.parametrize(("key", "value", "message"), [
    ("informieren.letter_deadline_days", 0, "von 1 bis 365"),
    ("informieren.letter_deadline_days", "14", "ganze Zahl"),
    ("informieren.letter_deadline_days", True, "ganze Zahl"),
    ("informieren.retention_years", 31, "von 1 bis 30"),
    ("core.digest", "yes", "«ja» oder «nein»"),
    ("informieren.interview_topics", ["living", 3], "Liste"),
    ("informieren.interview_topics", "living", "Liste"),
    ("core.oidc_issuer", "ftp://idp.example.ch", "https://"),
    ("core.oidc_issuer", "idp.example.ch", "https://"),
    ("core.oidc_client_id", "two\nlines", "einer Zeile"),
    ("core.oidc_group_roles", ["a"], "JSON-Objekt"),
    ("core.oidc_group_roles", {"Gruppe": 1}, "JSON-Objekt"),
    ("core.oidc_group_roles", {"Gruppe": "canton_admin"}, "Diese Rollen gibt es hier nicht: canton_admin"),
    ("reviews.mode", "lenient", "strict, mild"),
    ("reviews.limits", "x", "JSON"),
    ("reviews.code", "12a", "Nur Ziffern."),
])
def test_a_value_that_does_not_fit_is_refused_naming_the_setting(world, key, value, message):
    _app, _canton, grenchen, _balsthal = world
    label = str(provisioning.declared_settings()[key].label)
    with pytest.raises(UserError) as caught:
        provisioning.set_setting(grenchen, key, value)
    assert f"Einstellung «{label}»" in str(caught.value) and message in str(caught.value)
    assert _setting_events(grenchen, key) == []


def test_fitting_values_are_stored_and_audited(world):
    _app, _canton, grenchen, _balsthal = world
    for key, value in (("informieren.letter_deadline_days", 30), ("core.oidc_issuer", "https://idp.grenchen.ch"),
                       ("core.oidc_group_roles", {"CN=Integration,OU=Grenchen": "integration_officer"}),
                       ("reviews.mode", "mild"), ("reviews.tags", ("a", "b")), ("reviews.limits", [1, {"x": 2}])):
        assert provisioning.set_setting(grenchen, key, value) is True
        assert provisioning.set_setting(grenchen, key, value) is False  # the same again changes nothing
        assert _setting_events(grenchen, key)[0].detail == {"value": list(value) if isinstance(value, tuple)
                                                            else value}
    assert provisioning.get_setting(grenchen, "reviews.tags") == ["a", "b"]


def test_the_default_is_a_copy(world):
    _app, _canton, grenchen, _balsthal = world
    provisioning.get_setting(grenchen, "reviews.tags").append("changed")
    assert provisioning.get_setting(grenchen, "reviews.tags") == ["dringend"]


def test_a_secret_is_audited_only_as_changed(world):
    _app, _canton, grenchen, _balsthal = world
    provisioning.set_setting(grenchen, "core.oidc_client_secret", SECRET)
    provisioning.set_setting(grenchen, "core.oidc_client_secret", "")
    db.session.commit()
    assert [e.detail for e in _setting_events(grenchen, "core.oidc_client_secret")] == [{"value": "***"},
                                                                                        {"value": ""}]
    with scoped_to(Scope(all_tenants=True)):
        details = db.session.scalars(sa.select(AuditEvent.detail)).all()
    assert SECRET not in json.dumps(details)


# -- the settings page ---------------------------------------------------------------------------------


def _form(page_text: str, **changes) -> dict:
    """The page's form as a browser would send it (text fields and ticked boxes), with ``changes``."""
    data = {"csrf_token": _csrf(page_text)}
    for name, value in re.findall(r'<input (?![^>]*type="checkbox")[^>]*?name="(s-[^"]+)"[^>]*?value="([^"]*)"',
                                  page_text):
        data[name] = value
    for name in re.findall(r'<input checked [^>]*?name="(s-[^"]+)"', page_text):
        data[name] = "y"
    for name, value in re.findall(r'<textarea [^>]*?name="(s-[^"]+)"[^>]*>\r?\n?([^<]*)</textarea>', page_text):
        data[name] = value.replace("&#34;", '"').replace("&#39;", "'")
    for name, value in re.findall(r'<select [^>]*?name="(s-[^"]+)"[^>]*>.*?<option selected value="([^"]*)"',
                                  page_text, re.S):
        data[name] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_lists_the_settings_of_core_and_the_active_modules(world):
    app, _canton, grenchen, balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "tenant_admin"), (balsthal, "tenant_admin"))
    page = client.get("/grenchen/einstellungen")
    assert page.status_code == 200
    headings = re.findall(r"<h2>([^<]+)</h2>", page.text)
    assert headings == ["Plattform", "Informieren", "Prüfungen"]
    assert 'name="s-informieren.letter_deadline_days"' in page.text and 'min="1"' in page.text
    assert 'type="url"' in page.text and 'type="password"' in page.text and "nicht gesetzt" in page.text
    # A setting its module edits on a page of its own: shown, not a field, with a link when the user may open it.
    assert 'name="s-informieren.interview_topics"' not in page.text
    assert "Themen des Erstinformationsgesprächs" in page.text
    assert 'href="/grenchen/informieren/einstellungen"' in page.text
    assert 'name="s-reviews.checklist"' not in page.text and "(auf der Seite des Moduls zu bearbeiten)" in page.text
    other = client.get("/balsthal/einstellungen")
    assert re.findall(r"<h2>([^<]+)</h2>", other.text) == ["Plattform"]  # no module active there


def test_who_may_open_the_page(world):
    app, canton, grenchen, _balsthal = world
    officer = app.test_client()
    login_as(officer, (grenchen, "integration_officer"))
    assert officer.get("/grenchen/einstellungen").status_code == 403
    assert officer.get("/balsthal/einstellungen").status_code == 404
    admin = app.test_client()
    login_as(admin, (grenchen, "tenant_admin"))
    assert admin.get("/grenchen/einstellungen?mandant=balsthal").status_code == 404  # only the canton
    assert admin.post("/grenchen/einstellungen", data={"s-reviews.days": "5"}).status_code == 400  # no CSRF token
    canton_admin = app.test_client()
    login_as(canton_admin, (canton, "canton_admin"))
    page = canton_admin.get("/kanton/einstellungen?mandant=grenchen")
    assert page.status_code == 200 and "Mandant: Grenchen" in page.text
    saved = canton_admin.post("/kanton/einstellungen?mandant=grenchen",
                              data=_form(page.text, **{"s-reviews.days": "7"}))
    assert saved.status_code == 302
    assert provisioning.get_setting(grenchen, "reviews.days") == 7
    assert provisioning.get_setting(canton, "reviews.days") == 10


def test_saving_checks_every_field_and_stores_all_or_nothing(world):
    app, _canton, grenchen, _balsthal = world
    client = app.test_client()
    user = login_as(client, (grenchen, "tenant_admin"))
    page = client.get("/grenchen/einstellungen")
    bad = client.post("/grenchen/einstellungen", data=_form(page.text, **{
        "s-reviews.days": "99", "s-reviews.greeting": "Hoi", "s-reviews.limits": "{not json",
        "s-reviews.mode": "lenient", "s-core.oidc_issuer": "idp.example.ch", "s-reviews.code": "x1",
        "s-informieren.letter_deadline_days": "vierzehn",
    }))
    assert bad.status_code == 400
    for message in ("Bitte eine ganze Zahl von 1 bis 60 eingeben.", "Bitte eine ganze Zahl von 1 bis 365 eingeben.",
                    "JSON-Objekt oder eine JSON-Liste", "Bitte eine der Möglichkeiten wählen",
                    "mit https://", "Nur Ziffern."):
        assert message in bad.text, message
    assert "{not json" in bad.text  # what was typed stays in the field
    assert provisioning.get_setting(grenchen, "reviews.greeting") == "Grüezi"  # nothing saved half
    good = client.post("/grenchen/einstellungen", data=_form(page.text, **{
        "s-reviews.days": "30", "s-reviews.greeting": " Hoi ", "s-reviews.tags": "eins\n\nzwei \n",
        "s-reviews.limits": '{"max": 5}', "s-reviews.mode": "mild", "s-reviews.enabled": "y",
        "s-core.oidc_group_roles": '{"Integration": "integration_officer"}', "s-reviews.note": "Zeile 1\nZeile 2",
        "s-core.digest": None,
    }))
    assert good.status_code == 302
    assert [provisioning.get_setting(grenchen, k) for k in (
        "reviews.days", "reviews.greeting", "reviews.tags", "reviews.limits", "reviews.mode", "reviews.enabled",
        "core.oidc_group_roles", "reviews.note", "core.digest", "informieren.letter_deadline_days")] == [
        30, "Hoi", ["eins", "zwei"], {"max": 5}, "mild", True, {"Integration": "integration_officer"},
        "Zeile 1\nZeile 2", False, 14]
    assert "9 Einstellungen wurden geändert." in client.get("/grenchen/einstellungen").text
    assert {e.actor for e in _setting_events(grenchen, "reviews.days")} == {f"user:{user.id}"}
    page = client.get("/grenchen/einstellungen")
    again = client.post("/grenchen/einstellungen", data=_form(page.text))  # the same form sent twice
    assert again.status_code == 302 and "Keine Änderungen." in client.get("/grenchen/einstellungen").text
    assert len(_setting_events(grenchen, "reviews.days")) == 1


def test_a_secret_is_never_shown_and_kept_unless_replaced_or_cleared(world):
    app, _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "tenant_admin"))
    page = client.get("/grenchen/einstellungen")
    client.post("/grenchen/einstellungen", data=_form(page.text, **{"s-reviews.api_key": SECRET}))
    assert provisioning.get_setting(grenchen, "reviews.api_key") == SECRET
    page = client.get("/grenchen/einstellungen")
    assert SECRET not in page.text and ">gesetzt</strong>" in page.text
    client.post("/grenchen/einstellungen", data=_form(page.text, **{"s-reviews.api_key": ""}))
    assert provisioning.get_setting(grenchen, "reviews.api_key") == SECRET  # an empty field keeps it
    both = client.post("/grenchen/einstellungen", data=_form(page.text, **{"s-reviews.api_key": "new",
                                                                           "c-reviews.api_key": "y"}))
    assert both.status_code == 400 and "Entweder einen neuen Wert eingeben oder den bisherigen löschen." in both.text
    assert SECRET not in both.text and "new" not in re.findall(r'name="s-reviews.api_key"[^>]*>', both.text)[0]
    client.post("/grenchen/einstellungen", data=_form(page.text, **{"c-reviews.api_key": "y"}))
    assert provisioning.get_setting(grenchen, "reviews.api_key") == ""
    assert [e.detail for e in _setting_events(grenchen, "reviews.api_key")] == [{"value": "***"}, {"value": ""}]
    assert SECRET not in client.get("/grenchen/protokoll").text


def test_field_errors_are_in_the_users_language(world):
    app, _canton, grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (grenchen, "tenant_admin"))
    client.get("/language/fr")
    page = client.get("/grenchen/einstellungen")
    bad = client.post("/grenchen/einstellungen", data=_form(page.text, **{"s-reviews.days": "0"}))
    assert "Veuillez saisir un nombre entier de 1 à 60." in bad.text


# -- tenant files, the CLI -----------------------------------------------------------------------------


def _tenant_file(tmp_path, settings: str):
    (tmp_path / "grenchen.toml").write_text(
        'slug = "grenchen"\nname = "Grenchen"\nkind = "commune"\ncommunes = [2546]\n'
        f'[modules]\nreviews = "active"\ninformieren = "active"\n[settings]\n{settings}\n', encoding="utf-8")
    return tmp_path


def test_tenant_files_go_through_the_same_checks_and_a_dry_run_hides_secrets(world, tmp_path):
    _app, _canton, grenchen, _balsthal = world
    path = _tenant_file(tmp_path, '"informieren.letter_deadline_days" = 400')
    with pytest.raises(UserError, match=r"grenchen\.toml: Einstellung «Frist für das Begrüssungsschreiben"):
        sync.sync(path)
    path = _tenant_file(tmp_path, f'"reviews.api_key" = "{SECRET}"\n"reviews.days" = 12')
    changes = sync.sync(path, dry_run=True)
    assert "~ grenchen: reviews.api_key = '***'" in changes and "~ grenchen: reviews.days = 12" in changes
    assert SECRET not in "\n".join(changes)
    assert provisioning.get_setting(grenchen, "reviews.days") == 10  # a dry run


def test_the_cli_lists_settings_without_secrets_and_sets_them_by_type(world):
    app, _canton, grenchen, _balsthal = world
    provisioning.set_setting(grenchen, "reviews.api_key", SECRET)
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["settings", "list", "grenchen", "--json"])
    rows = {row["key"]: row for row in json.loads(listed.output)}
    assert rows["reviews.api_key"]["value"] == "***" and rows["reviews.api_key"]["secret"] is True
    assert rows["informieren.letter_deadline_days"] == {"key": "informieren.letter_deadline_days", "type": "integer",
                                                        "label": "Frist für das Begrüssungsschreiben (Tage ab Zuzug)",
                                                        "secret": False, "value": 14}
    text = runner.invoke(args=["settings", "list", "grenchen"]).output
    assert SECRET not in listed.output + text and "gesetzt" in text
    assert runner.invoke(args=["settings", "set", "grenchen", "reviews.days", "21"]).exit_code == 0
    assert runner.invoke(args=["settings", "set", "grenchen", "reviews.enabled", "ja"]).exit_code == 0
    assert runner.invoke(args=["settings", "set", "grenchen", "reviews.tags", "x\ny"]).exit_code == 0
    hidden = runner.invoke(args=["settings", "set", "grenchen", "reviews.api_key"], input="neu-geheim\n")
    assert hidden.exit_code == 0 and "neu-geheim" not in hidden.output
    refused = runner.invoke(args=["settings", "set", "grenchen", "reviews.days", "viele"])
    assert refused.exit_code == 1 and "Einstellung «Prüffrist (Tage)»: Bitte eine ganze Zahl" in refused.output
    assert runner.invoke(args=["settings", "set", "grenchen", "nope.x", "1"]).exit_code == 1
    assert [provisioning.get_setting(grenchen, k) for k in ("reviews.days", "reviews.enabled", "reviews.tags",
                                                            "reviews.api_key")] == [21, True, ["x", "y"], "neu-geheim"]


# -- start-up ------------------------------------------------------------------------------------------


def _start(*settings: Setting):
    plugin = types.ModuleType("mod")
    plugin.manifest = Manifest(id="mod", title="mod", version="1.0", settings=settings)
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}, plugins=[plugin])


@pytest.mark.parametrize(("settings", "message"), [
    ((Setting("other.x", ""),), r"setting 'other\.x' of plugin 'mod' must be named 'mod\.<name>'"),
    ((Setting("mod.x", ""), Setting("mod.x", "")), r"setting 'mod\.x' is declared twice"),
    ((Setting("mod.x", "", type="colour"),), r"unknown type 'colour'"),
    ((Setting("mod.x", "a", type=SettingType.CHOICE),), r"a choice without choices"),
    ((Setting("mod.x", 0, min=1, max=9),), r"the default of setting 'mod\.x' does not fit"),
    ((Setting("mod.x", "b", type=SettingType.CHOICE, choices=("a",)),), r"does not fit"),
])
def test_a_bad_setting_declaration_stops_the_start(settings, message):
    with pytest.raises(PluginError, match=message):
        _start(*settings)


def test_declarations_without_a_type_take_it_from_the_default():
    assert [Setting("m.a", 1).type, Setting("m.b", True).type, Setting("m.c", "").type, Setting("m.d", ()).type,
            Setting("m.e", {}).type] == ["integer", "boolean", "text", "list", "mapping"]
    assert Setting("m.d", ("x",)).default == ["x"]
