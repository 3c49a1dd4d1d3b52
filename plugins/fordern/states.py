"""A case's states and the transitions between them: the one place that says what may follow what.

    opened → interview_scheduled → interview_held → measures_agreed → under_review → closed
    under_review → measures_agreed (a further round of measures)
    under_review → submitted (escalated to the canton) → agreement_concluded | recommendation_issued | returned
    returned → under_review | closed;  agreement_concluded, recommendation_issued → closed

A case may be closed early (moved away, not pursued) from any open state before the escalation; the
canton's decisions (agreement, recommendation, return) are taken only by the canton, through core's
submissions. ``closed`` is final. Closing, escalating and returning need a reason.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OPENED = "opened"
INTERVIEW_SCHEDULED = "interview_scheduled"
INTERVIEW_HELD = "interview_held"
MEASURES_AGREED = "measures_agreed"
UNDER_REVIEW = "under_review"
SUBMITTED = "submitted"
AGREEMENT_CONCLUDED = "agreement_concluded"
RECOMMENDATION_ISSUED = "recommendation_issued"
RETURNED = "returned"
CLOSED = "closed"
STATES = (OPENED, INTERVIEW_SCHEDULED, INTERVIEW_HELD, MEASURES_AGREED, UNDER_REVIEW, SUBMITTED,
          AGREEMENT_CONCLUDED, RECOMMENDATION_ISSUED, RETURNED, CLOSED)

IMPROVED, NOT_IMPROVED, MOVED_AWAY, NOT_PURSUED = "improved", "not_improved", "moved_away", "not_pursued"
OUTCOMES = (IMPROVED, NOT_IMPROVED, MOVED_AWAY, NOT_PURSUED)
EARLY_OUTCOMES = (MOVED_AWAY, NOT_PURSUED)  # before the measures could be judged

STATE_LABELS = {
    OPENED: _l("eröffnet"),
    INTERVIEW_SCHEDULED: _l("Gespräch geplant"),
    INTERVIEW_HELD: _l("Gespräch geführt"),
    MEASURES_AGREED: _l("Massnahmen vereinbart"),
    UNDER_REVIEW: _l("in Überprüfung"),
    SUBMITTED: _l("an den Kanton übergeben"),
    AGREEMENT_CONCLUDED: _l("Integrationsvereinbarung abgeschlossen"),
    RECOMMENDATION_ISSUED: _l("Integrationsempfehlung abgegeben"),
    RETURNED: _l("an die Gemeinde zurückgegeben"),
    CLOSED: _l("abgeschlossen"),
}
OUTCOME_LABELS = {
    IMPROVED: _l("verbessert"),
    NOT_IMPROVED: _l("nicht verbessert"),
    MOVED_AWAY: _l("weggezogen"),
    NOT_PURSUED: _l("nicht weiterverfolgt"),
}

# state -> {next state: the outcomes a closing allows (empty for a transition that does not close)}
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    OPENED: {INTERVIEW_SCHEDULED: (), CLOSED: EARLY_OUTCOMES},
    INTERVIEW_SCHEDULED: {INTERVIEW_HELD: (), CLOSED: EARLY_OUTCOMES},
    INTERVIEW_HELD: {MEASURES_AGREED: (), CLOSED: (IMPROVED, *EARLY_OUTCOMES)},
    MEASURES_AGREED: {UNDER_REVIEW: (), CLOSED: EARLY_OUTCOMES},
    UNDER_REVIEW: {MEASURES_AGREED: (), SUBMITTED: (), CLOSED: OUTCOMES},
    SUBMITTED: {AGREEMENT_CONCLUDED: (), RECOMMENDATION_ISSUED: (), RETURNED: ()},
    AGREEMENT_CONCLUDED: {CLOSED: OUTCOMES},
    RECOMMENDATION_ISSUED: {CLOSED: OUTCOMES},
    RETURNED: {UNDER_REVIEW: (), CLOSED: OUTCOMES},
    CLOSED: {},
}
CANTON_DECISIONS = (AGREEMENT_CONCLUDED, RECOMMENDATION_ISSUED, RETURNED)  # taken by the canton alone
NEEDS_REASON = (CLOSED, SUBMITTED, RETURNED)
OPEN_STATES = tuple(state for state in STATES if state != CLOSED)


def next_states(state: str) -> tuple[str, ...]:
    return tuple(TRANSITIONS[state])


def allowed_outcomes(state: str) -> tuple[str, ...]:
    """The outcomes a case in ``state`` may be closed with (none where it cannot be closed)."""
    return TRANSITIONS[state].get(CLOSED, ())
