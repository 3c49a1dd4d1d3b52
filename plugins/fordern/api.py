"""Fordern's API (``/api/v1/<tenant>/fordern/cases``): cases by token, with a scope of their own, off by default.

A token needs ``fordern:cases``, and the tenant must have switched the cases API on
(``fordern.cases_api``, off by default): the most sensitive data leaves the platform only where
the tenant decided so. A case carries ids, states, dates and its next deadline; never a name, a
reason or a note. Each call is audited (the cases are Sensitive: their reads are recorded).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request

from core import provisioning
from core.api import api_endpoint, error_response
from core.db import db
from plugins.fordern import deadlines, states
from plugins.fordern.models import Case

CASES_SCOPE = "fordern:cases"
SWITCH = "fordern.cases_api"

api = Blueprint("fordern_api", __name__)

_DAY = {"type": "string", "format": "date", "nullable": True}
CASE = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "person_id": {"type": "string", "format": "uuid"},
    "state": {"type": "string", "enum": list(states.STATES)},
    "outcome": {"type": "string", "enum": list(states.OUTCOMES), "nullable": True},
    "opened_on": _DAY, "state_on": _DAY, "closed_on": _DAY, "next_deadline": _DAY}}


def as_json(case: Case, deadline) -> dict:
    return {"id": str(case.id), "person_id": str(case.person_id), "state": case.state, "outcome": case.outcome,
            "opened_on": case.opened_on.isoformat(), "state_on": case.state_on.isoformat(),
            "closed_on": case.closed_on.isoformat() if case.closed_on else None,
            "next_deadline": deadline.isoformat() if deadline else None}


@api.get("/cases")
@api_endpoint(CASES_SCOPE, "The tenant's cases, oldest first, without names or reasons; ?state=<a state> or "
              "?open=1. Only where the tenant switched the cases API on (setting fordern.cases_api).",
              response={"type": "object", "properties": {"items": {"type": "array", "items": CASE}}},
              answers={400: "A query parameter is invalid"})
def cases():
    if not provisioning.get_setting(g.tenant, SWITCH):
        return error_response(403, "forbidden", "The cases API is switched off for this tenant (fordern.cases_api).")
    state, only_open = request.args.get("state"), request.args.get("open", "0")
    if (state is not None and state not in states.STATES) or only_open not in ("0", "1"):
        return error_response(400, "bad_request", "state is a case state; open is 0 or 1.",
                              fields={"state": list(states.STATES), "open": ["0", "1"]})
    query = sa.select(Case).order_by(Case.opened_on, Case.id)
    if state:
        query = query.where(Case.state == state)
    if only_open == "1":
        query = query.where(Case.state != states.CLOSED)
    found = db.session.scalars(query).all()
    due = deadlines.next_deadlines([case.id for case in found])
    return jsonify(items=[as_json(case, due.get(case.id)) for case in found])
