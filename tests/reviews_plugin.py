"""A module for the tests of declared roles and typed settings: a canton reviewer, a setting of every type."""

from __future__ import annotations

import types

from flask import Blueprint

import plugins.informieren
from core import modules
from core.access import requires
from core.db import db
from core.plugins import Manifest, Permission, RoleDeclaration, Setting, SettingType
from core.tenancy import canton_tenant
from tests.conftest import clear_database, make_app, make_tenant

REVIEWER, HELPER = "reviews.canton_reviewer", "reviews.helper"
SECRET = "sup3r-s3cret-value"

blueprint = Blueprint("reviews", __name__)
blueprint.add_url_rule("/", "index", requires("reviews.cases.review")(lambda: "reviews page"))
blueprint.add_url_rule("/hilfe", "help", requires("reviews.cases.help")(lambda: "help page"))

plugin = types.ModuleType("reviews")
plugin.manifest = Manifest(
    id="reviews",
    title="Prüfungen",
    version="1.0",
    roles=(
        RoleDeclaration(REVIEWER, "Prüfer/in Kanton", canton_only=True),
        RoleDeclaration(HELPER, "Helfer/in Gemeinde", commune_only=True),
    ),
    permissions=(
        Permission("reviews.cases.review", "Fälle prüfen", (REVIEWER, "canton_admin"), canton_only=True),
        Permission("reviews.cases.help", "Bei Fällen helfen", (HELPER,), commune_only=True),
    ),
    settings=(
        Setting("reviews.greeting", "Grüezi", "Begrüssung"),  # text: the type follows from the default
        Setting("reviews.note", "", "Notiz", type=SettingType.MULTILINE),
        Setting("reviews.days", 10, "Prüffrist (Tage)", min=1, max=60),
        Setting("reviews.enabled", False, "Prüfungen eingeschaltet"),
        Setting("reviews.mode", "strict", "Modus", type=SettingType.CHOICE,
                choices=(("strict", "streng"), ("mild", "mild"))),
        Setting("reviews.tags", ["dringend"], "Stichwörter"),
        Setting("reviews.limits", {"max": 3}, "Grenzen", type=SettingType.JSON),
        Setting("reviews.endpoint", "", "Adresse des Prüfdienstes", type=SettingType.URL),
        Setting("reviews.api_key", "", "API-Schlüssel des Prüfdienstes", secret=True),
        Setting("reviews.code", "", "Prüfcode",
                validate=lambda value, tenant: None if not value or value.isdigit() else "Nur Ziffern."),
        Setting("reviews.checklist", ["a"], "Prüfliste", managed_elsewhere="reviews.index"),
    ),
    blueprint=blueprint,
    url_prefix="/pruefungen",
)


def reviews_world(app, database_url):
    """An app with Informieren and this module, the canton and two communes: this module active in the canton
    and in Grenchen, Informieren in Grenchen (yields app, canton, grenchen, balsthal)."""
    test_app = make_app(plugins=[plugins.informieren, plugin], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        grenchen = make_tenant("grenchen", communes=[2546])
        balsthal = make_tenant("balsthal", communes=[2422])
        canton = canton_tenant()
        for tenant, module_id in ((canton, "reviews"), (grenchen, "reviews"), (grenchen, "informieren")):
            modules.entitle(tenant, module_id)
            modules.activate(tenant, module_id)
        db.session.commit()
        yield test_app, canton, grenchen, balsthal
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)
