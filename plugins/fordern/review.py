"""The canton's review of an escalated case: from the submission's snapshot to a decision.

Runs in the canton's tenant and reads only core's submission rows (``CantonVisible``: the snapshot the
commune handed over) and the canton's own tables, never the commune's cases. The steps:

1. the legal pre-check (:func:`record_precheck`), which starts the review of a submitted case;
2. the document (:func:`save_draft`): an agreement only where the pre-check allows it;
3. the decision: :func:`conclude` (agreement or recommendation, with its PDF) or :func:`give_back`,
   each through :func:`core.submissions.change`, whose hook moves the commune's case;
4. for an agreement or recommendation, the deadlines' and the overall outcome (:func:`record_outcomes`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit, clock, submissions
from core.db import db
from core.errors import UserError
from core.i18n import country_name
from core.people.models import format_partial_date
from core.submissions import State, Submission, SubmissionVersion
from core.tenancy import Tenant
from plugins.fordern import agreement_pdf, escalation, legal, states
from plugins.fordern.escalation_models import AGREEMENT, LegalBasis, Review, ReviewDeadline


def submission(number: str) -> Submission | None:
    """The submitted case with this number, as the canton sees it (None for another kind or none)."""
    found = submissions.find(number)
    return found if found is not None and found.kind == escalation.KIND else None


def snapshot(found: Submission) -> SubmissionVersion:
    return submissions.versions(found)[0]


def review_of(found: Submission) -> Review | None:
    return db.session.scalar(sa.select(Review).where(Review.submission_id == found.id))


def listing() -> list[tuple[Submission, Tenant, Review | None]]:
    """Every submitted case, newest change first, with the commune and the canton's review."""
    rows = db.session.execute(
        sa.select(Submission, Tenant).join(Tenant, Tenant.id == Submission.tenant_id)
        .where(Submission.kind == escalation.KIND, Submission.state != State.WITHDRAWN)
        .order_by(Submission.changed_at.desc()).limit(500)).all()
    reviews = {r.submission_id: r for r in db.session.scalars(
        sa.select(Review).where(Review.submission_id.in_([s.id for s, _t in rows])))}
    return [(found, tenant, reviews.get(found.id)) for found, tenant in rows]


def deadlines(review: Review) -> list[ReviewDeadline]:
    return db.session.scalars(sa.select(ReviewDeadline).where(ReviewDeadline.review_id == review.id)
                              .order_by(ReviewDeadline.due_on, ReviewDeadline.seq)).all()


def basis_of(review: Review) -> LegalBasis | None:
    if review.legal_basis_id is None:
        return None
    return db.session.scalar(sa.select(LegalBasis).where(LegalBasis.id == review.legal_basis_id))


def _open(found: Submission) -> None:
    """Refuse a step on a submission the canton has decided, or one the commune has not submitted now."""
    if found.state not in (State.SUBMITTED, State.IN_REVIEW):
        raise UserError(_("Eingabe %(number)s ist «%(state)s»: Hier ist nichts mehr zu entscheiden.",
                          number=found.number, state=found.state_label))


def _start(found: Submission) -> None:
    if found.state == State.SUBMITTED:
        submissions.change(found, "start_review")


@dataclass(frozen=True)
class PreCheckInput:
    nationality: str
    permit: str
    refugee: bool
    decision_day: date
    basis_id: uuid.UUID | None
    commune_agrees: bool
    commune_note: str
    reasons: str


