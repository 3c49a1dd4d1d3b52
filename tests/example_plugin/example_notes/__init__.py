"""An example third-party module: notes per tenant (sensitive: audited), its own table and migration branch."""

import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Mapped, mapped_column

from core.access import requires
from core.audit import Sensitive
from core.db import TenantScoped, db, uuid_pk
from core.hookspecs import hookimpl
from core.plugins import Manifest, Permission


class Note(Sensitive, TenantScoped, db.Model):
    __tablename__ = "example_notes"

    id: Mapped[uuid.UUID] = uuid_pk()
    text: Mapped[str] = mapped_column(sa.String(200))


blueprint = Blueprint("example_notes", __name__)


@blueprint.get("/")
@requires("example_notes.read")
def index():
    return jsonify(sorted(note.text for note in db.session.scalars(sa.select(Note))))


@blueprint.post("/")
@requires("example_notes.write")
def add():
    db.session.add(Note(text=request.get_json()["text"]))
    db.session.commit()
    return "", 201


manifest = Manifest(
    id="example_notes",
    title="Notes",
    version="1.0.0",
    permissions=(
        Permission("example_notes.read", "Read notes", ("integration_officer", "read_only")),
        Permission("example_notes.write", "Write notes", ("integration_officer",)),
    ),
    blueprint=blueprint,
    url_prefix="/notes",
    alembic_branch="example_notes",
    migrations=Path(__file__).parent / "migrations",
)


@hookimpl
def tenant_home_items(tenant):
    return [("Notes", str(db.session.scalar(sa.select(sa.func.count()).select_from(Note))))]
