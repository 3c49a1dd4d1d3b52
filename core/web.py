"""The web shell: layout, navigation, tenant home, health and errors; mounts every plugin's blueprints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from core import auth, clock, modules, money, worklist
from core import public as public_pages
from core.access import can, public, requires
from core.api import PREFIX, json_errors
from core.db import db
from core.errors import UserError
from core.plugins import MenuEntry, PluginRegistry
from core.security import safe_next
from core.templating import ScrollingTables
from core.tenancy import Tenant, TenantState, served_municipalities

shell = Blueprint("shell", __name__)


@shell.get("/")
@public
def index():
    tenants = db.session.scalars(
        sa.select(Tenant).where(Tenant.state == TenantState.ACTIVE).order_by(Tenant.kind, Tenant.name)
    ).all()
    return render_template("index.html", tenants=tenants)


@shell.get("/<tenant>/")
@requires("core.tenant.view")
def tenant_home():
    tenant = g.tenant
    rows = modules.activations(tenant)
    items = [item for group in g.hooks.tenant_home_items(tenant=tenant) for item in group]
    panels = sorted((panel for group in g.hooks.home_panels(tenant=tenant) for panel in group),
                    key=lambda panel: panel.position)
    page = render_template(
        "tenant_home.html",
        panels=panels,
        municipalities=served_municipalities(tenant, clock.today()),
        modules=[(m, rows.get(m.id)) for m in modules.registry().modules],
        items=items,
        work=worklist.allowed(worklist.items(tenant), g.get("permissions", ()), g.get("actor")),
    )
    db.session.commit()  # the canton scope's audit records of the panels
    return page


@shell.get("/language/<code>")
@public
def choose_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["language"] = code
        if g.get("user"):
            g.user.language = code  # mails to the user follow the choice too
            db.session.commit()
    return redirect(safe_next(request.args.get("next"), default=url_for("shell.index")))


@shell.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for it on pages that name no icon (an error page of the server, say)."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@shell.get("/healthz")
@public
def healthz():
    results = {}
    for checks in modules.registry().hook.health_checks():
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as error:  # a health check reports, it does not fail
                results[name] = f"error: {type(error).__name__}"
    if current_app.config["REDIS_URL"] is None:
        results["redis"] = "not configured (jobs run in-process)"
    healthy = all(v == "ok" or v.startswith("not configured") for v in results.values())
    return jsonify(status="ok" if healthy else "error", checks=results), 200 if healthy else 503


# -- per request: the tenant's modules ---------------------------------------


def _load_tenant_modules() -> None:
    tenant = g.get("tenant")
    if tenant is not None:
        g.active_modules = modules.request_modules(tenant)
        g.hooks = modules.registry().for_modules(g.active_modules)


def _gate_module() -> None:
    module_id = current_app.extensions["module_blueprints"].get((request.blueprint or "").split(".")[0])
    if module_id is not None and module_id not in g.get("active_modules", ()):
        abort(404)


# Menu entries from this position on are the tenant's administration, grouped apart from the daily work.
ADMIN_MENU_POSITION = 910
ADMIN_GROUP = _l("Verwaltung")


@dataclass
class MenuItem:
    """A link of the main menu, or a drop-down (``children``) of the entries of one group."""

    label: Any
    href: str = ""
    children: list[MenuItem] = field(default_factory=list)
    current: bool = False


def _is_current(href: str) -> bool:
    """The menu entry of the page shown, or of the section it belongs to (a module's start page is exact)."""
    return request.path == href or (href.count("/") > 2 and request.path.startswith(href))


def _menu() -> list[MenuItem]:
    """The menu: links, and a drop-down for each group of entries (the administration is one)."""
    items: list[MenuItem] = []
    groups: dict[str, MenuItem] = {}
    for position, entry in _ordered_entries():
        href = url_for(entry.endpoint)
        link = MenuItem(entry.label, href, current=_is_current(href))
        group = ADMIN_GROUP if position >= ADMIN_MENU_POSITION else entry.group
        if group is None:
            items.append(link)
            continue
        if str(group) not in groups:
            groups[str(group)] = MenuItem(group)
            items.append(groups[str(group)])
        groups[str(group)].children.append(link)
        groups[str(group)].current |= link.current
    return items


def _ordered_entries() -> list[tuple[int, MenuEntry]]:
    visible = [m for m in modules.registry().manifests.values()
               if m.always_on or (m.id in g.get("active_modules", ()) and m.ready)]
    entries = [
        (m.position if entry.position is None else entry.position, entry)
        for m in visible
        for entry in m.menu
        if entry.permission is None or can(entry.permission)
    ]
    return sorted(entries, key=lambda e: e[0])


def _navigation() -> dict:
    if g.get("tenant") is None:
        return {"menu": [], "switch_tenants": [], "admin_group": ADMIN_GROUP}
    return {"menu": _menu(), "switch_tenants": _switch_tenants(), "admin_group": ADMIN_GROUP}


def _switch_tenants() -> list[tuple[str, str]]:
    """(slug, name) of the active tenants the signed-in user works for, for the header's tenant switcher."""
    user = g.get("user")
    return auth.tenants_of(user) if user is not None else []


def _error_page(error: HTTPException):
    if request.path.startswith(PREFIX + "/") or request.path == "/healthz":
        return json_errors(error)
    # Keep what the error says in its headers (a 405's Allow, a 401's WWW-Authenticate).
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return render_template("error.html", error=error), error.code, headers


def _user_error(error: UserError):
    db.session.rollback()
    return render_template("error.html", message=str(error)), 400


def init_app(app, registry_: PluginRegistry) -> None:
    app.register_blueprint(shell)
    app.jinja_env.add_extension(ScrollingTables)
    module_blueprints = {}
    for manifest in registry_.manifests.values():
        prefix = f"/{manifest.id}" if manifest.url_prefix is None else manifest.url_prefix
        public_prefix = prefix if manifest.public_url_prefix is None else manifest.public_url_prefix
        # A module's public pages are mounted like its own (at their own prefix, if it names one), and
        # closed like them where it is not active.
        for blueprint, at in ((manifest.blueprint, prefix), (manifest.public_blueprint, public_prefix)):
            if blueprint is None:
                continue
            app.register_blueprint(blueprint, url_prefix=f"/<tenant>{at}")
            if not manifest.always_on:
                module_blueprints[blueprint.name] = manifest.id
    app.extensions["module_blueprints"] = module_blueprints
    public_pages.check_routes(app, {m.public_blueprint.name for m in registry_.manifests.values()
                                    if m.public_blueprint})
    app.before_request(_load_tenant_modules)
    app.before_request(_gate_module)
    public_pages.init_app(app)  # after the gate, before the user is loaded
    app.context_processor(_navigation)
    app.add_template_filter(money.chf, "chf")
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(UserError, _user_error)


def module_start_page(manifest):
    """A view showing a module's title and description (a module's start page until it has its own)."""

    def view():
        return render_template("module_start.html", manifest=manifest)

    return view
