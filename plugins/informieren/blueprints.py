"""The module's blueprints: pages below /<tenant>/informieren, JSON below /api/v1/<tenant>/informieren."""

from flask import Blueprint

blueprint = Blueprint("informieren", __name__, template_folder="templates")
api = Blueprint("informieren_api", __name__)
