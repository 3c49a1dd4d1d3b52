"""The canton's console: provisioning tenants, communes and mergers, the module plan; every page's access."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from importlib import import_module

import pytest
import sqlalchemy as sa

from core import clock, modules, provisioning
from core.access import declared_permissions
from core.audit import AuditEvent
from core.db import db
from core.errors import UserError
from core.plugins import DEFAULT_PLUGINS
from core.tenancy import Tenant, TenantMunicipality, get_tenant, tenant_scope
from tests.conftest import make_tenant
from tests.test_access import app_client_as, csrf_token

# Pages of the console a tenant's own administrator uses in their tenant (not canton-only).
TENANT_PAGES = {"console.own_modules", "console.own_module_action"}


@pytest.fixture
def world(ctx):
    canton = make_tenant("kanton", kind="canton")
    grenchen = make_tenant("grenchen", communes=[2546])
    balsthal = make_tenant("balsthal", communes=[2422])
    return canton, grenchen, balsthal


@pytest.fixture
def canton_admin(app, world):
    return app_client_as(app, (world[0], "canton_admin"))


def tenant_row(slug: str) -> Tenant | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def actions(tenant: Tenant, prefix: str) -> list[AuditEvent]:
    with tenant_scope(tenant):
        return db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.occurred_at)
        ).all()


def links(tenant: Tenant) -> list[tuple[int, date, date | None]]:
    with tenant_scope(tenant):
        db.session.expire_all()
        rows = db.session.scalars(sa.select(TenantMunicipality).order_by(TenantMunicipality.bfs_number,
                                                                          TenantMunicipality.valid_from))
        return [(r.bfs_number, r.valid_from, r.valid_to) for r in rows]


def post_form(client, page_url: str, url: str | None = None, **data):
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(url or page_url, data={"csrf_token": csrf_token(page.text), **data})


# -- creating a commune's tenant -------------------------------------------------------------------------


def test_the_canton_creates_a_commune_tenant_from_the_reference_list(canton_admin, world):
    page = canton_admin.get("/kanton/mandanten/neu")
    assert page.status_code == 200
    assert 'value="2401"' in page.text and 'data-slug="egerkingen"' in page.text
    assert 'value="2546"' not in page.text and 'value="2422"' not in page.text  # served already
    response = canton_admin.post("/kanton/mandanten/neu", data={
        "csrf_token": csrf_token(page.text), "commune": "2402", "name": "", "slug": "", "valid_from": "2017-01-01"})
    assert response.status_code == 302 and response.headers["Location"] == "/kanton/mandanten/haerkingen"
    tenant = tenant_row("haerkingen")
    assert (tenant.name, tenant.kind) == ("Härkingen", "commune")
    assert links(tenant) == [(2402, date(2017, 1, 1), None)]
    created = actions(tenant, "tenant.create")
    assert len(created) == 1 and created[0].actor.startswith("user:")
    detail = canton_admin.get("/kanton/mandanten/haerkingen")
    assert detail.status_code == 200 and "Härkingen" in detail.text and "01.01.2017" in detail.text
    assert 'href="/kanton/mandanten/haerkingen"' in canton_admin.get("/kanton/mandanten").text


def test_a_form_sent_twice_creates_one_tenant(canton_admin, world):
    page = canton_admin.get("/kanton/mandanten/neu")
    form = {"csrf_token": csrf_token(page.text), "commune": "2403", "name": "Kestenholz", "slug": "kestenholz",
            "valid_from": "2017-01-01"}
    assert canton_admin.post("/kanton/mandanten/neu", data=form).status_code == 302
    again = canton_admin.post("/kanton/mandanten/neu", data=form)
    assert again.status_code == 200
    assert "Keine gültige Auswahl" in again.text or "Not a valid choice" in again.text  # no longer offered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant).where(Tenant.slug.like("kesten%"))) == 1


def test_duplicate_and_invalid_slugs_and_served_communes_are_refused(canton_admin, world):
    page = canton_admin.get("/kanton/mandanten/neu")
    token = csrf_token(page.text)
    taken = canton_admin.post("/kanton/mandanten/neu", data={
        "csrf_token": token, "commune": "2404", "slug": "grenchen", "valid_from": "2017-01-01"})
    assert taken.status_code == 200 and "Das Kürzel «grenchen» ist schon vergeben." in taken.text
    invalid = canton_admin.post("/kanton/mandanten/neu", data={
        "csrf_token": token, "commune": "2404", "slug": "Neu Dorf!", "valid_from": "2017-01-01"})
    assert "Ungültiges Kürzel «Neu Dorf!»" in invalid.text
    malformed = canton_admin.post("/kanton/mandanten/neu", data={
        "csrf_token": token, "commune": "keine", "valid_from": "gestern"})
    assert malformed.status_code == 200 and 'class="error"' in malformed.text
    served = canton_admin.post("/kanton/mandanten/neu", data={
        "csrf_token": token, "commune": "2546", "slug": "grenchen-2", "valid_from": "2017-01-01"})
    assert served.status_code == 200 and tenant_row("grenchen-2") is None
    with pytest.raises(UserError, match="schon von einem anderen Mandanten betreut"):
        provisioning.create_tenant("grenchen-2", "Grenchen 2", "commune", [2546])
    db.session.rollback()
    assert tenant_row("neudorf") is None and tenant_row("neuendorf") is None


def test_the_slug_proposal_is_valid_and_free(world):
    assert provisioning.propose_slug("Lüterkofen-Ichertswil") == "lueterkofen-ichertswil"
    assert provisioning.propose_slug("Holderbank (SO)") == "holderbank-so"
    assert provisioning.propose_slug("Grenchen") == "grenchen-2"
    assert provisioning.propose_slug("API") == "api-2"


def test_a_regional_group_with_its_communes(canton_admin, world):
    page = canton_admin.get("/kanton/mandanten/neue-region")
    response = canton_admin.post("/kanton/mandanten/neue-region", data={
        "csrf_token": csrf_token(page.text), "name": "Region Gäu", "slug": "", "valid_from": "2017-01-01",
        "communes": ["2405", "2406"]})
    assert response.status_code == 302
    region = tenant_row("region-gaeu")
    assert region.kind == "region" and [n for n, _f, _t in links(region)] == [2405, 2406]
    single = canton_admin.post("/kanton/mandanten/neue-region", data={
        "csrf_token": csrf_token(page.text), "name": "Allein", "valid_from": "2017-01-01", "communes": ["2408"]})
    assert "mindestens zwei Gemeinden" in single.text and tenant_row("allein") is None


# -- canton office, commune users ------------------------------------------------------------------------


def test_the_canton_office_reads_but_does_not_provision(app, world):
    office = app_client_as(app, (world[0], "canton_office"))
    assert office.get("/kanton/mandanten").status_code == 200
    assert office.get("/kanton/mandanten/grenchen").status_code == 200
    assert office.get("/kanton/modulplan").status_code == 200
    assert office.get("/kanton/fusionen").status_code == 200
    for url in ("/kanton/mandanten/neu", "/kanton/mandanten/neue-region", "/kanton/modulplan/sammelplanung",
                "/kanton/mandanten/grenchen/gemeinden"):
        assert office.get(url).status_code == 403, url
    token = csrf_token(office.get("/kanton/mandanten").text)
    assert office.post("/kanton/mandanten/grenchen/archivieren",
                       data={"csrf_token": token, "archive-confirm": "y"}).status_code == 403
    assert office.post("/kanton/mandanten/grenchen/module/informieren",
                       data={"csrf_token": token, "module-action": "entitle"}).status_code == 403
    assert get_tenant("grenchen").state == "active"


def _console_rules(app, module: str | None = "core.console.provisioning.views"):
    """The console's routes (by default those of provisioning; the rollout tests walk the others)."""
    blueprints = tuple(f"{import_module(name).manifest.blueprint.name}." for name in DEFAULT_PLUGINS
                       if name.startswith("core.console."))  # the console's plugins
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(blueprints)
                   and module in (None, app.view_functions[rule.endpoint].__module__)), key=lambda r: r.rule)


