"""Who does what in the subsidy accounting: the canton's finance role, the permissions, the submitted claim."""

from flask_babel import lazy_gettext as _l

from core.access import Role
from core.plugins import Permission, RoleDeclaration, SubmissionKind

FINANCE = "subventionen.finance"  # the canton's finance staff: credit, rules, review, payments

CLAIMS_READ = "subventionen.claims.read"  # a tenant's own claims and payments
CLAIMS_EDIT = "subventionen.claims.edit"  # prepare a claim, enter costs
CLAIMS_SUBMIT = "subventionen.claims.submit"  # hand it to the canton (the tenant's administrator)
CREDIT_MANAGE = "subventionen.credit.manage"  # set a year's credit and rules
REVIEW = "subventionen.claims.review"  # approve, reduce, return; pay
OVERVIEW = "subventionen.overview"  # the canton's overview of every year and tenant

ROLES = (RoleDeclaration(FINANCE, _l("Finanzen Integrationskredit (Kanton)"), canton_only=True,
                         permissions=("core.tenant.view", "core.submissions.read")),)

PERMISSIONS = (
    Permission(CLAIMS_READ, _l("Abrechnungen einsehen"),
               (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN, Role.READ_ONLY), commune_only=True),
    Permission(CLAIMS_EDIT, _l("Abrechnungen vorbereiten"), (Role.INTEGRATION_OFFICER, Role.TENANT_ADMIN),
               commune_only=True),
    Permission(CLAIMS_SUBMIT, _l("Abrechnungen beim Kanton einreichen"), (Role.TENANT_ADMIN,), commune_only=True),
    Permission(CREDIT_MANAGE, _l("Integrationskredit und Regeln festlegen"), (FINANCE,), canton_only=True),
    Permission(REVIEW, _l("Abrechnungen prüfen, genehmigen und auszahlen"), (FINANCE,), canton_only=True),
    Permission(OVERVIEW, _l("Übersicht des Integrationskredits"), (FINANCE, Role.CANTON_ADMIN, Role.CANTON_OFFICE),
               canton_only=True),
)

CLAIM_KIND = "subventionen.claim"
SUBMISSION_KINDS = (SubmissionKind(CLAIM_KIND, "SUB", _l("Abrechnung Integrationskredit"), review_permission=REVIEW,
                                   submit_permission=CLAIMS_SUBMIT),)

# What the audit log shows for the module's entries (core.audit's labels; Manifest.audit_actions / audit_objects).
AUDIT_ACTIONS = {
    "subventionen.credit.set": _l("Integrationskredit festgelegt"),
    "subventionen.rules.saved": _l("Regeln des Jahres gespeichert"),
    "subventionen.claim.prepared": _l("Abrechnung berechnet"),
    "subventionen.cost.added": _l("Kosten erfasst"),
    "subventionen.cost.removed": _l("Kosten entfernt"),
    "subventionen.ledger.commitment": _l("Genehmigung gebucht"),
    "subventionen.ledger.payment": _l("Zahlung gebucht"),
    "subventionen.ledger.correction": _l("Korrektur gebucht"),
    "subventionen.ledger.listed": _l("Buchungen abgefragt"),
    "subventionen.payment_run.created": _l("Zahlungslauf erstellt"),
    "subventionen.payment_run.executed": _l("Zahlungslauf als ausgeführt gebucht"),
    "subventionen.payment_run.discarded": _l("Zahlungslauf verworfen"),
    "subventionen.payment_run.pain001": _l("Zahlungsdatei (pain.001) heruntergeladen"),
    "subventionen.payment_run.sheet": _l("Zahlungsliste (XLSX) heruntergeladen"),
    "subventionen.payment_run.advice": _l("Zahlungsavis heruntergeladen"),
}
AUDIT_OBJECTS = {
    "subventionen.credit": _l("Integrationskredit"),
    "subventionen.rules": _l("Regeln"),
    "subventionen.claim": _l("Abrechnung"),
    "subventionen_ledger": _l("Buchung"),
    "subventionen_payment_run": _l("Zahlungslauf"),
}
