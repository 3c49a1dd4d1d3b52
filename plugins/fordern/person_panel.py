"""Fordern on core's person page: the person's cases and a link to open one, only for who may read cases.

No timeline entries: the page's timeline is read by more roles than the panel, and the existence of a
case is itself sensitive.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from core.access import can
from core.db import db
from core.people import Panel, Person
from plugins.fordern import states
from plugins.fordern.models import Case
from plugins.fordern.pages import EDIT, READ

TITLE = _l("Fordern: Fälle")
POSITION = 30


def panels(person: Person) -> list[Panel]:
    if not can(READ):
        return []
    found = db.session.scalars(sa.select(Case).where(Case.person_id == person.id)
                               .order_by(Case.opened_on.desc(), Case.id)).all()
    body = render_template("fordern/person_panel.html", person=person, cases=found, state_labels=states.STATE_LABELS,
                           outcome_labels=states.OUTCOME_LABELS,
                           may_open=can(EDIT) and person.anonymised_on is None)
    return [Panel(TITLE, Markup(body), POSITION)]
