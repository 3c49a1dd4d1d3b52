"""Helpers of the import tests (the fixture ``world`` is in ``import_world``)."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.models import ImportItem, ImportRun, Newcomer, PersonChange


def vn(serial: int) -> str:
    """A valid AHV number (EAN-13 check digit) from a serial number."""
    body = f"756{serial:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def persons(tenant) -> list[Newcomer]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Newcomer).order_by(Newcomer.local_person_id)).all()


def changes(tenant) -> list[PersonChange]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(PersonChange).order_by(PersonChange.occurred_at)).all()


def items(tenant, run=None) -> list[ImportItem]:
    with tenant_scope(tenant):
        query = sa.select(ImportItem).order_by(ImportItem.filename, ImportItem.position)
        if run is not None:
            query = query.where(ImportItem.import_id == run.id)
        return db.session.scalars(query).all()


def runs(tenant) -> list[ImportRun]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(ImportRun).order_by(ImportRun.started_at)).all()


def fresh_run(tenant, run_id) -> ImportRun:
    with tenant_scope(tenant):
        return db.session.get(ImportRun, (tenant.id, run_id), populate_existing=True)


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def csrf(page_text: str) -> str:
    return page_text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0] \
        if 'name="csrf_token" type="hidden" value="' in page_text \
        else page_text.split('name="csrf_token" value="')[1].split('"')[0]
