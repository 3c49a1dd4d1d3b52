"""A tenant's claim: computed from its Informieren activity per commune served (a regional group once for its
communes, a commune that changed group by its links' days), costs with receipts, submitted through core's
submissions with a snapshot; the refusals, each with a message and nothing changed."""

from __future__ import annotations

import io
import json
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from core import modules, submissions
from core.attachments import Attachment
from core.audit import acting_as
from core.db import db
from core.errors import UserError
from core.tenancy import canton_tenant, tenant_scope
from plugins.subventionen import claims, credit
from plugins.subventionen.models import Claim, Cost
from plugins.subventionen.rules import ROUNDING
from tests.conftest import POSTGRES, login_as
from tests.subventionen.world import (
    BUCHEGG,
    GRENCHEN,
    LETTERS,
    LUETERKOFEN,
    MESSEN,
    lines,
    newcomer,
    post,
    prepared,
    set_year,
    state_of,
    text,
    world,
)

FLAT, PER, TENANT = "flat_commune", "per_activity", "flat_tenant"
INTERVIEWS = "informieren.interviews_held"


@pytest.fixture
def tenants(ctx, monkeypatch):
    found = world(monkeypatch)
    grenchen, buchegg, lueterkofen = found[1:4]
    newcomer(grenchen, GRENCHEN, letter_on=date(2017, 3, 1), interview_on=date(2017, 3, 20))
    newcomer(grenchen, GRENCHEN, letter_on=date(2017, 6, 1), interview_on=date(2017, 12, 31))
    newcomer(grenchen, GRENCHEN, letter_on=date(2017, 11, 30))
    newcomer(grenchen, GRENCHEN, letter_on=date(2016, 12, 31), interview_on=date(2018, 1, 1))  # outside 2017
    newcomer(lueterkofen, LUETERKOFEN, letter_on=date(2017, 3, 10))
    newcomer(lueterkofen, LUETERKOFEN, letter_on=date(2017, 8, 20))  # after it joined the group: not its own
    newcomer(buchegg, BUCHEGG, letter_on=date(2017, 4, 1))
    newcomer(buchegg, LUETERKOFEN, letter_on=date(2017, 9, 1))
    newcomer(buchegg, LUETERKOFEN, letter_on=date(2017, 5, 5))  # before Lüterkofen joined: not the group's
    return found


def client_as(app, *memberships):
    client = app.test_client()
    login_as(client, *memberships)
    return client


def receipt(name="beleg.pdf"):
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, "Rechnung Deutschkurs")
    canvas.save()
    buffer.seek(0)
    return buffer, name


def cost_form(**values):
    return {"description": "Dolmetscherin Erstgespräche", "amount": "1'234.57", "spent_on": "2017-05-02",
            "commune": "", "receipt": receipt(), **values}


def counts(table, tenant):
    with tenant_scope(tenant):
        return db.session.scalar(sa.select(sa.func.count()).select_from(table))


# -- computing --------------------------------------------------------------------------------------


