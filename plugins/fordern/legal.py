"""The legal pre-check of an escalated case: the person's status, the legal basis, the commune's agreement.

The legal bases are data the canton maintains (``LegalBasis``, with validity dates that never overlap):
the one valid on the decision day is offered. The rules on the person's status are the programme's
(below, each with the text recorded with the pre-check): EU/EFTA nationals fall under the agreement on
the free movement of persons and cannot be bound by an agreement; recognised refugees and provisionally
admitted persons may conclude one, but with limited consequences; asylum seekers, persons in need of
protection, cross-border commuters and staff of international organisations get a recommendation only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import db
from core.errors import UserError
from plugins.fordern.escalation_models import LegalBasis

# The 27 EU member states and the EFTA states other than Switzerland (the free-movement agreement).
EU_EFTA = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
})
# Left free movement: its nationals count as EU/EFTA nationals for decisions before that day.
LEFT_FREE_MOVEMENT = {"GB": date(2021, 1, 1)}

# What a pre-check makes of a person's status (the permit categories are core.people.permits.PERMITS).


@dataclass(frozen=True)
class StatusRule:
    key: str
    agreement_allowed: bool
    text: object  # lazy: what the rule says, recorded with the pre-check


STATUS_RULES = {rule.key: rule for rule in (
    StatusRule("free_movement", False, _l(
        "Staatsangehörige der EU/EFTA fallen unter das Freizügigkeitsabkommen: Eine Integrationsvereinbarung "
        "kann sie nicht binden; möglich ist nur eine Integrationsempfehlung.")),
    StatusRule("swiss", False, _l(
        "Schweizer Staatsangehörige fallen nicht unter das Ausländerrecht: keine Integrationsvereinbarung, "
        "nur eine Empfehlung.")),
    StatusRule("protected", True, _l(
        "Anerkannte Flüchtlinge und vorläufig Aufgenommene: Eine Integrationsvereinbarung ist möglich, ihre "
        "Nichteinhaltung darf aber den Aufenthalt nicht in Frage stellen (Schutz nach dem Asylgesetz); die "
        "Konsequenzen beschränken sich auf die Integrationsförderung.")),
    StatusRule("asylum", False, _l(
        "Asylsuchende und Schutzbedürftige (N, S): Das Verfahren nach dem Asylgesetz läuft; nur eine "
        "Integrationsempfehlung.")),
    StatusRule("not_resident", False, _l(
        "Grenzgänger/innen (G) und Angehörige internationaler Organisationen (Ci) unterstehen nicht der "
        "Integrationspflicht des Ausländerrechts: nur eine Integrationsempfehlung.")),
    StatusRule("third_state", True, _l(
        "Drittstaatsangehörige mit Bewilligung B, C, L: Eine Integrationsvereinbarung ist möglich.")),
    StatusRule("unknown", False, _l(
        "Staatsangehörigkeit oder Bewilligung unbekannt: Ohne sie ist keine Vereinbarung möglich.")),
)}


def not_allowed_message() -> str:
    return _("Nach der Vorprüfung ist keine Integrationsvereinbarung zulässig: nur eine Integrationsempfehlung.")


def is_eu_efta(nationality: str, day: date) -> bool:
    code = (nationality or "").upper()
    return code in EU_EFTA or (code in LEFT_FREE_MOVEMENT and day < LEFT_FREE_MOVEMENT[code])


def status_rule(nationality: str, permit: str, refugee: bool, day: date) -> StatusRule:
    """The rule that applies to a person of ``nationality`` with ``permit`` on ``day``."""
    code = (nationality or "").upper()
    if code == "CH":
        return STATUS_RULES["swiss"]
    if code and is_eu_efta(code, day):
        return STATUS_RULES["free_movement"]
    if refugee or permit == "F":
        return STATUS_RULES["protected"]
    if permit in ("N", "S"):
        return STATUS_RULES["asylum"]
    if permit in ("G", "Ci"):
        return STATUS_RULES["not_resident"]
    if not code or permit not in ("B", "C", "L"):
        return STATUS_RULES["unknown"]
    return STATUS_RULES["third_state"]


@dataclass(frozen=True)
class PreCheck:
    rule: StatusRule
    basis: LegalBasis | None
    commune_agrees: bool

    @property
    def agreement_allowed(self) -> bool:
        return self.rule.agreement_allowed and self.basis is not None and self.commune_agrees

    def findings(self) -> list[str]:
        """What the pre-check found, one sentence each (recorded with the reviewer's reasons)."""
        found = [str(self.rule.text)]
        if self.basis is None:
            found.append(_("Keine gültige Rechtsgrundlage am Entscheidtag."))
        else:
            found.append(_("Rechtsgrundlage: %(basis)s.", basis=label(self.basis)))
        if not self.commune_agrees:
            found.append(_("Die Gemeinde stimmt einer Vereinbarung nicht zu: nur eine Empfehlung."))
        return found


# -- the legal bases ------------------------------------------------------------------------------

SEED = (
    ("AuG", "Bundesgesetz über die Ausländerinnen und Ausländer", "SR 142.20, Art. 54", date(2008, 1, 1),
     date(2018, 12, 31)),
    ("AIG", "Bundesgesetz über die Ausländerinnen und Ausländer und über die Integration", "SR 142.20, Art. 58b",
     date(2019, 1, 1), None),
)


def label(basis: LegalBasis) -> str:
    return f"{basis.short}: {basis.title} ({basis.reference})"


def bases() -> list[LegalBasis]:
    """The current (canton's) tenant's legal bases, oldest first."""
    return db.session.scalars(sa.select(LegalBasis).order_by(LegalBasis.valid_from)).all()


def valid_on(day: date) -> list[LegalBasis]:
    """The legal bases valid on ``day`` (at most one: validities never overlap)."""
    return [basis for basis in bases() if basis.valid_on(day)]


def seed() -> int:
    """The legal bases of the programme, where the canton has none yet (idempotent)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(LegalBasis)):
        return 0
    for short, title, reference, valid_from, valid_to in SEED:
        db.session.add(LegalBasis(short=short, title=title, reference=reference, valid_from=valid_from,
                                  valid_to=valid_to, updated_by=audit.current_actor()))
    return len(SEED)


def overlapping(valid_from: date, valid_to: date | None, keep: LegalBasis | None = None) -> LegalBasis | None:
    """Another basis whose validity shares a day with ``valid_from``–``valid_to``."""
    for other in bases():
        if other is keep:
            continue
        starts_before_end = valid_to is None or other.valid_from <= valid_to
        ends_after_start = other.valid_to is None or other.valid_to >= valid_from
        if starts_before_end and ends_after_start:
            return other
    return None


def save(basis: LegalBasis | None, short: str, title: str, reference: str, valid_from: date,
         valid_to: date | None) -> LegalBasis:
    """Add or change a legal basis; refused where its validity overlaps another's."""
    if valid_to is not None and valid_to < valid_from:
        raise UserError(_("Das Ende der Gültigkeit liegt vor ihrem Beginn."))
    other = overlapping(valid_from, valid_to, keep=basis)
    if other is not None:
        raise UserError(_("Die Gültigkeit überschneidet sich mit «%(other)s» (%(period)s).", other=other.short,
                          period=period(other)))
    if basis is None:
        basis = LegalBasis(updated_by=audit.current_actor())
        db.session.add(basis)
    basis.short, basis.title, basis.reference = short, title, reference
    basis.valid_from, basis.valid_to, basis.updated_by = valid_from, valid_to, audit.current_actor()
    db.session.flush()
    audit.record("fordern.legal_basis.save", object_type="fordern_legal_basis", object_id=basis.id,
                 detail={"short": short, "valid_from": valid_from.isoformat(),
                         "valid_to": valid_to.isoformat() if valid_to else None})
    return basis


def period(basis: LegalBasis) -> str:
    start = basis.valid_from.strftime("%d.%m.%Y")
    return (_("ab %(start)s", start=start) if basis.valid_to is None
            else f"{start} – {basis.valid_to.strftime('%d.%m.%Y')}")
