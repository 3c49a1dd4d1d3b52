"""The world of the escalation tests: the canton and two communes with Fordern, a case under review."""

from __future__ import annotations

import html
import re
from datetime import date

import sqlalchemy as sa

from core import modules
from core.db import db
from core.people import Person
from core.tenancy import canton_tenant, tenant_scope
from plugins.fordern import cases, states
from plugins.fordern.models import Case
from tests.conftest import make_tenant

OPENED, REVIEWED, ESCALATED = date(2018, 1, 10), date(2018, 5, 2), date(2018, 6, 1)


def activate(tenant) -> None:
    for module_id in ("informieren", "fordern"):
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id)


def world():
    """The canton, Grenchen and Balsthal, each with Informieren and Fordern (the canton's legal bases seeded)."""
    grenchen = make_tenant("grenchen", communes=[2546])
    balsthal = make_tenant("balsthal", communes=[2422])
    canton = canton_tenant()
    for tenant in (canton, grenchen, balsthal):
        activate(tenant)
    db.session.commit()
    return canton, grenchen, balsthal


def case_under_review(tenant, *, name=("Tesfay", "Ghebre"), nationalities=("ER",), languages=("ti",),
                      born="1988-04-12") -> Case:
    """A person and their case, taken to ``under_review`` (in ``tenant``; committed)."""
    with tenant_scope(tenant):
        person = Person(first_name=name[0], official_name=name[1], date_of_birth=born,
                        nationalities=list(nationalities), languages=list(languages),
                        municipality_bfs=2546 if tenant.slug == "grenchen" else 2422,
                        street="Bahnhofstrasse", house_number="12", postal_code="2540", town="Grenchen")
        db.session.add(person)
        db.session.flush()
        case = cases.open_case(person, "Deutschkurs zweimal abgebrochen, Termine nicht wahrgenommen", "user:1",
                               OPENED)
        for to_state in (states.INTERVIEW_SCHEDULED, states.INTERVIEW_HELD, states.MEASURES_AGREED):
            cases.move(case, to_state, OPENED)
        cases.move(case, states.UNDER_REVIEW, REVIEWED)
        db.session.commit()
        return case


def legal_basis(canton, short: str):
    from plugins.fordern.escalation_models import LegalBasis

    with tenant_scope(canton):
        return db.session.scalar(sa.select(LegalBasis).where(LegalBasis.short == short))


def escalation_form(**overrides) -> dict:
    return {"reason": "Nach zwei Runden von Massnahmen keine Verbesserung.", "nationality": "ER", "permit": "B",
            "language": "fr", "on": ESCALATED.isoformat(), **overrides}


def precheck_form(basis_id, **overrides) -> dict:
    return {"nationality": "ER", "permit": "B", "decision_day": "2018-06-15", "legal_basis": str(basis_id),
            "commune_agrees": "yes", "commune_note": "Gemeinderat einverstanden (Beschluss 2018/41)",
            "reasons": "Drittstaatsangehöriger mit B; die Gemeinde stimmt zu.", **overrides}


def document_form(**overrides) -> dict:
    return {"kind": "agreement", "goals": "Deutsch auf Niveau A2 (mündlich) erreichen.",
            "measures": "Deutschkurs A2 bei ECAP Grenchen, zweimal wöchentlich.",
            "consequences": "Wird die Vereinbarung ohne wichtigen Grund nicht eingehalten, kann dies beim Entscheid "
                            "über die Verlängerung der Aufenthaltsbewilligung berücksichtigt werden.",
            "deadlines-0-label": "Anmeldung zum Deutschkurs A2", "deadlines-0-due_on": "2018-08-31",
            "deadlines-1-label": "Sprachnachweis A2 (mündlich)", "deadlines-1-due_on": "2019-06-30",
            "place": "Solothurn", "commune_signatory": "Greta Gerber, Integrationsbeauftragte",
            "canton_signatory": "Fabio Bernasconi, Fachstelle Integration", "aid_language": "fr", "aid_text": "",
            "reason": "Voraussetzungen erfüllt; die Gemeinde stimmt zu.", "action": "conclude", **overrides}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf_token(client, page_url: str) -> str:
    page = client.get(page_url).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="csrf_token"', page)
    assert found, f"no form on {page_url}"
    return found.group(1)


def post(client, page_url: str, action: str, data: dict):
    """Open the page, then post ``data`` with its CSRF token to ``action``."""
    return client.post(action, data={"csrf_token": csrf_token(client, page_url), **data})


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', page)
    assert found, f"no error beside {field}"
    return html.unescape(found.group(1))
