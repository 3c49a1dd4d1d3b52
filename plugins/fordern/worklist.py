"""Fordern's worklist: each officer's own open cases, open cases without a step for too long, cases with a
deadline within two weeks or past; in the canton's tenant, the deadlines of the agreements and recommendations
it tracks."""

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
ALL_CASES = (("liste", "alle"),)  # the list's query (plugins.fordern.case_views): the tenant's cases
SOON = timedelta(days=14)  # a tracked deadline shows from two weeks before it


def items(tenant: Tenant, day: date) -> list[WorkItem]:
    if tenant.is_canton:
        return canton_items(day)
    days = provisioning.get_setting(tenant, FOLLOW_UP_SETTING)
    open_cases = db.session.execute(sa.select(Case.id, Case.owner).where(Case.state != states.CLOSED)).all()
    # A submitted case waits for the canton, not for the commune.
    waiting = db.session.execute(sa.select(sa.func.count(), sa.func.min(Case.state_on)).where(
        Case.state.not_in((states.CLOSED, states.SUBMITTED)), Case.state_on < day - timedelta(days=days))).one()
    due = deadlines.next_deadlines([case_id for case_id, _owner in open_cases])
    late = sorted(deadline for deadline in due.values() if deadline < day)
    soon = sorted(deadline for deadline in due.values() if day <= deadline <= day + SOON)
    found = own_cases(open_cases, due, day)
    if waiting[0]:
        found.append(WorkItem("fordern.follow_up", _l("Fälle ohne Schritt seit %(days)s Tagen", days=days),
                              waiting[0], READ, "fordern.index", ALL_CASES, earliest=waiting[1] + timedelta(days=days)))
    if late:
        found.append(WorkItem("fordern.deadlines", _l("Fälle mit überschrittener Frist"), len(late), READ,
                              "fordern.index", ALL_CASES, overdue=True, earliest=late[0]))
    if soon:
        found.append(WorkItem("fordern.deadlines_soon", _l("Fälle mit Frist in den nächsten 14 Tagen"), len(soon),
                              READ, "fordern.index", ALL_CASES, earliest=soon[0]))
    return found


def own_cases(open_cases: list, due: dict, day: date) -> list[WorkItem]:
    """One item per officer: their open cases, with the earliest deadline among them."""
    mine: dict[str, list] = {}
    for case_id, owner in open_cases:
        mine.setdefault(owner, []).append(due.get(case_id))
    found = []
    for owner, days in sorted(mine.items()):
        earliest = min((d for d in days if d is not None), default=None)
        found.append(WorkItem("fordern.my_cases", _l("Meine offenen Fälle"), len(days), READ, "fordern.index",
                              (("liste", "meine"),), overdue=earliest is not None and earliest < day,
                              earliest=earliest, member=owner))
    return found


def canton_items(day: date) -> list[WorkItem]:
    """The tracked deadlines of agreements and recommendations without an outcome, due within two weeks or past."""
    due = db.session.scalars(sa.select(ReviewDeadline.due_on).where(
        ReviewDeadline.outcome.is_(None), ReviewDeadline.due_on <= day + SOON)).all()
    if not due:
        return []
    return [WorkItem("fordern.agreement_deadlines", _l("Fristen aus Integrationsvereinbarungen und -empfehlungen"),
                     len(due), REVIEW, "fordern.reviews", overdue=min(due) < day, earliest=min(due))]
