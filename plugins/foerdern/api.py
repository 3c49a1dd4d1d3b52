"""Fördern's API (``/api/v1/<tenant>/foerdern/...``): the offers a tenant shows, public as on its offers page.

Without a token the offers are what the public page lists (current, not hidden). A token with
``foerdern:read`` also gets the tenant's own offers that expired or are not yet valid and the other
tenants' offers it hid, each marked (``?all=1``).
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from core import clock
from core.api import api_endpoint, error_response
from plugins.foerdern import published

READ_SCOPE = "foerdern:read"

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
