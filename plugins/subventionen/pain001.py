"""The payment run as an ISO 20022 credit transfer initiation (pain.001.001.09, Swiss Payment Standards).

One group header, one payment information block (the canton's account, one execution date) and one
transaction per claim: its number is the end-to-end reference the tenant's bank statement shows, the
amount is written from Rappen as text (never through a float), the tenant's address is structured
(SPS 2025 refuses unstructured creditor addresses) and given only where its town is known.

Every file is validated before it is returned: against the ISO pain.001.001.09 schema that the
``sepaxml`` package ships (it ships no Swiss variant), then against what a bank checks besides
(NbOfTxs and CtrlSum add up, every amount is in CHF with at most two decimals). Files are parsed
without entities or network, so a file from elsewhere can be checked with :func:`validate` too.
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from importlib import metadata, resources
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from lxml import etree

from core.errors import UserError
from plugins.subventionen.transfers import Debtor, PaymentRun, Transfer

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SCHEMA = "pain.001.001.09.xsd"  # the ISO schema in sepaxml/schemas
CURRENCY = "CHF"
NAME_LENGTH, PURPOSE_LENGTH = 70, 140  # the Swiss Payment Standards' limits for Nm and Ustrd
ZURICH = ZoneInfo("Europe/Zurich")
SOFTWARE = "start.integration"


class InvalidPaymentFile(UserError):
    """A pain.001 file that the schema or the bank's sums refuse."""


def render(run: PaymentRun) -> bytes:
    """The pain.001 file of ``run`` (UTF-8), validated; :class:`InvalidPaymentFile` if it is not valid."""
    body = etree.tostring(_document(run), xml_declaration=False, encoding="UTF-8", pretty_print=True)
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + body  # double quotes: what banks' own examples show
    validate(data)
    return data


def amount_text(rappen: int) -> str:
    """``1234.50`` from 123450 Rappen: integer arithmetic, two decimals."""
    francs, cents = divmod(rappen, 100)
    return f"{francs}.{cents:02d}"


def rappen_of(text: str) -> int:
    """The Rappen of an amount in the file; a ``ValueError`` if it has more than two decimals."""
    try:
        cents = Decimal(text.strip()) * 100
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if cents != cents.to_integral_value():
        raise ValueError(f"more than two decimals: {text!r}")
    return int(cents)


# -- writing -----------------------------------------------------------------------------------