def record_precheck(found: Submission, given: PreCheckInput) -> Review:
    """Record the legal pre-check of the current snapshot (and start the review); returns the review."""
    _open(found)
    _check_day(found, given.decision_day)
    basis = next((b for b in legal.valid_on(given.decision_day) if b.id == given.basis_id), None)
    if basis is None:
        raise UserError(_("Diese Rechtsgrundlage gilt am Entscheidtag nicht."))
    _start(found)
    rule = legal.status_rule(given.nationality, given.permit, given.refugee, given.decision_day)
    check = legal.PreCheck(rule, basis, given.commune_agrees)
    review = review_of(found) or Review(submission_id=found.id, number=found.number,
                                        commune_tenant_id=found.tenant_id)
    db.session.add(review)
    review.version, review.nationality, review.permit, review.refugee = (
        found.version, given.nationality.upper(), given.permit, given.refugee)
    review.status_rule, review.legal_basis_id, review.decision_day = rule.key, basis.id, given.decision_day
    review.commune_agrees, review.commune_note, review.reasons = given.commune_agrees, given.commune_note, given.reasons
    review.agreement_allowed, review.checked_by, review.checked_at = (
        check.agreement_allowed, audit.current_actor(), clock.utcnow())
    if not check.agreement_allowed and review.kind == AGREEMENT:
        review.kind = None  # a draft agreement the pre-check no longer allows is set aside
    if review.decision == states.RETURNED:  # resubmitted after a return: decided anew
        review.decision = review.decided_on = review.decided_by = None
        review.decision_reason = ""
    db.session.flush()
    audit.record("fordern.review.precheck", object_type="fordern_review", object_id=review.id,
                 detail={"number": found.number, "rule": rule.key, "basis": basis.short,
                         "commune_agrees": given.commune_agrees, "agreement_allowed": check.agreement_allowed})
    return review


def findings(review: Review) -> list[str]:
    """The pre-check's result in sentences (the rule on the status, the basis, the commune's agreement)."""
    if review.checked_at is None:
        return []
    return legal.PreCheck(legal.STATUS_RULES[review.status_rule], basis_of(review),
                          bool(review.commune_agrees)).findings()


@dataclass(frozen=True)
class Draft:
    kind: str
    goals: str
    measures: str
    consequences: str
    deadlines: list[tuple[str, date]]
    place: str
    commune_signatory: str
    canton_signatory: str
    aid_language: str
    aid_text: str
    reason: str = ""  # for the decision, kept with the draft


def prechecked(found: Submission, review: Review | None) -> Review:
    """The review whose pre-check holds for the snapshot the canton has now."""
    if review is None or review.checked_at is None:
        raise UserError(_("Zuerst die rechtliche Vorprüfung festhalten."))
    if review.version != found.version:
        raise UserError(_("Die Gemeinde hat eine neue Fassung eingereicht: bitte die Vorprüfung wiederholen."))
    return review


def save_draft(found: Submission, draft: Draft) -> Review:
    """Keep the drafted agreement or recommendation; an agreement only where the pre-check allows one."""
    _open(found)
    review = prechecked(found, review_of(found))
    if draft.kind == AGREEMENT and not review.agreement_allowed:
        raise UserError(legal.not_allowed_message())
    review.kind, review.goals, review.measures, review.consequences = (
        draft.kind, draft.goals, draft.measures, draft.consequences)
    review.place, review.commune_signatory, review.canton_signatory = (
        draft.place, draft.commune_signatory, draft.canton_signatory)
    review.aid_language, review.aid_text, review.decision_reason = draft.aid_language, draft.aid_text, draft.reason
    db.session.execute(sa.delete(ReviewDeadline).where(ReviewDeadline.review_id == review.id))
    for seq, (label, due_on) in enumerate(draft.deadlines, start=1):
        db.session.add(ReviewDeadline(review_id=review.id, seq=seq, label=label, due_on=due_on))
    db.session.flush()
    audit.record("fordern.review.draft", object_type="fordern_review", object_id=review.id,
                 detail={"number": found.number, "kind": draft.kind})
    return review


def parties(found: Submission, review: Review) -> agreement_pdf.Parties:
    """The parties as the snapshot names them (the canton never reads the person's rows)."""
    known = escalation.codes(snapshot(found).payload)
    basis = basis_of(review)
    commune = db.session.get(Tenant, found.tenant_id)
    return agreement_pdf.Parties(
        name=known.get("name", ""), born=format_partial_date(known.get("date_of_birth")) or "–",
        address=tuple(known.get("address") or ()), nationality=country_name(review.nationality) or "–",
        commune=commune.name, basis=legal.label(basis) if basis else "–")


