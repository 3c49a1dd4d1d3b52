"""The register's API: list, read, create and update newcomers (``/api/v1/<tenant>/informieren/newcomers``).

A body is checked by the form's own check (:func:`checks.check_person`); its errors come back
as 422 with a message per field. A POST may carry an ``id`` (a UUID the client chooses): posting
the same entry again returns the person created the first time (200) instead of a second one (201);
the same id with other (or too few) data is a conflict (409) or invalid (422), never a way to read.

Writing is not reading: a token without ``informieren:read`` gets back only the key and the
timestamps of what it wrote, and a taken id is named as taken, not by whom.
"""

from __future__ import annotations

import math
import re

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from core.api import api_endpoint, error_response, json_body
from core.db import db
from plugins.informieren.blueprints import ANONYMISED, api, person_or_404
from plugins.informieren.models import Newcomer, Source
from plugins.informieren.register import checks, query, records

READ_ONLY = {"eu_efta", "source", "stage", "created_at", "updated_at", "anonymised_on"}
MAX_PER_PAGE = 200
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only, and an offset far within 64 bits
READ_SCOPE = "informieren:read"

_CODES = {"type": "array", "items": {"type": "string"}}


def _text(name: str, **schema) -> dict:
    """A text field: at most the length the register keeps (counted after runs of spaces become one)."""
    return {"type": "string", "maxLength": checks.LENGTHS[name], **schema}


_NAME = {"minLength": 1, "pattern": r"\S", "description": "Not blank."}
INPUT_PROPERTIES = {
    "official_name": _text("official_name", **_NAME),
    "first_name": _text("first_name", **_NAME),
    "sex": {"type": "string", "enum": ["m", "f"], "nullable": True},
    "date_of_birth": {"type": "string", "nullable": True, "example": "1985-03",
                      "description": "Partial ISO date: YYYY-MM-DD, YYYY-MM or YYYY."},
    "nationalities": {**_CODES, "description": "ISO 3166 alpha-2 codes (BFS-8xxx for a country without one)."},
    "languages": {**_CODES, "description": "ISO 639-1 codes, the language read best first."},
    "arrival_date": {"type": "string", "format": "date", "description": "Not in the future."},
    "municipality_bfs": {"type": "integer", "description": "BFS number of a commune the tenant serves."},
    "permit_category": {"type": "string", "enum": list(checks.PERMITS), "nullable": True},
    "street": _text("street", nullable=True), "house_number": _text("house_number", nullable=True),
    "postal_code": {"type": "string", "pattern": "^[0-9]{4}$", "nullable": True},
    "town": _text("town", nullable=True),
    "household_key": _text("household_key", nullable=True, description="Members moving together share it."),
    "moves_with": {"type": "string", "format": "uuid", "description": "Join this person's household."},
    "local_person_id": _text("local_person_id", nullable=True),
    "vn": {"type": "string", "nullable": True, "example": "756.9217.0769.85",
           "description": "AHV number, with or without dots; stored and returned as 13 digits."},
}
NEWCOMER = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        **{name: schema for name, schema in INPUT_PROPERTIES.items() if name != "moves_with"},
        "eu_efta": {"type": "boolean", "nullable": True, "description": "Derived from the nationalities."},
        "source": {"type": "string", "enum": ["manual", "ech0020", "api", "csv"]},
        "stage": {"type": "string", "enum": [str(stage) for stage in checks.STAGE_LABELS]},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "anonymised_on": {"type": "string", "format": "date", "nullable": True,
                          "description": "Set when the retention period ended: names, birth date, address and "
                                         "ids are then empty, and the record can no longer change."},
    },
}
# What a client read may be sent back as it was: these fields are ignored. Any other field is refused (422).
IGNORED = {name: {**NEWCOMER["properties"][name], "readOnly": True} for name in sorted(READ_ONLY)}
CREATE = {"type": "object", "required": list(checks.REQUIRED), "additionalProperties": False,
          "properties": {"id": {"type": "string", "format": "uuid",
                                "description": "Optional key of this entry: a repeated POST creates nothing."},
                         **INPUT_PROPERTIES, **IGNORED}}
UPDATE = {"type": "object", "description": "Only the fields given change; null clears an optional field.",
          "additionalProperties": False,
          "properties": {"id": {"type": "string", "format": "uuid", "description": "Ignored."},
                         **INPUT_PROPERTIES, **IGNORED}}
PAGE = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": NEWCOMER}, "total": {"type": "integer"},
                   "page": {"type": "integer"}, "per_page": {"type": "integer"}, "pages": {"type": "integer"}},
}


def as_json(person: Newcomer) -> dict:
    return {
        "id": str(person.id),
        **{name: getattr(person, name) for name in (*checks.EDITABLE, "eu_efta", "household_key", "source",
                                                     "stage")},
        "arrival_date": person.arrival_date.isoformat(),
        "created_at": person.created_at.isoformat(),
        "updated_at": person.updated_at.isoformat(),
        "anonymised_on": person.anonymised_on.isoformat() if person.anonymised_on else None,
    }


WRITTEN = {"type": "object", "description": "Without the read scope only the key and timestamps.",
           "properties": {name: NEWCOMER["properties"][name] for name in ("id", "created_at", "updated_at")}}
ANSWER = {"anyOf": [NEWCOMER, WRITTEN]}
WRITE_ERRORS = {400: "The body is no JSON object, or holds NUL bytes, lone surrogates or deep nesting",
                413: "The body is larger than 1 MB", 415: "The body is not application/json",
                422: "A field is missing or invalid (messages per field)"}


