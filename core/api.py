"""The JSON API for machines (the residents' registry software): tokens, bearer auth, OpenAPI.

Endpoints live under ``/api/v1/<tenant>/...``.  A token belongs to one tenant
and carries scopes; it is shown once, stored as a hash, expires and can be
revoked.  A token of another tenant is unknown here and answers 404, an
expired or revoked one 401, a missing scope 403; errors are JSON and say no
more than that.  ``/api/v1/openapi.json`` is generated from the endpoints'
declarations, so modules' endpoints appear in it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from core import audit
from core.access import API, public
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, uuid_pk
from core.errors import UserError
from core.tenancy import Tenant, tenant_scope

PREFIX = "/api/v1"
TOKEN_PATTERN = re.compile(r"^si_([0-9a-f]{32})_([A-Za-z0-9_-]{20,})$")

api = Blueprint("api", __name__, url_prefix=PREFIX)


class ApiToken(TenantScoped, db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200))
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list] = mapped_column(sa.JSON)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def declared_scopes() -> set[str]:
    return {s for m in current_app.extensions["plugins"].manifests.values() for s in m.api_scopes}


def issue_token(tenant: Tenant, name: str, scopes: list[str], days: int = 365) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token text, which is never shown again."""
    if not scopes:
        raise UserError(_("Bitte mindestens eine Berechtigung wählen."))
    unknown = sorted(set(scopes) - declared_scopes())
    if unknown:
        raise UserError(
            _(
                "Unbekannte Berechtigung: %(scopes)s (bekannt: %(known)s).",
                scopes=", ".join(unknown) or "–",
                known=", ".join(sorted(declared_scopes())),
            )
        )
    if not 1 <= days <= 730:
        raise UserError(_("Ein Token gilt 1 bis 730 Tage."))
    if not name.strip():
        raise UserError(_("Der Name darf nicht leer sein."))
    secret = secrets.token_urlsafe(32)
    with tenant_scope(tenant):
        token = ApiToken(
            id=uuid.uuid4(),
            name=name.strip(),
            secret_hash=_hash(secret),
            scopes=sorted(set(scopes)),
            created_by=audit.current_actor(),
            expires_at=utcnow() + timedelta(days=days),
        )
        db.session.add(token)
        audit.record(
            "api_token.create",
            object_type="api_token",
            object_id=token.id,
            detail={"name": token.name, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
        )
    return token, f"si_{token.id.hex}_{secret}"


def revoke_token(tenant: Tenant, token_id: str) -> ApiToken:
    with tenant_scope(tenant):
        try:
            token = db.session.get(ApiToken, (tenant.id, uuid.UUID(token_id)))
        except ValueError:
            token = None
        if token is None:
            raise UserError(_("Dieses Token gibt es nicht."))
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record("api_token.revoke", object_type="api_token", object_id=token.id)
    return token


def list_tokens(tenant: Tenant) -> list[ApiToken]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at.desc())).all()


# -- declaring endpoints -----------------------------------------------------------------


COMMON_ANSWERS = {
    401: "No valid token",
    403: "The token lacks the scope",
    404: "Unknown here (another tenant's token, an inactive module, no such record)",
}
ERROR = {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                   "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                              "description": "With 400 and 422: the messages per field or parameter."}},
}


def api_endpoint(scope: str, summary: str, *, request_body: dict | None = None, response: dict | None = None,
                 request_type: str = "application/json", answers: dict[int, str] | None = None,
                 token_optional: bool = False):
    """Declare an API view: the scope its token needs and what the OpenAPI document says of it.

    ``answers`` names every status the view itself gives besides 200 (and 401, 403, 404, which
    every endpoint may give): a success (2xx) carries ``response``, an error the API's error object.
    ``token_optional``: public data, answered without a token too (``g.api_token`` is then None);
    a token that is sent is checked as everywhere, and the view may give its holder more.
    """

    def mark(view):
        view.required_permission = API
        view.api_scope = scope
        view.api_token_optional = token_optional
        view.api_doc = {"summary": summary, "request_body": request_body, "response": response,
                        "request_type": request_type, "answers": {200: "OK", **(answers or {}), **COMMON_ANSWERS}}
        return view

    return mark


def error_response(status: int, code: str, message: str, **extra):
    """The API's JSON error: ``{"error": code, "message": …}`` and any further members (field errors)."""
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="start.integration"'
    return response


MAX_JSON_BYTES = 1024 * 1024  # a JSON body; the register's largest is a few kilobytes
MAX_JSON_DEPTH = 32


class BadJson(ValueError):
    """A request's JSON the API refuses before any endpoint looks at it; ``str()`` says why."""


