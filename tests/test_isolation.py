"""Tenant isolation, walked over every tenant-owned model: through the ORM and, on PostgreSQL, raw SQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import (
    CantonVisible,
    Scope,
    SharedReads,
    TenantScoped,
    TenantScopeError,
    db,
    scoped_to,
    tenant_scoped_models,
)
from core.plugins import discover
from core.tenancy import tenant_scope
from tests.conftest import POSTGRES
from tests.samples import SAMPLES

discover()  # import the installed plugins, so their models are walked too
MODELS = tenant_scoped_models()


def test_there_are_tenant_owned_models():
    assert {m.__tablename__ for m in MODELS} >= {"audit_events", "module_activations", "tenant_settings"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_tenant_id_leads_the_primary_key_and_every_reference(model):
    table = model.__table__
    assert table.primary_key.columns.values()[0].name == "tenant_id"
    for fk in table.foreign_key_constraints:
        target = fk.referred_table
        if target.name != "tenants" and any(target is m.__table__ for m in MODELS):
            assert "tenant_id" in fk.column_keys, f"{table.name} -> {target.name} must be a composite key"


def _sample_in(tenant, model):
    assert model in SAMPLES, f"add a sample {model.__name__} to tests/samples.py"
    with tenant_scope(tenant):
        row = SAMPLES[model]()
        db.session.add(row)
        db.session.commit()
        identity = sa.inspect(row).identity
    _forget_rows()
    return identity


def _forget_rows() -> None:
    """Drop loaded tenant-owned rows, so the next read asks the database."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, TenantScoped):
            db.session.expunge(obj)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_second_tenant_sees_none_of_the_first_tenants_rows(model, two_tenants):
    a, b = two_tenants
    identity = _sample_in(a, model)
    with tenant_scope(a):
        mine = _count(model)
        assert db.session.get(model, identity) is not None
    _forget_rows()
    with tenant_scope(b):
        assert all(row.tenant_id == b.id for row in db.session.scalars(sa.select(model)))
        assert db.session.get(model, identity) is None
        assert db.session.execute(sa.delete(model).where(model.tenant_id == a.id)).rowcount == 0
        db.session.commit()
    with tenant_scope(a):
        assert _count(model) == mine


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_rows_cannot_be_written_into_another_tenant(model, two_tenants):
    a, b = two_tenants
    with tenant_scope(b):
        row = SAMPLES[model]()
        row.tenant_id = a.id
        db.session.add(row)
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_no_scope_no_rows(model, two_tenants):
    _sample_in(two_tenants[0], model)
    with pytest.raises(TenantScopeError):
        db.session.scalars(sa.select(model)).all()
    with pytest.raises(TenantScopeError):
        db.session.add(SAMPLES[model]())
    db.session.rollback()


def test_a_row_cannot_move_to_another_tenant(two_tenants):
    from core.provisioning import TenantSetting

    a, b = two_tenants
    _sample_in(a, TenantSetting)
    with scoped_to(Scope(tenant_id=a.id, all_tenants=True)):
        row = db.session.scalars(sa.select(TenantSetting).where(TenantSetting.tenant_id == a.id)).one()
        row.tenant_id = b.id
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_canton_scope_reads_across_tenants_and_is_audited(two_tenants):
    from core.audit import AuditEvent
    from core.tenancy import TenantMunicipality, canton_scope

    with canton_scope("test") as canton:
        served = db.session.scalars(sa.select(TenantMunicipality.tenant_id)).all()
        db.session.commit()
    assert set(served) == {t.id for t in two_tenants}
    with tenant_scope(canton):
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "canton_scope.enter" in actions


# -- PostgreSQL: the same rule enforced by the database -----------------------------

postgres_only = pytest.mark.skipif(not POSTGRES, reason="row-level security needs PostgreSQL (DATABASE_URL)")


@postgres_only
def test_the_application_role_is_bound_by_row_security(ctx):
    su, bypass, user = db.session.execute(
        sa.text("SELECT rolsuper, rolbypassrls, current_user FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert (su, bypass, user) == (False, False, "start_integration_app")


@postgres_only
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_raw_sql_sees_only_the_scoped_tenant(model, two_tenants):
    a, b = two_tenants
    _sample_in(a, model)
    table = model.__tablename__
    count = sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a")
    with tenant_scope(a):
        assert db.session.scalar(count, {"a": a.id}) >= 1
        db.session.commit()
    with tenant_scope(b):
        assert db.session.scalar(count, {"a": a.id}) == 0
        assert db.session.execute(sa.text(f"DELETE FROM {table} WHERE tenant_id = :a"), {"a": a.id}).rowcount == 0
        db.session.rollback()
    with db.engine.connect() as connection:  # no scope at all: nothing
        assert connection.scalar(count, {"a": a.id}) == 0
    with tenant_scope(a), pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        db.session.execute(sa.text(f"UPDATE {table} SET tenant_id = :b WHERE tenant_id = :a"), {"a": a.id, "b": b.id})
    db.session.rollback()


@postgres_only
def test_every_tenant_owned_table_forces_row_security(ctx):
    rows = db.session.execute(
        sa.text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, count(p.polname) FROM pg_class c "
            "LEFT JOIN pg_policy p ON p.polrelid = c.oid WHERE c.relname = ANY(:names) "
            "GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity"
        ),
        {"names": [m.__tablename__ for m in MODELS]},
    ).all()
    # A CantonVisible or SharedReads table has a second policy: who else may read it.
    assert sorted(rows) == sorted((m.__tablename__, True, True, 2 if issubclass(m, CantonVisible | SharedReads) else 1)
                                  for m in MODELS)

