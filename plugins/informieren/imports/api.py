"""The registry's way in: ``POST /api/v1/<tenant>/informieren/deliveries`` takes one eCH-0020 delivery."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from flask import g, jsonify, request

from core import stored_files
from core.api import api_endpoint, error_response, read_head
from core.db import db
from core.tenancy import tenant_scope
from plugins.informieren.blueprints import api
from plugins.informieren.imports import runs
from plugins.informieren.models import ImportItem, Source

SYNC_API_BYTES = 2 * 1024 * 1024  # a posted message up to this size is imported in the request

SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "import_id": {"type": "string", "format": "uuid"},
        "job_id": {"type": "string", "format": "uuid", "description": "only with 202 (run as a job)"},
        "status": {"type": "string", "enum": ["finished", "queued", "refused"]},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "outcome": {"type": "string"}, "reason": {"type": "string"}, "position": {"type": "integer"},
            "filename": {"type": "string"}}}},
    },
}
XML_TYPES = ("application/xml", "text/xml")


def _queue(name: str, head: bytes, too_large):
    """Store the body (its first bytes, then the rest of the stream) and run the import as a job."""
    try:
        batch = runs.store_blocks(g.tenant, name, itertools.chain([head], stored_files.blocks(request.stream)))
    except runs.UploadTooLarge:
        db.session.rollback()
        return too_large
    run, record = runs.request_import(g.tenant, batch, filename=name, source=Source.API)
    return jsonify(import_id=str(run.id), job_id=str(record.id), status="queued", counts={}, items=[]), 202


@api.post("/deliveries")
@api_endpoint(
    "informieren:import",
    "Post one eCH-0020 v3 delivery (the raw XML). Up to 2 MB it is imported at once (200 with the summary; "
    "422 when the message is refused as a whole); larger ones run as a job (202 with the import's and the "
    "job's id).",
    request_body={"type": "string", "format": "binary", "minLength": 1, "description": "an eCH-0020 v3 message"},
    request_type="application/xml",
    response=SUMMARY_SCHEMA,
    answers={202: "Accepted: the import runs as a job", 400: "The body is empty",
             409: "Another delivery wrote the same data at the same time, each time this one tried: send it again",
             413: "Larger than 300 MB", 415: "Not application/xml", 422: "The message is refused as a whole"},
)
def post_delivery():
    mimetype = (request.mimetype or "").lower()
    if mimetype not in XML_TYPES:
        return error_response(415, "unsupported_media_type", "Send the message as application/xml.")
    too_large = error_response(413, "too_large", f"At most {runs.MAX_UPLOAD_BYTES // 2**20} MB.")
    if (request.content_length or 0) > runs.MAX_UPLOAD_BYTES:
        return too_large
    # A header's text goes into the database: no control characters (a NUL byte would be a 500).
    name = "".join(c for c in request.headers.get("X-Filename", "") if c.isprintable())[:300] or "delivery.xml"
    data, complete = read_head(SYNC_API_BYTES)
    if not complete:  # larger: the whole body goes into the database in chunks, counted as it comes
        return _queue(name, data, too_large)
    if not data:
        return error_response(400, "empty", "The body is empty.")
    try:
        run, importer = runs.run_now(g.tenant, [(name, data)], source=Source.API, filename=name, files_total=1)
    except runs.ImportRace as race:
        return error_response(409, "conflict", str(race), import_id=str(race.run.id))
    with tenant_scope(g.tenant):
        items = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == run.id)
                                   .order_by(ImportItem.position)).all()
        body = {
            "import_id": str(run.id), "status": "refused" if importer.refused_files else "finished",
            "counts": run.counts,
            "items": [{"outcome": i.outcome, "reason": i.reason, "position": i.position, "filename": i.filename}
                      for i in items],
        }
    if importer.refused_files:
        body["error"], body["message"] = "refused", importer.refused_files[0][1]
        return jsonify(body), 422
    return jsonify(body), 200
