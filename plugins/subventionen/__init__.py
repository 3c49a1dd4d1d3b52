"""Module Subventionen: start-up financing from the integration credit, 2017-2021.

The year's setup (the canton): ``credit`` (credits, rule versions, the freeze), ``credit_forms``,
``credit_views``.  The claims (communes and regional groups): ``rules`` (the arithmetic, pure),
``claims`` (computing, costs, submitting, the submission's steps), ``claim_forms``, ``claim_views``.
The canton's decisions and the money: ``decisions`` (approve, reduce, return, pro rata), ``ledger`` (the
append-only ledger, its locks and sums), ``payment_runs`` and ``payment_files`` (the runs and their files:
``transfers``, ``pain001``, ``payment_sheet``, ``payment_advice``), ``review_views``, ``overview_views``,
``report``.  ``cli``: ``flask subventionen credit|claims|ledger|payments``.  ``access``: roles and permissions.
``pages``: the blueprint every view module registers its pages on (with the blueprint's decorators).
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.access import can
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Setting, SettingType
from plugins.subventionen import (  # noqa: F401 (models: the tables for the app and Alembic)
    access,
    claim_views,
    claims,
    cli,
    credit_views,
    decisions,
    demo,
    models,
    overview_views,
    payment_runs,
    report,
    review_views,
)
from plugins.subventionen.pages import blueprint

# The tenant's side and the year's setup (claims, credit and rules).
SETUP_MENU = (MenuEntry(_l("Subventionen"), "subventionen.index", access.CLAIMS_READ),
              MenuEntry(_l("Kredit und Regeln"), "subventionen.credits", access.CREDIT_MANAGE,
                        group=_l("Integrationskredit")))
SETUP_SETTINGS = (Setting(claims.IBAN_SETTING, "", _l("IBAN für die Auszahlung der Subventionen"),
                          type=SettingType.TEXT, validate=claims.iban_problem,
                          help=_l("Das Konto der Gemeinde in der Schweiz oder in Liechtenstein (keine QR-IBAN).")),)

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
    settings=(*SETUP_SETTINGS, *payment_runs.SETTINGS),
    blueprint=blueprint,
    menu=(*SETUP_MENU, *review_views.MENU, *overview_views.MENU),
    figures=report.FIGURES,
    audit_actions=access.AUDIT_ACTIONS,
    audit_objects=access.AUDIT_OBJECTS,
    translations=Path(__file__).parent / "translations",
    alembic_branch="subventionen",
    migrations=Path(__file__).parent / "migrations",
)

@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


@hookimpl
def submission_changed(tenant, submission, event):
    decisions.record_in_claim(tenant, submission, event)  # the canton's: approved (with the amount), returned
    claims.follow_submission(submission, event)  # the tenant's own steps: submitted, resubmitted, withdrawn


@hookimpl(trylast=True)  # after the other modules' demo data: the claim counts their activity
def demo_data(tenant):
    return demo.load(tenant)


@hookimpl
def attachment_permission(tenant, attachment, user, action):
    """A cost's receipts: read with the claims, deleted only through the claim's page (the claim recomputes)."""
    if attachment.owner_type != claims.RECEIPT_OWNER:
        return None
    return action == "read" and can(access.CLAIMS_READ)


@hookimpl
def report_sections(tenant, period):
    return report.report_sections(tenant, period)


@hookimpl
def report_figures(tenant, period):
    return report.report_figures(tenant, period)
