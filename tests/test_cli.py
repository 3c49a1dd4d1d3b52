"""The operators' commands: tenants, modules, tenant files; bad input exits non-zero with a message."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO


def invoke(runner, *args):
    result = runner.invoke(args=list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


SOLOTHURN = 'slug = "x"\nname = "X"\nkind = "commune"\ncommunes = [2601]'


@pytest.fixture
def synced(runner):
    result = invoke(runner, "tenants", "sync", str(REPO / "tenants"))
    assert result.exit_code == 0, result.output
    return runner


def test_sync_creates_the_canton_and_the_pilot_tenants(synced):
    rows = json.loads(invoke(synced, "tenants", "list", "--json").output)
    assert {r["slug"]: r["kind"] for r in rows} == {
        "kanton": "canton", "balsthal": "commune", "biberist": "commune", "buchegg-lueterkofen": "region",
        "dornach": "commune", "dulliken": "commune", "grenchen": "commune", "oensingen": "commune",
        "zuchwil": "commune",
    }
    region = next(r for r in rows if r["slug"] == "buchegg-lueterkofen")
    assert region["communes"] == [2455, 2465]
    assert region["modules"]["informieren"]["state"] == "active"
    assert region["modules"]["informieren"]["from"] == "2017-04-01"


def test_sync_twice_changes_nothing(synced):
    result = invoke(synced, "tenants", "sync", str(REPO / "tenants"), "--dry-run")
    assert result.exit_code == 0
    assert result.output.strip() == "Keine Änderungen."


def test_dry_run_shows_changes_and_writes_nothing(synced, tmp_path):
    files = tmp_path / "tenants"
    shutil.copytree(REPO / "tenants", files)
    path = files / "grenchen.toml"
    path.write_text(path.read_text().replace('name = "Grenchen"', 'name = "Stadt Grenchen"'))
    result = invoke(synced, "tenants", "sync", str(files), "--dry-run")
    assert "Name «Grenchen» → «Stadt Grenchen»" in result.output
    rows = json.loads(invoke(synced, "tenants", "list", "--json").output)
    assert next(r["name"] for r in rows if r["slug"] == "grenchen") == "Grenchen"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("slug = [", "keine gültige TOML-Datei"),
        ('slug = "x"\nname = "X"\nkind = "commune"\ncolour = 1', "unbekannte Angaben: colour"),
        ('slug = "x"\nkind = "commune"', "«name» fehlt"),
        ('slug = "x"\nname = "X"\nkind = "commune"\ncommunes = [9999]', "BFS-Nummer 9999"),
        ('slug = "Bad Slug"\nname = "X"\nkind = "commune"\ncommunes = [2601]', "Ungültiges Kürzel"),
        (f'{SOLOTHURN}\n[modules]\nnope = "active"', "unbekanntes Modul"),
        (f'{SOLOTHURN}\n[modules]\nfordern = "active"', "braucht"),
        ('slug = "x"\nname = "X"\nkind = "commune"\ncommunes = [2546]', "schon von einem anderen Mandanten"),
        ('slug = "x"\nname = "X"\nkind = "region"\ncommunes = [2601]', "mindestens zwei Gemeinden"),
    ],
)
def test_a_bad_tenant_file_is_refused_whole_with_a_clear_message(synced, tmp_path, content, message):
    (tmp_path / "x.toml").write_text(content)
    (tmp_path / "ok.toml").write_text('slug = "olten"\nname = "Olten"\nkind = "commune"\ncommunes = [2581]')
    result = invoke(synced, "tenants", "sync", str(tmp_path))
    assert result.exit_code == 1
    assert message in result.output
    slugs = [r["slug"] for r in json.loads(invoke(synced, "tenants", "list", "--json").output)]
    assert "olten" not in slugs and "x" not in slugs


def test_tenants_create_list_archive(runner):
    assert invoke(runner, "tenants", "create", "kanton", "--name", "Kanton", "--kind", "canton").exit_code == 0
    assert invoke(runner, "tenants", "create", "olten", "--name", "Olten", "--commune", "2581").exit_code == 0
    again = invoke(runner, "tenants", "create", "olten", "--name", "Olten", "--commune", "2581")
    assert again.exit_code == 1 and "schon vergeben" in again.output
    assert invoke(runner, "tenants", "archive", "olten").exit_code == 0
    rows = json.loads(invoke(runner, "tenants", "list", "--json").output)
    assert next(r["state"] for r in rows if r["slug"] == "olten") == "archived"
    archived = invoke(runner, "modules", "entitle", "olten", "informieren")
    assert archived.exit_code == 1 and "Unbekannter Mandant: olten" in archived.output


def test_modules_entitle_activate_suspend_and_list(synced):
    assert invoke(synced, "tenants", "create", "olten", "--name", "Olten", "--commune", "2581").exit_code == 0
    assert invoke(synced, "modules", "entitle", "olten", "informieren").exit_code == 0
    result = invoke(synced, "modules", "activate", "olten", "informieren", "--from", "2099-01-01")
    assert result.exit_code == 0 and "scheduled (2099-01-01)" in result.output
    states = {r["id"]: r for r in json.loads(invoke(synced, "modules", "list", "--json", "olten").output)}
    assert states["informieren"]["state"] == "scheduled"
    assert states["fordern"]["state"] is None
    assert invoke(synced, "modules", "suspend", "olten", "informieren").exit_code == 0
    installed = json.loads(invoke(synced, "modules", "list", "--json").output)
    assert [m["id"] for m in installed] == ["informieren", "foerdern", "fordern", "subventionen"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("modules", "activate", "nowhere", "informieren"), "Unbekannter Mandant: nowhere"),
        (("modules", "entitle", "grenchen", "nope"), "Unbekanntes Modul «nope»"),
        (("modules", "activate", "grenchen", "informieren", "--from", "soon"), "«soon» ist kein Datum"),
        (("modules", "suspend", "grenchen", "informieren"), "braucht es"),
        (("tenants", "sync", "/no/such/folder"), "Keine Mandanten-Dateien"),
        (("tenants", "archive", "kanton"), "kann nicht archiviert werden"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(synced, args, message):
    result = invoke(synced, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_apply_due_reports_nothing_when_nothing_is_due(synced):
    result = invoke(synced, "modules", "apply-due")
    assert result.exit_code == 0 and result.output == ""


def test_demo_load_fills_the_pilots_once(runner):
    first = invoke(runner, "demo", "load")
    assert first.exit_code == 0, first.output
    assert "grenchen: + 9 Neuzuzügerinnen und Neuzuzüger (Demo)" in first.output
    assert "kanton: + 2 Integrationsangebote (Demo)" in first.output  # Fördern's cantonal offers
    assert "kanton: + 9" not in first.output  # Informieren is a commune module
    again = invoke(runner, "demo", "load")
    assert "Neuzuzüger" not in again.output  # loading twice adds nothing
    newcomers = json.loads(invoke(runner, "informieren", "newcomers", "grenchen", "--json").output)
    assert len(newcomers) == 9 + 120  # the recent households and the history since 2017
    assert {n["official_name"] for n in newcomers} >= {"Коваленко", "Tesfay"}