def _url(rule, tenant: str) -> str:
    values = {"tenant": tenant, "slug": "balsthal", "module_id": "informieren", "key": "2430-2021-01-01",
              "invitation_id": str(uuid.uuid4())}
    return rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]


def _commune_side(app) -> set[str]:
    """Console pages for the communes' staff (courses, feedback): commune-only permissions."""
    with app.app_context():
        commune_only = {p.id for p in declared_permissions().values() if p.commune_only}
    return {rule.endpoint for rule in _console_rules(app, module=None)
            if app.view_functions[rule.endpoint].required_permission in commune_only}


def test_every_console_page_is_the_cantons(app):
    with app.app_context():
        canton_only = {p.id for p in declared_permissions().values() if p.canton_only}
    commune_side = _commune_side(app)
    for rule in _console_rules(app, module=None):
        needed = app.view_functions[rule.endpoint].required_permission
        assert needed in canton_only or rule.endpoint in TENANT_PAGES | commune_side, f"{rule.rule} needs {needed}"


def test_console_pages_answer_404_to_every_commune_role_and_work_for_the_canton(app, world, canton_admin):
    _canton, grenchen, _balsthal = world
    rules = [rule for rule in _console_rules(app) if rule.endpoint not in TENANT_PAGES | _commune_side(app)]
    assert len(rules) >= 12
    for role in ("tenant_admin", "residents_services", "integration_officer", "read_only"):
        user = app_client_as(app, (grenchen, role))
        token = csrf_token(user.get("/grenchen/").text)
        for rule in rules:
            for method in rule.methods & {"GET", "POST"}:
                url = _url(rule, "grenchen")
                status = user.open(url, method=method, data={"csrf_token": token}).status_code
                assert status == 404, f"{role}: {method} {url} -> {status}"
    for rule in rules:
        if "GET" in rule.methods:
            url = _url(rule, "kanton")
            assert canton_admin.get(url).status_code == 200, url