def render(found: Submission, review: Review, on: date | None = None) -> bytes:
    return agreement_pdf.render(review, deadlines(review), parties(found, review), found.number,
                                on or review.decided_on or clock.today())


def _check_day(found: Submission, on: date) -> None:
    escalated = date.fromisoformat(escalation.codes(snapshot(found).payload).get("escalated_on")
                                   or found.submitted_at.date().isoformat())
    if on < escalated or on > clock.today():
        raise UserError(_("Der Entscheid liegt zwischen der Übergabe (%(day)s) und heute.",
                          day=escalated.strftime("%d.%m.%Y")))


def conclude(found: Submission, reason: str) -> Review:
    """Conclude the agreement or issue the recommendation drafted: the commune's case follows, with the PDF."""
    _open(found)
    review = prechecked(found, review_of(found))
    if review.kind is None or not review.goals.strip() or not review.measures.strip():
        raise UserError(_("Zuerst die Vereinbarung oder Empfehlung entwerfen (Ziele und Massnahmen)."))
    if review.kind == AGREEMENT and not review.agreement_allowed:
        raise UserError(legal.not_allowed_message())
    if review.kind == AGREEMENT and not deadlines(review):
        raise UserError(_("Eine Integrationsvereinbarung braucht mindestens eine Frist."))
    on = review.decision_day
    state = states.AGREEMENT_CONCLUDED if review.kind == AGREEMENT else states.RECOMMENDATION_ISSUED
    review.decision, review.decided_on, review.decided_by, review.decision_reason = (
        state, on, audit.current_actor(), reason)
    pdf = render(found, review, on)
    filename = f"{found.number}-{agreement_pdf.TITLES[review.kind]}.pdf"
    _start(found)
    submissions.change(found, "accept", reason, decision=escalation.Decision(
        found.id, state, on, reason or str(escalation.DECISION_LABELS[state]), pdf, filename))
    return review


def give_back(found: Submission, reason: str) -> Review:
    """Return the case to the commune today, with the canton's reason."""
    _open(found)
    if not reason.strip():
        raise UserError(_("Bitte einen Grund angeben."))
    on = clock.today()
    review = review_of(found) or Review(submission_id=found.id, number=found.number,
                                        commune_tenant_id=found.tenant_id, version=found.version)
    db.session.add(review)
    review.decision, review.decided_on, review.decided_by, review.decision_reason = (
        states.RETURNED, on, audit.current_actor(), reason)
    _start(found)
    submissions.change(found, "return", reason, decision=escalation.Decision(found.id, states.RETURNED, on, reason))
    return review


def record_outcomes(review: Review, outcomes: dict[int, str | None], overall: str | None, on: date,
                    note: str) -> None:
    """The deadlines met or not, and the overall outcome of the agreement or recommendation."""
    if review.decision not in (states.AGREEMENT_CONCLUDED, states.RECOMMENDATION_ISSUED):
        raise UserError(_("Ergebnisse gibt es erst nach dem Abschluss."))
    if on > clock.today() or (review.decided_on and on < review.decided_on):
        raise UserError(_("Das Datum liegt zwischen dem Entscheid und heute."))
    for deadline in deadlines(review):
        value = outcomes.get(deadline.seq)
        if value != deadline.outcome:
            deadline.outcome, deadline.outcome_on = value, on if value else None
            deadline.outcome_by = audit.current_actor() if value else None
    review.outcome, review.outcome_on, review.outcome_note = overall, on if overall else None, note
    audit.record("fordern.review.outcome", object_type="fordern_review", object_id=review.id,
                 detail={"number": review.number, "outcome": overall})
