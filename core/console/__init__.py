"""The canton's console: core's built-in plugins beside the platform itself (``core.plugins.DEFAULT_PLUGINS``).

One package per concern, each an ordinary always-on plugin with its own manifest, blueprint and
templates: ``provisioning`` (tenants, communes, mergers, the module plan; a tenant's own modules),
``rollout`` (the rollout dashboard), ``courses`` (introductory courses) and ``feedback`` (the
communes' yearly feedback).  The canton's pages need a canton-only permission, so in a commune's
tenant they answer 404; the communes' side of courses and feedback needs a communes-only one.
None of them imports another.
"""

from flask_babel import lazy_gettext as _l

# The canton's menu folds the introduction of the programme (dashboard, module plan, courses, feedback)
# into one drop-down, so that its menu stays on one line; the tenants stay in the menu itself.
ROLLOUT_MENU = _l("Rollout")
