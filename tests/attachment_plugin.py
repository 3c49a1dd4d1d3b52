"""A module with attachments, for the tests: notes (without a table: a note is just an id) with files.

It declares who may read and change notes, answers ``attachment_permission`` for
its owner type, offers an upload page built with ``AttachmentField``, and has a
toy virus scanner of its own (``scan_attachment``) besides core's clamd.
"""

from __future__ import annotations

import types

from flask import Blueprint, render_template_string
from flask_wtf import FlaskForm

from core import attachments
from core.access import Role, can, requires
from core.attachments.forms import AttachmentField
from core.attachments.scanning import Verdict
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import Manifest, Permission

blueprint = Blueprint("notes", __name__)
plugin = types.ModuleType("notes")
plugin.manifest = Manifest(
    id="notes", title="Notizen", version="1.0", blueprint=blueprint, url_prefix="/notizen",
    permissions=(Permission("notes.read", "Notizen lesen", (Role.INTEGRATION_OFFICER, Role.RESIDENTS_SERVICES)),
                 Permission("notes.write", "Notizen schreiben", (Role.INTEGRATION_OFFICER,))),
)
PLUGIN_VIRUS = b"NOTES-TEST-VIRUS"


def attachment_permission(tenant, attachment, user, action):
    if attachment.owner_type != "notes.note":
        return None
    return can("notes.write" if action == attachments.DELETE else "notes.read")


def scan_attachment(tenant, filename, data):
    return Verdict("notes-scanner", PLUGIN_VIRUS in data, "Notes.Test" if PLUGIN_VIRUS in data else "")


plugin.attachment_permission = hookimpl(attachment_permission)
plugin.scan_attachment = hookimpl(scan_attachment)


class NoteForm(FlaskForm):
    attachment = AttachmentField("Beilage", allowed=(attachments.PDF, *attachments.IMAGES), required=True)


PAGE = """{% from "attachments/_list.html" import attachment_list %}
<form method="post" enctype="multipart/form-data">{{ form.csrf_token }}{{ form.attachment() }}
<p>{{ form.attachment.description }}</p>{% for error in form.attachment.errors %}<p class="error">{{ error }}</p>
{% endfor %}</form>{{ attachment_list(items, can_delete=can("notes.write")) }}"""


@blueprint.route("/<note_id>/beilagen", methods=["GET", "POST"])
@requires("notes.write")
def note_files(note_id):
    form = NoteForm()
    owner = attachments.Owner.of("notes.note", note_id)
    if form.validate_on_submit():
        added = attachments.add(owner, form.attachment.upload)
        db.session.commit()
        return {"id": str(added.id), "filename": added.filename}, 201
    page = render_template_string(PAGE, form=form, items=attachments.listing(owner))
    return page, 400 if form.errors else 200
