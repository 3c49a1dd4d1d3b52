"""Subventionen's payment files from a payment run: pain.001 (validated), XLSX, payment advices; and what is refused."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from core.errors import UserError
from core.money import MAX_RAPPEN, format_chf
from plugins.subventionen import pain001, payment_advice, payment_sheet
from plugins.subventionen.pain001 import InvalidPaymentFile, rappen_of
from plugins.subventionen.transfers import Creditor, Debtor, PaymentRun, PaymentRunRefused, Transfer

CANTON_IBAN = "CH93 0076 2011 6238 5295 7"
BALSTHAL_IBAN = "CH56 0483 5012 3456 7800 9"
LI_IBAN = "LI21 0881 0000 2324 013A A"
QR_IBAN = "CH44 3199 9123 0008 8901 2"
SENDER = ("Kanton Solothurn", "Amt für soziale Sicherheit", "Fachstelle Integration")
NS = {"p": pain001.NAMESPACE}

BALSTHAL = Creditor("Einwohnergemeinde Balsthal", BALSTHAL_IBAN, "Goldgasse", "13", "4710", "Balsthal")
BUCHEGG = Creditor("Buchegg / Lüterkofen-Ichertswil", LI_IBAN, town="Buchegg", post_code="4586")
ZUCHWIL = Creditor("Einwohnergemeinde Zuchwil", BALSTHAL_IBAN, language="fr")


@pytest.fixture
def context(app):
    """A request in German (the UI's first language); no database is touched."""
    with app.test_request_context():
        yield


def payment_run(*transfers: Transfer, **changes) -> PaymentRun:
    fields = dict(debtor=Debtor("Kanton Solothurn", CANTON_IBAN), execution_date=date(2017, 12, 1),
                  message_id="SUB-2017-12-01", created_at=datetime(2017, 11, 20, 15, 30, tzinfo=UTC),
                  transfers=transfers or (Transfer(BALSTHAL, 1234505, "SUB-2017-0001", 2017),))
    return PaymentRun(**{**fields, **changes})


def transfer(amount: int, number: str = "SUB-2017-0001", creditor: Creditor = BALSTHAL) -> Transfer:
    return Transfer(creditor, amount, number, 2017)


def parsed(data: bytes):
    return etree.fromstring(data, pain001._parser())


def texts(tree, path: str) -> list[str]:
    return [element.text for element in tree.findall(path, NS)]


def tampered(data: bytes, old: str, new: str) -> bytes:
    assert old.encode() in data
    return data.replace(old.encode(), new.encode(), 1)


# -- pain.001 ------------------------------------------------------------------------------------


def test_pain001_validates_and_counts_and_sums_in_rappen(context):
    run = payment_run(transfer(1234505), transfer(5, "SUB-2017-0002", BUCHEGG),
                      transfer(MAX_RAPPEN - 5, "SUB-2017-0003", ZUCHWIL))
    data = pain001.render(run)
    pain001.validate(data)
    tree = parsed(data)
    total = 1234505 + 5 + MAX_RAPPEN - 5
    assert texts(tree, ".//p:GrpHdr/p:NbOfTxs") == texts(tree, ".//p:PmtInf/p:NbOfTxs") == ["3"]
    assert texts(tree, ".//p:GrpHdr/p:CtrlSum") == texts(tree, ".//p:PmtInf/p:CtrlSum") == [pain001.amount_text(total)]
    assert texts(tree, ".//p:InstdAmt") == ["12345.05", "0.05", "9999999999999.95"]
    assert [a.get("Ccy") for a in tree.findall(".//p:InstdAmt", NS)] == ["CHF"] * 3
    assert texts(tree, ".//p:EndToEndId") == ["SUB-2017-0001", "SUB-2017-0002", "SUB-2017-0003"]
    assert texts(tree, ".//p:CdtrAcct/p:Id/p:IBAN") == ["CH5604835012345678009", "LI21088100002324013AA",
                                                       "CH5604835012345678009"]
    assert texts(tree, ".//p:Ustrd")[0] == "Integrationskredit 2017, Abrechnung SUB-2017-0001"
    assert texts(tree, ".//p:ReqdExctnDt/p:Dt") == ["2017-12-01"]
    assert texts(tree, ".//p:PmtMtd") == ["TRF"]
    assert texts(tree, ".//p:GrpHdr/p:CreDtTm") == ["2017-11-20T16:30:00+01:00"]  # Zurich's time


def test_pain001_creditor_address_is_structured_where_the_town_is_known(context):
    tree = parsed(pain001.render(payment_run(transfer(500), transfer(500, "SUB-2017-0002", ZUCHWIL))))
    first, second = tree.findall(".//p:Cdtr", NS)
    assert [(child.tag.split("}")[1], child.text) for child in first.find("p:PstlAdr", NS)] == [
        ("StrtNm", "Goldgasse"), ("BldgNb", "13"), ("PstCd", "4710"), ("TwnNm", "Balsthal"), ("Ctry", "CH")]
    assert second.find("p:PstlAdr", NS) is None


def test_pain001_names_the_debtors_bank_by_bic_or_by_the_iid_in_its_iban(context):
    tree = parsed(pain001.render(payment_run()))
    assert texts(tree, ".//p:DbtrAgt//p:ClrSysId/p:Cd") == ["CHBCC"]
    assert texts(tree, ".//p:DbtrAgt//p:MmbId") == ["00762"]
    with_bic = parsed(pain001.render(payment_run(debtor=Debtor("Kanton Solothurn", CANTON_IBAN, "ubswchzh80a"))))
    assert texts(with_bic, ".//p:DbtrAgt/p:FinInstnId/p:BICFI") == ["UBSWCHZH80A"]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=MAX_RAPPEN // 5 // 50 - 1).map(lambda n: n * 5),
                min_size=1, max_size=30))
