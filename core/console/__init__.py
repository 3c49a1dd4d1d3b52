"""The canton's console: its screens in the canton's tenant, and the communes' side of them.

Mounted at ``/<tenant>/kanton``; each view module adds its routes to :data:`console`.
"""

from flask import Blueprint

console = Blueprint("console", __name__)

from core.console import courses, feedback, rollout  # noqa: E402, F401 - the views register themselves
