"""Fördern's API (``/api/v1/<tenant>/foerdern/...``): the offers a tenant shows, its persons' needs and referrals.

Without a token the offers are what the public page lists (current, not hidden). A token with
``foerdern:read`` also gets the tenant's own offers that expired or are not yet valid and the other
tenants' offers it hid, each marked (``?all=1``). Needs (``foerdern:needs``) and referrals
(``foerdern:referrals``) need a token with their scope; they carry ids, categories, states and
dates, never the officers' notes (personal data a machine has no use for).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request

from core import clock
from core.api import api_endpoint, error_response
from core.db import db
from plugins.foerdern import figures, published
from plugins.foerdern.needs_models import NEED_STATES, REFERRAL_STATES, Need, Referral, ReferralStep

READ_SCOPE, NEEDS_SCOPE, REFERRALS_SCOPE = "foerdern:read", "foerdern:needs", "foerdern:referrals"
SCOPES = (READ_SCOPE, NEEDS_SCOPE, REFERRALS_SCOPE)

api = Blueprint("foerdern_api", __name__)

_TEXT = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "A text in the content languages, by ISO 639-1 code; German is always there."}
_DAY = {"type": "string", "format": "date", "nullable": True}
OFFER = {
    "type": "object",
    "required": ["id", "publisher", "reach", "kind", "title", "current", "hidden"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "publisher": {"type": "object", "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}},
        "reach": {"type": "string", "enum": ["own", "regional", "cantonal"]},
        "kind": {"type": "string", "description": "A built-in kind, or 'own' (then kind_name)."},
        "own_kind_id": {"type": "string", "nullable": True}, "kind_name": {**_TEXT, "nullable": True},
        "title": _TEXT, "description": {**_TEXT, "nullable": True},
        "provider": {"type": "object"}, "place": {"type": "object"},
        "timing": {"type": "string", "enum": ["dates", "recurring", "ongoing"]},
        "starts_on": _DAY, "ends_on": _DAY, "schedule": {**_TEXT, "nullable": True},
        "languages": {"type": "array", "items": {"type": "string"}},
        "target_groups": {"type": "array", "items": {"type": "string"}},
        "age_min": {"type": "integer", "nullable": True}, "age_max": {"type": "integer", "nullable": True},
        "women_only": {"type": "boolean"}, "childcare": {"type": "boolean"},
        "cost": {"type": "object", "description": "amount and reduced in Rappen (0: free of charge)."},
        "registration": {"type": "object"}, "valid_from": _DAY, "valid_until": _DAY,
        "current": {"type": "boolean", "description": "Shown today (not expired, already valid)."},
        "hidden": {"type": "boolean", "description": "Another tenant's offer this tenant hid (with ?all=1)."},
    },
}


@api.get("/offers")
@api_endpoint(READ_SCOPE, "The integration offers the tenant shows: its own, the regional ones shared with it and "
              "the canton's, by German title. Public: no token needed. With a token holding foerdern:read, "
              "?all=1 adds the own offers that expired or are not yet valid and the hidden ones, marked.",
              response={"type": "object", "properties": {"items": {"type": "array", "items": OFFER}}},
              answers={400: "A query parameter is invalid"}, token_optional=True)
def offers():
    every = request.args.get("all", "0")
    if every not in ("0", "1"):
        return error_response(400, "bad_request", "all is 0 or 1.", fields={"all": ["0 or 1"]})
    if every == "1" and g.api_token is None:
        return error_response(401, "unauthorized", "A bearer token with foerdern:read is required for all=1.")
    today = clock.today()
    rows = published.every_offer() if every == "1" else published.visible(today)
    hidden = published.hidden_keys()
    publishers = published.publishers(rows)
    return jsonify(items=[{
        **row.document, "id": str(row.offer_id), "reach": row.reach, "current": row.current_on(today),
        "hidden": (row.tenant_id, row.offer_id) in hidden,
        "publisher": {"slug": publishers[row.tenant_id].slug, "name": publishers[row.tenant_id].name},
    } for row in rows])


def _by_state(model, allowed: tuple[str, ...]):
    """``model``'s rows oldest first, of the ``?state=`` asked: (query, None), or (None, the 400 answer)."""
    state = request.args.get("state")
    if state is not None and state not in allowed:
        return None, error_response(400, "bad_request", f"state is one of {', '.join(allowed)}.",
                                    fields={"state": [", ".join(allowed)]})
    query = sa.select(model).order_by(model.created_at, model.id)
    return (query.where(model.state == state) if state else query), None


