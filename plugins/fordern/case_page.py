"""A minimal page of one case (``/<tenant>/fordern/faelle/<case>``), for the escalation and its tests.

MINIMAL: branch ``cases`` builds the real case page; at the merge, drop this file (and its template
``fordern/case.html``) and include ``fordern/_escalation_panel.html`` with
``plugins.fordern.escalation_views.panel(case)`` on the real page, under the endpoint ``fordern.case``.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from core.access import can, requires
from core.auth import actor_names
from plugins.fordern import cases, states
from plugins.fordern.escalation_views import case_or_404, panel, person_of


def show(case_id):
    case = case_or_404(case_id)
    history = cases.history(case)
    return render_template("fordern/case.html", case=case, person=person_of(case), history=history,
                           names=actor_names(e.by for e in history), state_labels=states.STATE_LABELS,
                           may_edit=can("fordern.cases.edit"), **panel(case))


def init(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/faelle/<uuid:case_id>", "case", requires("fordern.cases.read")(show))
