"""Helpers for the register's tests: tenants with Informieren active, persons, forms, tokens."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date

from stdnum import ean

from core import api, modules
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.models import Newcomer
from tests.conftest import make_tenant

VN = "756.9217.0769.85"  # the AHV number of the specimen card (check digit 5)
VN_DIGITS = "7569217076985"


def vn_with_check_digit(first12: str) -> str:
    return first12 + ean.calc_check_digit(first12)


def active_tenant(slug: str, communes: list[int], kind: str = "commune"):
    tenant = make_tenant(slug, kind=kind, communes=communes)
    modules.entitle(tenant, "informieren")
    modules.activate(tenant, "informieren")
    db.session.commit()
    return tenant


def valid_form(**changes) -> dict:
    """What a user types for a newcomer in Grenchen (2546)."""
    data = {
        "official_name": "Silva", "first_name": "Ana", "sex": "f", "date_of_birth": "03.1985",
        "nationalities": ["PT"], "languages": "pt, fr", "arrival_date": "2017-03-01", "municipality_bfs": "2546",
        "permit_category": "B", "street": "Bahnhofstrasse", "house_number": "12", "postal_code": "2540",
        "town": "Grenchen", "moves_with": "", "local_person_id": "2546:1001", "vn": VN,
    }
    data.update(changes)
    return data


def hidden(page_text: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page_text) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page_text)
    assert match, f"no hidden field {name}"
    return match.group(1)


def post_form(client, url: str, data: dict, page=None):
    """Show the form (for its CSRF token and key), then post ``data`` with them."""
    page = page if page is not None else client.get(url).text
    payload = {"csrf_token": hidden(page, "csrf_token"), **data}
    if "form_key" in page and "form_key" not in data:
        payload["form_key"] = hidden(page, "form_key")
    return client.post(url, data=payload)


def text(response) -> str:
    """The page's HTML, unescaped, without the <bdi> that isolates names (their direction is not the test's)."""
    return html.unescape(response.get_data(as_text=True)).replace("<bdi>", "").replace("</bdi>", "")


def fact(page: str, label: str) -> str | None:
    """What a page's list of facts (``<dt>label</dt><dd>…</dd>``) says under ``label``, tags left out."""
    found = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split()) if found else None


def add_person(tenant, **fields) -> Newcomer:
    """A person straight into the table (lists and paging need many, quickly)."""
    values = {"official_name": "Muster", "first_name": "Ana", "arrival_date": date(2017, 3, 1),
              "municipality_bfs": 2546, "nationalities": ["PT"], "languages": ["pt"], "source": "manual",
              "stage": "new"}
    values.update(fields)
    with tenant_scope(tenant):
        person = Newcomer(id=uuid.uuid4(), **values)
        db.session.add(person)
        db.session.commit()
    return person


def token(tenant, *scopes: str) -> dict:
    _row, secret = api.issue_token(tenant, "Einwohnerregister", list(scopes), 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}