def test_ctrlsum_is_the_sum_and_every_amount_round_trips(context, amounts):
    transfers = [transfer(amount, f"SUB-2017-{number:04d}") for number, amount in enumerate(amounts)]
    tree = parsed(pain001.render(payment_run(*transfers)))
    assert [rappen_of(text) for text in texts(tree, ".//p:InstdAmt")] == amounts
    assert rappen_of(texts(tree, ".//p:GrpHdr/p:CtrlSum")[0]) == sum(amounts)
    assert texts(tree, ".//p:GrpHdr/p:NbOfTxs") == [str(len(amounts))]


@pytest.mark.parametrize(("old", "new", "because"), [
    ('Ccy="CHF"', 'Ccy="Franken"', "Schema"),  # not an ISO currency code
    ("<MsgId>SUB-2017-12-01</MsgId>", "", "Schema"),  # a required element missing
    ("<PmtMtd>TRF</PmtMtd>", "<PmtMtd>CHK</PmtMtd><PmtMtd>TRF</PmtMtd>", "Schema"),
    ("<IBAN>CH5604835012345678009</IBAN>", "<IBAN>CH56 0483</IBAN>", "Schema"),
    ("<Dt>2017-12-01</Dt>", "<Dt>1.12.2017</Dt>", "Schema"),
    ('Ccy="CHF"', 'Ccy="EUR"', "EUR"),  # valid ISO, but the canton pays in francs
    ("<InstdAmt Ccy=\"CHF\">12345.05</InstdAmt>", "<InstdAmt Ccy=\"CHF\">12345.051</InstdAmt>", "zwei"),
    ("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>", "2 Zahlungen"),
    ("<CtrlSum>12345.05</CtrlSum>", "<CtrlSum>12345.00</CtrlSum>", "Kontrollsumme"),
])
def test_a_tampered_file_fails_the_validation(context, old, new, because):
    data = pain001.render(payment_run())
    with pytest.raises(InvalidPaymentFile) as refused:
        pain001.validate(tampered(data, old, new))
    assert because in str(refused.value)


