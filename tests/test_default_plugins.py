"""Core's own plugins (core.plugins.DEFAULT_PLUGINS): ordinary always-on plugins, loaded before the installed ones."""

from __future__ import annotations

import re
import types
from importlib import import_module

import pytest

import plugins.informieren
from core import create_app, modules
from core.errors import NotFound
from core.plugins import DEFAULT_PLUGINS, Manifest, PluginError, default_plugins
from tests.conftest import login_as, make_tenant
from tests.test_plugins import make_plugin

DEFAULT_IDS = ["core", "core.provisioning", "core.rollout", "core.courses", "core.feedback"]

# Tenants' role grants are stored by permission id: the ids stay what they were when core declared them all.
PERMISSIONS = {
    "core.courses.manage": "core.courses", "core.courses.attend": "core.courses",
    "core.feedback.manage": "core.feedback", "core.feedback.answer": "core.feedback",
    "core.canton.read": "core", "core.tenants.manage": "core", "core.modules.entitle": "core",
    "core.modules.activate": "core",
}
# Menu entries: endpoint -> (the plugin declaring it, its position), positions as before the split.
MENU = {
    "console.tenants": ("core.provisioning", 790), "console.module_plan": ("core.provisioning", 805),
    "console.own_modules": ("core.provisioning", 915), "rollout.rollout": ("core.rollout", 800),
    "courses.course_admin": ("core.courses", 810), "courses.courses": ("core.courses", 810),
    "feedback.feedback_rounds": ("core.feedback", 820), "feedback.feedback": ("core.feedback", 820),
}


def _start(*plugin_list):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}, plugins=list(plugin_list))


def test_each_default_plugin_has_an_always_on_manifest_and_is_registered_first(app):
    registry = app.extensions["plugins"]
    assert [import_module(name).manifest.id for name in DEFAULT_PLUGINS] == DEFAULT_IDS
    for name in DEFAULT_PLUGINS:
        plugin = import_module(name)
        assert isinstance(plugin.manifest, Manifest) and plugin.manifest.always_on, name
        assert registry.manifests[plugin.manifest.id] is plugin.manifest
        assert registry.pm.get_plugin(plugin.manifest.id) is plugin
    assert list(registry.manifests)[:len(DEFAULT_IDS)] == DEFAULT_IDS  # before the installed modules
    assert not set(DEFAULT_IDS) & {m.id for m in registry.modules}  # nothing a tenant switches on


def test_the_default_plugins_are_loaded_whatever_replaces_the_installed_ones():
    bare = _start()
    assert list(bare.extensions["plugins"].manifests) == DEFAULT_IDS
    assert {"console", "rollout", "courses", "feedback"} <= set(bare.blueprints)
    assert "rollout" in bare.cli.commands  # the rollout plugin's app_ready
    recorder = _start(make_plugin())
    assert list(recorder.extensions["plugins"].manifests) == [*DEFAULT_IDS, "recorder"]


def test_an_installed_plugin_cannot_take_a_default_plugins_id():
    impostor = types.ModuleType("impostor")
    impostor.manifest = Manifest(id="core.courses", title="Kurse", version="9.9")
    with pytest.raises(PluginError, match=r"two plugins have the id 'core\.courses'"):
        _start(impostor)


@pytest.mark.parametrize("name, error", [
    ("plugins.informieren", "has no always-on manifest"),  # a module a tenant switches on
    ("core.clock", "has no always-on manifest"),  # no plugin at all
])
def test_a_default_plugin_must_be_always_on(monkeypatch, name, error):
    monkeypatch.setattr("core.plugins.DEFAULT_PLUGINS", ("core.builtin", name))
    with pytest.raises(PluginError, match=error):
        default_plugins()
    assert plugins.informieren.manifest.always_on is False


def test_each_console_plugin_declares_its_permissions_menu_and_blueprint(app):
    registry = app.extensions["plugins"]
    declared = {p.id: m.id for m in registry.manifests.values() for p in m.permissions}
    assert {p: declared.get(p) for p in PERMISSIONS} == PERMISSIONS
    menu = {e.endpoint: (m.id, e.position) for m in registry.manifests.values() for e in m.menu}
    assert {endpoint: menu.get(endpoint) for endpoint in MENU} == MENU
    for name in DEFAULT_PLUGINS[1:]:
        blueprint = import_module(name).manifest.blueprint
        views = {app.view_functions[r.endpoint].__module__ for r in app.url_map.iter_rules()
                 if r.endpoint.startswith(f"{blueprint.name}.")}
        assert views == {f"{name}.views"}, name  # its pages, and no other plugin's


def test_the_feedback_plugin_implements_its_own_hooks(app):
    hooks = app.extensions["plugins"].pm.hook

    def implementers(hook):
        return {impl.plugin_name for impl in hook.get_hookimpls()}

    assert "core.feedback" in implementers(hooks.tenant_home_items) and "core" not in implementers(
        hooks.tenant_home_items)
    jobs = {job.name: plugin for plugin in ("core", "core.feedback")
            for job in app.extensions["plugins"].pm.get_plugin(plugin).periodic_jobs()}
    assert jobs["feedback.remind"] == "core.feedback" and jobs["worklist.digest"] == "core"
    assert implementers(hooks.app_ready) >= {"core.rollout"}


def test_a_default_plugin_is_not_a_module(app, ctx):
    for plugin_id in DEFAULT_IDS:
        with pytest.raises(NotFound, match="Unbekanntes Modul"):
            modules.manifest_of(plugin_id)


def test_the_canton_sees_the_consoles_menu_in_its_order(client, ctx):
    canton = make_tenant("kanton", kind="canton")
    login_as(client, (canton, "canton_admin"))
    page = client.get("/kanton/").text
    order = [href for href in re.findall(r'href="/kanton/([a-z-]+)[/"]', page)
             if href in ("mandanten", "modulplan", "rollout", "kurse", "rueckmeldungen", "eingaben")]
    # The rollout's pages in one drop-down, the overview first (core.console.ROLLOUT_MENU).
    assert order[:6] == ["mandanten", "rollout", "modulplan", "kurse", "rueckmeldungen", "eingaben"]
