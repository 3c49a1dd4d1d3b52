"""The tenant's settings page: every setting of core and of the active modules, one field per setting.

A tenant administrator edits their own tenant's settings; the canton administrator any
tenant's (``?mandant=<slug>``, as on the members page).  A setting a module edits on a page
of its own (``managed_elsewhere``) is shown with a link there instead of a field.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from core import modules, provisioning, setting_fields, setting_values
from core.access import can, required_permission, requires
from core.admin import target_tenant
from core.db import db
from core.plugins import Manifest
from core.tenancy import Tenant

tenant_settings = Blueprint("tenant_settings", __name__, url_prefix="/<tenant>")


def _manifests(tenant: Tenant) -> list[Manifest]:
    """Core's plugins, then the modules active in ``tenant``, that declare settings."""
    active = modules.active_modules(tenant)
    found = [m for m in modules.registry().manifests.values() if m.settings and (m.always_on or m.id in active)]
    return sorted(found, key=lambda m: (not m.always_on, m.position, m.id))


def _link(tenant: Tenant, endpoint: str) -> str | None:
    """The module's own page for a setting, where the user can open it (in the tenant they are in)."""
    if tenant.id != g.tenant.id or not can(required_permission(endpoint) or ""):
        return None
    return url_for(endpoint)


@tenant_settings.route("/einstellungen", methods=["GET", "POST"])
@requires("core.settings.manage")
def edit():
    tenant = target_tenant()
    manifests = _manifests(tenant)
    values = {s.key: provisioning.get_setting(tenant, s.key) for m in manifests for s in m.settings}
    editable = [s for m in manifests for s in m.settings if not s.managed_elsewhere]
    form = setting_fields.form_for(editable, tenant, values)
    if form.validate_on_submit():
        changed = 0
        for setting in editable:
            store, value = setting_fields.submitted_value(form, setting)
            changed += store and provisioning.set_setting(tenant, setting.key, value)
        db.session.commit()
        flash(ngettext("Eine Einstellung wurde geändert.", "%(num)s Einstellungen wurden geändert.", changed)
              if changed else _("Keine Änderungen."))
        return redirect(request.full_path.rstrip("?"))
    sections = [
        (m, [(s, setting_values.shown(s, values[s.key]), s.managed_elsewhere and _link(tenant, s.managed_elsewhere))
             for s in m.settings])
        for m in manifests
    ]
    return render_template(
        "admin/settings.html", target=tenant, form=form, sections=sections, field_name=setting_fields.field_name,
        clear_name=setting_fields.clear_name,
    ), 400 if form.errors else 200
