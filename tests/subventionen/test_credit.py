"""The canton's year: the credit (page and CLI), the rules in versions, the freeze once a claim is paid; every
tenant reads the canton's credits and rules, none writes them (the ORM's scope and, on PostgreSQL, RLS)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import credit
from plugins.subventionen.models import PAYMENT, Credit, LedgerEntry, Rule, RuleSet
from tests.conftest import POSTGRES, login_as
from tests.subventionen.world import LETTERS, RULES_2017, post, set_year, text, world

BASE = "/kanton/subventionen/kredit"


@pytest.fixture
def tenants(ctx, monkeypatch):
    return world(monkeypatch, with_rules=False)


@pytest.fixture
def finance(app, tenants):
    client = app.test_client()
    login_as(client, (tenants[0], "subventionen.finance"), name="Franziska Finanz")
    return client


def invoke(runner, *args):
    result = runner.invoke(args=["subventionen", *args])
    assert "Traceback" not in result.output, result.output
    return result


def audit(tenant, action):
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def pay(claimant, year=2017, number="SUB-2018-0001", amount=100_000):
    """A payment in the canton's ledger (as the payment run books it)."""
    with tenant_scope(canton_tenant()):
        db.session.add(LedgerEntry(year=year, claimant_tenant_id=claimant.id, claim_number=number, kind=PAYMENT,
                                   amount=amount, booked_on=date(2018, 4, 30), booked_by="test"))
        db.session.commit()


# -- the credit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["900000", "900'000.00", "900’000"])
def test_the_cli_sets_the_credit_in_rappen_with_defaults_and_audits_it(app, tenants, amount):
    runner = app.test_cli_runner()
    result = invoke(runner, "credit", "2017", amount)
    assert result.exit_code == 0, result.output
    assert "CHF 900'000.00" in result.output
    with tenant_scope(tenants[0]):
        found = credit.credit_of(2017)
        assert (found.amount, found.claims_from, found.claims_until, found.deadline) == (
            90_000_000, date(2017, 1, 1), date(2017, 12, 31), date(2018, 3, 31))
    [event] = audit(tenants[0], "subventionen.credit.set")
    assert event.detail["after"]["amount"] == 90_000_000 and event.actor.startswith("cli:")


def test_the_cli_takes_the_period_and_deadline_and_changes_a_credit(app, tenants):
    runner = app.test_cli_runner()
    invoke(runner, "credit", "2018", "1000000")
    result = invoke(runner, "credit", "2018", "1'200'000.50", "--from", "2018-01-01", "--until", "2018-11-30",
                    "--deadline", "2019-01-31")
    assert result.exit_code == 0, result.output
    with tenant_scope(tenants[0]):
        found = credit.credit_of(2018)
        assert (found.amount, found.claims_until, found.deadline) == (120_000_050, date(2018, 11, 30),
                                                                      date(2019, 1, 31))
    assert len(audit(tenants[0], "subventionen.credit.set")) == 2


@pytest.mark.parametrize("args, message", [
    (("2016", "900000"), "beginnt 2017"),
    (("2017", "neunhundert"), "kein Betrag in Franken"),
    (("2017", "900000.123"), "mehr als zwei Stellen"),
    (("2017", "0"), "über null"),
    (("2017", "900000", "--from", "2017-06-01", "--until", "2017-01-31"), "vor ihrem Ende beginnen"),
    (("2017", "900000", "--deadline", "2017-06-30"), "Frist"),
])
def test_the_cli_refuses_bad_input_with_a_message_and_stores_nothing(app, tenants, args, message):
    result = invoke(app.test_cli_runner(), "credit", *args)
    assert result.exit_code == 1 and message in result.output, result.output
    with tenant_scope(tenants[0]):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Credit)) == 0


