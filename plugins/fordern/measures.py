"""The measures of a case: drafting them after the interview, agreeing them (which moves the case to
«measures agreed»), their follow-up, and what Fördern's referral outcomes say about them.

The offers a measure may name come from the ``offer_choices`` hook (Fördern answers where it is
active); Fordern never imports Fördern. Callers validate their forms.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, modules
from core.db import db
from core.tenancy import Tenant
from plugins.fordern import cases, states
from plugins.fordern.measure_models import Measure
from plugins.fordern.models import Case

REFERRAL_OUTCOME = "foerdern.referral_outcome"  # Fördern's event, by its declared id
KIND_LABELS = {
    "language_course": _l("Sprachkurs"),
    "work": _l("Arbeit und Stellensuche"),
    "education": _l("Aus- und Weiterbildung"),
    "childcare": _l("Kinderbetreuung"),
    "counselling": _l("Beratung"),
    "health": _l("Gesundheit"),
    "other": _l("Anderes"),
}
RESULT_LABELS = {"met": _l("erfüllt"), "partly_met": _l("teilweise erfüllt"), "not_met": _l("nicht erfüllt")}
REFERRAL_LABELS = {"completed": _l("Angebot abgeschlossen"), "dropped_out": _l("Angebot abgebrochen")}
SUGGESTED = {"completed": "met", "dropped_out": "not_met"}  # the follow-up a referral outcome suggests
AGREE_FROM = (states.INTERVIEW_HELD, states.UNDER_REVIEW)  # a first round, or a further one after a review


def of_case(case: Case) -> list[Measure]:
    return db.session.scalars(sa.select(Measure).where(Measure.case_id == case.id)
                              .order_by(Measure.agreed_on.is_(None), Measure.deadline, Measure.created_at)).all()


def drafts(case: Case) -> list[Measure]:
    return [measure for measure in of_case(case) if measure.agreed_on is None]


def offer_choices(tenant: Tenant, day: date) -> list[tuple[str, str]]:
    """The offers a measure may name on ``day``: every active module's answer to ``offer_choices``."""
    answers = modules.tenant_hooks(tenant, day).offer_choices(tenant=tenant, day=day)
    return [(str(key), str(label)) for answer in answers for key, label in answer or ()]


def label(measure: Measure) -> str:
    text = str(KIND_LABELS[measure.kind])
    return f"{text} {measure.level}" if measure.level else text


def summary(case: Case) -> list[str]:
    """The agreed measures as the canton reads them (in German): kind, goal, deadline, the follow-up."""
    with force_locale("de"):
        return [f"{label(m)}: {m.goal} (bis {m.deadline.strftime('%d.%m.%Y')})"
                + (f" – {RESULT_LABELS[m.result]} am {m.result_on.strftime('%d.%m.%Y')}" if m.result else "")
                for m in of_case(case) if m.agreed_on is not None]


def may_draft(case: Case) -> bool:
    return case.state in AGREE_FROM


def add(case: Case, kind: str, level: str | None, goal: str, deadline: date, offer: tuple[str, str] | None,
        measure_id: uuid.UUID | None = None) -> Measure:
    """Draft a measure (agreed later with the others of its round); ``offer``: (key, label) of a choice."""
    if not may_draft(case):
        raise cases.TransitionRefused(_("Massnahmen werden nach dem Gespräch oder nach einer Überprüfung "
                                        "vereinbart."))
    measure = Measure(id=measure_id or uuid.uuid4(), case_id=case.id, kind=kind,
                      level=level if kind == "language_course" else None, goal=goal.strip(), deadline=deadline,
                      created_by=audit.current_actor())
    if offer is not None:
        tenant_id, offer_id = offer[0].split(":", 1)
        measure.offer_tenant_id, measure.offer_id, measure.offer_label = int(tenant_id), uuid.UUID(offer_id), \
            offer[1][:400]
    db.session.add(measure)
    return measure


def remove_draft(measure: Measure) -> None:
    if measure.agreed_on is not None:
        raise cases.TransitionRefused(_("Eine vereinbarte Massnahme bleibt; ihr Ergebnis halten Sie in der "
                                        "Überprüfung fest."))
    db.session.delete(measure)


def agree(case: Case, on: date) -> list[Measure]:
    """Agree the drafted measures on ``on``: the case moves to «measures agreed» (checked)."""
    drafted = drafts(case)
    if not drafted:
        raise cases.TransitionRefused(_("Bitte zuerst mindestens eine Massnahme erfassen."))
    late = [measure for measure in drafted if measure.deadline <= on]
    if late:
        raise cases.TransitionRefused(_("Die Frist von «%(goal)s» liegt nicht nach dem Tag der Vereinbarung.",
                                        goal=late[0].goal))
    cases.move(case, states.MEASURES_AGREED, on)
    for measure in drafted:
        measure.agreed_on = on
    return drafted


def follow_up(measure: Measure, result: str, on: date, note: str) -> None:
    """Record (or correct) whether the agreed measure was met."""
    if measure.agreed_on is None:
        raise cases.TransitionRefused(_("Erst eine vereinbarte Massnahme hat ein Ergebnis."))
    measure.result, measure.result_on, measure.result_note = result, on, note.strip()
    measure.result_by = audit.current_actor()


def take_referral_outcome(payload: dict) -> str | None:
    """Fördern's referral ended: note it on the open cases' measures that name that offer for that person.

    A note beside the follow-up (it suggests «met» or «not met»), never the follow-up itself: the
    officer judges the measure. Returns what was noted, for the emitter.
    """
    if payload["outcome"] not in SUGGESTED:
        return None
    rows = db.session.scalars(
        sa.select(Measure).join(Case, sa.and_(Case.tenant_id == Measure.tenant_id, Case.id == Measure.case_id))
        .where(Case.person_id == uuid.UUID(payload["person_id"]), Case.state != states.CLOSED,
               Measure.offer_tenant_id == int(payload["offer_tenant_id"]),
               Measure.offer_id == uuid.UUID(payload["offer_id"]))).all()
    for measure in rows:
        measure.referral_outcome, measure.referral_on = payload["outcome"], date.fromisoformat(payload["on"])
    return f"fordern: {len(rows)} measure(s) noted" if rows else None


# -- deadlines and retention (registered in the package: deadlines.SOURCES, retention.ERASERS) ---------------


def open_deadlines(case_ids: list) -> dict:
    """{case id: the earliest deadline of its agreed measures still without a result}."""
    if not case_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Measure.case_id, sa.func.min(Measure.deadline))
        .where(Measure.case_id.in_(case_ids), Measure.agreed_on.is_not(None), Measure.result.is_(None))
        .group_by(Measure.case_id)).all())


EVIDENCE = "fordern.measure"  # the attachments' owner type (measure_views names it too)


def erase(case_ids: list) -> None:
    """The cases are anonymised: the measures' goals and notes go, and their evidence files are deleted."""
    from core.attachments.models import Attachment
    from core.attachments.service import delete

    measure_ids = [str(i) for i in db.session.scalars(sa.select(Measure.id).where(Measure.case_id.in_(case_ids)))]
    db.session.execute(sa.update(Measure).where(Measure.case_id.in_(case_ids))
                       .values(goal="", result_note="").execution_options(synchronize_session=False))
    if measure_ids:
        for attachment in db.session.scalars(sa.select(Attachment).where(
                Attachment.owner_type == EVIDENCE, Attachment.owner_id.in_(measure_ids),
                Attachment.deleted_at.is_(None))):
            delete(attachment)