def test_the_tenants_own_module_page_works_for_its_administrator_only(app, world):
    _canton, grenchen, _balsthal = world
    admin = app_client_as(app, (grenchen, "tenant_admin"))
    assert admin.get("/grenchen/module").status_code == 200
    assert admin.get("/balsthal/module").status_code == 404
    officer = app_client_as(app, (grenchen, "integration_officer"))
    assert officer.get("/grenchen/module").status_code == 403


# -- rename, archive ---------------------------------------------------------------------------------------


def test_rename_and_archive_keep_the_data_and_close_the_tenant(app, canton_admin, world):
    _canton, grenchen, _balsthal = world
    member = app_client_as(app, (grenchen, "integration_officer"))
    assert member.get("/grenchen/").status_code == 200
    renamed = post_form(canton_admin, "/kanton/mandanten/grenchen", "/kanton/mandanten/grenchen/umbenennen",
                        **{"rename-name": "Stadt Grenchen"})
    assert renamed.status_code == 302 and tenant_row("grenchen").name == "Stadt Grenchen"
    empty = post_form(canton_admin, "/kanton/mandanten/grenchen", "/kanton/mandanten/grenchen/umbenennen",
                      **{"rename-name": "  "})
    assert empty.status_code == 400 and tenant_row("grenchen").name == "Stadt Grenchen"
    unconfirmed = post_form(canton_admin, "/kanton/mandanten/grenchen", "/kanton/mandanten/grenchen/archivieren")
    assert unconfirmed.status_code == 302 and tenant_row("grenchen").state == "active"
    archived = post_form(canton_admin, "/kanton/mandanten/grenchen", "/kanton/mandanten/grenchen/archivieren",
                         **{"archive-confirm": "y"})
    assert archived.status_code == 302 and tenant_row("grenchen").state == "archived"
    assert member.get("/grenchen/").status_code == 404  # its members are shut out
    assert links(tenant_row("grenchen")) == [(2546, links(tenant_row("grenchen"))[0][1], None)]  # data kept
    page = canton_admin.get("/kanton/mandanten/grenchen")
    assert page.status_code == 200 and "archiviert am" in page.text and 'id="rename"' not in page.text
    token = csrf_token(page.text)
    refused = canton_admin.post("/kanton/mandanten/grenchen/umbenennen",
                                data={"csrf_token": token, "rename-name": "X"})
    assert refused.status_code == 400 and "archiviert" in refused.text
    assert 'value="2546"' in canton_admin.get("/kanton/mandanten/neu").text  # its commune is free again
    assert len(actions(tenant_row("grenchen"), "tenant.archive")) == 1


