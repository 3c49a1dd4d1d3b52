"""Helpers of Fordern's page tests: a commune with Informieren, Fördern and Fordern, a person, forms."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from plugins.fordern import cases
from tests.foerdern.needs_support import TODAY, active_tenant, add_person

BASE = "/grenchen/fordern"
MODULES = ("informieren", "foerdern", "fordern")
NEXT_WEEK = TODAY + timedelta(days=7)


def commune(slug: str = "grenchen", *modules: str):
    return active_tenant(slug, *(modules or MODULES))


def person(tenant, **values):
    values.setdefault("languages", ("fr", "ti"))
    return add_person(tenant, street="Bahnhofstrasse", house_number="3", postal_code="2540", town="Grenchen",
                      **values)


def open_case(tenant, who, owner="user:1", on: date = TODAY):
    with tenant_scope(tenant):
        case = cases.open_case(who, "Deutschkurs zweimal abgebrochen", owner, on)
        db.session.commit()
        return case


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


def send(client, page_url: str, data: dict, action: str | None = None, keys=("form_key", "after")):
    """Open the page, then post ``data`` with its CSRF token (and form key, steps) to ``action`` (the page)."""
    page = client.get(page_url).get_data(as_text=True)
    payload = {"csrf_token": hidden(page, "csrf_token")}
    for key in keys:
        if f'name="{key}"' in page:
            payload[key] = hidden(page, key)
    payload.update(data)
    return client.post(action or page_url, data=payload), payload


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', page)
    assert found, f"no error beside {field}"
    return found.group(1)


def audit(tenant, prefix: str) -> list[AuditEvent]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                  .order_by(AuditEvent.occurred_at)).all()


def pdf_file(content: str = "Zertifikat Deutsch A2") -> tuple[io.BytesIO, str]:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, content)
    canvas.save()
    buffer.seek(0)
    return buffer, "zertifikat.pdf"
