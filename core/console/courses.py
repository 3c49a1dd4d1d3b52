"""Introductory courses (Einführungskurse) of the canton's Fachstelle Integration.

The canton publishes course dates; the staff of communes and regional groups register themselves
(and cancel); a full course keeps a waiting list, which moves up in the order of registration when
someone cancels; the canton records attendance; each tenant sees which of its own staff registered
and attended.

Who owns what (tenant isolation):

- A course and every registration for it belong to the canton's tenant: the canton organises the
  course and keeps its list of participants, and the seats of one course can only be counted and
  handed out where all its registrations are (one tenant, one row lock).
- A registration names the tenant its participant came from (``registrant_tenant_id``).  A commune
  reaches the canton's rows in exactly two deliberate ways, both in this module and both in the
  canton's tenant scope: :func:`published_courses` (published courses and their seat counts, no
  names) and :func:`tenant_registrations` (only the rows whose ``registrant_tenant_id`` is the
  commune's own).  Registering and cancelling change only the current user's own row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import BooleanField, DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core import audit, clock
from core.access import requires
from core.auth import User
from core.console import console
from core.db import Scope, TenantScoped, UTCDateTime, db, scoped_to, tenant_fk, uuid_pk
from core.errors import NotFound, UserError
from core.tenancy import Tenant, canton_tenant, tenant_scope


class RegistrationStatus:
    REGISTERED = "registered"  # holds a seat
    WAITING = "waiting"  # on the waiting list, in the order of ``registered_at``
    CANCELLED = "cancelled"


class Course(TenantScoped, db.Model):
    """A date of an introductory course; owned by the canton's tenant."""

    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str] = mapped_column(sa.String(200))
    place: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("ends_at > starts_at", name="period"),
    )


class CourseRegistration(TenantScoped, db.Model):
    """One person's registration for a course: owned by the canton, naming the tenant they came from.

    A seat is a number from 1 to the course's capacity, unique per course: two people taking the last
    seat at once cannot both get it (the database refuses the second, who goes to the waiting list).
    """

    __tablename__ = "course_registrations"

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    registrant_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(sa.String(20))
    seat: Mapped[int | None]
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None]

    __table_args__ = (
        tenant_fk(["course_id"], "courses", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "course_id", "user_id", name="uq_course_registrations_user"),
        sa.UniqueConstraint("tenant_id", "course_id", "seat", name="uq_course_registrations_seat"),
        sa.CheckConstraint("status IN ('registered', 'waiting', 'cancelled')", name="status"),
        sa.Index("ix_course_registrations_registrant", "tenant_id", "registrant_tenant_id"),
    )


# -- reading -------------------------------------------------------------------------------------


def _counts(course_ids) -> dict[uuid.UUID, tuple[int, int]]:
    """{course id: (seats taken, people waiting)}, in the current (the canton's) scope."""
    rows = db.session.execute(
        sa.select(CourseRegistration.course_id, CourseRegistration.status, sa.func.count())
        .where(CourseRegistration.course_id.in_(list(course_ids)),
               CourseRegistration.status != RegistrationStatus.CANCELLED)
        .group_by(CourseRegistration.course_id, CourseRegistration.status)
    ).all()
    counts = {course_id: [0, 0] for course_id in course_ids}
    for course_id, status, number in rows:
        counts[course_id][0 if status == RegistrationStatus.REGISTERED else 1] = number
    return {course_id: (taken, waiting) for course_id, (taken, waiting) in counts.items()}


def all_courses(canton: Tenant) -> list[tuple[Course, int, int]]:
    """Every course of the canton with its seats taken and its waiting list (the canton's view)."""
    with tenant_scope(canton):
        courses = db.session.scalars(sa.select(Course).order_by(Course.starts_at.desc())).all()
        counts = _counts([c.id for c in courses])
    return [(course, *counts[course.id]) for course in courses]


def published_courses(upcoming_only: bool = True) -> list[tuple[Course, int, int]]:
    """The canton's published courses with their seat counts: what every commune may see."""
    with tenant_scope(canton_tenant()):
        query = sa.select(Course).where(Course.published.is_(True)).order_by(Course.starts_at)
        if upcoming_only:
            query = query.where(Course.ends_at > clock.utcnow())
        courses = db.session.scalars(query).all()
        counts = _counts([c.id for c in courses])
    return [(course, *counts[course.id]) for course in courses]