# -- communes joining a regional group ------------------------------------------------------------------------


def test_a_commune_joins_a_regional_group_after_a_preview(canton_admin, world):
    region = provisioning.create_tenant("region-gaeu", "Region Gäu", "region", [2405, 2406], date(2017, 1, 1))
    wolfwil = provisioning.create_tenant("wolfwil", "Wolfwil", "commune", [2408], date(2017, 1, 1))
    db.session.commit()
    url = "/kanton/mandanten/region-gaeu/gemeinden"
    page = canton_admin.get(url)
    assert page.status_code == 200 and "Wolfwil (2408) – Wolfwil" in page.text
    form = {"csrf_token": csrf_token(page.text), "valid_from": "2018-01-01", "communes": ["2405", "2406", "2408"]}
    preview = canton_admin.post(url, data={**form, "step": "preview"})
    assert preview.status_code == 200
    assert "betreut bis 31.12.2017, dann nicht mehr" in preview.text and "betreut ab 01.01.2018" in preview.text
    assert "Wolfwil betreut ab 2018-01-01 keine Gemeinde mehr" in preview.text
    assert "bleiben beim Mandanten, dem sie gehören" in preview.text
    assert links(region) == [(2405, date(2017, 1, 1), None), (2406, date(2017, 1, 1), None)]  # nothing yet
    confirmed = canton_admin.post(url, data={**form, "step": "confirm"})
    assert confirmed.status_code == 302
    assert links(wolfwil) == [(2408, date(2017, 1, 1), date(2017, 12, 31))]  # ended, not deleted
    assert (2408, date(2018, 1, 1), None) in links(region)
    again = canton_admin.post(url, data={**form, "step": "confirm"})
    assert again.status_code == 302 and "Nichts zu ändern" in canton_admin.get("/kanton/mandanten/region-gaeu").text
    assert len(links(region)) == 3
    assert [e.detail["changes"] for e in actions(wolfwil, "tenant.communes")][-1] == ["-2408"]
    assert [e.detail["changes"] for e in actions(region, "tenant.communes")][-1] == ["+2408"]
    # and leaves again, two years later
    leave = {"csrf_token": form["csrf_token"], "valid_from": "2020-01-01", "communes": ["2405", "2406"]}
    assert canton_admin.post(url, data={**leave, "step": "confirm"}).status_code == 302
    assert (2408, date(2018, 1, 1), date(2019, 12, 31)) in links(region)


def test_commune_changes_refuse_impossible_dates(canton_admin, world):
    provisioning.create_tenant("region-gaeu", "Region Gäu", "region", [2405, 2406], date(2017, 1, 1))
    db.session.commit()
    url = "/kanton/mandanten/region-gaeu/gemeinden"
    token = csrf_token(canton_admin.get(url).text)
    early = canton_admin.post(url, data={"csrf_token": token, "valid_from": "2016-06-01", "communes": ["2405"],
                                         "step": "preview"})
    assert early.status_code == 400 and "ab 2017-01-01 schon eine Änderung der Gemeinden erfasst" in early.text
    wolfwil = provisioning.create_tenant("wolfwil", "Wolfwil", "commune", [2408], date(2017, 3, 1))
    db.session.commit()
    taken = canton_admin.post(url, data={"csrf_token": token, "valid_from": "2017-02-01", "step": "preview",
                                         "communes": ["2405", "2406", "2408"]})
    assert taken.status_code == 400 and "Wolfwil betreut Wolfwil erst ab 2017-03-01" in taken.text
    assert links(wolfwil) == [(2408, date(2017, 3, 1), None)]
    commune = canton_admin.post("/kanton/mandanten/grenchen/gemeinden", data={
        "csrf_token": token, "valid_from": "2018-01-01", "communes": ["2546", "2401"], "step": "preview"})
    assert commune.status_code == 400 and "genau einer Gemeinde" in commune.text


