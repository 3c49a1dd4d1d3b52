"""The register's pages: the list of newcomers and the form to enter and edit one.

A person's page is core's (``people.person``), with Informieren's panel (``person_panel``).

A double submission of the entry form creates one person: the form carries a key made when it
is shown (``form_key``, a UUID) that becomes the new person's id. A second post with the same
key finds that person and leads to it, whether it comes from the same session, another tab or
arrives at the same time (the primary key refuses the second insert). The key is no secret:
someone who guesses another person's id only lands on a page they may read anyway.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField

from core import clock, i18n
from core.access import can, requires
from core.ahv import format_ahv
from core.db import db
from core.input_guard import page_number
from core.people import format_partial_date
from core.tenancy import served_municipalities
from plugins.informieren.blueprints import blueprint, person_or_404, refuse_if_anonymised
from plugins.informieren.models import Newcomer, Source
from plugins.informieren.register import checks, listing, query, records

LABELS = checks.FIELD_LABELS
NEAR = timedelta(days=60)  # household members who moved in together arrived about the same time


class PersonForm(FlaskForm):
    """The fields as the user types them; :func:`checks.check_person` decides what is valid."""

    form_key = HiddenField()
    official_name = StringField(LABELS["official_name"], render_kw={"autocomplete": "off"})
    first_name = StringField(LABELS["first_name"], render_kw={"autocomplete": "off"})
    sex = SelectField(LABELS["sex"], validate_choice=False)
    date_of_birth = StringField(LABELS["date_of_birth"], description=_l("TT.MM.JJJJ, MM.JJJJ oder nur das Jahr"))
    nationalities = SelectMultipleField(LABELS["nationalities"], validate_choice=False, render_kw={"size": 8},
                                        description=_l("Mehrere mit Ctrl (Mac: Cmd) wählen."))
    languages = StringField(LABELS["languages"], description=_l(
        "ISO-Codes, die am besten gelesene Sprache zuerst, zum Beispiel «ti, en»."))
    arrival_date = StringField(LABELS["arrival_date"], render_kw={"type": "date"})
    municipality_bfs = SelectField(LABELS["municipality_bfs"], validate_choice=False)
    permit_category = SelectField(LABELS["permit_category"], validate_choice=False)
    street = StringField(LABELS["street"])
    house_number = StringField(LABELS["house_number"])
    postal_code = StringField(LABELS["postal_code"])
    town = StringField(LABELS["town"])
    moves_with = SelectField(_l("Haushalt"), validate_choice=False)
    local_person_id = StringField(LABELS["local_person_id"])
    vn = StringField(LABELS["vn"], description="756.XXXX.XXXX.XX")

    def person_data(self) -> dict:
        return {name: self[name].data for name in (*checks.EDITABLE, "moves_with")}

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.extend(messages)
            else:
                field.errors = [*field.errors, *messages]


def _prepare(form: PersonForm, person: Newcomer | None, mate: Newcomer | None) -> None:
    """Choices: the tenant's communes, the countries, the permits, the household options."""
    day = clock.today()
    communes = {m.bfs_number: m.name for m in served_municipalities(g.tenant, day)}
    if person is not None and person.municipality_bfs not in communes:
        communes[person.municipality_bfs] = checks.municipality_names().get(person.municipality_bfs, "?")
    choices = [SelectChoice(str(bfs), f"{name} ({bfs})") for bfs, name in communes.items()]
    if len(choices) != 1:  # a tenant of several communes chooses; nothing is preselected
        choices.insert(0, SelectChoice("", _("– bitte wählen –")))
    form.municipality_bfs.choices = choices
    form.sex.choices = [SelectChoice("", _("unbekannt"))] + [
        SelectChoice(code, str(label)) for code, label in checks.SEXES.items()]
    permits = {"": _("unbekannt"), **{code: str(label) for code, label in checks.PERMITS.items()}}
    if person is not None and person.permit_category and person.permit_category not in permits:
        permits[person.permit_category] = person.permit_category
    form.permit_category.choices = [SelectChoice(code, label) for code, label in permits.items()]
    countries = dict(i18n.countries())
    for code in (person.nationalities if person else []):
        countries.setdefault(code, code)
    form.nationalities.choices = [SelectChoice(code, name) for code, name in countries.items()]
    form.moves_with.choices = _household_choices(person, mate)


