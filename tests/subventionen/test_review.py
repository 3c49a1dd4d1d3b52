"""The canton's decisions on claims: approve, reduce, return; refused with a clear message and nothing changed;
the shortfall's pro-rata split; concurrent approvals never exceed the credit (several processes, PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import re

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core import submissions
from core.db import db
from core.errors import UserError
from core.money import round_to_5
from core.submissions import State
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import decisions, ledger
from plugins.subventionen.models import APPROVED, COMMITMENT, RETURNED, SUBMITTED, LedgerEntry
from tests.conftest import POSTGRES
from tests.subventionen import review_world as the


def commitments() -> list[LedgerEntry]:
    with tenant_scope(canton_tenant()):
        return db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == COMMITMENT)
                                  .order_by(LedgerEntry.claim_number)).all()


def test_approving_books_the_total_rounded_to_5_rappen_and_the_commune_sees_it(tenants):
    _canton, (grenchen, _balsthal) = tenants
    claim_id, number = the.submitted_claim(grenchen, 1_234_503)
    amount = the.as_canton(decisions.approve, the.submission(number))
    assert amount == round_to_5(1_234_503) == 1_234_505
    [entry] = commitments()
    assert (entry.claim_number, entry.amount, entry.claimant_tenant_id, entry.year) == (number, 1_234_505, grenchen.id,
                                                                                        2017)
    assert the.submission(number).state == State.ACCEPTED
    mine = the.claim_row(grenchen, claim_id)
    assert (mine.state, mine.approved, mine.decision_note) == (APPROVED, 1_234_505, "")


def test_a_reduction_books_less_with_its_reason(tenants):
    _canton, (grenchen, _balsthal) = tenants
    claim_id, number = the.submitted_claim(grenchen, 500_000)
    the.as_canton(decisions.reduce, the.submission(number), 400_000, "Kosten für Apéro nicht anrechenbar")
    assert [e.amount for e in commitments()] == [400_000]
    mine = the.claim_row(grenchen, claim_id)
    assert (mine.state, mine.approved, mine.decision_note) == (APPROVED, 400_000, "Kosten für Apéro nicht anrechenbar")


@pytest.mark.parametrize("amount, reason, message", [
    (500_000, "zu viel", "nicht weniger als beantragt"),
    (600_000, "zu viel", "nicht weniger als beantragt"),
    (400_003, "krumm", "5 Rappen"),
    (0, "nichts", "zurückweisen"),
    (400_000, "  ", "Begründung"),
])
def test_a_reduction_that_is_none_is_refused_and_changes_nothing(tenants, amount, reason, message):
    _canton, (grenchen, _balsthal) = tenants
    claim_id, number = the.submitted_claim(grenchen, 500_000)
    with pytest.raises(UserError, match=message):
        the.as_canton(decisions.reduce, the.submission(number), amount, reason)
    assert commitments() == []
    assert the.submission(number).state == State.SUBMITTED
    assert the.claim_row(grenchen, claim_id).state == SUBMITTED


def test_returning_for_correction_needs_a_reason_and_books_nothing(tenants):
    _canton, (grenchen, _balsthal) = tenants
    claim_id, number = the.submitted_claim(grenchen, 500_000)
    with pytest.raises(UserError, match="Grund"):
        the.as_canton(decisions.give_back, the.submission(number), "")
    the.as_canton(decisions.give_back, the.submission(number), "Belege zu den Kosten fehlen")
    assert the.submission(number).state == State.RETURNED and commitments() == []
    mine = the.claim_row(grenchen, claim_id)
    assert (mine.state, mine.decision_note) == (RETURNED, "Belege zu den Kosten fehlen")
    with pytest.raises(UserError, match="zurückgewiesen"):
        the.as_canton(decisions.approve, the.submission(number))


def test_an_approved_claim_is_not_approved_again(tenants):
    _canton, (grenchen, _balsthal) = tenants
    _claim, number = the.submitted_claim(grenchen, 500_000)
    the.as_canton(decisions.approve, the.submission(number))
    for step, args in ((decisions.approve, ()), (decisions.reduce, (100_000, "weniger")),
                       (decisions.give_back, ("doch nicht",))):
        with pytest.raises(UserError, match="bereits genehmigt"):
            the.as_canton(step, the.submission(number), *args)
    assert [e.amount for e in commitments()] == [500_000]


def test_a_paid_claim_is_not_approved_again(tenants):
    _canton, (grenchen, _balsthal) = tenants
    _claim, number = the.submitted_claim(grenchen, 500_000)
    the.as_canton(decisions.approve, the.submission(number))
    with tenant_scope(canton_tenant()):
        ledger.book("payment", 2017, grenchen.id, number, 500_000, "bezahlt")
        db.session.commit()
    with pytest.raises(UserError, match="bereits ausbezahlt"):
        the.as_canton(decisions.approve, the.submission(number))
    assert len(commitments()) == 1


def test_approval_beyond_the_credit_is_refused_and_the_claim_stays_in_review(tenants):
    _canton, (grenchen, balsthal) = tenants
    _first, first = the.submitted_claim(grenchen, 60_000_000)
    _second, second = the.submitted_claim(balsthal, 40_000_000)
    the.as_canton(decisions.approve, the.submission(first))
    with pytest.raises(UserError, match=r"übersteigt, was vom Integrationskredit 2017 übrig ist \(CHF 300'000.00\)"):
        the.as_canton(decisions.approve, the.submission(second))
    assert [e.claim_number for e in commitments()] == [first]
    assert the.submission(second).state == State.SUBMITTED


def test_without_a_credit_for_the_year_nothing_is_approved(tenants):
    _canton, (grenchen, _balsthal) = tenants
    _claim, number = the.submitted_claim(grenchen, 100_000, year=2019)
    with pytest.raises(UserError, match="2019 ist noch kein Integrationskredit"):
        the.as_canton(decisions.approve, the.submission(number))
    assert commitments() == []


def test_a_decision_on_an_older_version_is_refused(tenants):
    _canton, (grenchen, _balsthal) = tenants
    _claim, number = the.submitted_claim(grenchen, 100_000)
    with pytest.raises(UserError, match="Fassung 1"):
        the.as_canton(decisions.approve, the.submission(number), version=2)
    assert commitments() == []


def test_cores_generic_accept_is_refused_since_it_names_no_amount(tenants):
    _canton, (grenchen, _balsthal) = tenants
    _claim, number = the.submitted_claim(grenchen, 100_000)
    the.as_canton(submissions.change, the.submission(number), "start_review")
    with pytest.raises(UserError, match="Prüfseite"):
        the.as_canton(submissions.change, the.submission(number), "accept")
    assert the.submission(number).state == State.IN_REVIEW and commitments() == []


# -- the shortfall -----------------------------------------------------------------------------------


def test_the_shortfall_is_split_pro_rata_and_approved_in_one_step(tenants):
    canton, (grenchen, balsthal) = tenants
    _a, first = the.submitted_claim(grenchen, 60_000_000)
    _b, second = the.submitted_claim(balsthal, 40_000_003)  # CHF 400'000.05 payable
    with tenant_scope(canton):
        rows, _unreadable = decisions.listing(2017)
        proposal = decisions.proposal(2017, rows)
    assert proposal.shortfall == 100_000_005 - 90_000_000
    parts = {row.submission.number: part for row, part in proposal.parts}
    assert sum(parts.values()) == 90_000_000 and all(part % 5 == 0 for part in parts.values())
    assert parts == {first: 53_999_995, second: 36_000_005}
    done = the.as_canton(decisions.approve_pro_rata, 2017, proposal.digest)
    assert dict(done) == parts
    assert sum(e.amount for e in commitments()) == 90_000_000
    assert all(e.note.startswith("anteilige Kürzung") for e in commitments())
    with tenant_scope(canton):
        assert ledger.committed(2017) == 90_000_000


def test_a_pro_rata_approval_of_a_proposal_that_changed_is_refused(tenants):
    canton, (grenchen, balsthal) = tenants
    the.submitted_claim(grenchen, 60_000_000)
    the.submitted_claim(balsthal, 40_000_000)
    with tenant_scope(canton):
        stale = decisions.proposal(2017, decisions.listing(2017)[0]).digest
    the.set_credit(2018, 1)  # another year changes nothing here
    third_tenant = the.make_tenant("gemeinde9", communes=[2613])
    the.activate(third_tenant)
    db.session.commit()
    the.submitted_claim(third_tenant, 1_000_000)
    with pytest.raises(UserError, match="geändert"):
        the.as_canton(decisions.approve_pro_rata, 2017, stale)
    assert commitments() == []


def test_no_pro_rata_where_the_credit_suffices(tenants):
    _canton, (grenchen, _balsthal) = tenants
    the.submitted_claim(grenchen, 1_000_000)
    with pytest.raises(UserError, match="reicht für alle"):
        the.as_canton(decisions.approve_pro_rata, 2017, "x")


@settings(max_examples=300, deadline=None)
@given(left=st.integers(min_value=0, max_value=10**12),
       totals=st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=30))
def test_pro_rata_parts_sum_to_the_credit_left_and_none_exceeds_its_claim(left, totals):
    claims = [round_to_5(total) for total in totals]
    parts = decisions.pro_rata(left, claims)
    assert len(parts) == len(claims) and all(part % 5 == 0 and part >= 0 for part in parts)
    assert all(part <= claim for part, claim in zip(parts, claims, strict=True))
    if sum(claims) > left:
        assert sum(parts) == left - left % 5
    else:
        assert parts == claims


# -- concurrent approvals, from several processes ------------------------------------------------------


def _approve_in_process(database_url: str, instance: str, number: str, start, results) -> None:
    """A process of its own: its own app, engine and connection; approves one claim when all are ready."""
    import os

    os.environ["INSTANCE_PATH"] = instance
    from core import audit
    from tests.conftest import make_app

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        canton = canton_tenant()
        found = the.submission(number)
        start.wait(60)
        with tenant_scope(canton), audit.acting_as(f"user:{number}"):
            try:
                amount = decisions.approve(found)
                db.session.commit()
                results.put((number, "approved", amount))
            except UserError as refused:
                db.session.rollback()
                results.put((number, "refused", str(refused)))
            except Exception as error:  # reported to the test, which fails on it
                db.session.rollback()
                results.put((number, "error", repr(error)))


@pytest.mark.skipif(not POSTGRES, reason="row locks between processes need PostgreSQL")
def test_concurrent_approvals_from_several_processes_never_exceed_the_credit(app, ctx, today):
    _canton, communes = the.world(8)
    the.set_credit(amount=50_000_000)  # covers five claims of CHF 100'000 out of eight
    numbers = [the.submitted_claim(tenant, 10_000_000)[1] for tenant in communes]
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(len(numbers)), spawn.Queue()
    processes = [spawn.Process(target=_approve_in_process,
                               args=(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path, number, start, results))
                 for number in numbers]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=180) for _process in processes]
    for process in processes:
        process.join(60)
    assert [o for o in outcomes if o[1] == "error"] == []
    approved = [o for o in outcomes if o[1] == "approved"]
    refused = [o for o in outcomes if o[1] == "refused"]
    assert len(approved) == 5 and len(refused) == 3
    assert all("übersteigt, was vom Integrationskredit 2017 übrig ist (CHF 0.00)" in o[2] for o in refused)
    assert sum(e.amount for e in commitments()) == 50_000_000
    for number, _outcome, _message in refused:
        assert the.submission(number).state in (State.SUBMITTED, State.IN_REVIEW)


# -- the pages -----------------------------------------------------------------------------------------

REVIEWS = "/kanton/subventionen/pruefung"


def test_the_claim_page_shows_the_snapshot_line_by_line_and_approves(app, tenants):
    _canton, (grenchen, _balsthal) = tenants
    claim_id, number = the.submitted_claim(grenchen, 300_001)
    client = the.finance(app)
    page = the.text(client.get(f"{REVIEWS}/{number}"))
    assert "Grenchen" in page and "Pauschale je Gemeinde" in page and "CHF 1'000.00" in page
    assert "CHF 3'000.01" in page and "Genehmigen bucht CHF 3'000.00 im Integrationskredit 2017" in page
    approved = the.post(client, f"{REVIEWS}/{number}", f"{REVIEWS}/{number}/genehmigen", {"version": "1"})
    assert approved.status_code == 302
    assert "ist genehmigt: CHF 3'000.00" in the.text(client.get(approved.headers["Location"]))
    assert the.claim_row(grenchen, claim_id).approved == 300_000
    again = the.post(client, f"{REVIEWS}/{number}", f"{REVIEWS}/{number}/genehmigen", {"version": "1"})
    assert again.status_code == 400 and "bereits genehmigt (CHF 3'000.00)" in the.text(again)


@pytest.mark.parametrize("amount, message", [("zweitausend", "ist kein Betrag in Franken"),
                                             ("", "Bitte einen Betrag angeben"),
                                             ("5'000", "nicht weniger als beantragt")])
def test_a_reduction_typed_wrongly_says_why_and_keeps_the_input(app, tenants, amount, message):
    _canton, (grenchen, _balsthal) = tenants
    _claim_id, number = the.submitted_claim(grenchen, 300_000)
    client = the.finance(app)
    refused = the.post(client, f"{REVIEWS}/{number}", f"{REVIEWS}/{number}/kuerzen",
                       {"version": "1", "amount": amount, "reason": "Belege fehlen teilweise"})
    assert refused.status_code == 400 and message in the.text(refused)
    assert "Belege fehlen teilweise" in the.text(refused) and commitments() == []


def test_a_reduction_and_a_return_through_the_pages(app, tenants):
    _canton, (grenchen, balsthal) = tenants
    first_id, first = the.submitted_claim(grenchen, 300_000)
    second_id, second = the.submitted_claim(balsthal, 300_000)
    client = the.finance(app)
    reduced = the.post(client, f"{REVIEWS}/{first}", f"{REVIEWS}/{first}/kuerzen",
                       {"version": "1", "amount": "2'500.-", "reason": "Ein Kurs doppelt"})
    assert reduced.status_code == 302 and the.claim_row(grenchen, first_id).approved == 250_000
    returned = the.post(client, f"{REVIEWS}/{second}", f"{REVIEWS}/{second}/zurueckweisen",
                        {"version": "1", "reason": "Bitte die Belege beilegen"})
    assert returned.status_code == 302 and the.claim_row(balsthal, second_id).state == RETURNED
    listing = the.text(client.get(f"{REVIEWS}?jahr=2017"))
    assert first in listing and "CHF 2'500.00" in listing and "zurückgewiesen" in listing


def test_the_review_list_shows_the_shortfall_and_approves_pro_rata(app, tenants):
    _canton, (grenchen, balsthal) = tenants
    the.submitted_claim(grenchen, 60_000_000)
    the.submitted_claim(balsthal, 40_000_000)
    client = the.finance(app)
    page = the.text(client.get(f"{REVIEWS}?jahr=2017"))
    assert "Es fehlen CHF 100'000.00" in page and "CHF 540'000.00" in page and "CHF 360'000.00" in page
    done = the.post(client, f"{REVIEWS}?jahr=2017", f"{REVIEWS}/jahr/2017/anteilig",
                    {"digest": re.search(r'name="digest" value="([^"]+)"', page).group(1)})
    assert done.status_code == 302
    flashed = the.text(client.get(done.headers["Location"]))
    assert "2 Abrechnungen sind anteilig genehmigt, zusammen CHF 900'000.00" in flashed
    stale = the.post(client, f"{REVIEWS}?jahr=2017", f"{REVIEWS}/jahr/2017/anteilig", {"digest": "alt"})
    assert stale.status_code == 400 and "reicht für alle offenen" in the.text(stale)


def test_a_year_without_credit_says_so(app, tenants):
    page = the.text(the.finance(app).get(f"{REVIEWS}?jahr=2020"))
    assert "Für 2020 ist noch kein Integrationskredit festgelegt" in page


def test_a_claim_of_another_kind_or_none_is_not_found(app, tenants):
    client = the.finance(app)
    for number in ("SUB-2018-0042", "FO-2018-0001", "x"):
        assert client.get(f"{REVIEWS}/{number}").status_code == 404


def test_with_nothing_left_the_pro_rata_step_is_refused(app, tenants):
    canton, (grenchen, balsthal) = tenants
    _claim_id, first = the.submitted_claim(grenchen, 90_000_000)
    the.as_canton(decisions.approve, the.submission(first))
    the.submitted_claim(balsthal, 100_000)
    with tenant_scope(canton):
        current = decisions.proposal(2017, decisions.listing(2017)[0])
    assert current.shortfall == 100_000 and [part for _row, part in current.parts] == [0]
    with pytest.raises(UserError, match="nichts mehr übrig"):
        the.as_canton(decisions.approve_pro_rata, 2017, current.digest)
    assert "nichts mehr übrig" in the.text(the.finance(app).get(f"{REVIEWS}?jahr=2017"))