# -- mergers ---------------------------------------------------------------------------------------------------------


def test_a_merger_of_communes_served_by_two_tenants(canton_admin, world):
    gaens = provisioning.create_tenant("gaensbrunnen", "Gänsbrunnen", "commune", [2423], date(2017, 1, 1))
    welsch = provisioning.create_tenant("welschenrohr", "Welschenrohr", "commune", [2429], date(2017, 1, 1))
    db.session.commit()
    listing = canton_admin.get("/kanton/fusionen")
    assert "Welschenrohr-Gänsbrunnen (2430)" in listing.text and "Gänsbrunnen, Welschenrohr" in listing.text
    url = "/kanton/fusionen/2430-2021-01-01"
    choose = canton_admin.get(url)
    assert choose.status_code == 200 and "wählen Sie, wer Welschenrohr-Gänsbrunnen betreut" in choose.text
    preview = canton_admin.get(url + "?receiving=welschenrohr")
    assert "betreut bis 31.12.2020, dann nicht mehr" in preview.text and "betreut ab 01.01.2021" in preview.text
    assert "Gänsbrunnen betreut ab 2021-01-01 keine Gemeinde mehr" in preview.text
    token = csrf_token(preview.text)
    assert canton_admin.post(url, data={"csrf_token": token, "step": "confirm"}).status_code == 400  # no choice
    done = canton_admin.post(url, data={"csrf_token": token, "step": "confirm", "receiving": "welschenrohr"})
    assert done.status_code == 302
    assert links(gaens) == [(2423, date(2017, 1, 1), date(2020, 12, 31))]
    assert links(welsch) == [(2429, date(2017, 1, 1), date(2020, 12, 31)), (2430, date(2021, 1, 1), None)]
    twice = canton_admin.post(url, data={"csrf_token": token, "step": "confirm", "receiving": "welschenrohr"})
    assert twice.status_code == 302 and len(links(welsch)) == 2
    assert "Nichts zu ändern" in canton_admin.get("/kanton/fusionen").text
    assert actions(welsch, "tenant.communes")[-1].detail["reason"] == "merger 2430-2021-01-01"


def test_an_absorption_keeps_the_absorbing_communes_tenant(world):
    rohr = provisioning.create_tenant("rohr", "Rohr", "commune", [2498], date(2017, 1, 1))
    stuess = provisioning.create_tenant("stuesslingen", "Stüsslingen", "commune", [2499], date(2017, 1, 1))
    db.session.commit()
    merger = provisioning.find_merger("2499-2021-01-01")
    with pytest.raises(UserError, match="schon von Stüsslingen betreut"):
        provisioning.plan_merger(merger, rohr)
    plan = provisioning.plan_merger(merger)
    assert [(c.tenant.slug, c.municipality.bfs_number, c.day) for c in plan.ends] == [
        ("rohr", 2498, date(2020, 12, 31))]
    assert plan.starts == []
    provisioning.apply_plan(plan)
    db.session.commit()
    assert links(stuess) == [(2499, date(2017, 1, 1), None)]
    assert provisioning.plan_merger(merger).empty


# -- the module plan ------------------------------------------------------------------------------------------------


def test_the_canton_entitles_and_the_commune_activates(app, canton_admin, world):
    _canton, grenchen, _balsthal = world
    detail = "/kanton/mandanten/grenchen"
    entitled = post_form(canton_admin, detail, detail + "/module/informieren", **{"module-action": "entitle"})
    assert entitled.status_code == 302
    assert modules.activations(grenchen)["informieren"].state == "entitled"
    admin = app_client_as(app, (grenchen, "tenant_admin"))
    page = admin.get("/grenchen/module")
    assert page.status_code == 200 and "freigegeben" in page.text
    token = csrf_token(page.text)
    refused = admin.post("/grenchen/module/fordern", data={"csrf_token": token, "action": "activate"})
    assert refused.status_code == 400 and "noch nicht freigegeben" in refused.text
    activated = admin.post("/grenchen/module/informieren", data={"csrf_token": token, "action": "activate"})
    assert activated.status_code == 302
    assert modules.activations(grenchen)["informieren"].state == "active"
    assert admin.get("/grenchen/informieren/").status_code == 200
    post_form(canton_admin, detail, detail + "/module/fordern", **{"module-action": "entitle"})
    modules.suspend(grenchen, "informieren")
    db.session.commit()
    missing = admin.post("/grenchen/module/fordern", data={"csrf_token": token, "action": "activate"})
    assert missing.status_code == 400 and "braucht «informieren»" in missing.text
    bad_date = admin.post("/grenchen/module/informieren",
                          data={"csrf_token": token, "action": "activate", "day": "31.02.2018"})
    assert bad_date.status_code == 400 and "gültiges Datum" in bad_date.text
    assert admin.post("/grenchen/module/nichts", data={"csrf_token": token, "action": "suspend"}).status_code == 404
    event = actions(grenchen, "module.active")[0]
    assert event.actor.startswith("user:")


