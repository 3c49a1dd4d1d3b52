"""The ledger: append-only, every figure a sum over it, balanced to the Rappen from approval to payment; a
commune reads its own entries only; ``flask subventionen ledger``."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.audit import AuditEvent
from core.db import db
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import decisions, ledger, payment_runs
from plugins.subventionen.models import COMMITMENT, CORRECTION, PAYMENT, LedgerEntry
from tests.subventionen import review_world as the


def approved(tenant, total: int) -> str:
    _claim, number = the.submitted_claim(tenant, total)
    the.as_canton(decisions.approve, the.submission(number))
    return number


def test_the_ledger_refuses_every_orm_update_and_delete(tenants):
    _canton, (grenchen, _balsthal) = tenants
    approved(grenchen, 100_000)
    with tenant_scope(canton_tenant()):
        entry = db.session.scalar(sa.select(LedgerEntry))
        entry.amount = 1
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        entry = db.session.scalar(sa.select(LedgerEntry))
        db.session.delete(entry)
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(sa.select(LedgerEntry.amount)) == 100_000


def test_a_claim_is_committed_once_and_paid_once_in_the_database_too(tenants):
    _canton, (grenchen, _balsthal) = tenants
    number = approved(grenchen, 100_000)
    for kind in (COMMITMENT, PAYMENT):
        with tenant_scope(canton_tenant()):
            if kind == PAYMENT:
                ledger.book(PAYMENT, 2017, grenchen.id, number, 100_000)
                db.session.commit()
            with pytest.raises(IntegrityError):
                ledger.book(kind, 2017, grenchen.id, number, 100_000)
            db.session.rollback()


def test_every_figure_is_a_sum_over_the_ledger_corrections_included(tenants):
    canton, (grenchen, balsthal) = tenants
    first = approved(grenchen, 1_000_003)
    approved(balsthal, 2_000_000)
    with tenant_scope(canton):
        ledger.book(CORRECTION, 2017, grenchen.id, first, -5_000, "Doppelt gezählter Kurs")
        ledger.book(PAYMENT, 2017, balsthal.id, "SUB-2018-0002", 2_000_000)
        db.session.commit()
        [figures] = ledger.year_figures([2017])
        assert (figures.credit, figures.committed, figures.paid) == (90_000_000, 2_995_005, 2_000_000)
        assert figures.left == 90_000_000 - 2_995_005 and figures.unpaid == 995_005
        assert ledger.committed(2017) == 2_995_005 and ledger.paid(2017) == 2_000_000
        by_tenant = ledger.per_tenant(2017)
        assert (by_tenant[grenchen.id].committed, by_tenant[grenchen.id].paid) == (995_005, 0)
        assert (by_tenant[balsthal.id].committed, by_tenant[balsthal.id].paid) == (2_000_000, 2_000_000)


def test_the_ledger_balances_to_the_rappen_from_approval_to_payment(tenants):
    canton, (grenchen, balsthal) = tenants
    totals = {grenchen: 45_678_901, balsthal: 33_333_334}
    numbers = [approved(tenant, total) for tenant, total in totals.items()]
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    booked = the.as_canton(payment_runs.mark_executed, run.id)
    with tenant_scope(canton):
        [figures] = ledger.year_figures([2017])
        payable = 45_678_900 + 33_333_335  # each rounded to 5 Rappen
        assert figures.committed == figures.paid == booked == payable
        assert figures.left == 90_000_000 - payable and figures.unpaid == 0
        assert sum(b.committed for b in ledger.claim_balances(2017)) == payable
        assert [b.number for b in ledger.claim_balances(2017)] == numbers
        entries = ledger.entries(2017)
        assert sorted(e.kind for e in entries) == [COMMITMENT, COMMITMENT, PAYMENT, PAYMENT]
        assert all(e.payment_run_id == run.id for e in entries if e.kind == PAYMENT)


def test_a_commune_reads_its_own_entries_and_no_others(tenants):
    _canton, (grenchen, balsthal) = tenants
    mine = approved(grenchen, 100_000)
    approved(balsthal, 200_000)
    with tenant_scope(grenchen):
        seen = db.session.scalars(sa.select(LedgerEntry)).all()
        assert [(e.claim_number, e.amount) for e in seen] == [(mine, 100_000)]
        assert ledger.committed(2017) == 100_000  # the sums, too, are its own
    with db.engine.connect() as connection:  # and without a scope, nothing (row security on PostgreSQL)
        if connection.dialect.name == "postgresql":
            assert connection.scalar(sa.text("SELECT count(*) FROM subventionen_ledger")) == 0


def test_the_ledger_command_lists_the_year_with_its_sums_in_rappen(app, tenants):
    canton, (grenchen, _balsthal) = tenants
    number = approved(grenchen, 1_234_567)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["subventionen", "ledger", "--year", "2017", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert (found["credit"], found["committed"], found["paid"], found["left"]) == (
        90_000_000, 1_234_565, 0, 90_000_000 - 1_234_565)
    assert found["entries"] == [{"booked_on": "2018-03-01", "kind": "commitment", "tenant": grenchen.slug,
                                 "claim": number, "amount": 1_234_565, "note": "", "payment_run": None}]
    table = runner.invoke(args=["subventionen", "ledger", "--year", "2017"])
    assert table.exit_code == 0 and number in table.output and "genehmigt 1234565" in table.output
    empty = runner.invoke(args=["subventionen", "ledger", "--year", "2030", "--json"])
    assert json.loads(empty.output)["credit"] is None and json.loads(empty.output)["entries"] == []
    with tenant_scope(canton):
        listed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "subventionen.ledger.listed"))
        assert sorted(e.detail["year"] for e in listed) == [2017, 2017, 2030]
