"""The courses' pages: the canton publishes dates and records attendance; commune staff register."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core import clock
from core.access import requires
from core.console.courses import mails
from core.console.courses.models import Course, RegistrationStatus
from core.console.courses.service import (
    all_courses,
    cancel,
    local_time,
    participants,
    published_courses,
    record_attendance,
    register,
    save_course,
    seat_counts,
    take_moved_up,
    tenant_registrations,
)
from core.db import db
from core.errors import NotFound, UserError

blueprint = Blueprint("courses", __name__, template_folder="templates")


class CourseForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    place = StringField(_l("Ort"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Beginn"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_l("Ende"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    capacity = IntegerField(_l("Plätze"), validators=[DataRequired(), NumberRange(1, 1000)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional(), Length(max=5000)])
    published = BooleanField(_l("Veröffentlicht (für die Gemeinden sichtbar)"))

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))


def _canton_course(course_id: uuid.UUID) -> Course:
    course = db.session.get(Course, (g.tenant.id, course_id))
    if course is None:
        abort(404)
    return course


@blueprint.get("/kurse/verwalten")
@requires("core.courses.manage")
def course_admin():
    return render_template("console/courses_admin.html", courses=all_courses(g.tenant), now=clock.utcnow())


@blueprint.route("/kurse/neu", methods=["GET", "POST"])
@requires("core.courses.manage")
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        course = Course(capacity=None, created_by=None)
        save_course(course, form)
        db.session.commit()
        flash(_("Der Kurs «%(title)s» ist gespeichert.", title=course.title))
        return redirect(url_for("courses.course_detail", course_id=course.id))
    return render_template("console/courses_form.html", form=form, course=None), 400 if form.errors else 200


@blueprint.route("/kurse/<uuid:course_id>/bearbeiten", methods=["GET", "POST"])
@requires("core.courses.manage")
def course_edit(course_id):
    course = _canton_course(course_id)
    form = CourseForm(obj=course)
    if request.method == "GET":
        form.starts_at.data, form.ends_at.data = local_time(course.starts_at), local_time(course.ends_at)
    if form.validate_on_submit():
        seated = seat_counts([course.id])[course.id][0]
        if form.capacity.data < seated:
            form.capacity.errors.append(
                ngettext("%(num)s Person hat schon einen Platz; es braucht mindestens so viele Plätze.",
                         "%(num)s Personen haben schon einen Platz; es braucht mindestens so viele Plätze.", seated))
        else:
            save_course(course, form)
            db.session.commit()
            flash(_("Der Kurs «%(title)s» ist gespeichert.", title=course.title))
            _mail(mails.MOVED_UP, take_moved_up())
            return redirect(url_for("courses.course_detail", course_id=course.id))
    return render_template("console/courses_form.html", form=form, course=course), 400 if form.errors else 200


@blueprint.get("/kurse/<uuid:course_id>")
@requires("core.courses.manage")
def course_detail(course_id):
    course = _canton_course(course_id)
    taken, waiting = seat_counts([course.id])[course.id]
    return render_template("console/courses_detail.html", course=course, rows=participants(course), taken=taken,
                           waiting=waiting, started=course.starts_at <= clock.utcnow())


@blueprint.post("/kurse/<uuid:course_id>/anwesenheit")
@requires("core.courses.manage")
def course_attendance(course_id):
    course = _canton_course(course_id)
    present = set()
    for value in request.form.getlist("present"):
        try:
            present.add(uuid.UUID(value))
        except ValueError:
            continue  # not one of ours: ignored, like any unknown id
    record_attendance(course, present)
    db.session.commit()
    flash(_("Die Anwesenheit ist gespeichert."))
    return redirect(url_for("courses.course_detail", course_id=course.id))


# -- the communes' pages -------------------------------------------------------------------------


@blueprint.get("/kurse")
@requires("core.courses.attend")
def courses():
    mine = {registration.course_id: registration
            for registration, _course, _user in tenant_registrations(g.tenant) if registration.user_id == g.user.id}
    return render_template("console/courses_list.html", courses=published_courses(), mine=mine,
                           staff=tenant_registrations(g.tenant))


@blueprint.post("/kurse/<uuid:course_id>/anmelden")
@requires("core.courses.attend")
def course_register(course_id):
    registration = _or_message(lambda: register(course_id, g.user, g.tenant))
    if registration is not None and registration.status == RegistrationStatus.REGISTERED:
        flash(_("Sie sind angemeldet. Die Bestätigung mit dem Kalendereintrag kommt per E-Mail."))
    elif registration is not None:
        flash(_("Der Kurs ist ausgebucht: Sie stehen auf der Warteliste und rücken nach, sobald ein Platz frei wird."))
    if registration is not None:
        _mail(mails.kind_of(registration), [registration.id])
    return redirect(url_for("courses.courses"))


@blueprint.post("/kurse/<uuid:course_id>/abmelden")
@requires("core.courses.attend")
def course_cancel(course_id):
    registration = _or_message(lambda: cancel(course_id, g.user, g.tenant))
    if registration is not None:
        flash(_("Sie sind abgemeldet."))
        _mail(mails.CANCELLED, [registration.id])
        _mail(mails.MOVED_UP, take_moved_up())
    return redirect(url_for("courses.courses"))


def _mail(kind: str, registration_ids) -> None:
    """Send the mails of a committed change; one that fails is said, the change stands."""
    if not mails.notify(kind, list(registration_ids)):
        flash(_("Eine E-Mail an die Teilnehmenden konnte nicht gesendet werden; die Änderung ist gespeichert."))


def _or_message(action):
    """Run ``action``; a refusal becomes a message on the courses page (an unknown course: 404)."""
    try:
        return action()
    except NotFound:
        db.session.rollback()
        abort(404)
    except UserError as error:
        db.session.rollback()
        flash(str(error))
        return None