def _check_json(value, depth: int = 0) -> None:
    """Refuse what no column can store and no check expects: NUL bytes, lone surrogates, deep nesting."""
    if depth > MAX_JSON_DEPTH:
        raise BadJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(value, str):
        if "\x00" in value:
            raise BadJson("A text contains a NUL byte.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJson("A text contains a lone surrogate (no valid Unicode).") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth + 1)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def read_head(limit: int, block: int = 64 * 1024) -> tuple[bytes, bool]:
    """The request body's first bytes, up to one more than ``limit``, and whether that was all of it.

    A chunked body declares no length, so its bytes are counted as they come; nothing beyond the
    limit is read, and the rest stays in ``request.stream`` for a caller that wants it.
    """
    body = bytearray()
    while part := request.stream.read(min(block, limit + 1 - len(body))):
        body += part
        if len(body) > limit:
            return bytes(body), False
    return bytes(body), True


def json_body():
    """The request's JSON, checked; returns (value, None) or (None, the 400/413/415 response refusing it).

    The one place the API parses JSON, so that every endpoint gets only text a database can keep.
    """
    if not request.is_json:
        return None, error_response(415, "unsupported_media_type", "Send a JSON object as application/json.")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        return None, error_response(413, "too_large", f"At most {MAX_JSON_BYTES // 1024} KB of JSON.")
    raw, complete = read_head(MAX_JSON_BYTES)
    if not complete:  # a chunked body names no length: counted as it comes, never read beyond the limit
        return None, error_response(413, "too_large", f"At most {MAX_JSON_BYTES // 1024} KB of JSON.")
    try:
        value = json.loads(raw)
        _check_json(value)
    except RecursionError:
        return None, error_response(400, "bad_request", f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    except (BadJson, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        message = str(error) if isinstance(error, BadJson) else "The body is not valid JSON."
        return None, error_response(400, "bad_request", message)
    return value, None


def authenticate():
    """Before every API request: the bearer token must belong to the URL's tenant and hold the scope."""
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "api_scope", None)
    if scope is None:
        return None
    header = request.headers.get("Authorization", "")
    if not header and getattr(view, "api_token_optional", False):
        g.api_token = None
        return None
    match = TOKEN_PATTERN.match(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
    if match is None:
        return error_response(401, "unauthorized", "A bearer token is required.")
    tenant = g.get("tenant")
    if tenant is None:
        return error_response(404, "not_found", "Not found.")
    with tenant_scope(tenant):
        token = db.session.get(ApiToken, (tenant.id, uuid.UUID(match.group(1))))
        if token is None or not hmac.compare_digest(token.secret_hash, _hash(match.group(2))):
            return error_response(404, "not_found", "Not found.")
        if not token.is_valid:
            return error_response(401, "unauthorized", "The token has expired or was revoked.")
        if scope not in token.scopes:
            return error_response(403, "forbidden", f"The token lacks the scope {scope}.")
        token.last_used_at = utcnow()
    db.session.commit()
    g.api_token = token
    g.actor = f"api_token:{token.id}"
    return None


def json_errors(error: HTTPException):
    response = error_response(error.code or 500, (error.name or "error").lower().replace(" ", "_"),
                              error.description or "")
    for name, value in error.get_headers():  # 405's Allow, say
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


# -- core's own endpoints ----------------------------------------------------------------


@api.get("/<tenant>/tenant")
@api_endpoint(
    "core:read",
    "The tenant: its name, kind and active modules.",
    response={
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "modules": {"type": "array", "items": {"type": "string"}},
        },
    },
)
def tenant_info():
    tenant = g.tenant
    return jsonify(slug=tenant.slug, name=tenant.name, kind=tenant.kind, modules=sorted(g.active_modules))


@api.get("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())


def openapi_document() -> dict:
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions[rule.endpoint]
        doc = getattr(view, "api_doc", None)
        if doc is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {
                "operationId": rule.endpoint,
                "summary": doc["summary"],
                "security": [{"bearer": [view.api_scope]}, *([{}] if view.api_token_optional else [])],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in rule.arguments
                ],
                "responses": {
                    str(status): {"description": description, "content": {"application/json": {
                        "schema": (doc["response"] or {"type": "object"}) if status < 300 else ERROR}}}
                    for status, description in sorted(doc["answers"].items())
                },
            }
            if doc["request_body"]:
                operation["requestBody"] = {"required": True,
                                            "content": {doc["request_type"]: {"schema": doc["request_body"]}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "start.integration API", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def init_app(app, csrf) -> None:
    app.register_blueprint(api)
    csrf.exempt(api)
    for manifest in app.extensions["plugins"].manifests.values():
        if manifest.api_blueprint is not None:
            prefix = f"/{manifest.id}" if manifest.url_prefix is None else manifest.url_prefix
            app.register_blueprint(manifest.api_blueprint, url_prefix=f"{PREFIX}/<tenant>{prefix}")
            csrf.exempt(manifest.api_blueprint)
            if not manifest.always_on:
                app.extensions["module_blueprints"][manifest.api_blueprint.name] = manifest.id
    app.before_request(authenticate)
