"""Referrals (Zuweisungen): a person referred to an offer, and each step until it is completed or dropped out.

A referral starts proposed (or registered at once) and moves forward only (``TRANSITIONS``);
every step is dated (not in the future, not before the step before), names who took it and is
appended to its history. An outcome (completed, dropped out) is announced to the other modules
as ``foerdern.referral_outcome``; a completed referral may mark its need met. A referral without
an outcome whose last step is older than the tenant's follow-up period is on the worklist.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, events, provisioning
from core.db import db
from core.errors import UserError
from core.people import Person
from core.plugins import EventType
from core.tenancy import Tenant, tenant_scope
from core.worklist import WorkItem
from plugins.foerdern import needs
from plugins.foerdern.needs_models import (
    COMPLETED,
    FIRST_STATES,
    OUTCOMES,
    TRANSITIONS,
    Need,
    Referral,
    ReferralStep,
)

STATE_LABELS = {
    "proposed": _l("vorgeschlagen"),
    "registered": _l("angemeldet"),
    "attending": _l("nimmt teil"),
    "completed": _l("abgeschlossen"),
    "dropped_out": _l("abgebrochen"),
}
OUTCOME_EVENT = EventType(
    "foerdern.referral_outcome", _l("Zuweisung abgeschlossen oder abgebrochen"),
    fields=("person_id", "referral_id", "offer_id", "offer_tenant_id", "outcome", "on"),
    description=_l("Eine Zuweisung zu einem Angebot hat ihr Ergebnis: abgeschlossen (completed) oder abgebrochen "
                   "(dropped_out), am Tag «on»; Ids als Text."),
)
FOLLOW_UP_DAYS = "foerdern.referral_followup_days"
DEFAULT_FOLLOW_UP_DAYS = 30


# -- reading ---------------------------------------------------------------------------------------


def referrals_of(person_id: uuid.UUID) -> list[Referral]:
    """The person's referrals, those without an outcome first, then by their last step, newest first."""
    found = db.session.scalars(sa.select(Referral).where(Referral.person_id == person_id)
                               .order_by(Referral.state_on.desc(), Referral.created_at.desc())).all()
    return sorted(found, key=lambda referral: referral.ended)


def steps_of(referral_id: uuid.UUID) -> list[ReferralStep]:
    return db.session.scalars(sa.select(ReferralStep).where(ReferralStep.referral_id == referral_id)
                              .order_by(ReferralStep.seq)).all()


def next_states(referral: Referral) -> tuple[str, ...]:
    return TRANSITIONS[referral.state]


# -- checks (the forms show their messages beside the field) -----------------------------------


def check_day(on: date, today: date, after: date | None = None) -> None:
    """A step's day: not in the future, not before the step before (``after``)."""
    if on > today:
        raise UserError(_("Das Datum liegt in der Zukunft."))
    if after is not None and on < after:
        raise UserError(_("Das Datum liegt vor dem letzten Schritt (%(day)s).", day=format_date(after, "medium")))


def check_transition(referral: Referral, state: str) -> None:
    if state not in next_states(referral):
        raise UserError(_("Von «%(current)s» geht es nicht zu «%(wanted)s».",
                          current=STATE_LABELS[referral.state], wanted=STATE_LABELS.get(state, state)))


# -- changes ---------------------------------------------------------------------------------------


def refer(person: Person, offer, need: Need | None, state: str, on: date, note: str, today: date,
          referral_id: uuid.UUID | None = None) -> Referral:
    """Refer ``person`` to ``offer`` (a row of ``needs.current_offers``), for ``need`` or none; its first step."""
    if state not in FIRST_STATES:
        raise UserError(_("Eine Zuweisung beginnt als Vorschlag oder mit der Anmeldung."))
    check_day(on, today)
    referral = Referral(id=referral_id or uuid.uuid4(), person_id=person.id, need_id=need.id if need else None,
                        offer_tenant_id=offer.tenant_id, offer_id=offer.offer_id, offer_title=dict(offer.title),
                        offer_kind=offer.kind, state=state, state_on=on, steps=0,
                        created_by=audit.current_actor())
    db.session.add(referral)
    audit.record("foerdern.referral.create", object_type="foerdern_referral", object_id=referral.id,
                 detail={"person_id": str(person.id), "offer_id": str(offer.offer_id),
                         "offer_tenant_id": offer.tenant_id, "need_id": str(need.id) if need else None})
    _append(referral, state, on, note)
    return referral


def take_step(tenant: Tenant, referral: Referral, state: str, on: date, note: str, today: date,
              need_met: bool = False) -> ReferralStep:
    """Move the referral on to ``state`` as of ``on``; an outcome is announced, a completion may meet the need."""
    check_transition(referral, state)
    check_day(on, today, referral.state_on)
    step = _append(referral, state, on, note)
    if state in OUTCOMES:
        events.emit(tenant, OUTCOME_EVENT.id, person_id=str(referral.person_id), referral_id=str(referral.id),
                    offer_id=str(referral.offer_id), offer_tenant_id=str(referral.offer_tenant_id), outcome=state,
                    on=on.isoformat())
    if state == COMPLETED and need_met and referral.need_id is not None:
        need = db.session.get(Need, (referral.tenant_id, referral.need_id))
        if need is not None and need.state == "open":
            needs.set_state(need, "met", on)
    return step


def _append(referral: Referral, state: str, on: date, note: str) -> ReferralStep:
    referral.steps += 1
    referral.state, referral.state_on = state, on
    step = ReferralStep(referral_id=referral.id, seq=referral.steps, state=state, taken_on=on,
                        by=audit.current_actor(), note=note or "")
    db.session.add(step)
    audit.record("foerdern.referral.step", object_type="foerdern_referral", object_id=referral.id,
                 detail={"person_id": str(referral.person_id), "seq": step.seq, "state": state,
                         "on": on.isoformat()})
    return step


# -- the follow-up: referrals without an outcome, their last step long ago ----------------------


def follow_up_days(tenant: Tenant) -> int:
    return provisioning.get_setting(tenant, FOLLOW_UP_DAYS)


def waiting(day: date, days: int):
    """SQL: the referral has no outcome and its last step is more than ``days`` before ``day``."""
    return sa.and_(Referral.state.not_in(OUTCOMES), Referral.state_on < day - timedelta(days=days))


def worklist_items(tenant: Tenant, day: date) -> list[WorkItem]:
    days = follow_up_days(tenant)
    with tenant_scope(tenant):
        count, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(Referral.state_on)).where(waiting(day, days))).one()
    earliest = oldest + timedelta(days=days) if oldest else None
    return [WorkItem("foerdern.referrals_follow_up", _l("Zuweisungen ohne Ergebnis: nachfragen"), count,
                     needs.EDIT, "foerdern.referrals.index", (("liste", "nachfragen"),), True, earliest)]
