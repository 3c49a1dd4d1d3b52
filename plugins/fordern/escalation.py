"""Escalating a case to the canton, and the canton's decision arriving back on it.

The commune submits a case in ``under_review`` through core's submissions (kind ``fordern.case``,
numbers ``FO-2027-0042``): the case moves to ``submitted`` and the canton gets a *snapshot* (the person,
the reason, the history, the measures so far), never the case's rows. The canton decides on its own
pages (``review``) through :func:`core.submissions.change`; core then calls the ``submission_changed``
hook in the commune's scope and transaction, where :func:`submission_changed` moves the case
(``by_canton=True``) and keeps the outcome with the PDF the canton shares (:class:`CaseOutcome`).

What the canton decided (agreement or recommendation, the day, the reason, the PDF) travels from its
request to the hook as the step's ``decision`` (core.submissions.change): the hook knows only the submission and
its event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import attachments, i18n, submissions
from core.access import Role
from core.db import db
from core.errors import UserError
from core.people import Person
from core.people.models import format_partial_date
from core.people.permits import PERMITS
from core.plugins import MenuEntry, Permission, RoleDeclaration, SubmissionKind
from core.submissions import Submission, SubmissionEvent
from core.tenancy import Tenant
from plugins.fordern import cases, states
from plugins.fordern.escalation_models import CaseOutcome
from plugins.fordern.models import Case

KIND = "fordern.case"
REVIEWER = "fordern.canton_reviewer"
REVIEW = "fordern.escalation.review"
LEGAL_BASES = "fordern.legal_bases.manage"

ROLES = (RoleDeclaration(REVIEWER, _l("Prüfer/in Fordern (Kanton)"), canton_only=True,
                         permissions=("core.tenant.view", "core.submissions.read")),)
PERMISSIONS = (
    Permission(REVIEW, _l("Eskalierte Fordern-Fälle prüfen und entscheiden"), (REVIEWER,), canton_only=True),
    Permission(LEGAL_BASES, _l("Rechtsgrundlagen von Fordern pflegen"), (REVIEWER, Role.CANTON_ADMIN),
               canton_only=True),
)
SUBMISSION_KINDS = (SubmissionKind(KIND, "FO", _l("Fordern-Fall (Eskalation)"), review_permission=REVIEW,
                                   submit_permission="fordern.cases.edit"),)
MENU = (MenuEntry(_l("Eskalationen Fordern"), "fordern.reviews", REVIEW),
        MenuEntry(_l("Rechtsgrundlagen"), "fordern.legal_bases", LEGAL_BASES))

# The snapshot's keys: German labels (a snapshot is a document, shown as it was submitted) and, under
# CODES, what the canton's pre-check reads by machine.
PERSON, CASE_REASON, ESCALATION_REASON, HISTORY, MEASURES, CODES = (
    "Person", "Grund des Falls", "Begründung der Eskalation", "Verlauf", "Massnahmen bisher", "Kennzeichen")

DECISION_LABELS = {
    states.AGREEMENT_CONCLUDED: _l("Integrationsvereinbarung abgeschlossen"),
    states.RECOMMENDATION_ISSUED: _l("Integrationsempfehlung abgegeben"),
    states.RETURNED: _l("an die Gemeinde zurückgegeben"),
}


def panel(case: Case) -> dict:
    """What the case page shows of the escalation: the open submission and the canton's decisions."""
    return {"submission": open_submission(case), "outcomes": outcomes(case), "decision_labels": DECISION_LABELS,
            "may_escalate": case.state == states.UNDER_REVIEW}


@dataclass(frozen=True)
class Facts:
    """What the officer states about the person where core's person does not say it."""

    nationality: str  # ISO 3166 alpha-2
    permit: str  # a key of PERMITS
    refugee: bool
    language: str  # ISO 639-1, for the translation aid


def snapshot(case: Case, person: Person, facts: Facts, reason: str, measures: list[str]) -> dict:
    """The case as the canton reviews it: the person, the reason, the history, the measures so far (in German)."""
    with force_locale("de"):
        steps = [f"{e.on.strftime('%d.%m.%Y')}: {states.STATE_LABELS[e.to_state]}" + (f" – {e.reason}" if e.reason
                                                                                         else "")
                 for e in cases.history(case)]
        address = ", ".join(part for part in (" ".join(filter(None, (person.street, person.house_number))),
                                               " ".join(filter(None, (person.postal_code, person.town)))) if part)
        return {
            PERSON: {
                "Name": person.full_name,
                "Geburtsdatum": format_partial_date(person.date_of_birth) or "–",
                "Adresse": address or "–",
                "Staatsangehörigkeit": i18n.country_name(facts.nationality) or "–",
                "Bewilligung": str(PERMITS.get(facts.permit, facts.permit or "–")),
                "Anerkannter Flüchtling": facts.refugee,
                "Sprache": i18n.language_name(facts.language) or "–",
            },
            CASE_REASON: case.reason,
            ESCALATION_REASON: reason,
            HISTORY: steps,
            MEASURES: measures or ["keine erfasst"],
            CODES: {"case": str(case.id), "name": person.full_name, "date_of_birth": person.date_of_birth or "",
                    "address": [line for line in (" ".join(filter(None, (person.street, person.house_number))),
                                                  " ".join(filter(None, (person.postal_code, person.town)))) if line],
                    "nationality": facts.nationality, "permit": facts.permit, "refugee": facts.refugee,
                    "language": facts.language, "escalated_on": case.state_on.isoformat()},
        }