def test_a_commune_claims_its_activity_of_the_claim_period_by_the_years_rules(tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    assert lines(grenchen, claim) == [
        (GRENCHEN, FLAT, None, 365, 200_000), (GRENCHEN, PER, LETTERS, 3, 15_000),
        (GRENCHEN, PER, INTERVIEWS, 2, 30_000), (None, TENANT, None, 1, 500_000)]
    assert (claim.total, claim.rule_version, claim.state, claim.number) == (745_000, 1, "draft", None)


def test_a_regional_group_claims_once_for_its_communes_and_a_commune_that_joined_by_its_days(tenants):
    _canton, _grenchen, buchegg, lueterkofen, _balsthal = tenants
    group = prepared(buchegg)
    assert lines(buchegg, group) == [
        (BUCHEGG, FLAT, None, 365, 200_000), (BUCHEGG, PER, LETTERS, 1, 5_000),
        (LUETERKOFEN, FLAT, None, 184, 200_000 * 184 // 365), (LUETERKOFEN, PER, LETTERS, 1, 5_000),  # Jul–Dec
        (MESSEN, FLAT, None, 365, 200_000), (None, TENANT, None, 1, 500_000), (None, ROUNDING, None, 1, -1)]
    own = prepared(lueterkofen)
    assert lines(lueterkofen, own) == [
        (LUETERKOFEN, FLAT, None, 181, 200_000 * 181 // 365), (LUETERKOFEN, PER, LETTERS, 1, 5_000),  # Jan–Jun
        (None, TENANT, None, 1, 500_000), (None, ROUNDING, None, 1, 2)]
    assert group.total == 1_010_820 and own.total == 604_180
    flat = [amount for tenant, claim in ((buchegg, group), (lueterkofen, own))
            for bfs, kind, _k, _q, amount in lines(tenant, claim) if bfs == LUETERKOFEN and kind == FLAT]
    assert sum(flat) <= 200_000  # the commune's flat is paid once, split by days


def test_activity_for_a_commune_on_days_the_tenant_did_not_serve_it_is_named_not_paid(app, tenants):
    lueterkofen = tenants[3]
    claim = prepared(lueterkofen)
    officer = client_as(app, (lueterkofen, "integration_officer"))
    url = f"/lueterkofen/subventionen/abrechnungen/{claim.id}"
    done = post(officer, url, f"{url}/berechnen", follow_redirects=True)
    assert "Nicht angerechnet" in text(done) and "1 × Begrüssungsschreiben versandt" in text(done)


def test_a_module_suspended_since_still_counts_what_it_did_while_it_was_on(tenants):
    grenchen = tenants[1]
    modules.suspend(grenchen, "informieren")
    db.session.commit()
    assert prepared(grenchen).total == 745_000


def test_the_claim_is_recomputed_from_live_counts_and_the_current_rules(app, tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    newcomer(grenchen, GRENCHEN, letter_on=date(2017, 12, 1))
    with tenant_scope(canton_tenant()):
        credit.save_version(2017, [credit.RuleDraft(TENANT, amount=100_000)], "nur noch eine Pauschale", 1)
        db.session.commit()
    officer = client_as(app, (grenchen, "integration_officer"))
    url = f"/grenchen/subventionen/abrechnungen/{claim.id}"
    assert "jetzt Version 2" in text(officer.get(url))
    assert post(officer, url, f"{url}/berechnen").status_code == 302
    claim = state_of(grenchen, claim.id)
    assert (claim.rule_version, claim.total) == (2, 100_000)


# -- costs -----------------------------------------------------------------------------------------------


def test_a_cost_with_its_receipt_adds_the_cost_share_and_the_rounding(app, tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    officer = client_as(app, (grenchen, "integration_officer"))
    url = f"/grenchen/subventionen/abrechnungen/{claim.id}"
    saved = post(officer, url, f"{url}/kosten", cost_form(), content_type="multipart/form-data")
    assert saved.status_code == 302, text(saved)
    assert lines(grenchen, claim)[-2:] == [(None, "cost_share", None, 1, 61_728), (None, ROUNDING, None, 1, 2)]
    assert state_of(grenchen, claim.id).total == 806_730
    page = text(officer.get(url))
    assert "Dolmetscherin Erstgespräche" in page and "beleg.pdf" in page and "CHF 8'067.30" in page
    with tenant_scope(grenchen):
        [cost] = db.session.scalars(sa.select(Cost)).all()
    removed = post(officer, url, f"{url}/kosten/{cost.id}/entfernen")
    assert removed.status_code == 302 and state_of(grenchen, claim.id).total == 745_000
    with tenant_scope(grenchen):
        assert db.session.scalars(sa.select(Attachment)).one().deleted_at is not None


@pytest.mark.parametrize("values, message", [
    ({"amount": "12.345"}, "mehr als zwei Stellen"),
    ({"amount": "zwölf"}, "kein Betrag in Franken"),
    ({"amount": "-10"}, "über null"),
    ({"amount": ""}, "Bitte einen Betrag angeben"),
    ({"description": "  "}, "wofür die Kosten"),
    ({"spent_on": "2.5.17x"}, "gültiges Datum"),
    ({"spent_on": "2016-12-31"}, "in der Abrechnungsperiode"),
    ({"receipt": (io.BytesIO(b""), "")}, "Bitte eine Datei wählen"),
    ({"receipt": (io.BytesIO(b"MZ\x90\x00 not a document"), "virus.exe")}, "keinen erlaubten Dateityp"),
    ({"commune": "9999"}, "angebotenen Möglichkeiten"),
])
def test_a_wrong_cost_is_refused_with_a_message_and_nothing_stored(app, tenants, values, message):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    officer = client_as(app, (grenchen, "integration_officer"))
    url = f"/grenchen/subventionen/abrechnungen/{claim.id}"
    refused = post(officer, url, f"{url}/kosten", cost_form(**values), content_type="multipart/form-data")
    assert refused.status_code == 400 and message in text(refused), text(refused)
    assert "Die Kosten sind nicht erfasst" in text(refused) or "Abrechnungsperiode" in text(refused)
    assert counts(Cost, grenchen) == 0 and counts(Attachment, grenchen) == 0
    assert state_of(grenchen, claim.id).total == 745_000


# -- submitting -----------------------------------------------------------------------------------------


def submitted(app, tenant, claim):
    admin = client_as(app, (tenant, "tenant_admin"))
    url = f"/{tenant.slug}/subventionen/abrechnungen/{claim.id}"
    response = post(admin, url, f"{url}/einreichen", follow_redirects=True)
    return admin, url, text(response)


def test_the_administrator_submits_a_snapshot_with_the_codes_the_review_reads(app, tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    _admin, _url, page = submitted(app, grenchen, claim)
    assert "beim Kanton eingereicht: SUB-2018-0001" in page
    claim = state_of(grenchen, claim.id)
    assert (claim.state, claim.number) == ("submitted", "SUB-2018-0001")
    with tenant_scope(grenchen):
        found = submissions.find("SUB-2018-0001")
        [version] = submissions.versions(found)
    payload = version.payload
    assert payload["Mandant"] == "Grenchen" and payload["Jahr"] == 2017 and payload["Total"] == "CHF 7'450.00"
    assert payload["Positionen"][1] == {"Position": "Grenchen: Begrüssungsschreiben versandt",
                                        "Berechnung": "3 × CHF 50.00", "Betrag": "CHF 150.00"}
    codes = payload["Kennzeichen"]
    assert (codes["year"], codes["rule_version"], codes["total"], codes["late"]) == (2017, 1, 745_000, False)
    assert [line["amount"] for line in codes["lines"]] == [200_000, 15_000, 30_000, 500_000]
    assert sum(line["amount"] for line in codes["lines"]) == codes["total"]


def test_a_double_submission_and_any_change_after_submitting_are_refused_and_change_nothing(app, tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    admin, url, _page = submitted(app, grenchen, claim)
    before = (lines(grenchen, claim), counts(Cost, grenchen), state_of(grenchen, claim.id).total)
    again = text(post(admin, url, f"{url}/einreichen", follow_redirects=True))
    assert "schon eingereicht (SUB-2018-0001" in again
    assert "ist «eingereicht»: sie kann nicht mehr geändert werden" in text(
        post(admin, url, f"{url}/berechnen", follow_redirects=True))
    refused = post(admin, url, f"{url}/kosten", cost_form(), content_type="multipart/form-data")
    assert refused.status_code == 400 and "nicht mehr geändert" in text(refused)
    newcomer(grenchen, GRENCHEN, letter_on=date(2017, 12, 1))  # live counts move on; the claim does not
    assert (lines(grenchen, claim), counts(Cost, grenchen), state_of(grenchen, claim.id).total) == before
    with tenant_scope(grenchen):
        assert len(submissions.of_object("subventionen.claim", str(claim.id))) == 1
    page = text(admin.get(url))
    assert "Beim Kanton einreichen" not in page and "Neu berechnen" not in page and "Kosten erfassen" not in page


postgres_only = pytest.mark.skipif(not POSTGRES, reason="concurrent transactions need PostgreSQL (DATABASE_URL)")


@postgres_only
def test_two_concurrent_submissions_of_a_claim_give_one_submission(app, tenants):
    grenchen = tenants[1]
    claim_id = prepared(grenchen).id
    barrier, results = threading.Barrier(2), []

    def run(i):
        with app.app_context():
            try:
                with tenant_scope(grenchen), acting_as(f"user:{i}"):
                    barrier.wait()
                    results.append(claims.submit(grenchen, claim_id).number)
                    db.session.commit()
            except UserError as refused:
                db.session.rollback()
                results.append(str(refused))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["Die Abrechnung 2017 ist schon eingereicht (SUB-2018-0001, eingereicht).",
                               "SUB-2018-0001"]
    with tenant_scope(grenchen):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(submissions.Submission)) == 1


def test_no_claim_for_a_year_without_a_credit_or_without_rules(app, tenants):
    grenchen = tenants[1]
    with tenant_scope(grenchen), pytest.raises(UserError, match="keinen Integrationskredit"):
        claims.prepare(grenchen, 2018)
    set_year(2018, rules=None)
    with tenant_scope(grenchen), pytest.raises(UserError, match="noch keine Regeln"):
        claims.prepare(grenchen, 2018)
    officer = client_as(app, (grenchen, "integration_officer"))
    refused = post(officer, "/grenchen/subventionen/", "/grenchen/subventionen/abrechnungen", {"year": "2018"},
                   follow_redirects=True)
    assert "angebotenen Jahre" in text(refused)
    assert counts(Claim, grenchen) == 0


def test_one_open_claim_a_year(tenants):
    grenchen = tenants[1]
    prepared(grenchen)
    with tenant_scope(grenchen), pytest.raises(UserError, match="schon eine Abrechnung"):
        claims.prepare(grenchen, 2017)


def test_a_claim_is_submitted_only_after_its_period_and_late_with_a_warning(app, tenants, monkeypatch):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    from core import clock

    monkeypatch.setattr(clock, "today", lambda: date(2017, 12, 31))
    _admin, url, page = submitted(app, grenchen, claim)
    assert "erst nach dem Ende der Abrechnungsperiode (31.12.2017)" in page
    assert state_of(grenchen, claim.id).state == "draft"
    monkeypatch.setattr(clock, "today", lambda: date(2018, 4, 3))
    admin = client_as(app, (grenchen, "tenant_admin"))
    assert "Die Frist (31.03.2018) ist abgelaufen" in text(admin.get(url))
    assert "SUB-2018-0001" in text(post(admin, url, f"{url}/einreichen", follow_redirects=True))
    with tenant_scope(grenchen):
        [version] = submissions.versions(submissions.find("SUB-2018-0001"))
    assert version.payload["Nach der Frist eingereicht"] is True and version.payload["Kennzeichen"]["late"] is True


def test_a_claim_computed_before_the_rules_changed_must_be_recomputed_before_submitting(app, tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    with tenant_scope(canton_tenant()):
        credit.save_version(2017, [credit.RuleDraft(TENANT, amount=100_000)], "", 1)
        db.session.commit()
    _admin, _url, page = submitted(app, grenchen, claim)
    assert "neu berechnen" in page and state_of(grenchen, claim.id).state == "draft"


def test_a_withdrawn_claim_leaves_room_for_a_new_one(app, tenants):
    grenchen = tenants[1]
    claim = prepared(grenchen)
    admin, url, _page = submitted(app, grenchen, claim)
    done = text(post(admin, url, f"{url}/zurueckziehen", follow_redirects=True))
    assert "zurückgezogen" in done and state_of(grenchen, claim.id).state == "withdrawn"
    again = prepared(grenchen)
    assert again.id != claim.id and again.state == "draft"


def test_after_the_canton_returns_it_the_claim_is_corrected_and_resubmitted_under_its_number(app, tenants):
    canton, grenchen = tenants[0], tenants[1]
    claim = prepared(grenchen)
    admin, url, _page = submitted(app, grenchen, claim)
    with tenant_scope(canton):
        found = submissions.find("SUB-2018-0001")
        submissions.change(found, "start_review")
        submissions.change(found, "return", "Belege der Dolmetscherin fehlen.")
        db.session.commit()
    with tenant_scope(grenchen):  # what the review's part of the module records on "return"
        db.session.get(Claim, (grenchen.id, claim.id)).state = "returned"
        db.session.commit()
    page = text(admin.get(url))
    assert "Belege der Dolmetscherin fehlen." in page and "Erneut beim Kanton einreichen" in page
    assert post(admin, url, f"{url}/kosten", cost_form(), content_type="multipart/form-data").status_code == 302
    assert "SUB-2018-0001" in text(post(admin, url, f"{url}/einreichen", follow_redirects=True))
    claim = state_of(grenchen, claim.id)
    assert (claim.state, claim.number, claim.total) == ("submitted", "SUB-2018-0001", 806_730)
    with tenant_scope(grenchen):
        versions = submissions.versions(submissions.find("SUB-2018-0001"))
    assert [v.version for v in versions] == [2, 1] and versions[0].payload["Kennzeichen"]["total"] == 806_730
    assert [item["filename"] for item in versions[0].attachments] == ["beleg.pdf"]


# -- the CLI ------------------------------------------------------------------------------------------------


def test_the_cli_lists_every_tenants_claims_of_a_year_and_audits_the_read(app, tenants):
    grenchen, buchegg = tenants[1], tenants[2]
    submitted(app, grenchen, prepared(grenchen))
    prepared(buchegg)
    result = app.test_cli_runner().invoke(args=["subventionen", "claims", "--year", "2017", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(row["tenant"], row["number"], row["state"], row["total"]) for row in rows] == [
        ("buchegg", None, "draft", 1_010_820), ("grenchen", "SUB-2018-0001", "submitted", 745_000)]
    assert sum(line["amount"] for line in rows[0]["lines"]) == rows[0]["total"]
    table = app.test_cli_runner().invoke(args=["subventionen", "claims", "--year", "2017"])
    assert "SUB-2018-0001" in table.output and "CHF 7'450.00" in table.output
    from core.audit import AuditEvent

    with tenant_scope(canton_tenant()):
        reasons = db.session.scalars(sa.select(AuditEvent.detail).where(
            AuditEvent.action == "canton_scope.enter")).all()
    assert {"reason": "subventionen claims 2017"} in reasons


# -- the tenant's account -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, message", [
    ("CH93 0076 2011 6238 5295 8", "Prüfziffer"),
    ("DE89 3704 0044 0532 0130 00", "Schweiz oder in Liechtenstein"),
    ("CH44 3199 9123 0008 8901 2", "QR-IBAN"),
    ("kein Konto", "keine gültige IBAN"),
])
def test_the_iban_setting_refuses_a_wrong_account_with_a_message(tenants, value, message):
    from core import provisioning

    with pytest.raises(UserError, match=message):
        provisioning.set_setting(tenants[1], claims.IBAN_SETTING, value)
    assert provisioning.get_setting(tenants[1], claims.IBAN_SETTING) == ""


def test_the_claim_page_shows_the_account_it_is_paid_to(app, tenants):
    from core import provisioning

    grenchen = tenants[1]
    provisioning.set_setting(grenchen, claims.IBAN_SETTING, "CH93 0076 2011 6238 5295 7")
    db.session.commit()
    claim = prepared(grenchen)
    page = text(client_as(app, (grenchen, "read_only")).get(f"/grenchen/subventionen/abrechnungen/{claim.id}"))
    assert "CH93 0076 2011 6238 5295 7" in page and "keine IBAN" not in page
    assert "Beim Kanton einreichen" not in page and "Kosten erfassen" not in page  # read-only: no buttons