def _sub(parent, tag: str, text: str | None = None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _path(parent, *tags: str, text: str | None = None) -> etree._Element:
    """Nested elements ``tags[0]/tags[1]/…``, the last one holding ``text``."""
    for tag in tags[:-1]:
        parent = _sub(parent, tag)
    return _sub(parent, tags[-1], text)


def _document(run: PaymentRun) -> etree._Element:
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    _group_header(initiation, run)
    _payment_information(initiation, run)
    return root


def _group_header(parent, run: PaymentRun) -> None:
    header = _sub(parent, "GrpHdr")
    _sub(header, "MsgId", run.message_id)
    _sub(header, "CreDtTm", run.created_at.astimezone(ZURICH).replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", str(len(run.transfers)))
    _sub(header, "CtrlSum", amount_text(run.total))
    party = _sub(header, "InitgPty")
    _sub(party, "Nm", run.debtor.name[:NAME_LENGTH])
    contact = _sub(party, "CtctDtls")  # the software that made the file, as the SPS ask
    for channel, value in (("NAME", SOFTWARE), ("VRSN", metadata.version("start-integration"))):
        other = _sub(contact, "Othr")
        _sub(other, "ChanlTp", channel)
        _sub(other, "Id", value)


def _payment_information(parent, run: PaymentRun) -> None:
    block = _sub(parent, "PmtInf")
    _sub(block, "PmtInfId", run.message_id)  # one block per file: the message id is unique within it
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "NbOfTxs", str(len(run.transfers)))
    _sub(block, "CtrlSum", amount_text(run.total))
    _path(block, "ReqdExctnDt", "Dt", text=run.execution_date.isoformat())
    _path(block, "Dbtr", "Nm", text=run.debtor.name[:NAME_LENGTH])
    _path(block, "DbtrAcct", "Id", "IBAN", text=run.debtor.iban)
    _debtor_agent(block, run.debtor)
    for number, transfer in enumerate(run.transfers, 1):
        _transaction(block, number, transfer)


def _debtor_agent(parent, debtor: Debtor) -> None:
    """The canton's bank by its BIC or else, as the SPS allow, by the IID within its IBAN (Swiss clearing)."""
    institution = _path(parent, "DbtrAgt", "FinInstnId")
    if debtor.bic:
        _sub(institution, "BICFI", debtor.bic)
        return
    member = _sub(institution, "ClrSysMmbId")
    _path(member, "ClrSysId", "Cd", text="CHBCC")
    _sub(member, "MmbId", debtor.iban[4:9])


def _transaction(parent, number: int, transfer: Transfer) -> None:
    transaction = _sub(parent, "CdtTrfTxInf")
    identification = _sub(transaction, "PmtId")
    _sub(identification, "InstrId", str(number))
    _sub(identification, "EndToEndId", transfer.claim_number)
    _sub(_sub(transaction, "Amt"), "InstdAmt", amount_text(transfer.amount), Ccy=CURRENCY)
    creditor = _sub(transaction, "Cdtr")
    _sub(creditor, "Nm", transfer.creditor.name[:NAME_LENGTH])
    _postal_address(creditor, transfer)
    _path(transaction, "CdtrAcct", "Id", "IBAN", text=transfer.creditor.iban)
    _path(transaction, "RmtInf", "Ustrd", text=transfer.purpose[:PURPOSE_LENGTH])


def _postal_address(parent, transfer: Transfer) -> None:
    """Structured, in the schema's order; left out where the town is unknown (TwnNm and Ctry are required)."""
    creditor = transfer.creditor
    if not creditor.town:
        return
    address = _sub(parent, "PstlAdr")
    parts = (("StrtNm", creditor.street, 70), ("BldgNb", creditor.building_number, 16),
             ("PstCd", creditor.post_code, 16), ("TwnNm", creditor.town, 35), ("Ctry", creditor.country, 2))
    for tag, value, length in parts:
        if value:
            _sub(address, tag, value.strip()[:length])


# -- checking ----------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    """No entities, no DTD, no network: safe for a file from elsewhere."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


@functools.cache
def schema() -> etree.XMLSchema:
    with resources.as_file(resources.files("sepaxml") / "schemas" / SCHEMA) as path:
        return etree.XMLSchema(etree.parse(str(path), _parser()))


def validate(data: bytes) -> None:
    """Raise :class:`InvalidPaymentFile` unless ``data`` is a valid pain.001.001.09 whose sums add up."""
    try:
        tree = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise InvalidPaymentFile(_("Die Zahlungsdatei ist kein gültiges XML: %(error)s", error=str(error))) from None
    if tree.getroottree().docinfo.doctype:  # a pain.001 has none; an entity left unresolved would upset libxml2
        raise InvalidPaymentFile(_("Die Zahlungsdatei enthält eine Dokumenttyp-Deklaration (DOCTYPE), die in "
                                   "einer Zahlungsdatei nicht vorkommen darf."))
    checker = schema()
    if not checker.validate(tree):
        error = checker.error_log.last_error
        raise InvalidPaymentFile(_("Die Zahlungsdatei entspricht nicht dem Schema %(schema)s (Zeile %(line)s: "
                                   "%(error)s).", schema=SCHEMA, line=error.line, error=error.message))
    problems = _sum_problems(tree)
    if problems:
        raise InvalidPaymentFile(" ".join(problems))


def _find(element, path: str) -> list:
    return element.findall(path, {"p": NAMESPACE})


def _sum_problems(tree) -> list[str]:
    """What a bank checks beyond the schema: the currency, the decimals, NbOfTxs and CtrlSum of each level."""
    amounts = _find(tree, ".//p:CdtTrfTxInf/p:Amt/p:InstdAmt")
    for amount in amounts:
        if amount.get("Ccy") != CURRENCY:
            return [_("Die Zahlungsdatei enthält einen Betrag in %(currency)s; bezahlt wird nur in CHF.",
                      currency=amount.get("Ccy"))]
    try:
        rappen = [rappen_of(amount.text) for amount in amounts]
    except ValueError:
        return [_("Die Zahlungsdatei enthält einen Betrag mit mehr als zwei Nachkommastellen.")]
    problems = _level_problems(_find(tree, "p:CstmrCdtTrfInitn/p:GrpHdr")[0], rappen)
    for block in _find(tree, "p:CstmrCdtTrfInitn/p:PmtInf"):
        block_rappen = [rappen_of(a.text) for a in _find(block, "p:CdtTrfTxInf/p:Amt/p:InstdAmt")]
        problems += _level_problems(block, block_rappen)
    return problems


def _rappen_or_none(text: str) -> int | None:
    try:
        return rappen_of(text)
    except ValueError:
        return None


def _level_problems(level, rappen: list[int]) -> list[str]:
    problems = []
    count = level.findtext("p:NbOfTxs", namespaces={"p": NAMESPACE})
    if count != str(len(rappen)):
        problems.append(_("Die Zahlungsdatei nennt %(stated)s Zahlungen, enthält aber %(count)s.",
                          stated=count, count=len(rappen)))
    control = level.findtext("p:CtrlSum", namespaces={"p": NAMESPACE})
    if control is None or _rappen_or_none(control) != sum(rappen):
        problems.append(_("Die Kontrollsumme der Zahlungsdatei (%(stated)s) ist nicht die Summe der Beträge "
                          "(%(sum)s).", stated=control, sum=amount_text(sum(rappen))))
    return problems
