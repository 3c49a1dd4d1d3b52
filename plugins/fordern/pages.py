"""What every Fordern page shares: the blueprint, the case by its id, who may act, and 404 for the refused.

A case's existence is itself sensitive: a member of the tenant without Fordern's permission gets the
same 404 as a stranger (core would answer 403), on every page of the module.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, g, render_template
from werkzeug.exceptions import NotFound

from core.access import can, role_permissions
from core.auth import User, actor_names
from core.db import db
from core.people import Person
from plugins.fordern import states
from plugins.fordern.models import Case

READ, EDIT = "fordern.cases.read", "fordern.cases.edit"
blueprint = Blueprint("fordern", __name__, template_folder="templates")


@blueprint.errorhandler(403)
def _refused_is_not_found(_error):
    return render_template("error.html", error=NotFound()), 404


def case_or_404(case_id: uuid.UUID) -> Case:
    return db.get_or_404(Case, (g.tenant.id, case_id))


def person_of(case: Case) -> Person:
    return db.session.get(Person, (case.tenant_id, case.person_id))


def editable_or_404(case_id: uuid.UUID) -> Case:
    """A case the user may change now: open, its person not anonymised."""
    case = case_or_404(case_id)
    if case.state == states.CLOSED or case.anonymised_on is not None:
        abort(404)
    return case


def may_edit(case: Case) -> bool:
    return can(EDIT) and case.state != states.CLOSED and case.anonymised_on is None


def officers() -> dict[str, str]:
    """The tenant's members who may work on cases: actor ("user:<id>") -> name, by name."""
    return members_with(g.tenant, EDIT)


def members_with(tenant, permission: str) -> dict[str, str]:
    """The members of ``tenant`` (the current scope) whose roles grant ``permission``: actor -> name, by name."""
    from core.access import Membership

    roles = [role for role, granted in role_permissions(tenant).items() if permission in granted]
    users = db.session.execute(sa.select(User.id, User.name).join(Membership, Membership.user_id == User.id)
                               .where(Membership.role.in_(roles)).distinct()).all()
    return {f"user:{user_id}": name for user_id, name in sorted(users, key=lambda row: (row.name.casefold(), row.id))}


def names(actors) -> dict[str, str]:
    return actor_names(list(actors))