def _answer(person: Newcomer, status: int = 200):
    """What a write gets back: the record for a token that may read it, else only its key and version."""
    if READ_SCOPE in g.api_token.scopes:
        body = as_json(person)
    else:
        body = {"id": str(person.id), "created_at": person.created_at.isoformat(),
                "updated_at": person.updated_at.isoformat()}
    response = jsonify(body)
    response.status_code = status
    return response


def _invalid(errors: dict):
    return error_response(422, "invalid", _("Die Angaben sind unvollständig oder ungültig."), fields=errors)


def _body() -> tuple[dict | None, object]:
    """The request's JSON object without the read-only fields, or the response refusing it."""
    data, refusal = json_body()
    if refusal is not None:
        return None, refusal
    if not isinstance(data, dict):
        return None, error_response(400, "bad_request", "A JSON object is expected (Content-Type: application/json).")
    unknown = sorted(set(data) - set(checks.INPUT_FIELDS) - READ_ONLY - {"id"})
    if unknown:
        return None, _invalid({name: [_("Unbekanntes Feld.")] for name in unknown})
    return {name: value for name, value in data.items() if name not in READ_ONLY}, None


@api.get("/newcomers")
@api_endpoint("informieren:read", "The tenant's newcomers, newest arrival first, 50 a page. Query parameters: "
              "page, per_page (up to 200), arrival_from, arrival_to (YYYY-MM-DD), commune (BFS number), "
              "changed_since (ISO 8601 timestamp).", response=PAGE,
              answers={400: "A query parameter is invalid (messages per parameter)"})
def newcomers():
    filters, problems = query.parse_filters(request.args, query.API_PARAMS)
    page, per_page = request.args.get("page", "1"), request.args.get("per_page", str(query.PAGE_SIZE))
    if not WHOLE_NUMBER.fullmatch(page) or int(page) < 1:
        problems["page"] = _("Bitte eine Seitenzahl ab 1 angeben.")
    if not WHOLE_NUMBER.fullmatch(per_page) or not 1 <= int(per_page) <= MAX_PER_PAGE:
        problems["per_page"] = _("Bitte 1 bis %(max)d angeben.", max=MAX_PER_PAGE)
    if problems:
        fields = {key: [message] for key, message in problems.items()}
        return error_response(400, "bad_request", _("Ungültige Parameter."), fields=fields)
    page, per_page = int(page), int(per_page)
    total = query.count(filters)
    return jsonify(items=[as_json(p) for p in query.page_of(filters, page, per_page)], total=total, page=page,
                   per_page=per_page, pages=math.ceil(total / per_page))


@api.get("/newcomers/<uuid:person_id>")
@api_endpoint("informieren:read", "One newcomer.", response=NEWCOMER)
def newcomer(person_id):
    return jsonify(as_json(person_or_404(person_id)))


@api.post("/newcomers")
@api_endpoint("informieren:write", "Create a newcomer (201; 200 when the same entry with its id was posted before; "
              "409 when the id is taken with other data; 422 with a message per field). Without the read scope "
              "the answer holds only id, created_at and updated_at.", request_body=CREATE, response=ANSWER,
              answers={201: "Created", **WRITE_ERRORS, 409: "The id exists with other data (the answer names it)"})
def create_newcomer():
    data, refusal = _body()
    if refusal is not None:
        return refusal
    key = data.pop("id", None)
    if key is not None:
        key = checks.as_uuid(key)
        if key is None:
            return _invalid({"id": [_("Bitte eine UUID angeben.")]})
        existing = db.session.get(Newcomer, (g.tenant.id, key))
        if existing is not None:
            return _repeated(existing, data)
    try:
        person, created = records.create_person(data, g.tenant, source=Source.API, person_id=key,
                                                name_holder=False)
    except checks.PersonInvalid as error:
        return _invalid(error.errors)
    db.session.commit()
    return _located(_answer(person, 201 if created else 200), person)


def _located(response, person: Newcomer):
    response.headers["Location"] = url_for("informieren_api.newcomer", person_id=person.id)
    return response


def _repeated(existing: Newcomer, data: dict):
    """A POST of an id already taken: checked as a create; the same entry is 200, other data 409."""
    try:
        changes = checks.check_person(data, g.tenant, existing, name_holder=False)
    except checks.PersonInvalid as error:
        return _invalid(error.errors)
    if set(changes) - {"moves_with"}:
        return error_response(409, "exists", "A newcomer with this id exists with other data; change it with PATCH.",
                              id=str(existing.id))
    return _located(_answer(existing), existing)


@api.patch("/newcomers/<uuid:person_id>")
@api_endpoint("informieren:write", "Change a newcomer: only the fields given (422 with a message per field; 409 "
              "once the record is anonymised). Without the read scope the answer holds only id, created_at and "
              "updated_at.", request_body=UPDATE, response=ANSWER,
              answers={**WRITE_ERRORS, 409: "The record is anonymised and can no longer change"})
def update_newcomer(person_id):
    person = person_or_404(person_id)
    if person.anonymised_on:
        return error_response(409, "anonymised", str(ANONYMISED))
    data, refusal = _body()
    if refusal is not None:
        return refusal
    data.pop("id", None)
    try:
        records.update_person(person, data, g.tenant, source=Source.API, partial=True, name_holder=False)
    except checks.PersonInvalid as error:
        return _invalid(error.errors)
    db.session.commit()
    return _answer(person)

