"""The module's blueprints: pages below /<tenant>/informieren, JSON below /api/v1/<tenant>/informieren."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import lazy_gettext as _l

from core.access import can
from core.db import db
from plugins.informieren.models import Newcomer

blueprint = Blueprint("informieren", __name__, template_folder="templates")
api = Blueprint("informieren_api", __name__)

ANONYMISED = _l("Dieser Eintrag ist nach Ablauf der Aufbewahrungsfrist anonymisiert; er kann nicht mehr geändert "
                "werden.")


def link_if(endpoint: str, permission: str, **values) -> str | None:
    """A link to a page of the module, if the user may follow it (else None: show no link)."""
    return url_for(endpoint, **values) if can(permission) else None


def person_or_404(person_id: uuid.UUID) -> Newcomer:
    person = db.session.get(Newcomer, (g.tenant.id, person_id))
    if person is None:
        abort(404)
    return person


def refuse_if_anonymised(person: Newcomer):
    """Back to the person's page with a message if the record is anonymised (it can no longer change)."""
    if person.anonymised_on is None:
        return None
    flash(str(ANONYMISED))
    return redirect(url_for("people.person", person_id=person.id))