def test_the_canton_plans_a_module_for_a_district_with_a_preview(app, canton_admin, world, monkeypatch):
    _canton, grenchen, balsthal = world  # they serve their communes from today on, so not in 2018
    monkeypatch.setattr(clock, "today", lambda: date(2017, 6, 1))
    matzendorf = provisioning.create_tenant("matzendorf", "Matzendorf", "commune", [2427], date(2017, 1, 1))
    oensingen = provisioning.create_tenant("oensingen", "Oensingen", "commune", [2407], date(2017, 1, 1))
    db.session.commit()
    url = "/kanton/modulplan/sammelplanung"
    page = canton_admin.get(url)
    assert page.status_code == 200 and "Bezirk Thal" in page.text
    form = {"csrf_token": csrf_token(page.text), "module": "informieren", "district": "Thal", "day": "2018-01-01"}
    preview = canton_admin.post(url, data={**form, "step": "preview"})
    assert preview.status_code == 200
    assert "Matzendorf" in preview.text and "Oensingen" not in preview.text and "Grenchen" not in preview.text
    assert "wird freigegeben und geplant" in preview.text
    assert "informieren" not in modules.activations(matzendorf)
    assert canton_admin.post(url, data={**form, "step": "confirm"}).status_code == 302
    row = modules.activations(matzendorf)["informieren"]
    assert (row.state, row.effective_from) == ("scheduled", date(2018, 1, 1))
    assert canton_admin.post(url, data={**form, "step": "confirm"}).status_code == 302  # twice: unchanged
    assert len(actions(matzendorf, "module.scheduled")) == 1
    # Fordern for everyone from 2018: refused where Informieren is not active by then, with the reason.
    fordern = {**form, "module": "fordern", "district": ""}
    preview = canton_admin.post(url, data={**fordern, "step": "preview"})
    assert "nicht möglich: Das Modul «fordern» braucht «informieren»" in preview.text
    assert canton_admin.post(url, data={**fordern, "step": "confirm"}).status_code == 302
    assert modules.activations(matzendorf)["fordern"].state == "scheduled"
    assert all("fordern" not in modules.activations(t) for t in (grenchen, balsthal, oensingen))
    plan_page = canton_admin.get("/kanton/modulplan")
    assert "geplant ab" in plan_page.text and "Oensingen" in plan_page.text
    entitle_all = canton_admin.post(url, data={**form, "module": "foerdern", "district": "", "day": "",
                                               "step": "confirm"})
    assert entitle_all.status_code == 302
    assert {modules.activations(t)["foerdern"].state for t in (grenchen, balsthal, matzendorf, oensingen)} == {
        "entitled"}


def test_a_planned_activation_takes_effect_on_its_day(app, world, monkeypatch):
    _canton, grenchen, _balsthal = world
    start = clock.today() + timedelta(days=3)
    plan = modules.plan_rollout("informieren", [grenchen], start)
    assert [row.action for row in plan] == ["schedule"]
    modules.apply_rollout("informieren", plan, start)
    db.session.commit()
    assert modules.active_modules(grenchen) == frozenset()
    assert modules.active_modules(grenchen, start) == {"informieren"}


# -- the CLI uses the same code paths ---------------------------------------------------------------


