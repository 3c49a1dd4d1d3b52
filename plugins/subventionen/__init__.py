"""Module Subventionen: start-up financing from the integration credit, 2017-2021."""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.access import requires
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry
from core.web import module_start_page
from plugins.subventionen import (  # noqa: F401 (models: the tables for the app and Alembic)
    access,
    cli,  # the canton's decisions, the ledger and the payments: cli … review_views
    decisions,
    models,
    overview_views,
    payment_runs,
    report,
    review_views,
)

blueprint = Blueprint("subventionen", __name__, template_folder="templates")

manifest = Manifest(
    id="subventionen",
    title=_l("Subventionen"),
    version="0.1.0",
    description=_l("Anstossfinanzierung aus dem Integrationskredit abrechnen (2017–2021)."),
    position=40,
    requires=(),
    permissions=access.PERMISSIONS,
    roles=access.ROLES,
    submission_kinds=access.SUBMISSION_KINDS,
    blueprint=blueprint,
    menu=(MenuEntry(_l("Subventionen"), "subventionen.index", access.CLAIMS_READ),
          *review_views.MENU, *overview_views.MENU),
    settings=(*payment_runs.SETTINGS, *payment_runs.CLAIMANT_SETTINGS),
    figures=report.FIGURES,
    translations=Path(__file__).parent / "translations",
    alembic_branch="subventionen",
    migrations=Path(__file__).parent / "migrations",
)

blueprint.add_url_rule("/", "index", requires(access.CLAIMS_READ)(module_start_page(manifest)))

# -- the canton's decisions, the ledger and the payments ---------------------------------------------

for pages_of in (review_views, overview_views):
    pages_of.init(blueprint)


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


@hookimpl
def submission_changed(tenant, submission, event):
    decisions.record_in_claim(tenant, submission, event)


@hookimpl
def report_sections(tenant, period):
    return report.report_sections(tenant, period)


@hookimpl
def report_figures(tenant, period):
    return report.report_figures(tenant, period)
