"""Every read of a case is on record (docs: Sensitive), and a list page that reads fifty cases writes
one entry naming all of them, not fifty; the audit page shows it as people read it."""

from __future__ import annotations

import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as
from tests.fordern.support import BASE, open_case, person


def reads(tenant, actor: str) -> list[AuditEvent]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "sensitive.read", AuditEvent.actor == actor,
            AuditEvent.object_type == "fordern_cases")).all()


def test_a_list_page_is_one_entry_naming_every_case_it_read(app, officer, grenchen):
    cases = [open_case(grenchen, person(grenchen, official_name=f"Muster{n}")) for n in range(3)]
    assert officer.get(f"{BASE}/").status_code == 200
    [entry] = reads(grenchen, officer.actor)
    assert entry.object_id is None and entry.detail["count"] == 3
    assert sorted(entry.detail["ids"]) == sorted(str(case.id) for case in cases)

    # One case's page: an entry naming that case, its id as it is (no Python tuple).
    assert officer.get(f"{BASE}/faelle/{cases[0].id}").status_code == 200
    assert str(cases[0].id) in [e.object_id for e in reads(grenchen, officer.actor)]

    # What the administration sees of it.
    admin = app.test_client()
    login_as(admin, (grenchen, "tenant_admin"))
    page = admin.get("/grenchen/protokoll?action=sensitive.read").get_data(as_text=True)
    assert "Greta Gerber" in page and "Gelesen" in page and "Fall: 3 Einträge" in page
    assert "UUID(" not in page and "fordern_cases" not in page
