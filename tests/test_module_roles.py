"""Roles a module declares: offered where they fit, holding their permissions, checked at start-up."""

from __future__ import annotations

import re
import types

import pytest
import sqlalchemy as sa

from core import auth, create_app, modules, provisioning
from core.access import Membership, known_roles, member_roles, permissions_of, role_label, roles_for
from core.db import db
from core.errors import UserError
from core.plugins import Manifest, Permission, PluginError, RoleDeclaration
from core.tenancy import tenant_scope
from tests.conftest import login_as, make_user
from tests.reviews_plugin import HELPER, REVIEWER, plugin, reviews_world


@pytest.fixture
def world(app, database_url):
    yield from reviews_world(app, database_url)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_declared_role_is_offered_only_where_it_fits(world):
    _app, canton, grenchen, balsthal = world
    assert REVIEWER in roles_for(canton) and HELPER not in roles_for(canton)
    assert HELPER in roles_for(grenchen) and REVIEWER not in roles_for(grenchen)
    assert HELPER not in roles_for(balsthal)  # the module is not active there
    assert HELPER in known_roles(balsthal)  # but a member keeping it stays valid
    assert {"tenant_admin", "integration_officer"} <= set(roles_for(grenchen))
    assert role_label(REVIEWER) == "Prüfer/in Kanton"


def test_a_member_with_the_role_holds_its_permissions_in_the_canton(world):
    app, canton, _grenchen, _balsthal = world
    client = app.test_client()
    login_as(client, (canton, REVIEWER))
    assert client.get("/kanton/pruefungen/").text == "reviews page"
    assert client.get("/kanton/").status_code == 200  # every role sees the tenant's start page
    assert client.get("/kanton/mitglieder").status_code == 403
    assert client.get("/grenchen/").status_code == 404  # not a member there
    assert permissions_of({REVIEWER}, canton) >= {"reviews.cases.review", "core.tenant.view"}


def test_the_members_page_offers_declared_roles_and_refuses_others_in_german(world):
    app, canton, grenchen, _balsthal = world
    newcomer = make_user(name="Rita Reviewer")
    admin = app.test_client()
    login_as(admin, (canton, "canton_admin"))
    page = admin.get("/kanton/mitglieder")
    assert f'value="{REVIEWER}"' in page.text and "Prüfer/in Kanton" in page.text
    added = admin.post("/kanton/mitglieder", data={"csrf_token": _csrf(page.text), "email": newcomer.email,
                                                    "role": REVIEWER})
    assert added.status_code == 302
    assert REVIEWER in member_roles(newcomer.id, canton)
    assert "Prüfer/in Kanton" in admin.get("/kanton/mitglieder").text
    assert "Prüfer/in Kanton" in admin.get("/kanton/rollen").text

    commune = app.test_client()
    login_as(commune, (grenchen, "tenant_admin"))
    page = commune.get("/grenchen/mitglieder")
    assert REVIEWER not in page.text and "Helfer/in Gemeinde" in page.text
    for role in (REVIEWER, "reviews.no_such_role", "canton_admin"):
        refused = commune.post("/grenchen/mitglieder", data={"csrf_token": _csrf(page.text),
                                                             "email": newcomer.email, "role": role})
        assert refused.status_code == 200 and "Diese Rolle gibt es in diesem Mandanten nicht." in refused.text
    assert member_roles(newcomer.id, grenchen) == set()
    with pytest.raises(UserError, match="Diese Rolle gibt es"):
        provisioning.invite(grenchen, "x@example.ch", REVIEWER)


def test_a_suspended_module_keeps_its_members_roles(world):
    app, _canton, grenchen, _balsthal = world
    helper = make_user((grenchen, HELPER), name="Hugo Helfer")
    modules.suspend(grenchen, "reviews")
    db.session.commit()
    assert HELPER not in roles_for(grenchen)
    assert member_roles(helper.id, grenchen) == {HELPER}
    admin = app.test_client()
    login_as(admin, (grenchen, "tenant_admin"))
    assert "Helfer/in Gemeinde" in admin.get("/grenchen/mitglieder").text  # shown with its label still
    page = admin.get("/grenchen/mitglieder")
    assert f'value="{HELPER}"' not in page.text  # but no longer given