def test_validation_resolves_no_entities(context):
    data = pain001.render(payment_run())
    hostile = tampered(data, '<?xml version="1.0" encoding="UTF-8"?>',
                       '<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    hostile = tampered(hostile, "<Nm>Kanton Solothurn</Nm>", "<Nm>&x;</Nm>")
    with pytest.raises(InvalidPaymentFile) as refused:
        pain001.validate(hostile)
    assert "DOCTYPE" in str(refused.value) and "root:" not in str(refused.value)


def test_validation_refuses_what_is_not_xml(context):
    with pytest.raises(InvalidPaymentFile, match="kein gültiges XML"):
        pain001.validate(b"<Document>")


# -- what a run refuses --------------------------------------------------------------------------


@pytest.mark.parametrize(("iban", "says"), [
    ("CH93 0076 2011 6238 5295 8", "Prüfziffer"),
    ("CH12 3", "keine gültige IBAN"),
    (QR_IBAN, "QR-IBAN"),
    ("DE89 3704 0044 0532 0130 00", "Schweiz oder in Liechtenstein"),
    ("", "keine IBAN erfasst"),
    (None, "keine IBAN erfasst"),
])
def test_a_bad_iban_is_refused_naming_the_tenant_and_no_file_is_made(context, tmp_path, iban, says):
    out = tmp_path / "zahlungen.xml"
    with pytest.raises(PaymentRunRefused) as refused:
        out.write_bytes(pain001.render(payment_run(transfer(500, creditor=replace(ZUCHWIL, iban=iban)))))
    assert isinstance(refused.value, UserError)
    assert "Einwohnergemeinde Zuchwil" in str(refused.value) and says in str(refused.value)
    assert not out.exists()


def test_every_fault_of_a_run_is_named_at_once(context):
    with pytest.raises(PaymentRunRefused) as refused:
        payment_run(transfer(500, creditor=replace(ZUCHWIL, iban=QR_IBAN)),
                    transfer(501, "SUB-2017-0002", BALSTHAL), transfer(500, "SUB-2017-0002", BUCHEGG))
    problems = refused.value.problems
    assert len(problems) == 3
    assert "Einwohnergemeinde Zuchwil" in problems[0]
    assert "CHF 5.01" in problems[1] and "Einwohnergemeinde Balsthal" in problems[1]
    assert "SUB-2017-0002" in problems[2] and "mehr als einmal" in problems[2]


@pytest.mark.parametrize(("amount", "says"), [
    (1, "nicht auf 5 Rappen gerundet"), (12343, "nicht auf 5 Rappen gerundet"), (0, "grösser als null"),
    (-500, "grösser als null"), (MAX_RAPPEN, "zu gross"),
])
def test_amounts_must_be_positive_multiples_of_5_rappen(context, amount, says):
    with pytest.raises(PaymentRunRefused, match=says):
        payment_run(transfer(amount))


@pytest.mark.parametrize("amount", [12.5, Decimal("12.50"), "500", True])
def test_amounts_are_int_rappen_only(context, amount):
    with pytest.raises(TypeError):
        payment_run(transfer(amount))


def test_a_run_needs_a_payment_an_account_a_reference_and_a_date_not_past(context):
    with pytest.raises(PaymentRunRefused, match="keine Zahlung"):
        PaymentRun(Debtor("Kanton Solothurn", CANTON_IBAN), date(2017, 12, 1), "SUB-1",
                   datetime(2017, 11, 20, tzinfo=UTC), ())
    with pytest.raises(PaymentRunRefused, match="Konto des Kantons"):
        payment_run(debtor=Debtor("Kanton Solothurn", QR_IBAN))
    with pytest.raises(PaymentRunRefused, match="kein gültiger BIC"):
        payment_run(debtor=Debtor("Kanton Solothurn", CANTON_IBAN, "UBS"))
    with pytest.raises(PaymentRunRefused, match="Zahlungsreferenz"):
        payment_run(transfer(500, "Abrechnung Nr. 1 für 2017 ÄÖÜ"))
    with pytest.raises(PaymentRunRefused, match="Nummer der Zahlungsdatei"):
        payment_run(message_id="x" * 36)
    with pytest.raises(PaymentRunRefused, match=r"Ausführungsdatum 19\.11\.2017"):
        payment_run(execution_date=date(2017, 11, 19))
    with pytest.raises(ValueError, match="timezone"):
        payment_run(created_at=datetime(2017, 11, 20))


def test_a_refusal_speaks_the_users_language(context):
    with force_locale("fr_CH"), pytest.raises(PaymentRunRefused) as refused:
        payment_run(transfer(500, creditor=replace(ZUCHWIL, iban="")))
    assert "Einwohnergemeinde Zuchwil" in str(refused.value) and "IBAN" in str(refused.value)
    assert "keine IBAN" not in str(refused.value)


# -- XLSX ----------------------------------------------------------------------------------------


def test_sheet_has_numbers_dates_and_the_total(context):
    run = payment_run(transfer(1234505), transfer(5, "SUB-2017-0002", BUCHEGG),
                      transfer(MAX_RAPPEN - 5, "+SUB-2017-3", replace(ZUCHWIL, name="=cmd|' /C calc'!A0")))
    sheet = load_workbook(io.BytesIO(payment_sheet.render(run))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Empfänger", "Ort", "Abrechnung", "Verwendungszweck", "IBAN", "Betrag", "Ausführungsdatum")
    assert rows[1][:5] == ("Einwohnergemeinde Balsthal", "Balsthal", "SUB-2017-0001",
                           "Integrationskredit 2017, Abrechnung SUB-2017-0001", "CH56 0483 5012 3456 7800 9")
    amounts = [sheet.cell(row, 6) for row in range(2, 5)]
    assert all(cell.data_type == "n" and cell.number_format == payment_sheet.CHF_FORMAT for cell in amounts)
    assert [Decimal(str(cell.value)) for cell in amounts] == [Decimal("12345.05"), Decimal("0.05"),
                                                             Decimal("9999999999999.95")]
    assert all(sheet.cell(row, 7).is_date and sheet.cell(row, 7).value.date() == date(2017, 12, 1)
               for row in range(2, 5))
    assert rows[4][0] == "Total" and Decimal(str(rows[4][5])) == Decimal("10000000012345.05")
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(4, 1).data_type == "s" and sheet.cell(4, 1).quotePrefix  # never a formula
    assert sheet.cell(4, 3).data_type == "s"


def test_sheet_headers_follow_the_users_language(context):
    with force_locale("fr_CH"):
        sheet = load_workbook(io.BytesIO(payment_sheet.render(payment_run()))).active
    assert sheet.cell(1, 1).value != "Empfänger" and sheet.cell(1, 6).value == "Montant"


# -- payment advice ------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_one_advice_per_tenant_with_its_claims_amount_date_and_iban(context):
    run = payment_run(transfer(1234505), transfer(5, "SUB-2017-0002", BUCHEGG), transfer(100, "SUB-2017-0003"))
    advices = payment_advice.render_all(run, SENDER, "Solothurn")
    assert list(advices) == [run.transfers[0].creditor, run.transfers[1].creditor]
    balsthal = pdf_text(advices[run.transfers[0].creditor])
    for expected in ("Kanton Solothurn", "Einwohnergemeinde Balsthal", "4710 Balsthal", "Zahlungsavis",
                     "SUB-2017-0001", "SUB-2017-0003", format_chf(1234505), format_chf(100), format_chf(1234605),
                     "1. Dezember 2017", "CH56 0483 5012 3456 7800 9", "2017"):
        assert expected in balsthal
    assert "SUB-2017-0002" not in balsthal
    buchegg = pdf_text(advices[run.transfers[1].creditor])
    assert format_chf(5) in buchegg and "LI21 0881 0000 2324 013A A" in buchegg


def test_advice_speaks_the_tenants_language(context):
    run = payment_run(transfer(500, creditor=ZUCHWIL))
    text = pdf_text(payment_advice.render(run, run.transfers[0].creditor, SENDER, "Solothurn"))
    assert "décembre 2017" in text and "Zahlungsavis" not in text and format_chf(500) in text


def test_a_long_advice_continues_on_further_pages(context):
    run = payment_run(*(transfer(500, f"SUB-2017-{number:04d}") for number in range(80)))
    reader = PdfReader(io.BytesIO(payment_advice.render(run, BALSTHAL, SENDER, "Solothurn")))
    assert len(reader.pages) >= 2
    last = reader.pages[-1].extract_text()
    assert "SUB-2017-0079" in last and format_chf(80 * 500) in last and "1. Dezember 2017" in last
    assert "Abrechnung" in last and "Betrag" in last  # the table's headers again


def test_an_advice_to_a_tenant_not_in_the_run_is_refused(context):
    with pytest.raises(ValueError, match="paid nothing"):
        payment_advice.render(payment_run(), ZUCHWIL, SENDER, "Solothurn")
