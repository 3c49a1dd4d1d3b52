"""Introductory courses: what the canton and the communes see, registering, cancelling, attendance.

A full course keeps a waiting list, which moves up in the order of registration when someone
cancels or the canton adds seats (who owns which row: :mod:`core.console.courses.models`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit, clock
from core.auth import User
from core.console.courses.models import Course, CourseRegistration, RegistrationStatus
from core.db import Scope, db, scoped_to
from core.errors import NotFound, UserError
from core.tenancy import Tenant, canton_tenant, tenant_scope

if TYPE_CHECKING:
    from flask_wtf import FlaskForm


# -- reading -------------------------------------------------------------------------------------


def seat_counts(course_ids) -> dict[uuid.UUID, tuple[int, int]]:
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
        counts = seat_counts([c.id for c in courses])
    return [(course, *counts[course.id]) for course in courses]


def upcoming_courses(canton: Tenant, limit: int = 5) -> list[tuple[Course, int, int]]:
    """The canton's courses that have not ended, soonest first, drafts included (its start page)."""
    with tenant_scope(canton):
        courses = db.session.scalars(sa.select(Course).where(Course.ends_at > clock.utcnow())
                                     .order_by(Course.starts_at).limit(limit)).all()
        counts = seat_counts([c.id for c in courses])
    return [(course, *counts[course.id]) for course in courses]


def published_courses(upcoming_only: bool = True) -> list[tuple[Course, int, int]]:
    """The canton's published courses with their seat counts: what every commune may see."""
    with tenant_scope(canton_tenant()):
        query = sa.select(Course).where(Course.published.is_(True)).order_by(Course.starts_at)
        if upcoming_only:
            query = query.where(Course.ends_at > clock.utcnow())
        courses = db.session.scalars(query).all()
        counts = seat_counts([c.id for c in courses])
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


def save_course(course: Course, form: FlaskForm) -> None:
    """Store the course form in ``course`` (new or changed); more seats move the waiting list up."""
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


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(clock.ZURICH).replace(tzinfo=None)