def test_the_providers_groups_may_grant_declared_roles(world, database_url):
    _app, canton, grenchen, _balsthal = world
    sso = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "OIDC_GROUP_ROLES": {"pruefer": f"kanton:{REVIEWER}", "falsch": f"grenchen:{REVIEWER}"}},
                     plugins=[plugin])
    with sso.app_context():
        user = make_user(name="Clara Claim")
        auth.sync_claimed_memberships(user, "canton", {"groups": ["pruefer", "falsch"]})
        db.session.commit()
        assert member_roles(user.id, canton) == {REVIEWER}
        assert member_roles(user.id, grenchen) == set()  # a canton role is not given in a commune
    # A commune's own provider maps its groups in a setting, checked against the commune's roles.
    provisioning.set_setting(grenchen, "core.oidc_group_roles", {"Helfer": HELPER, "Admins": "tenant_admin"})
    with pytest.raises(UserError, match=r"Gruppen des eigenen Anbieters.*reviews\.canton_reviewer"):
        provisioning.set_setting(grenchen, "core.oidc_group_roles", {"Prüfer": REVIEWER})
    member = make_user(name="Gerda Gruppe")
    auth.sync_claimed_memberships(member, "tenant-grenchen", {"groups": ["Helfer"]})
    db.session.commit()
    with tenant_scope(grenchen):
        row = db.session.scalars(sa.select(Membership).where(Membership.user_id == member.id)).one()
    assert (row.role, row.source) == (HELPER, "claim")


# -- start-up ----------------------------------------------------------------------------------


def _module(id_="mod", roles=(), permissions=(), requires=()):
    plugin = types.ModuleType(id_)
    plugin.manifest = Manifest(id=id_, title=id_, version="1.0", roles=roles, permissions=permissions,
                               requires=requires)
    return plugin


def _start(*plugin_list):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}, plugins=list(plugin_list))


@pytest.mark.parametrize(("roles", "message"), [
    ((RoleDeclaration("reviewer", "x"),), r"role 'reviewer' of plugin 'mod' must be named 'mod\.<name>'"),
    ((RoleDeclaration("other.reviewer", "x"),), r"must be named 'mod\.<name>'"),
    ((RoleDeclaration("mod.Reviewer", "x"),), r"must be named"),
    ((RoleDeclaration("mod." + "r" * 40, "x"),), r"longer than 40 characters"),
    ((RoleDeclaration("mod.a", "x"), RoleDeclaration("mod.a", "y")), r"role 'mod\.a' is declared twice"),
    ((RoleDeclaration("mod.a", "x", canton_only=True, commune_only=True),), r"both canton_only and commune_only"),
    ((RoleDeclaration("mod.a", "x", permissions=("core.nothing",)),), r"role 'mod\.a' holds unknown permissions"),
])
def test_a_bad_role_declaration_stops_the_start(roles, message):
    with pytest.raises(PluginError, match=message):
        _start(_module(roles=roles))


def test_a_permission_naming_an_unknown_role_stops_the_start():
    with pytest.raises(PluginError, match=r"permission 'mod\.read' of plugin 'mod' names unknown roles: mod\.typo"):
        _start(_module(roles=(RoleDeclaration("mod.reader", "x"),),
                       permissions=(Permission("mod.read", "x", ("mod.reader", "mod.typo")),)))
    # Another module's role only when the module requires that one.
    other = _module("other", roles=(RoleDeclaration("other.clerk", "x"),))
    with pytest.raises(PluginError, match=r"names unknown roles: other\.clerk"):
        _start(other, _module(permissions=(Permission("mod.read", "x", ("other.clerk",)),)))
    app = _start(other, _module(permissions=(Permission("mod.read", "x", ("other.clerk",)),), requires=("other",)))
    assert "other.clerk" in app.extensions["plugins"].roles
