"""The module's pages: notes for staff (below /<tenant>/beratung), the office hours for everybody.

Every view declares its permission (``core.access.requires``, or ``core.public.public_page``);
core answers 404 where the module is not active and to users who are not members of the tenant.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from core import attachments, submissions
from core.access import can, requires
from core.attachments.forms import AttachmentField
from core.db import db
from core.errors import UserError
from core.money import chf, parse_chf
from core.people import Panel, Person, TimelineEntry
from core.public import public_page
from core.translations_field import TranslationsField
from example_notes import notes
from example_notes.models import Note, OfficeHour

blueprint = Blueprint("example_notes", __name__, template_folder="templates")
public = Blueprint("example_notes_public", __name__, template_folder="templates")
TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Notiz"), filters=[lambda text: text.strip() if text else text],
                         validators=[DataRequired(_l("Bitte eine Notiz schreiben.")),
                                     Length(max=5000, message=_l("Höchstens 5000 Zeichen."))])
    fee = StringField(_l("Gebühr (CHF)"), description=_l("Leer lassen, wenn keine Gebühr anfällt."))
    attachment = AttachmentField(_l("Beilage"), allowed=(attachments.PDF, *attachments.IMAGES))
    rappen = 0

    def validate_fee(self, field):
        try:
            self.rappen = parse_chf(field.data) if (field.data or "").strip() else 0
        except UserError as error:
            raise ValidationError(str(error)) from None
        if self.rappen < 0:
            raise ValidationError(_("Eine Gebühr kann nicht negativ sein."))


class HourForm(FlaskForm):
    weekday = SelectField(_l("Wochentag"), coerce=int)
    opens = StringField(_l("von"), validators=[Regexp(TIME, message=_l("Bitte eine Uhrzeit wie 14:00 eingeben."))])
    closes = StringField(_l("bis"), validators=[Regexp(TIME, message=_l("Bitte eine Uhrzeit wie 17:30 eingeben."))])
    place = TranslationsField(_l("Ort"), multiline=False)

    def validate_closes(self, field):
        if self.opens.data and field.data and field.data <= self.opens.data:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))


class SubmitForm(FlaskForm):
    """Only the CSRF token: the snapshot is made from the note."""


def person_or_404(person_id: uuid.UUID) -> Person:
    person = db.session.get(Person, (g.tenant.id, person_id))  # another tenant's person: None
    if person is None:
        abort(404)
    return person


def note_or_404(note_id: uuid.UUID) -> Note:
    note = db.session.get(Note, (g.tenant.id, note_id))
    if note is None:
        abort(404)
    return note


def office_hours() -> list[OfficeHour]:
    return db.session.scalars(sa.select(OfficeHour).order_by(OfficeHour.weekday, OfficeHour.opens)).all()


# -- staff pages -------------------------------------------------------------------------------


@blueprint.get("/")
@requires("example_notes.read")
def index():
    rows = db.session.execute(
        sa.select(Note, Person).join(Person, sa.and_(Person.tenant_id == Note.tenant_id, Person.id == Note.person_id))
        .order_by(Note.created_at.desc()).limit(50)
    ).all()
    return render_template("example_notes/index.html", rows=rows)


@blueprint.route("/personen/<uuid:person_id>/neu", methods=["GET", "POST"])
@requires("example_notes.write")
def add(person_id):
    person = person_or_404(person_id)
    form = NoteForm()
    if form.validate_on_submit():
        note = notes.add(g.tenant, person, form.text.data, form.rappen, upload=form.attachment.upload)
        db.session.commit()
        flash(_("Die Notiz ist gespeichert."))
        return redirect(url_for(".show", note_id=note.id))
    return render_template("example_notes/new.html", form=form, person=person), 400 if form.errors else 200


@blueprint.get("/<uuid:note_id>")
@requires("example_notes.read")
def show(note_id):
    return note_page(note_or_404(note_id))


def note_page(note: Note, error: str | None = None, status: int = 200):
    person = db.session.get(Person, (note.tenant_id, note.person_id))
    return render_template(
        "example_notes/note.html", note=note, person=person, files=attachments.listing(notes.owner(note)),
        submitted=submissions.of_object(notes.KIND.id, note.id), form=SubmitForm(), error=error,
        may_submit=can(notes.KIND.submit_permission),
    ), status


@blueprint.post("/<uuid:note_id>/einreichen")
@requires("example_notes.write")
def submit(note_id):
    if not can(notes.KIND.submit_permission):
        abort(403)
    note = note_or_404(note_id)
    if not SubmitForm().validate_on_submit():
        return note_page(note, error=_("Das Formular ist abgelaufen; bitte noch einmal versuchen."), status=400)
    try:
        submission = notes.submit(g.tenant, note, db.session.get(Person, (note.tenant_id, note.person_id)))
    except UserError as refused:  # the canton has the note already
        db.session.rollback()
        return note_page(note_or_404(note_id), error=str(refused), status=400)
    db.session.commit()
    flash(_("Die Notiz ist dem Kanton eingereicht: %(number)s.", number=submission.number))
    return redirect(url_for(".show", note_id=note_id))


@blueprint.route("/sprechstunden/bearbeiten", methods=["GET", "POST"])
@requires("example_notes.hours")
def edit_hours():
    form = HourForm()
    form.weekday.choices = list(get_day_names("wide", locale=get_locale()).items())
    if form.validate_on_submit():
        db.session.add(OfficeHour(weekday=form.weekday.data, opens=form.opens.data, closes=form.closes.data,
                                  place=form.place.data))
        db.session.commit()
        flash(_("Die Sprechstunde ist gespeichert."))
        return redirect(url_for(".edit_hours"))
    return render_template("example_notes/hours_edit.html", form=form, hours=office_hours(),
                           days=dict(form.weekday.choices)), 400 if form.errors else 200


# -- the public page: no login, no cookie, in the tenant's content languages ---------------------


@public.get("/sprechstunden")
@public_page
def hours():
    language = g.public_language.content.code
    return render_template("example_notes/hours_public.html", hours=office_hours(),
                           days=get_day_names("wide", locale=language))


# -- what the module shows on core's person page (called by the hooks in __init__.py) -----------


def panels(person: Person) -> list[Panel]:
    if not can("example_notes.read"):
        return []
    found = db.session.scalars(sa.select(Note).where(Note.person_id == person.id)
                               .order_by(Note.written_on.desc(), Note.created_at.desc())).all()
    body = render_template("example_notes/panel.html", person=person, notes=found)
    return [Panel(_l("Beratungsnotizen"), Markup(body), position=50)]


def timeline(person_id: uuid.UUID) -> list[TimelineEntry]:
    if not can("example_notes.read"):
        return []
    rows = db.session.execute(sa.select(Note.id, Note.written_on, Note.fee).where(Note.person_id == person_id)).all()
    # Title, day and fee only: the text of a sensitive note stays on its own (audited) page.
    return [TimelineEntry.on(day, "example_notes", _("Beratungsnotiz"), detail=format_fee(fee),
                             url=url_for("example_notes.show", note_id=note_id))
            for note_id, day, fee in rows]


def format_fee(fee: int) -> str:
    return chf(fee) if fee else ""  # Markup: the apostrophe is not escaped
