"""Plugin machinery: manifests, validation at start-up, per-tenant hooks, install and upgrade steps."""

from __future__ import annotations

import re
import types

import pytest
from flask import Blueprint

import plugins.fordern
import plugins.informieren
from core import create_app, hookspecs, modules, provisioning
from core.access import requires
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest, Permission, PluginError, Setting, UpgradeStep
from core.tenancy import tenant_scope
from tests.conftest import REPO, clear_database, login_as, make_app, make_tenant


def make_plugin(id_="recorder", **manifest):
    """A plugin module built in the test: records its install and upgrade calls in a tenant setting."""
    plugin = types.ModuleType(id_)
    blueprint = Blueprint(id_, __name__)
    blueprint.add_url_rule("/", "index", requires(f"{id_}.read")(lambda: "recorder page"))
    plugin.manifest = Manifest(
        **{
            "id": id_,
            "title": id_,
            "version": "1.2",
            "blueprint": blueprint,
            "settings": (Setting(f"{id_}.log", ""),),
            "permissions": (Permission(f"{id_}.read", "read", ("integration_officer",)),),
            **manifest,
        }
    )

    def log(tenant, text):
        provisioning.set_setting(tenant, f"{id_}.log", provisioning.get_setting(tenant, f"{id_}.log") + text)

    @hookimpl
    def install(tenant):
        log(tenant, "install;")

    @hookimpl
    def tenant_home_items(tenant):
        return [("Recorder", "42")]

    plugin.install = install
    plugin.tenant_home_items = tenant_home_items
    plugin.log = log
    return plugin


@pytest.fixture
def plugin_app(app, database_url):
    plugin = make_plugin(
        upgrade_steps=(
            UpgradeStep("1.1", lambda tenant: plugin.log(tenant, "1.1;")),
            UpgradeStep("1.2", lambda tenant: plugin.log(tenant, "1.2;")),
        )
    )
    test_app = make_app(plugins=[plugins.informieren, plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        yield test_app, plugin
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def test_every_hook_is_documented():
    documented = set(re.findall(r"^## (\w+)", (REPO / "docs" / "plugin_hooks.md").read_text(), re.M))
    hooks = {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "start_integration_spec")}
    assert hooks, "no hook specifications found"
    assert hooks - documented == set(), "document these hooks in docs/plugin_hooks.md"
    assert documented - hooks == set(), "docs/plugin_hooks.md documents hooks that do not exist"


def test_every_hook_has_a_docstring():
    for name in dir(hookspecs):
        function = getattr(hookspecs, name)
        if hasattr(function, "start_integration_spec"):
            assert (function.__doc__ or "").strip(), name


def test_install_runs_once_and_upgrade_steps_bring_data_to_the_code_version(plugin_app):
    tenant = make_tenant("grenchen", communes=[2546])
    modules.entitle(tenant, "recorder")
    modules.activate(tenant, "recorder")
    modules.suspend(tenant, "recorder")
    modules.activate(tenant, "recorder")
    assert provisioning.get_setting(tenant, "recorder.log") == "install;"
    row = modules.activations(tenant)["recorder"]
    assert row.installed_version == "1.2"
    with tenant_scope(tenant):
        row.installed_version = "1.0"  # data of an older release
    assert modules.upgrade(tenant, "recorder") == ["1.1", "1.2"]
    assert provisioning.get_setting(tenant, "recorder.log") == "install;1.1;1.2;"
    assert modules.upgrade(tenant, "recorder") == []


def test_tenant_hooks_reach_only_active_modules(plugin_app):
    app, _plugin = plugin_app
    on, off = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
    modules.entitle(on, "recorder")
    modules.activate(on, "recorder")
    modules.entitle(off, "recorder")
    db.session.commit()
    assert [("Recorder", "42")] in modules.tenant_hooks(on).tenant_home_items(tenant=on)
    assert [("Recorder", "42")] not in modules.tenant_hooks(off).tenant_home_items(tenant=off)
    client = app.test_client()
    login_as(client, (on, "integration_officer"), (off, "integration_officer"))
    assert "Recorder" in client.get("/grenchen/").text
    assert "Recorder" not in client.get("/balsthal/").text
    assert client.get("/grenchen/recorder/").text == "recorder page"
    assert client.get("/balsthal/recorder/").status_code == 404


def _start(*plugin_list):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}, plugins=list(plugin_list))


def test_an_unknown_hook_stops_the_start():
    plugin = make_plugin()

    @hookimpl
    def no_such_hook():
        pass

    plugin.no_such_hook = no_such_hook
    with pytest.raises(PluginError, match=r"unknown hook.*no_such_hook"):
        _start(plugin)


def test_duplicate_permission_ids_stop_the_start():
    first = make_plugin("first", permissions=(Permission("shared.read", "x"),))
    second = make_plugin("second", permissions=(Permission("shared.read", "y"), Permission("second.read", "z")))
    with pytest.raises(PluginError, match=r"permission 'shared\.read' declared by both 'first' and 'second'"):
        _start(first, second)


def test_a_missing_dependency_stops_the_start():
    with pytest.raises(PluginError, match=r"'fordern' requires informieren, which is not installed"):
        _start(plugins.fordern)


def test_a_dependency_cycle_stops_the_start():
    with pytest.raises(PluginError, match="cycle"):
        _start(make_plugin("a", requires=("b",)), make_plugin("b", requires=("a",)))


def test_a_plugin_without_manifest_stops_the_start():
    with pytest.raises(PluginError, match="has no manifest"):
        _start(types.ModuleType("bare"))


def test_two_plugins_with_one_id_stop_the_start():
    with pytest.raises(PluginError, match="two plugins have the id 'twin'"):
        _start(make_plugin("twin"), make_plugin("twin"))


def test_built_in_modules_are_found_through_entry_points(app):
    assert [m.id for m in app.extensions["plugins"].modules] == ["informieren", "foerdern", "fordern", "subventionen"]
    assert "core" in app.extensions["plugins"].manifests
