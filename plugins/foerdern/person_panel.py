"""Fördern on core's person page: a panel with the person's needs and referrals, and timeline entries.

Both only for those who may read needs (``foerdern.needs.read``); the links to act only for those
who may change them. The timeline names categories, states and offers, never a note.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import has_request_context, render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from core.access import can
from core.clock import ZURICH
from core.content_languages import pick
from core.db import db
from core.i18n import language as ui_language
from core.people import Panel, Person, TimelineEntry
from plugins.foerdern import needs, referrals
from plugins.foerdern.needs_models import Referral, ReferralStep

TITLE = _l("Fördern: Bedürfnisse und Zuweisungen")
POSITION = 20  # after Informieren's, as in the menu


def panels(person: Person) -> list[Panel]:
    if not can(needs.READ):
        return []
    body = render_template(
        "foerdern/person_panel.html", person=person, needs=needs.needs_of(person.id),
        referrals=referrals.referrals_of(person.id), labels=needs, referral_states=referrals.STATE_LABELS, pick=pick,
        language=ui_language(), may_edit=can(needs.EDIT) and person.anonymised_on is None)
    return [Panel(TITLE, Markup(body), POSITION)]


def timeline(person_id: uuid.UUID) -> list[TimelineEntry]:
    if not has_request_context() or not can(needs.READ):
        return []
    page = url_for("foerdern.needs.person", person_id=person_id)
    entries = []
    for need in needs.needs_of(person_id):
        label = needs.need_label(need)
        recorded = need.created_at.astimezone(ZURICH).date()
        entries.append(TimelineEntry.on(recorded, "foerdern", _l("Bedürfnis erfasst"), label, page))
        if need.state != "open":
            entries.append(TimelineEntry.on(need.state_on, "foerdern", _l("Bedürfnis %(state)s",
                                                                          state=needs.STATE_LABELS[need.state]),
                                            label, page, order=1))
    return entries + _steps(person_id)


def _steps(person_id: uuid.UUID) -> list[TimelineEntry]:
    rows = db.session.execute(
        sa.select(ReferralStep, Referral.offer_title)
        .join(Referral, sa.and_(Referral.tenant_id == ReferralStep.tenant_id, Referral.id == ReferralStep.referral_id))
        .where(Referral.person_id == person_id)
    ).all()
    language = ui_language()
    return [TimelineEntry.on(step.taken_on, "foerdern", _l("Zuweisung: %(state)s",
                                                           state=referrals.STATE_LABELS[step.state]),
                             pick(title, language).text, url_for("foerdern.referrals.show",
                                                                 referral_id=step.referral_id), order=step.seq)
            for step, title in rows]