def _household_choices(person: Newcomer | None, mate: Newcomer | None) -> list[SelectChoice]:
    if person is None:
        choices = [SelectChoice("", _("eigener Haushalt"))]
    else:
        members = records.household_members(person)
        names = ", ".join(m.full_name for m in members)
        choices = [SelectChoice("", _("unverändert (mit %(names)s)", names=names) if members else _("unverändert")),
                   SelectChoice("new", _("eigener, neuer Haushalt"))]
    candidates = [mate] if mate is not None else []
    if person is not None:
        candidates += _neighbours(person)
    seen = set()
    for candidate in candidates:
        if candidate.id not in seen:
            seen.add(candidate.id)
            choices.append(SelectChoice(str(candidate.id), _("zieht zusammen mit %(name)s (%(born)s)",
                                        name=candidate.full_name,
                                        born=format_partial_date(candidate.date_of_birth) or "–")))
    return choices


def _neighbours(person: Newcomer) -> list[Newcomer]:
    """Who may have moved in with ``person``: the same address, arrived within 60 days, another household."""
    if not (person.street and person.postal_code):
        return []
    return db.session.scalars(
        sa.select(Newcomer).where(
            Newcomer.id != person.id, Newcomer.street == person.street, Newcomer.house_number == person.house_number,
            Newcomer.postal_code == person.postal_code,
            Newcomer.household_key.is_distinct_from(person.household_key),
            Newcomer.arrival_date.between(person.arrival_date - NEAR, person.arrival_date + NEAR),
        ).order_by(Newcomer.official_name, Newcomer.first_name).limit(20)
    ).all()


def _form_values(person: Newcomer) -> dict:
    """A person's stored values as the form shows them."""
    values = {name: getattr(person, name) for name in checks.EDITABLE}
    values.update(
        sex=person.sex or "", permit_category=person.permit_category or "",
        municipality_bfs=str(person.municipality_bfs), arrival_date=person.arrival_date.isoformat(),
        date_of_birth=format_partial_date(person.date_of_birth),
        languages=", ".join(person.languages or []), vn=format_ahv(person.vn),
    )
    return {name: "" if value is None else value for name, value in values.items()}


def _mate() -> Newcomer | None:
    mate_id = checks.as_uuid(request.args.get("mit"))
    mate = db.session.get(Newcomer, (g.tenant.id, mate_id)) if mate_id else None
    return None if mate is None or mate.anonymised_on else mate  # an anonymised household takes nobody


# -- pages ------------------------------------------------------------------------------------


@blueprint.get("/personen")
@requires("informieren.newcomers.read")
def persons():
    filters, problems = query.parse_filters(request.args, query.WEB_PARAMS)
    sort = listing.sort_or_problem(request.args, problems)
    raw_page = request.args.get("seite", "1")
    if not (raw_page.isascii() and raw_page.isdigit() and raw_page.strip("0")):
        problems["seite"] = _("Ungültige Seite; die erste wird gezeigt.")
    # One pass counts by stage (for the stage filter's options) and gives the number found.
    stage_counts = query.stage_counts(filters)
    found = stage_counts.get(filters.stage, 0) if filters.stage else sum(stage_counts.values())
    total = query.count(query.Filters()) if filters.active() else found
    pages = max(math.ceil(found / query.PAGE_SIZE), 1)
    page = min(page_number(raw_page), pages)
    return render_template(
        "informieren/register_list.html",
        rows=query.page_of(filters, page, order=listing.order_by(sort)), found=found, total=total,
        stage_counts=stage_counts, filters=filters, problems=problems, page=page, pages=pages,
        communes=served_municipalities(g.tenant, clock.today()), municipality_names=checks.municipality_names(),
        countries=i18n.countries(), languages=i18n.languages(), params=query.WEB_PARAMS,
        args={k: v for k, v in request.args.items() if k != "seite" and k not in problems and v},
        checks=checks, i18n=i18n, format_partial_date=format_partial_date, sort=sort, listing=listing,
        labels=listing.param_labels(), raw=request.args, can_edit=can("informieren.newcomers.edit"),
    ), 400 if set(problems) - {"seite"} else 200  # any page number shows a page (core.input_guard)


