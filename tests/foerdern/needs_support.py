"""Helpers for the tests of needs and referrals: tenants with Fördern, persons, offers, forms."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date

import sqlalchemy as sa

from core import content_languages, modules
from core.audit import AuditEvent
from core.db import db
from core.people import Person
from core.tenancy import tenant_scope
from plugins.foerdern import published
from plugins.foerdern.models import Offer
from plugins.foerdern.needs_models import Need, Referral, ReferralStep
from tests.conftest import make_tenant

TODAY = date(2017, 6, 15)
BFS = {"grenchen": 2546, "balsthal": 2422, "dornach": 2473}


def active_tenant(slug: str, *module_ids: str):
    tenant = make_tenant(slug, communes=[BFS[slug]])
    for module_id in module_ids or ("foerdern",):
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id, date(2017, 1, 1))
    content_languages.set_offered(tenant, ["fr", "ti"])
    db.session.commit()
    return tenant


def add_person(tenant, languages=("ti", "en"), **values) -> Person:
    with tenant_scope(tenant):
        person = Person(official_name=values.pop("official_name", "Tesfay"), first_name=values.pop("first_name",
                        "Samrawit"), municipality_bfs=BFS[tenant.slug], languages=list(languages), **values)
        db.session.add(person)
        db.session.commit()
    return person


def add_offer(tenant, kind="language_course", languages=(), title="Deutschkurs A1", **values) -> Offer:
    with tenant_scope(tenant):
        offer = Offer(id=uuid.uuid4(), title={"de": title}, kind=kind, languages=list(languages), updated_by="test",
                      **values)
        db.session.add(offer)
        published.publish(offer)
        db.session.commit()
    return offer


def add_need(tenant, person, category="language", level=None, state="open", note="") -> Need:
    from plugins.foerdern import needs

    with tenant_scope(tenant):
        need = needs.add(person, category, level, note, TODAY)
        if state != "open":
            needs.set_state(need, state, TODAY)
        db.session.commit()
    return need


def refer(tenant, person, offer, need=None, state="proposed", on=TODAY) -> Referral:
    from plugins.foerdern import needs, referrals

    with tenant_scope(tenant):
        current = needs.find_offer(f"{offer.tenant_id}:{offer.id}", TODAY)
        referral = referrals.refer(person, current, need, state, on, "", TODAY)
        db.session.commit()
    return referral


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


def form_post(client, page_url: str, action: str, data: dict, keys=("form_key", "after")):
    """Open the page, then post ``data`` with the page's CSRF token (and form key) to ``action``."""
    page = client.get(page_url).get_data(as_text=True)
    payload = {"csrf_token": hidden(page, "csrf_token")}
    for key in keys:
        if f'name="{key}"' in page:
            payload[key] = hidden(page, key)
    payload.update(data)
    return client.post(action, data=payload), payload


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', page)
    assert found, f"no error beside {field}"
    return found.group(1)


def stored(tenant, model) -> list:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(model).execution_options(populate_existing=True)).all()


def steps(tenant, referral) -> list[ReferralStep]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(ReferralStep).where(ReferralStep.referral_id == referral.id)
                                  .order_by(ReferralStep.seq)).all()


def audit_events(tenant, prefix="foerdern.") -> list[AuditEvent]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                  .order_by(AuditEvent.occurred_at)).all()
