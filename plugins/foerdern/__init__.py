"""Module Fördern: integration offers and the needs of migrants.

The offers and their editor: ``models`` (offers, the tenant's own kinds), ``offers`` (labels, the
list's query, saving and deleting, audited), ``published`` (the projection other tenants and the
public read), ``forms`` (the editor's checks, messages in the user's language), ``views`` (the pages
below /<tenant>/foerdern), ``public`` (the public offers page /<tenant>/angebote and its feeds, with
``public_offers`` and ``public_feeds``), ``api`` and ``cli`` (the offers, needs and referrals for
machines and operators) and ``demo`` (for ``flask demo load``).

The needs and referrals of persons: ``needs_models`` (needs, referrals and their steps), ``needs``
(categories, the current offers and what covers a need, recording), ``referrals`` (steps, the
outcome event, the follow-up worklist), ``handover`` (needs from Informieren's interviews, by
event), ``figures`` (the counts: uncovered needs, referrals, completion), ``report`` (report
sections, key figures, activity keys), ``retention`` (holds, erasure, the right of access),
``needs_forms``, ``needs_views`` and ``referral_views`` (their pages), ``person_panel`` (the panel
and timeline on core's person page), ``chart`` (a bar chart in SVG).
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.access import Role
from core.hookspecs import hookimpl
from core.plugins import Manifest, MenuEntry, Permission, Setting, SettingType
from plugins.foerdern import (
    api,
    cli,
    demo,
    handover,
    needs,
    needs_views,
    person_panel,
    public,
    referral_views,
    referrals,
    report,
    retention,
    views,
)

# The pages of needs and referrals are Fördern's too (endpoints foerdern.needs.*, foerdern.referrals.*).
views.blueprint.register_blueprint(needs_views.blueprint)
views.blueprint.register_blueprint(referral_views.blueprint)

manifest = Manifest(
    id="foerdern",
    title=_l("Fördern"),
    version="0.3.0",
    description=_l("Integrationsangebote bereitstellen und die Bedürfnisse der Migrantinnen und Migranten kennen."),
    position=20,
    requires=(),
    permissions=(
        Permission(
            views.READ,
            _l("Integrationsangebote einsehen"),
            (Role.INTEGRATION_OFFICER, Role.RESIDENTS_SERVICES, Role.TENANT_ADMIN, Role.READ_ONLY,
             Role.CANTON_OFFICE, Role.CANTON_ADMIN),
        ),
        # In the canton's tenant its integration office publishes the cantonal offers.
        Permission(views.EDIT, _l("Integrationsangebote bearbeiten"), (Role.INTEGRATION_OFFICER, Role.CANTON_OFFICE)),
        Permission(needs.READ, _l("Bedürfnisse und Zuweisungen von Personen einsehen"),
                   (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN)),
        Permission(needs.EDIT, _l("Bedürfnisse erfassen und Personen Angeboten zuweisen"),
                   (Role.INTEGRATION_OFFICER,)),
    ),
    settings=(
        Setting(referrals.FOLLOW_UP_DAYS, referrals.DEFAULT_FOLLOW_UP_DAYS,
                _l("Zuweisungen ohne Ergebnis: nachfragen nach (Tage seit dem letzten Schritt)"),
                type=SettingType.INTEGER, min=1, max=365),
    ),
    blueprint=views.blueprint,
    api_blueprint=api.api,
    api_scopes=api.SCOPES,
    public_blueprint=public.public,
    public_url_prefix="",  # /<tenant>/angebote: the address printed on letters and flyers
    menu=(MenuEntry(_l("Fördern"), "foerdern.index", views.READ),),
    translations=Path(__file__).parent / "translations",
    figures=(report.OFFERS_SHOWN, report.REFERRALS_MADE, report.REFERRALS_COMPLETED, report.NEEDS_UNCOVERED),
    activity_keys=(report.REFERRALS_MADE, report.OFFERS_RUN),
    events=(referrals.OUTCOME_EVENT,),
    subscribes=(handover.EVENT,),
    audit_actions={
        "foerdern.kind.create": _l("Angebotsart erfasst"),
        "foerdern.kind.update": _l("Angebotsart geändert"),
        "foerdern.kind.delete": _l("Angebotsart gelöscht"),
        "foerdern.need.create": _l("Bedürfnis erfasst"),
        "foerdern.need.update": _l("Bedürfnis geändert"),
        "foerdern.need.state": _l("Stand eines Bedürfnisses geändert"),
        "foerdern.notes_erased": _l("Notizen gelöscht"),
        "foerdern.offer.create": _l("Angebot erfasst"),
        "foerdern.offer.delete": _l("Angebot gelöscht"),
        "foerdern.offer.hide": _l("Angebot verborgen"),
        "foerdern.offer.show": _l("Angebot veröffentlicht"),
        "foerdern.offer.share": _l("Angebot geteilt"),
        "foerdern.referral.create": _l("Zuweisung erfasst"),
        "foerdern.referral.step": _l("Zuweisung weitergeführt"),
    },
    audit_objects={
        "foerdern_kind": _l("Angebotsart"),
        "foerdern_need": _l("Bedürfnis"),
        "foerdern_offer": _l("Angebot"),
        "foerdern_referral": _l("Zuweisung"),
    },
    alembic_branch="foerdern",
    migrations=Path(__file__).parent / "migrations",
)


@hookimpl(trylast=True)  # after Informieren's: its demo persons get needs and referrals
def demo_data(tenant):
    return demo.load(tenant)


@hookimpl
def app_ready(app):
    app.cli.add_command(cli.group)


@hookimpl
def handle_event(tenant, event):
    if event.type == handover.EVENT:
        return handover.take(tenant, event.payload)
    return None


@hookimpl
def worklist_items(tenant, day):
    return referrals.worklist_items(tenant, day)


@hookimpl
def person_panels(tenant, person):
    return person_panel.panels(person)


@hookimpl
def person_timeline(tenant, person_id):
    return person_panel.timeline(person_id)


@hookimpl
def person_export(tenant, person):
    return retention.export(person)


@hookimpl
def retention_holds(tenant, today):
    return retention.holds(today)


@hookimpl
def retention_erase(tenant, person_ids, today):
    retention.erase(person_ids)


@hookimpl
def report_sections(tenant, period):
    return report.report_sections(tenant, period)


@hookimpl
def report_figures(tenant, period):
    return report.report_figures(tenant, period)


@hookimpl
def activity_counts(tenant, period):
    return report.activity_counts(tenant, period)


@hookimpl
def offer_choices(tenant, day):
    return needs.offer_choices(day)


@hookimpl
def letter_links(tenant, language):
    return public.letter_links(tenant, language)
