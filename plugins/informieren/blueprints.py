"""The module's blueprints: pages below /<tenant>/informieren, JSON below /api/v1/<tenant>/informieren."""

from flask import Blueprint, url_for

from core.access import can

blueprint = Blueprint("informieren", __name__, template_folder="templates")
api = Blueprint("informieren_api", __name__)


def link_if(endpoint: str, permission: str, **values) -> str | None:
    """A link to a page of the module, if the user may follow it (else None: show no link)."""
    return url_for(endpoint, **values) if can(permission) else None
