"""Fordern's worklist: open cases without a step for too long, cases past a deadline; in the canton's tenant,
the deadlines of the agreements and recommendations it tracks."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import provisioning
from core.db import db
from core.tenancy import Tenant
from core.worklist import WorkItem
from plugins.fordern import deadlines, states
from plugins.fordern.escalation_models import ReviewDeadline
from plugins.fordern.models import Case

FOLLOW_UP_SETTING = "fordern.followup_days"
DEFAULT_FOLLOW_UP_DAYS = 60
READ = "fordern.cases.read"
REVIEW = "fordern.escalation.review"  # the canton reviewers' (plugins.fordern.escalation.REVIEW)
SOON = timedelta(days=14)  # a tracked deadline shows from two weeks before it


def items(tenant: Tenant, day: date) -> list[WorkItem]:
    if tenant.is_canton:
        return canton_items(day)
    days = provisioning.get_setting(tenant, FOLLOW_UP_SETTING)
    open_cases = db.session.execute(sa.select(Case.id, Case.state_on).where(Case.state != states.CLOSED)).all()
    # A submitted case waits for the canton, not for the commune.
    waiting = db.session.execute(sa.select(sa.func.count(), sa.func.min(Case.state_on)).where(
        Case.state.not_in((states.CLOSED, states.SUBMITTED)), Case.state_on < day - timedelta(days=days))).one()
    due = deadlines.next_deadlines([case_id for case_id, _on in open_cases])
    late = sorted(deadline for deadline in due.values() if deadline < day)
    found = []
    if waiting[0]:
        found.append(WorkItem("fordern.follow_up", _l("Fälle ohne Schritt seit %(days)s Tagen", days=days),
                              waiting[0], READ, "fordern.index", earliest=waiting[1] + timedelta(days=days)))
    if late:
        found.append(WorkItem("fordern.deadlines", _l("Fälle mit überschrittener Frist"), len(late), READ,
                              "fordern.index", overdue=True, earliest=late[0]))
    return found


def canton_items(day: date) -> list[WorkItem]:
    """The tracked deadlines of agreements and recommendations without an outcome, due within two weeks or past."""
    due = db.session.scalars(sa.select(ReviewDeadline.due_on).where(
        ReviewDeadline.outcome.is_(None), ReviewDeadline.due_on <= day + SOON)).all()
    if not due:
        return []
    return [WorkItem("fordern.agreement_deadlines", _l("Fristen aus Integrationsvereinbarungen und -empfehlungen"),
                     len(due), REVIEW, "fordern.reviews", overdue=min(due) < day, earliest=min(due))]