def test_the_page_sets_a_year_and_shows_a_wrong_amount_beside_its_field(finance):
    page = text(finance.get(BASE))
    assert 'value="2017"' in page  # the next year, prefilled
    refused = post(finance, BASE, BASE, {"year": "2017", "amount": "900.000,00", "claims_from": "2017-01-01",
                                        "claims_until": "2017-12-31", "deadline": "2018-03-31"})
    assert refused.status_code == 400 and "ist kein Betrag in Franken" in text(refused)
    saved = post(finance, BASE, BASE, {"year": "2017", "amount": "900'000", "claims_from": "2017-01-01",
                                      "claims_until": "2017-12-31", "deadline": "2018-03-31"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{BASE}/2017")
    year = text(finance.get(f"{BASE}/2017"))
    assert "CHF 900'000.00" in year and "Regeln festlegen" in year


def test_the_credit_cannot_shrink_below_what_is_committed(app, tenants):
    set_year(2017, rules=None)
    with tenant_scope(canton_tenant()):
        db.session.add(LedgerEntry(year=2017, claimant_tenant_id=tenants[1].id, claim_number="SUB-2018-0001",
                                   kind="commitment", amount=50_000_000, booked_on=date(2018, 4, 1), booked_by="t"))
        db.session.commit()
    result = invoke(app.test_cli_runner(), "credit", "2017", "400000")
    assert result.exit_code == 1 and "CHF 500'000.00" in result.output
    assert invoke(app.test_cli_runner(), "credit", "2017", "950000").exit_code == 0


# -- the rules ------------------------------------------------------------------------------------------


def rule_rows(rows: list[dict]) -> dict:
    data = {}
    for index, row in enumerate(rows):
        for key in ("kind", "activity_key", "amount", "share", "ceiling"):
            data[f"rules-{index}-{key}"] = row.get(key, "")
    return data


def test_a_new_version_starts_as_a_copy_of_the_current_one_and_becomes_current_on_saving(finance, tenants):
    set_year(2017)
    url = f"{BASE}/2017/regeln/neu"
    form = text(finance.get(url))
    assert 'value="2\'000.00"' in form and f'<option selected value="{LETTERS}">' in form
    assert 'name="based_on" type="hidden" value="1"' in form
    rows = [{"kind": "flat_tenant", "amount": "6'000"}, {"kind": "per_activity", "activity_key": LETTERS,
                                                         "amount": "60"},
            {"kind": "cost_share", "share": "40", "ceiling": ""}, {"kind": ""}]
    saved = post(finance, url, url, {"based_on": "1", "note": "Pauschale erhöht", **rule_rows(rows)})
    assert saved.status_code == 302, text(saved)
    with tenant_scope(tenants[0]):
        assert credit.current_version(2017).version == 2
        assert [credit.describe(rule) for rule in credit.rules_of(2017, 2)] == [
            "Pauschale pro Mandant: CHF 6'000.00",
            "Betrag pro Aktivität: Begrüssungsschreiben versandt, CHF 60.00",
            "Anteil an den ausgewiesenen Kosten: 40 %"]
        assert len(credit.rules_of(2017, 1)) == len(RULES_2017)  # the old version is as it was
    saved = {event.detail["version"]: event.detail for event in audit(tenants[0], "subventionen.rules.saved")}
    assert saved[2]["note"] == "Pauschale erhöht" and saved[1]["note"] == "erste Regeln"
    assert "Version 2" in text(finance.get(f"{BASE}/2017"))
    assert "Version 1" in text(finance.get(f"{BASE}/2017/regeln/1"))


@pytest.mark.parametrize("rows, message", [
    ([{"kind": "flat_tenant", "amount": "5000.001"}], "mehr als zwei Stellen"),
    ([{"kind": "per_activity", "amount": "50"}], "Bitte die Aktivität wählen"),
    ([{"kind": "cost_share", "share": "120"}], "höchstens bei 100 %"),
    ([{"kind": "cost_share", "share": "halb"}], "kein Anteil in Prozent"),
    ([{"kind": "flat_commune", "amount": "0"}], "über null"),
    ([{"kind": "flat_tenant", "amount": "1"}, {"kind": "flat_tenant", "amount": "2"}], "zweimal"),
    ([{"kind": ""}], "mindestens eine Regel"),
])
def test_a_bad_version_is_refused_with_a_message_and_nothing_saved(finance, tenants, rows, message):
    set_year(2017)
    url = f"{BASE}/2017/regeln/neu"
    refused = post(finance, url, url, {"based_on": "1", **rule_rows(rows)})
    assert refused.status_code == 400 and message in text(refused), text(refused)
    with tenant_scope(tenants[0]):
        assert credit.current_version(2017).version == 1


def test_a_version_saved_meanwhile_by_someone_else_is_not_overwritten(finance, tenants):
    set_year(2017)
    url = f"{BASE}/2017/regeln/neu"
    rows = rule_rows([{"kind": "flat_tenant", "amount": "1000"}])
    assert post(finance, url, url, {"based_on": "1", **rows}).status_code == 302
    stale = post(finance, url, url, {"based_on": "1", **rows})
    assert stale.status_code == 400 and "Inzwischen wurde Version 2" in text(stale)
    with tenant_scope(tenants[0]):
        assert credit.current_version(2017).version == 2


def test_once_a_claim_of_the_year_is_paid_its_rules_and_period_are_frozen(app, finance, tenants):
    set_year(2017)
    pay(tenants[1])
    url = f"{BASE}/2017/regeln/neu"
    page = text(finance.get(url))
    assert "eingefroren" in page and "SUB-2018-0001" in page and "<fieldset>" not in page
    refused = post(finance, f"{BASE}/2017", url, {"based_on": "1", **rule_rows([{"kind": "flat_tenant",
                                                                                  "amount": "1"}])})
    assert refused.status_code == 400 and "eingefroren" in text(refused)
    assert "eingefroren" in text(finance.get(f"{BASE}/2017")) and "Regeln ändern" not in text(finance.get(
        f"{BASE}/2017"))
    period = invoke(app.test_cli_runner(), "credit", "2017", "900000", "--until", "2017-11-30")
    assert period.exit_code == 1 and "eingefroren" in period.output
    assert invoke(app.test_cli_runner(), "credit", "2017", "950000").exit_code == 0  # more money is fine
    with tenant_scope(tenants[0]):
        assert credit.current_version(2017).version == 1
        assert credit.credit_of(2017).claims_until == date(2017, 12, 31)
    set_year(2018)  # another year is not frozen
    with tenant_scope(tenants[0]):
        assert credit.frozen_message(2018) is None


def test_rules_need_a_credit_first(finance, tenants):
    assert finance.get(f"{BASE}/2019/regeln/neu").status_code == 404
    with tenant_scope(tenants[0]), pytest.raises(Exception, match="kein Kredit"):
        credit.save_version(2019, RULES_2017, "", None)


# -- every tenant reads, only the canton writes -------------------------------------------------------------


def test_a_commune_reads_the_cantons_credit_and_rules_but_cannot_change_them(tenants):
    set_year(2017)
    canton, grenchen = tenants[0], tenants[1]
    with tenant_scope(grenchen):
        assert credit.credit_of(2017).amount == 90_000_000
        assert credit.current_version(2017).version == 1 and len(credit.rules_of(2017, 1)) == 6
        assert db.session.execute(sa.update(Credit).values(amount=1)).rowcount == 0
        assert db.session.execute(sa.update(Rule).values(amount=1)).rowcount == 0
        assert db.session.execute(sa.delete(RuleSet)).rowcount == 0
        found = credit.credit_of(2017)
        found.amount = 1
        with pytest.raises(Exception, match="another tenant"):
            db.session.flush()
        db.session.rollback()
    with tenant_scope(canton):
        assert credit.credit_of(2017).amount == 90_000_000


def test_a_commune_cannot_pass_off_a_credit_of_its_own_as_the_cantons(tenants):
    set_year(2017)
    grenchen = tenants[1]
    with tenant_scope(grenchen):
        db.session.add(Credit(year=2018, amount=1, claims_from=date(2018, 1, 1), claims_until=date(2018, 12, 31),
                              deadline=date(2019, 3, 31), set_by="x"))
        db.session.commit()
        assert credit.credit_of(2018) is None  # only the canton's rows are credits
    with tenant_scope(tenants[2]):
        assert credit.credit_of(2018) is None


postgres_only = pytest.mark.skipif(not POSTGRES, reason="row-level security needs PostgreSQL (DATABASE_URL)")


@postgres_only
def test_row_level_security_lets_every_tenant_read_the_cantons_year_and_nobody_else_write_it(tenants):
    set_year(2017)
    canton, grenchen, buchegg = tenants[:3]
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.text("SELECT amount FROM subventionen_credits WHERE year = 2017")) == 90_000_000
        assert db.session.scalar(sa.text("SELECT count(*) FROM subventionen_rules")) == 6
        assert db.session.execute(sa.text("UPDATE subventionen_credits SET amount = 1")).rowcount == 0
        assert db.session.execute(sa.text("DELETE FROM subventionen_rules")).rowcount == 0
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            db.session.execute(sa.text(
                "INSERT INTO subventionen_rule_sets (tenant_id, year, version, note, created_at, created_by) "
                "VALUES (:canton, 2017, 9, '', now(), 'x')"), {"canton": canton.id})
        db.session.rollback()
    with tenant_scope(buchegg):  # a commune's own row is not the canton's: nobody else reads it
        db.session.execute(sa.text(
            "INSERT INTO subventionen_credits (tenant_id, year, amount, claims_from, claims_until, deadline, set_at, "
            "set_by) VALUES (:me, 2030, 1, '2030-01-01', '2030-12-31', '2031-03-31', now(), 'x')"), {"me": buchegg.id})
        db.session.commit()
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.text("SELECT count(*) FROM subventionen_credits WHERE year = 2030")) == 0
        db.session.rollback()


def test_the_claims_listing_of_the_cli_needs_a_year(app, tenants):
    result = invoke(app.test_cli_runner(), "claims", "--year", "2017", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert invoke(app.test_cli_runner(), "claims", "--year", "1999").exit_code == 1