_ID = {"type": "string", "format": "uuid"}
NEED = {"type": "object", "properties": {
    "id": _ID, "person_id": _ID, "category": {"type": "string"}, "level": {"type": "string", "nullable": True},
    "source": {"type": "string", "enum": ["direct", "interview"]},
    "state": {"type": "string", "enum": list(NEED_STATES)},
    "state_on": {"type": "string", "format": "date"}, "created_at": {"type": "string", "format": "date-time"}}}
REFERRAL = {"type": "object", "properties": {
    "id": _ID, "person_id": _ID, "need_id": {**_ID, "nullable": True},
    "offer": {"type": "object", "description": "The offer as it was when the person was referred: tenant_id, id, "
                                               "title (by language), kind."},
    "state": {"type": "string", "enum": list(REFERRAL_STATES)}, "state_on": {"type": "string", "format": "date"},
    "steps": {"type": "array", "items": {"type": "object", "properties": {
        "state": {"type": "string"}, "on": {"type": "string", "format": "date"}}}}}}


@api.get("/needs")
@api_endpoint(NEEDS_SCOPE, "The needs of the tenant's persons, oldest first; ?state=open|met|withdrawn. Without "
              "the officers' notes.", response={"type": "object", "properties": {"items": {"type": "array",
                                                                                           "items": NEED}}},
              answers={400: "A query parameter is invalid"})
def needs_list():
    query, refusal = _by_state(Need, NEED_STATES)
    if refusal is not None:
        return refusal
    return jsonify(items=[{
        "id": str(need.id), "person_id": str(need.person_id), "category": need.category, "level": need.level,
        "source": need.source, "state": need.state, "state_on": need.state_on.isoformat(),
        "created_at": need.created_at.isoformat()} for need in db.session.scalars(query)])


@api.get("/needs/uncovered")
@api_endpoint(NEEDS_SCOPE, "The open needs no current offer covers: per category and per first language of the "
              "person (\"\" when unknown).", response={"type": "object", "properties": {
                  "day": {"type": "string", "format": "date"},
                  "categories": {"type": "object", "additionalProperties": {"type": "integer"}},
                  "languages": {"type": "object", "additionalProperties": {"type": "integer"}}}})
def needs_uncovered():
    today = clock.today()
    return jsonify(day=today.isoformat(), **figures.uncovered_needs(today))


@api.get("/referrals")
@api_endpoint(REFERRALS_SCOPE, "The referrals of the tenant's persons to offers, oldest first, with their steps; "
              "?state=proposed|registered|attending|completed|dropped_out. Without the officers' notes.",
              response={"type": "object", "properties": {"items": {"type": "array", "items": REFERRAL}}},
              answers={400: "A query parameter is invalid"})
def referrals_list():
    query, refusal = _by_state(Referral, REFERRAL_STATES)
    if refusal is not None:
        return refusal
    found = db.session.scalars(query).all()
    steps: dict = {}
    for step in db.session.scalars(sa.select(ReferralStep).order_by(ReferralStep.seq)):
        steps.setdefault(step.referral_id, []).append({"state": step.state, "on": step.taken_on.isoformat()})
    return jsonify(items=[{
        "id": str(referral.id), "person_id": str(referral.person_id),
        "need_id": str(referral.need_id) if referral.need_id else None,
        "offer": {"tenant_id": referral.offer_tenant_id, "id": str(referral.offer_id),
                  "title": referral.offer_title, "kind": referral.offer_kind},
        "state": referral.state, "state_on": referral.state_on.isoformat(), "steps": steps.get(referral.id, []),
    } for referral in found])
