"""Fördern's part of retention and of the right of access (core.people: ``retention_holds``, ``retention_erase``,
``person_export``).

Fördern keeps a person while they have an open need or a referral without an outcome, and for
``HOLD_DAYS`` (two years) after the last change of their needs and referrals: long enough to
see what was tried when they come back, or when Fordern asks. When core anonymises a person,
Fördern erases the notes (of needs and of referral steps) and the offers an interview suggested;
categories, levels, states, dates and the offers referred to stay, as the figures need them.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.people import Person
from core.people.export import plain
from plugins.foerdern.needs_models import OUTCOMES, Need, Referral, ReferralStep

HOLD_DAYS = 730
NEED_FIELDS = ("category", "level", "note", "suggested", "source", "interview_id", "state", "state_on", "state_by",
               "created_at", "created_by")
REFERRAL_FIELDS = ("offer_tenant_id", "offer_id", "offer_title", "offer_kind", "need_id", "state", "state_on",
                   "created_at", "created_by")
STEP_FIELDS = ("seq", "state", "taken_on", "by", "note", "recorded_at")


def holds(today: date):
    """SQL: the persons with an open need or a referral without outcome, or a change within ``HOLD_DAYS``."""
    since = today - timedelta(days=HOLD_DAYS)
    return sa.union(
        sa.select(Need.person_id).where(sa.or_(Need.state == "open", Need.state_on >= since)),
        sa.select(Referral.person_id).where(sa.or_(Referral.state.not_in(OUTCOMES), Referral.state_on >= since)),
    )


def erase(person_ids: list) -> None:
    """Core anonymises these persons: their needs' notes and suggestions and their steps' notes go."""
    needs = db.session.execute(
        sa.update(Need).where(Need.person_id.in_(person_ids), sa.or_(Need.note != "", Need.source == "interview"))
        .values(note="", suggested=[]).execution_options(synchronize_session=False)).rowcount
    referral_ids = sa.select(Referral.id).where(Referral.person_id.in_(person_ids))
    steps = db.session.execute(
        sa.update(ReferralStep).where(ReferralStep.referral_id.in_(referral_ids), ReferralStep.note != "")
        .values(note="").execution_options(synchronize_session=False)).rowcount
    if needs or steps:
        audit.record("foerdern.notes_erased", object_type="foerdern_need", detail={"needs": needs, "steps": steps})


def export(person: Person) -> dict:
    """{section title: data}: the person's needs, and their referrals with every step."""
    found_needs = db.session.scalars(sa.select(Need).where(Need.person_id == person.id)
                                     .order_by(Need.created_at)).all()
    found_referrals = db.session.scalars(sa.select(Referral).where(Referral.person_id == person.id)
                                         .order_by(Referral.created_at)).all()
    sections = {}
    if found_needs:
        sections[_("Fördern: Bedürfnisse")] = [_row(need, NEED_FIELDS) for need in found_needs]
    if found_referrals:
        sections[_("Fördern: Zuweisungen")] = [
            {**_row(referral, REFERRAL_FIELDS), "steps": [_row(step, STEP_FIELDS) for step in _steps(referral)]}
            for referral in found_referrals]
    return sections


def _row(obj, names: tuple[str, ...]) -> dict:
    return {name: plain(getattr(obj, name)) for name in names}


def _steps(referral: Referral) -> list[ReferralStep]:
    return db.session.scalars(sa.select(ReferralStep).where(ReferralStep.referral_id == referral.id)
                              .order_by(ReferralStep.seq)).all()
