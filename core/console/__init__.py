"""The canton's console: its own pages in the canton's tenant (``/<canton-slug>/…``).

Every page needs a canton-only permission, so in a commune's tenant it answers 404.
Each part of the console is a module of this package that adds its views to
:data:`console`.
"""

from flask import Blueprint

console = Blueprint("console", __name__, url_prefix="/<tenant>")

from core.console import courses, feedback, provisioning_views, rollout  # noqa: E402,F401
