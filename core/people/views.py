"""Core's person pages: search over everyone the tenant's modules know, and a person's page.

The page shows who the person is, the panels of the active modules (``person_panels``),
the household and the timeline (``person_timeline``); the export of everything held about
the person is one click away for those who may make it.
"""

from __future__ import annotations

import math
import uuid

import sqlalchemy as sa
from flask import Blueprint, Response, abort, g, render_template, request
from flask_babel import gettext as _

from core import i18n
from core.access import can, requires
from core.ahv import format_ahv
from core.db import db
from core.input_guard import page_number
from core.people import export
from core.people.models import Person, format_partial_date
from core.people.page import timeline
from core.people.search import SWISS_ORDER, duplicates, matching
from core.tenancy import Municipality

people = Blueprint("people", __name__, url_prefix="/<tenant>/personen")
PAGE_SIZE = 50


def person_or_404(person_id: uuid.UUID) -> Person:
    person = db.session.get(Person, (g.tenant.id, person_id))
    if person is None:
        abort(404)
    return person


@people.get("/")
@requires("core.persons.read")
def search():
    text = request.args.get("suche", "").strip()[:200]
    page = page_number(request.args.get("seite"))
    query = sa.select(Person).where(matching(text)) if text else sa.select(Person)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    found = db.session.scalars(query.order_by(*SWISS_ORDER)
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("people/search.html", text=text, found=found, total=total, page=page,
                           pages=max(math.ceil(total / PAGE_SIZE), 1), format_partial_date=format_partial_date)


@people.get("/<uuid:person_id>")
@requires("core.persons.read")
def person(person_id):
    found = person_or_404(person_id)
    panels = sorted((panel for group in g.hooks.person_panels(tenant=g.tenant, person=found) for panel in group),
                    key=lambda panel: panel.position)
    members = db.session.scalars(
        sa.select(Person).where(Person.household_key == found.household_key, Person.id != found.id)
        .order_by(Person.date_of_birth, Person.first_name)
    ).all() if found.household_key else []
    similar = [] if found.anonymised_on else duplicates(found.official_name, found.first_name,
                                                        found.date_of_birth, found.vn, exclude=found.id)
    commune = db.session.get(Municipality, found.municipality_bfs)
    return render_template(
        "people/person.html", person=found, panels=panels, members=members, similar=similar,
        timeline=timeline(g.hooks, g.tenant, found.id), commune=commune, i18n=i18n, format_ahv=format_ahv,
        format_partial_date=format_partial_date, sexes={"f": _("weiblich"), "m": _("männlich")},
        can_export=can("core.persons.export"),
    )


@people.get("/<uuid:person_id>/auskunft")
@requires("core.persons.export")
def person_export(person_id):
    found = person_or_404(person_id)
    content = export.export(g.tenant, found)
    db.session.commit()  # the audit record of the export
    return Response(content, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="auskunft-{found.id}.json"', "Cache-Control": "no-store"})
