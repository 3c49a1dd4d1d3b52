"""Informieren on core's person page: the panel with what the module keeps about a newcomer.

Core owns the page of a person (``/<tenant>/personen/<id>``: identity, household, timeline);
Informieren adds its panel there (``person_panels``): the arrival, the permit at arrival,
EU/EFTA, where the record came from, the welcome's stage, and links to its own pages as far
as the current user may follow them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from core.access import can
from core.db import db
from core.people import Panel, Person
from plugins.informieren.models import Newcomer, WelcomeLetter
from plugins.informieren.register.checks import PERMITS, SOURCE_LABELS, STAGE_LABELS

TITLE = _l("Informieren")
POSITION = 10  # the first module's panel first, as in the menu


def panels(person: Person) -> list[Panel]:
    """The panel of a newcomer, for those who may read the register; nothing for anybody else."""
    if not isinstance(person, Newcomer) or not can("informieren.newcomers.read"):
        return []
    body = render_template("informieren/person_panel.html", person=person, links=_links(person), permits=PERMITS,
                           sources=SOURCE_LABELS, stages=STAGE_LABELS)
    return [Panel(TITLE, Markup(body), POSITION)]


def _links(person: Newcomer) -> list[tuple[str, str]]:
    """(label, URL) of the module's pages about this person that the user may open."""
    links = []
    editable = person.anonymised_on is None and can("informieren.newcomers.edit")
    if editable:
        # The form edits who they are as well as the arrival: say so, under a panel titled "Informieren".
        links.append((_l("Personalien und Zuzug bearbeiten"), url_for("informieren.person_edit", person_id=person.id)))
    if can("informieren.letters.manage"):
        links.append((_l("Begrüssungsschreiben"), _letter_url(person)))
    if can("informieren.interviews.read"):
        links.append((_l("Erstinformationsgespräche"), url_for("informieren.person_interviews", person_id=person.id)))
    if editable:
        links.append((_l("Weitere Person dieses Haushalts erfassen"), url_for("informieren.person_new", mit=person.id)))
    return links


def _letter_url(person: Newcomer) -> str:
    """The batch with the person's letter, or the letters' overview while they have none."""
    job_id = db.session.scalar(sa.select(WelcomeLetter.job_id).where(WelcomeLetter.person_id == person.id))
    if job_id is not None:
        return url_for("informieren.letter_batch", job_id=job_id)
    return url_for("informieren.letters")