@blueprint.route("/personen/neu", methods=["GET", "POST"])
@requires("informieren.newcomers.edit")
def person_new():
    mate = _mate()
    form = PersonForm()
    _prepare(form, None, mate)
    similar = []
    if request.method == "GET":
        form.form_key.data = str(uuid.uuid4())
        if mate is not None:
            _prefill_from_mate(form, mate)
    elif form.validate_on_submit():
        key = checks.as_uuid(form.form_key.data)
        if key is None:
            form.form_errors.append(_("Das Formular ist unvollständig angekommen; bitte nochmals speichern."))
            form.form_key.data = str(uuid.uuid4())
        else:
            try:
                similar = _unconfirmed_duplicates(form, key)
                if not similar:
                    return _created(*records.create_person(form.person_data(), g.tenant, source=Source.MANUAL,
                                                           person_id=key))
            except checks.PersonInvalid as error:
                form.add_errors(error.errors)
    return render_template("informieren/register_form.html", form=form, person=None, mate=mate, similar=similar,
                           confirmation=",".join(sorted(str(other.id) for other in similar)),
                           format_partial_date=format_partial_date)


def _unconfirmed_duplicates(form: PersonForm, key: uuid.UUID) -> list:
    """The persons the entry may duplicate, unless the user confirmed exactly these (or more) are others.

    The confirmation names the persons it was given for, so a person found since (or a made-up value)
    asks again. A form posted twice finds its own person, which is no duplicate of itself.
    """
    if db.session.get(Newcomer, (g.tenant.id, key)) is not None:
        return []
    try:
        values = checks.check_person(form.person_data(), g.tenant)
    except checks.PersonInvalid:
        # The same entry, posted twice at once, may have been saved since we looked: its ids are then
        # "taken" by this very entry, and creating it finds it.
        if db.session.get(Newcomer, (g.tenant.id, key)) is not None:
            return []
        raise
    similar = records.possible_duplicates(values, exclude=key)
    confirmed = set(request.form.get("duplicates_confirmed", "").split(","))
    return [] if {str(other.id) for other in similar} <= confirmed else similar


def _created(person: Newcomer, created: bool):
    db.session.commit()
    flash(_("%(name)s ist erfasst.", name=person.full_name) if created else
          _("Diese Erfassung war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
    return redirect(url_for("people.person", person_id=person.id))


def _prefill_from_mate(form: PersonForm, mate: Newcomer) -> None:
    """A household member: same arrival, commune and address as the person they move with."""
    form.moves_with.data = str(mate.id)
    form.arrival_date.data = mate.arrival_date.isoformat()
    form.municipality_bfs.data = str(mate.municipality_bfs)
    for name in ("official_name", "street", "house_number", "postal_code", "town"):
        form[name].data = getattr(mate, name) or ""
    form.permit_category.data = ""


@blueprint.get("/personen/<uuid:person_id>")
@requires("informieren.newcomers.read")
def person(person_id):
    """The person's page is core's (identity, household, timeline, Informieren's panel); old links lead there."""
    return redirect(url_for("people.person", person_id=person_or_404(person_id).id))


@blueprint.route("/personen/<uuid:person_id>/bearbeiten", methods=["GET", "POST"])
@requires("informieren.newcomers.edit")
def person_edit(person_id):
    found = person_or_404(person_id)
    if refusal := refuse_if_anonymised(found):
        return refusal
    form = PersonForm(data=_form_values(found) if request.method == "GET" else None)
    _prepare(form, found, _mate())
    if form.validate_on_submit():
        try:
            changed = records.update_person(found, form.person_data(), g.tenant, source=Source.MANUAL)
        except checks.PersonInvalid as error:
            form.add_errors(error.errors)
        else:
            db.session.commit()
            flash(_("Die Änderungen sind gespeichert.") if changed else _("Es gab nichts zu ändern."))
            return redirect(url_for("people.person", person_id=found.id))
    return render_template("informieren/register_form.html", form=form, person=found, mate=None)