def test_the_cli_moves_communes_merges_plans_and_invites(runner, world):
    provisioning.create_tenant("gaensbrunnen", "Gänsbrunnen", "commune", [2423], date(2017, 1, 1))
    db.session.commit()
    dry = runner.invoke(args=["communes", "merge", "2430-2021-01-01", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "- gaensbrunnen: 2423 Gänsbrunnen bis 2020-12-31" in dry.output and "Probelauf" in dry.output
    done = runner.invoke(args=["communes", "merge", "2430-2021-01-01"])
    assert done.exit_code == 0 and "+ gaensbrunnen: 2430" in done.output
    assert "Keine Änderungen." in runner.invoke(args=["communes", "merge", "2430-2021-01-01"]).output
    assert "2430-2021-01-01" in runner.invoke(args=["communes", "mergers"]).output
    early = runner.invoke(args=["tenants", "communes", "grenchen", "--commune", "2546", "--from", "2018-01-01"])
    assert early.exit_code == 1 and "schon eine Änderung der Gemeinden erfasst" in early.output
    joined = runner.invoke(args=["tenants", "communes", "grenchen", "--commune", "2546", "--from", "2090-01-01"])
    assert joined.exit_code == 0 and "Keine Änderungen." in joined.output
    moved = runner.invoke(args=["tenants", "communes", "grenchen", "--commune", "2422", "--from", "2090-01-01"])
    assert moved.exit_code == 0 and "- balsthal: 2422" in moved.output and "- grenchen: 2546" in moved.output
    assert runner.invoke(args=["tenants", "rename", "grenchen", "Stadt Grenchen"]).exit_code == 0
    assert tenant_row("grenchen").name == "Stadt Grenchen"
    plan = runner.invoke(args=["modules", "plan", "informieren", "--from", "2030-01-01"])
    assert plan.exit_code == 0 and "grenchen" in plan.output and "schedule" in plan.output
    refused = runner.invoke(args=["modules", "plan", "fordern", "--from", "2029-01-01", "--dry-run"])
    assert "refused" in refused.output and "braucht «informieren»" in refused.output
    invited = runner.invoke(args=["tenants", "invite", "grenchen", "Greta.Gerber@Grenchen.example"])
    assert invited.exit_code == 0 and "greta.gerber@grenchen.example tenant_admin bis" in invited.output
    again = runner.invoke(args=["tenants", "invite", "grenchen", "greta.gerber@grenchen.example"])
    assert "schon eingeladen" in again.output
    invitation_id = invited.output.split()[0]
    assert "pending" in runner.invoke(args=["tenants", "invitations", "grenchen"]).output
    assert runner.invoke(args=["tenants", "revoke-invitation", "grenchen", invitation_id]).exit_code == 0
    assert "revoked" in runner.invoke(args=["tenants", "invitations", "grenchen"]).output
    bad = runner.invoke(args=["tenants", "invite", "grenchen", "keine-adresse"])
    assert bad.exit_code == 1 and "keine gültige E-Mail-Adresse" in bad.output


# -- invitations in the console ---------------------------------------------------------------------


def test_the_canton_invites_and_revokes_in_the_console(canton_admin, world):
    url = "/kanton/mandanten/grenchen"
    form = {"invite-email": "Greta.Gerber@grenchen.example", "invite-role": "tenant_admin", "invite-days": "14"}
    invited = post_form(canton_admin, url, url + "/einladungen", **form)
    assert invited.status_code == 302
    again = post_form(canton_admin, url, url + "/einladungen", **form)
    assert again.status_code == 302 and "schon eine offene Einladung" in canton_admin.get(url).text
    grenchen = get_tenant("grenchen")
    [invitation] = provisioning.invitations(grenchen)
    assert (invitation.email, invitation.role, invitation.state) == ("greta.gerber@grenchen.example",
                                                                     "tenant_admin", "pending")
    wrong_role = post_form(canton_admin, url, url + "/einladungen", **{**form, "invite-role": "canton_admin"})
    assert wrong_role.status_code == 400 and len(provisioning.invitations(grenchen)) == 1
    bad = post_form(canton_admin, url, url + "/einladungen", **{**form, "invite-email": "greta"})
    assert bad.status_code == 400
    revoked = post_form(canton_admin, url, f"{url}/einladungen/{invitation.id}/widerrufen")
    assert revoked.status_code == 302
    db.session.expire_all()
    assert [i.state for i in provisioning.invitations(grenchen)] == ["revoked"]
    assert post_form(canton_admin, url, f"{url}/einladungen/{uuid.uuid4()}/widerrufen").status_code == 404
    assert post_form(canton_admin, url, f"{url}/einladungen/kein-id/widerrufen").status_code == 404
    assert [e.action for e in actions(grenchen, "invitation.")] == ["invitation.create", "invitation.revoke"]


def test_tenant_files_invite_their_administrators_once(runner, world, tmp_path):
    (tmp_path / "olten.toml").write_text(
        'slug = "olten"\nname = "Olten"\nkind = "commune"\ncommunes = [2581]\nadmins = ["Otto@Olten.example"]')
    first = runner.invoke(args=["tenants", "sync", str(tmp_path)])
    assert first.exit_code == 0 and "Einladung an otto@olten.example" in first.output
    olten = get_tenant("olten")
    [invitation] = provisioning.invitations(olten)
    provisioning.revoke_invitation(olten, invitation.id)
    db.session.commit()
    again = runner.invoke(args=["tenants", "sync", str(tmp_path)])
    assert again.output.strip() == "Keine Änderungen."  # a revoked invitation is not renewed by the file
    (tmp_path / "olten.toml").write_text('slug = "olten"\nname = "Olten"\nkind = "commune"\ncommunes = [2581]\n'
                                         'admins = "otto"')
    bad = runner.invoke(args=["tenants", "sync", str(tmp_path)])
    assert bad.exit_code == 1 and "«admins» muss eine Liste" in bad.output


def test_switching_a_module_off_is_confirmed_and_the_tenant_page_keeps_its_history(app, canton_admin, world,
                                                                                    monkeypatch):
    _canton, grenchen, _balsthal = world
    modules.entitle(grenchen, "informieren")
    modules.activate(grenchen, "informieren", date(2017, 1, 1))
    db.session.commit()
    admin = app_client_as(app, (grenchen, "tenant_admin"))
    token = csrf_token(admin.get("/grenchen/module").text)
    asked = admin.post("/grenchen/module/informieren", data={"csrf_token": token, "action": "suspend"})
    assert asked.status_code == 200 and "Informieren in Grenchen ausschalten?" in asked.text
    assert "Die Daten bleiben erhalten" in asked.text and 'name="confirmed" value="1"' in asked.text
    assert modules.activations(grenchen)["informieren"].state == "active"  # asked, not done
    monkeypatch.setattr(clock, "today", lambda: date(2020, 5, 14))
    done = admin.post("/grenchen/module/informieren",
                      data={"csrf_token": token, "action": "suspend", "confirmed": "1"})
    assert done.status_code == 302 and modules.activations(grenchen)["informieren"].state == "suspended"
    monkeypatch.setattr(clock, "today", lambda: date(2021, 3, 1))
    modules.activate(grenchen, "informieren")
    db.session.commit()
    page = canton_admin.get("/kanton/mandanten/grenchen").text
    assert "aktiv seit 01.03.2021" in page and "aktiv: 01.01.2017–13.05.2020, seit 01.03.2021" in page
    assert "user:" not in page.split("Module")[1].split("Mitglieder")[0]  # names, not actor ids
    assert "aktiv: 01.01.2017–13.05.2020" in admin.get("/grenchen/module").text
    # The canton's page asks too, and names what needs the module.
    modules.entitle(grenchen, "fordern")
    modules.activate(grenchen, "fordern")
    db.session.commit()
    detail = "/kanton/mandanten/grenchen"
    needed = post_form(canton_admin, detail, detail + "/module/informieren", **{"module-action": "suspend"})
    assert needed.status_code == 200 and "Zuerst ausschalten: Fordern braucht dieses Modul." in needed.text
    assert 'name="confirmed"' not in needed.text
    assert modules.activations(grenchen)["informieren"].state == "active"
