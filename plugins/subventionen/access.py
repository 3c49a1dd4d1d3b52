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
