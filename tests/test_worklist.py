"""Core's worklist gathers every active module's items: start page and digest show them together."""

from __future__ import annotations

import email
import types
from datetime import date, timedelta
from email import policy

import pytest

import plugins.informieren
from core import clock, jobs, modules, worklist
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest, Permission
from core.worklist import WorkItem
from tests.conftest import clear_database, login_as, make_app, make_tenant
from tests.informieren.test_interviews import TODAY, make_person


def _reminders():
    plugin = types.ModuleType("reminders")
    plugin.manifest = Manifest(id="reminders", title="Reminders", version="1.0", permissions=(
        Permission("reminders.work", "Work on reminders", ("integration_officer",)),))

    @hookimpl
    def worklist_items(tenant, day):
        return [WorkItem("reminders.calls", "Rückrufe überfällig", 4, "reminders.work", "shell.tenant_home",
                         overdue=True, earliest=day - timedelta(days=2))]

    plugin.worklist_items = worklist_items
    return plugin


@pytest.fixture
def world(app, database_url, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    test_app = make_app(plugins=[plugins.informieren, _reminders()], SQLALCHEMY_DATABASE_URI=database_url)
    with test_app.app_context():
        tenant = make_tenant("grenchen", communes=[2546])
        for module_id in ("informieren", "reminders"):
            modules.entitle(tenant, module_id)
            modules.activate(tenant, module_id, date(2017, 1, 1))
        db.session.commit()
        yield test_app, tenant
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def test_items_of_every_module_overdue_first(world):
    _app, tenant = world
    make_person(tenant, arrival=TODAY - timedelta(days=3))
    found = worklist.items(tenant)
    assert [item.key for item in found][:3] == ["reminders.calls", "informieren.letter_overdue",
                                                "informieren.interview_overdue"]
    assert {item.key: item.count for item in found}["informieren.letter_due"] == 1


def test_the_start_page_and_the_digest_show_both_modules(world, monkeypatch, tmp_path):
    app, tenant = world
    make_person(tenant, arrival=TODAY - timedelta(days=20))
    client = app.test_client()
    login_as(client, (tenant, "integration_officer"), name="Olga Offizier")
    page = client.get("/grenchen/").text
    assert "Rückrufe überfällig" in page and "Begrüssungsschreiben überfällig" in page
    clerk = app.test_client()
    login_as(clerk, (tenant, "residents_services"))
    page = clerk.get("/grenchen/").text
    assert "Rückrufe überfällig" not in page and "Begrüssungsschreiben überfällig" in page
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setattr("core.mail.outbox", lambda: tmp_path)
    assert jobs.run_periodic("worklist.digest")["grenchen"] == {"sent": 2, "failed": 0}
    bodies = [email.message_from_bytes(path.read_bytes(), policy=policy.default).get_content()
              for path in tmp_path.glob("*.eml")]
    assert sum("Rückrufe überfällig: 4" in body for body in bodies) == 1
    assert all("Begrüssungsschreiben überfällig: 1" in body for body in bodies)