def escalate(tenant: Tenant, case: Case, person: Person, facts: Facts, reason: str, on: date,
             measures: list[str] = ()) -> Submission:
    """Hand ``case`` (in ``under_review``) to the canton: it moves to ``submitted``, the canton gets its snapshot
    with ``measures`` (the agreed measures and their follow-up, a line of text each)."""
    cases.move(case, states.SUBMITTED, on, reason)  # refused unless under review, and without a reason
    payload = snapshot(case, person, facts, reason.strip(), list(measures))
    title = _("Fall %(name)s", name=person.full_name)
    return submissions.submit(tenant, KIND, str(case.id), title, payload, note=reason)


def codes(payload: dict) -> dict:
    """What the canton's pre-check reads of a snapshot."""
    found = payload.get(CODES)
    return found if isinstance(found, dict) else {}


def open_submission(case: Case) -> Submission | None:
    """The case's submission the canton has (submitted, in review) or returned, if any."""
    return next((s for s in submissions.of_object(KIND, str(case.id)) if s.state in submissions.OPEN_STATES), None)


# -- the canton's decision arriving at the commune ---------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the canton decided on a submission, handed to the hook that runs in the commune's scope."""

    submission_id: uuid.UUID
    state: str  # the case's next state: agreement_concluded, recommendation_issued, returned
    on: date
    reason: str
    pdf: bytes | None = None
    filename: str = ""


def submission_changed(tenant: Tenant, submission: Submission, event: SubmissionEvent) -> None:
    """A step of a case's submission: the canton's decision moves the case; a withdrawal is refused."""
    if event.action == "withdraw":
        raise UserError(_("Ein an den Kanton übergebener Fall kann nicht zurückgezogen werden: Der Kanton gibt "
                          "ihn mit einer Begründung zurück."))
    if event.action not in ("accept", "return"):
        return
    decision = submissions.decision()
    if decision is None or decision.submission_id != submission.id:
        if event.action == "accept":
            raise UserError(_("Einen Fordern-Fall schliesst der Kanton auf seiner Prüfseite ab, mit einer "
                              "Integrationsvereinbarung oder -empfehlung."))
        decision = Decision(submission.id, states.RETURNED, event.occurred_at.date(), event.note)
    case = db.session.scalar(sa.select(Case).where(Case.id == uuid.UUID(submission.object_id)))
    if case is None:
        return
    cases.move(case, decision.state, decision.on, decision.reason, by_canton=True)
    attachment_id = None
    if decision.pdf:
        upload = attachments.prepare(tenant, decision.filename, decision.pdf, allowed=(attachments.PDF,))
        attachment_id = attachments.add(attachments.Owner.of("fordern.case", case.id), upload).id
    db.session.add(CaseOutcome(case_id=case.id, number=submission.number, decision=decision.state,
                               decided_on=decision.on, reason=decision.reason, attachment_id=attachment_id))


def outcomes(case: Case) -> list[CaseOutcome]:
    """The canton's decisions on the case, newest first (the commune's record)."""
    return db.session.scalars(sa.select(CaseOutcome).where(CaseOutcome.case_id == case.id)
                              .order_by(CaseOutcome.recorded_at.desc())).all()


def erase(case_ids: list) -> None:
    """The cases are anonymised (``retention.ERASERS``): the canton's reasons as the commune keeps them go, and
    the decisions' PDFs are deleted."""
    from core.attachments.models import Attachment
    from core.attachments.service import delete

    db.session.execute(sa.update(CaseOutcome).where(CaseOutcome.case_id.in_(case_ids))
                       .values(reason="").execution_options(synchronize_session=False))
    owners = [str(case_id) for case_id in case_ids]
    for attachment in db.session.scalars(sa.select(Attachment).where(
            Attachment.owner_type == "fordern.case", Attachment.owner_id.in_(owners), Attachment.deleted_at.is_(None))):
        delete(attachment)
