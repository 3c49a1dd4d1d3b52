"""Payment runs: the approved, unpaid claims with each tenant's IBAN as it was; refused without a valid IBAN;
booked once when executed (a second click, or two at once, books nothing more); the files; the CLI."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from core import audit, provisioning
from core.audit import AuditEvent
from core.db import db
from core.errors import UserError
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import decisions, ledger, payment_runs
from plugins.subventionen.models import PAYMENT, LedgerEntry, PaymentItem, PaymentRun
from tests.conftest import POSTGRES
from tests.subventionen import review_world as the

RUNS = "/kanton/subventionen/zahlungslaeufe"


def approved(tenant, total: int) -> str:
    _claim, number = the.submitted_claim(tenant, total)
    the.as_canton(decisions.approve, the.submission(number))
    return number


def count(model) -> int:
    with tenant_scope(canton_tenant()):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def payments() -> list[LedgerEntry]:
    with tenant_scope(canton_tenant()):
        return db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == PAYMENT)).all()


def test_a_run_takes_the_approved_unpaid_claims_with_each_tenants_iban_as_it_was(tenants):
    canton, (grenchen, balsthal) = tenants
    first, second = approved(grenchen, 100_002), approved(balsthal, 250_000)
    run = the.as_canton(payment_runs.create, canton, 2017, date(2018, 3, 5))
    provisioning.set_setting(grenchen, payment_runs.IBAN_SETTING, the.iban(77))
    db.session.commit()
    with tenant_scope(canton):
        items = payment_runs.items(run)
        assert [(i.claim_number, i.amount, i.iban) for i in items] == [
            (first, 100_000, the.iban(1)), (second, 250_000, the.iban(2))]
        assert run.message_id.startswith("SUBV2017") and len(run.message_id) <= 35
        assert payment_runs.due(2017) == []  # in the open run
    with pytest.raises(UserError, match="sind schon im offenen Zahlungslauf SUBV2017"):
        the.as_canton(payment_runs.create, canton, 2017, the.TODAY)


@pytest.mark.parametrize("value", ["", "CH93 0076 2011 6238 5295 8", "DE89370400440532013000"])
def test_a_tenant_without_a_valid_iban_refuses_the_whole_run_naming_it(app, tenants, value):
    canton, (grenchen, balsthal) = tenants
    approved(grenchen, 100_000)
    approved(balsthal, 100_000)
    provisioning.set_setting(balsthal, payment_runs.IBAN_SETTING, "")
    db.session.commit()
    with tenant_scope(balsthal):  # what a commune may have stored before the check was there
        from core.provisioning import TenantSetting

        row = db.session.get(TenantSetting, (balsthal.id, payment_runs.IBAN_SETTING))
        if row is None:
            db.session.add(TenantSetting(tenant_id=balsthal.id, key=payment_runs.IBAN_SETTING, value=value))
        else:
            row.value = value
        db.session.commit()
    with pytest.raises(UserError, match=r"Ohne gültige IBAN .*: Gemeinde 1\. Es ist kein Zahlungslauf erstellt"):
        the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    assert count(PaymentRun) == count(PaymentItem) == 0
    client = the.finance(app)
    page = the.text(client.get(f"{RUNS}?jahr=2017"))
    assert "fehlt oder ungültig" in page
    refused = the.post(client, f"{RUNS}?jahr=2017", f"{RUNS}?jahr=2017", {"execution_date": "2018-03-05"})
    assert refused.status_code == 400 and "Ohne gültige IBAN" in the.text(refused) and "Gemeinde 1" in the.text(refused)
    assert count(PaymentRun) == 0


def test_without_the_cantons_account_no_run(tenants):
    canton, (grenchen, _balsthal) = tenants
    approved(grenchen, 100_000)
    provisioning.set_setting(canton, payment_runs.DEBTOR_IBAN, "")
    db.session.commit()
    with pytest.raises(UserError, match="Konto des Kantons"):
        the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    assert count(PaymentRun) == 0


def test_a_run_with_nothing_due_or_in_the_past_is_refused(tenants):
    canton, (grenchen, _balsthal) = tenants
    with pytest.raises(UserError, match="keine genehmigten, unbezahlten"):
        the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    approved(grenchen, 100_000)
    with pytest.raises(UserError, match="Vergangenheit"):
        the.as_canton(payment_runs.create, canton, 2017, date(2018, 2, 28))


def test_the_setting_refuses_a_wrong_iban_and_the_debit_account_outside_the_canton(tenants):
    _canton, (grenchen, _balsthal) = tenants
    with pytest.raises(UserError, match="Prüfziffer"):
        provisioning.set_setting(grenchen, payment_runs.IBAN_SETTING, "CH93 0076 2011 6238 5295 8")
    with pytest.raises(UserError, match="nur der Kanton"):
        provisioning.set_setting(grenchen, payment_runs.DEBTOR_IBAN, the.iban(5))


def test_executed_books_each_payment_once_and_a_second_click_books_nothing(app, tenants):
    canton, (grenchen, balsthal) = tenants
    approved(grenchen, 100_000)
    approved(balsthal, 200_000)
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    client = the.finance(app)
    page = f"{RUNS}/{run.id}"
    assert the.post(client, page, f"{page}/ausgefuehrt").status_code == 302
    assert sorted(e.amount for e in payments()) == [100_000, 200_000]
    again = the.post(client, page, f"{page}/ausgefuehrt")
    assert again.status_code == 400 and "bereits als ausgeführt gebucht" in the.text(again)
    assert len(payments()) == 2
    discarded = the.post(client, page, f"{page}/verwerfen")
    assert discarded.status_code == 400 and "bleibt" in the.text(discarded)
    with tenant_scope(canton):
        assert ledger.paid(2017) == ledger.committed(2017) == 300_000
        assert payment_runs.run_or_none(run.id).executed_at is not None


def test_a_payment_booked_meanwhile_stops_the_run_by_the_ledgers_unique_index(tenants):
    canton, (grenchen, _balsthal) = tenants
    number = approved(grenchen, 100_000)
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    with tenant_scope(canton), audit.acting_as("user:other"):
        ledger.book(PAYMENT, 2017, grenchen.id, number, 100_000, "von Hand")
        db.session.commit()
    with pytest.raises(UserError, match="bereits ausbezahlt"):
        the.as_canton(payment_runs.mark_executed, run.id)
    assert len(payments()) == 1
    with tenant_scope(canton):
        assert payment_runs.run_or_none(run.id).executed_at is None


@pytest.mark.skipif(not POSTGRES, reason="row locks between connections need PostgreSQL")
def test_two_clicks_at_once_book_the_payments_once(app, tenants):
    canton, (grenchen, balsthal) = tenants
    approved(grenchen, 100_000)
    approved(balsthal, 200_000)
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    start, outcomes = threading.Barrier(2), []

    def click():
        with app.app_context():
            try:
                start.wait(30)
                outcomes.append(("booked", the.as_canton(payment_runs.mark_executed, run.id)))
            except UserError as refused:
                outcomes.append(("refused", str(refused)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(kind for kind, _what in outcomes) == ["booked", "refused"]
    assert sorted(e.amount for e in payments()) == [100_000, 200_000]


def test_a_run_not_executed_can_be_discarded_and_its_claims_are_due_again(app, tenants):
    canton, (grenchen, _balsthal) = tenants
    number = approved(grenchen, 100_000)
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    client = the.finance(app)
    assert the.post(client, f"{RUNS}/{run.id}", f"{RUNS}/{run.id}/verwerfen").status_code == 302
    assert count(PaymentRun) == count(PaymentItem) == 0 and payments() == []
    with tenant_scope(canton):
        assert [b.number for b in payment_runs.due(2017)] == [number]
    created = the.post(client, f"{RUNS}?jahr=2017", f"{RUNS}?jahr=2017", {"execution_date": "2018-03-02"})
    assert created.status_code == 302 and count(PaymentRun) == 1


def test_the_run_page_names_the_transfers(app, tenants):
    canton, (grenchen, _balsthal) = tenants
    number = approved(grenchen, 100_000)
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    page = the.text(the.finance(app).get(f"{RUNS}/{run.id}"))
    grouped = " ".join(the.iban(1)[start:start + 4] for start in range(0, 21, 4))  # CH91 0076 2000 …
    assert number in page and grouped in page and "CHF 1'000.00" in page and run.message_id in page


def test_the_files_of_a_run(app, tenants):
    canton, (grenchen, _balsthal) = tenants
    number = approved(grenchen, 100_000)
    run = the.as_canton(payment_runs.create, canton, 2017, the.TODAY)
    client = the.finance(app)
    xml = client.get(f"{RUNS}/{run.id}/pain001.xml")
    assert xml.status_code == 200 and run.message_id.encode() in xml.data and the.iban(1).encode() in xml.data
    sheet = client.get(f"{RUNS}/{run.id}/zahlungen.xlsx")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    advice = client.get(f"{RUNS}/{run.id}/avis/{number}.pdf")
    assert advice.status_code == 200 and advice.data[:4] == b"%PDF"
    assert client.get(f"{RUNS}/{run.id}/avis/SUB-2018-0099.pdf").status_code == 404


def test_the_payments_command_creates_the_run_and_writes_its_pain001(app, tenants, tmp_path):
    canton, (grenchen, _balsthal) = tenants
    runner = app.test_cli_runner()
    out = tmp_path / "zahlungen.xml"
    nothing = runner.invoke(args=["subventionen", "payments", "--year", "2017", "--out", str(out)])
    assert nothing.exit_code != 0 and "keine genehmigten, unbezahlten" in nothing.output and not out.exists()
    approved(grenchen, 100_000)
    result = runner.invoke(args=["subventionen", "payments", "--year", "2017", "--out", str(out),
                                 "--execution-date", "2018-03-05"])
    assert result.exit_code == 0, result.output
    assert "1 Zahlungen, 100000 Rappen" in result.output and out.read_bytes().startswith(b"<?xml")
    assert count(PaymentRun) == 1
    with tenant_scope(canton):
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "subventionen.payment_run.pain001"))
