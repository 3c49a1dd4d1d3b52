"""Stepwise module activation: states, dates, dependencies, install hooks, upgrade steps, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import clock, modules
from core.audit import AuditEvent
from core.db import db
from core.errors import NotFound, UserError
from core.tenancy import tenant_scope
from tests.conftest import make_tenant


@pytest.fixture
def tenant(ctx):
    return make_tenant("grenchen", communes=[2546])


def test_a_module_must_be_entitled_before_it_is_activated(tenant):
    with pytest.raises(UserError, match="nicht freigegeben"):
        modules.activate(tenant, "informieren")
    modules.entitle(tenant, "informieren")
    row = modules.activate(tenant, "informieren")
    assert (row.state, row.effective_from) == ("active", clock.today())
    assert modules.active_modules(tenant) == {"informieren"}


def test_unknown_module_is_refused(tenant):
    with pytest.raises(NotFound, match="Unbekanntes Modul «nope»"):
        modules.entitle(tenant, "nope")


def test_fordern_needs_informieren(tenant):
    modules.entitle(tenant, "fordern")
    with pytest.raises(UserError, match=r"Fordern braucht Informieren, aktiv in .* ab [0-9]{2}\.[0-9]{2}\.[0-9]{4}"):
        modules.activate(tenant, "fordern")
    modules.entitle(tenant, "informieren")
    modules.activate(tenant, "informieren")
    assert modules.activate(tenant, "fordern").state == "active"


def test_a_dependency_must_be_active_by_the_dependants_date(tenant):
    later = clock.today() + timedelta(days=30)
    for module_id in ("informieren", "fordern"):
        modules.entitle(tenant, module_id)
    modules.activate(tenant, "informieren", later)
    with pytest.raises(UserError, match="braucht"):
        modules.activate(tenant, "fordern", later - timedelta(days=1))
    assert modules.activate(tenant, "fordern", later).state == "scheduled"


def test_suspending_a_module_others_need_is_refused(tenant):
    for module_id in ("informieren", "fordern"):
        modules.entitle(tenant, module_id)
        modules.activate(tenant, module_id)
    with pytest.raises(UserError, match="Informieren kann nicht ausgeschaltet werden: Fordern braucht es"):
        modules.suspend(tenant, "informieren")
    modules.suspend(tenant, "fordern")
    modules.suspend(tenant, "informieren")
    assert modules.active_modules(tenant) == frozenset()


def test_a_scheduled_activation_takes_effect_on_its_date(tenant, monkeypatch):
    start = date(2027, 1, 1)
    monkeypatch.setattr(clock, "today", lambda: start - timedelta(days=1))
    modules.entitle(tenant, "informieren")
    assert modules.activate(tenant, "informieren", start).state == "scheduled"
    assert modules.active_modules(tenant) == frozenset()
    assert modules.apply_due(tenant) == []
    monkeypatch.setattr(clock, "today", lambda: start)
    assert modules.active_modules(tenant) == {"informieren"}
    assert modules.apply_due(tenant) == ["informieren"]
    assert modules.activations(tenant)["informieren"].state == "active"
    assert modules.apply_due(tenant) == []


def test_every_change_is_audited_with_who_and_what(tenant):
    modules.entitle(tenant, "informieren")
    modules.activate(tenant, "informieren")
    modules.suspend(tenant, "informieren")
    db.session.commit()
    with tenant_scope(tenant):
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.object_type == "module").order_by(AuditEvent.occurred_at)
        ).all()
    assert [e.action for e in events] == ["module.entitled", "module.active", "module.suspended"]
    assert events[1].detail["before"]["state"] == "entitled"
    assert all(e.object_id == "informieren" for e in events)