def tenant_registrations(tenant: Tenant) -> list[tuple[CourseRegistration, Course, User]]:
    """The registrations of ``tenant``'s own staff, the only rows of the canton's list a commune reads."""
    with tenant_scope(canton_tenant()):
        return db.session.execute(
            sa.select(CourseRegistration, Course, User)
            .join(Course, sa.and_(Course.tenant_id == CourseRegistration.tenant_id,
                                  Course.id == CourseRegistration.course_id))
            .join(User, User.id == CourseRegistration.user_id)
            .where(CourseRegistration.registrant_tenant_id == tenant.id)
            .order_by(Course.starts_at.desc(), User.name)
        ).all()


def participants(course: Course) -> list[tuple[CourseRegistration, User, Tenant]]:
    """Everyone registered for ``course`` (the canton's view): seated first, then the waiting list."""
    rows = db.session.execute(
        sa.select(CourseRegistration, User, Tenant)
        .join(User, User.id == CourseRegistration.user_id)
        .join(Tenant, Tenant.id == CourseRegistration.registrant_tenant_id)
        .where(CourseRegistration.course_id == course.id)
        .order_by(CourseRegistration.registered_at, CourseRegistration.id)
    ).all()
    order = {RegistrationStatus.REGISTERED: 0, RegistrationStatus.WAITING: 1, RegistrationStatus.CANCELLED: 2}
    return sorted(rows, key=lambda row: order[row[0].status])


# -- registering and cancelling ------------------------------------------------------------------


def _locked_course(course_id: uuid.UUID, *, published_only: bool) -> Course:
    """The course, its row locked until the transaction ends: seats of one course change one at a time."""
    query = sa.select(Course).where(Course.id == course_id).with_for_update()
    if published_only:
        query = query.where(Course.published.is_(True))
    course = db.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if course is None:
        raise NotFound(_("Diesen Kurs gibt es nicht."))
    return course


def _registration(course: Course, user_id: int) -> CourseRegistration | None:
    return db.session.scalars(
        sa.select(CourseRegistration)
        .where(CourseRegistration.course_id == course.id, CourseRegistration.user_id == user_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _free_seat(course: Course) -> int | None:
    taken = set(db.session.scalars(
        sa.select(CourseRegistration.seat).where(CourseRegistration.course_id == course.id,
                                                 CourseRegistration.seat.is_not(None))
    ))
    return next((seat for seat in range(1, course.capacity + 1) if seat not in taken), None)


def _move_up(course: Course) -> list[CourseRegistration]:
    """Give free seats to the waiting list, first come first served; returns who moved up."""
    moved = []
    while (seat := _free_seat(course)) is not None:
        waiting = db.session.scalars(
            sa.select(CourseRegistration)
            .where(CourseRegistration.course_id == course.id, CourseRegistration.status == RegistrationStatus.WAITING)
            .order_by(CourseRegistration.registered_at, CourseRegistration.id)
            .limit(1)
        ).first()
        if waiting is None:
            break
        waiting.status, waiting.seat = RegistrationStatus.REGISTERED, seat
        audit.record("course.move_up", object_type="course", object_id=course.id,
                     detail={"user": waiting.user_id, "seat": seat})
        db.session.flush()
        moved.append(waiting)
    return moved


def _retrying(change):
    """Run ``change`` and commit; a race lost to another request (a seat, a double click) is run again."""
    for attempt in range(5):
        try:
            result = change()
            db.session.commit()
            return result
        except sa.exc.IntegrityError:
            db.session.rollback()  # the other request took the seat or made the row: look again
            if attempt == 4:
                raise  # not a race any more, but a fault
        except sa.exc.OperationalError:
            if db.engine.dialect.name != "sqlite":
                raise
            db.session.rollback()  # SQLite: another writer held the database
        except UserError:
            db.session.rollback()  # refused: the course's lock goes at once
            raise
    raise UserError(_("Die Anmeldung ist gerade nicht möglich; bitte versuchen Sie es noch einmal."))


def register(course_id: uuid.UUID, user: User, tenant: Tenant) -> CourseRegistration:
    """Register ``user`` (staff of ``tenant``) for a published course: a seat, or the waiting list."""
    user_id, tenant_id, slug = user.id, tenant.id, tenant.slug  # a retry's rollback expires loaded rows

    def change():
        with tenant_scope(canton_tenant()):
            course = _locked_course(course_id, published_only=True)
            if course.starts_at <= clock.utcnow():
                raise UserError(_("Der Kurs hat schon begonnen; eine Anmeldung ist nicht mehr möglich."))
            registration = _registration(course, user_id)
            if registration is not None and registration.status != RegistrationStatus.CANCELLED:
                raise UserError(_("Sie sind für diesen Kurs schon angemeldet."))
            seat = _free_seat(course)
            if registration is None:
                registration = CourseRegistration(course_id=course.id, user_id=user_id)
                db.session.add(registration)
            registration.registrant_tenant_id = tenant_id
            registration.status = RegistrationStatus.WAITING if seat is None else RegistrationStatus.REGISTERED
            registration.seat = seat
            registration.registered_at = clock.utcnow()
            registration.cancelled_at = None
            registration.attended = None
            audit.record("course.register", object_type="course", object_id=course_id,
                         detail={"user": user_id, "tenant": slug, "status": registration.status})
        with scoped_to(Scope(tenant_id=tenant_id)):
            audit.record("course.register", object_type="course", object_id=course_id,
                         detail={"user": user_id, "status": registration.status})
        return registration

    return _retrying(change)


def cancel(course_id: uuid.UUID, user: User, tenant: Tenant) -> CourseRegistration:
    """Cancel ``user``'s registration (made in ``tenant``); a freed seat goes to the waiting list."""
    user_id, tenant_id, slug = user.id, tenant.id, tenant.slug  # a retry's rollback expires loaded rows

    def change():
        with tenant_scope(canton_tenant()):
            course = _locked_course(course_id, published_only=False)
            registration = _registration(course, user_id)
            if (registration is None or registration.status == RegistrationStatus.CANCELLED
                    or registration.registrant_tenant_id != tenant_id):
                raise UserError(_("Sie sind für diesen Kurs nicht angemeldet."))
            if course.starts_at <= clock.utcnow():
                raise UserError(_("Der Kurs hat schon begonnen; eine Abmeldung ist nicht mehr möglich."))
            freed = registration.seat
            registration.status, registration.seat = RegistrationStatus.CANCELLED, None
            registration.cancelled_at = clock.utcnow()
            audit.record("course.cancel", object_type="course", object_id=course_id,
                         detail={"user": user_id, "tenant": slug})
            db.session.flush()  # the seat is free before it is handed on
            if freed is not None:
                _move_up(course)
        with scoped_to(Scope(tenant_id=tenant_id)):
            audit.record("course.cancel", object_type="course", object_id=course_id, detail={"user": user_id})
        return registration

    return _retrying(change)


def record_attendance(course: Course, present: set[uuid.UUID]) -> None:
    """Mark who of the seated participants attended (the canton, once the course has begun)."""
    if course.starts_at > clock.utcnow():
        raise UserError(_("Die Anwesenheit kann erst ab Kursbeginn erfasst werden."))
    for registration, _user, _tenant in participants(course):
        if registration.status == RegistrationStatus.REGISTERED:
            registration.attended = registration.id in present
    audit.record("course.attendance", object_type="course", object_id=course.id, detail={"present": len(present)})


def save_course(course: Course, form: CourseForm) -> None:
    """Store the form in ``course`` (new or changed); more seats move the waiting list up."""
    before = course.capacity
    form.populate_obj(course)
    course.starts_at, course.ends_at = _utc(form.starts_at.data), _utc(form.ends_at.data)
    course.description = course.description or ""
    if course.created_by is None:
        course.created_by = audit.current_actor()
        db.session.add(course)
    db.session.flush()
    if before is not None:
        _pack_seats(course)
        _move_up(course)
    audit.record("course.save", object_type="course", object_id=course.id,
                 detail={"title": course.title, "capacity": course.capacity, "published": course.published})


def _pack_seats(course: Course) -> None:
    """After fewer seats: move anyone above the new capacity onto a free seat below it."""
    above = db.session.scalars(
        sa.select(CourseRegistration).where(CourseRegistration.course_id == course.id,
                                            CourseRegistration.seat > course.capacity)
    ).all()
    for registration in above:
        registration.seat = _free_seat(course)
        db.session.flush()


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=clock.ZURICH).astimezone(UTC)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(clock.ZURICH).replace(tzinfo=None)


# -- the canton's pages --------------------------------------------------------------------------


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


@console.get("/kurse/verwalten")
@requires("core.courses.manage")
def course_admin():
    return render_template("console/courses_admin.html", courses=all_courses(g.tenant), now=clock.utcnow())


@console.route("/kurse/neu", methods=["GET", "POST"])
@requires("core.courses.manage")
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        course = Course(capacity=None, created_by=None)
        save_course(course, form)
        db.session.commit()
        flash(_("Der Kurs «%(title)s» ist gespeichert.", title=course.title))
        return redirect(url_for("console.course_detail", course_id=course.id))
    return render_template("console/courses_form.html", form=form, course=None), 400 if form.errors else 200


@console.route("/kurse/<uuid:course_id>/bearbeiten", methods=["GET", "POST"])
@requires("core.courses.manage")
def course_edit(course_id):
    course = _canton_course(course_id)
    form = CourseForm(obj=course)
    if request.method == "GET":
        form.starts_at.data, form.ends_at.data = _local(course.starts_at), _local(course.ends_at)
    if form.validate_on_submit():
        seated = _counts([course.id])[course.id][0]
        if form.capacity.data < seated:
            form.capacity.errors.append(
                ngettext("%(num)s Person hat schon einen Platz; es braucht mindestens so viele Plätze.",
                         "%(num)s Personen haben schon einen Platz; es braucht mindestens so viele Plätze.", seated))
        else:
            save_course(course, form)
            db.session.commit()
            flash(_("Der Kurs «%(title)s» ist gespeichert.", title=course.title))
            return redirect(url_for("console.course_detail", course_id=course.id))
    return render_template("console/courses_form.html", form=form, course=course), 400 if form.errors else 200


@console.get("/kurse/<uuid:course_id>")
@requires("core.courses.manage")
def course_detail(course_id):
    course = _canton_course(course_id)
    taken, waiting = _counts([course.id])[course.id]
    return render_template("console/courses_detail.html", course=course, rows=participants(course), taken=taken,
                           waiting=waiting, started=course.starts_at <= clock.utcnow())


@console.post("/kurse/<uuid:course_id>/anwesenheit")
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
    return redirect(url_for("console.course_detail", course_id=course.id))


# -- the communes' pages -------------------------------------------------------------------------


@console.get("/kurse")
@requires("core.courses.attend")
def courses():
    mine = {registration.course_id: registration
            for registration, _course, _user in tenant_registrations(g.tenant) if registration.user_id == g.user.id}
    return render_template("console/courses_list.html", courses=published_courses(), mine=mine,
                           staff=tenant_registrations(g.tenant))


@console.post("/kurse/<uuid:course_id>/anmelden")
@requires("core.courses.attend")
def course_register(course_id):
    registration = _or_message(lambda: register(course_id, g.user, g.tenant))
    if registration is not None and registration.status == RegistrationStatus.REGISTERED:
        flash(_("Sie sind angemeldet."))
    elif registration is not None:
        flash(_("Der Kurs ist ausgebucht: Sie stehen auf der Warteliste und rücken nach, sobald ein Platz frei wird."))
    return redirect(url_for("console.courses"))


@console.post("/kurse/<uuid:course_id>/abmelden")
@requires("core.courses.attend")
def course_cancel(course_id):
    if _or_message(lambda: cancel(course_id, g.user, g.tenant)) is not None:
        flash(_("Sie sind abgemeldet."))
    return redirect(url_for("console.courses"))


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
