"""The mails of the introductory courses: a seat (with an ``.ics`` for the calendar), the waiting list,
a seat that came free, a cancellation (an ``.ics`` that takes the date out of the calendar again).

Each goes to the participant in the language they use start.integration in, after the change is
committed: a mail server that refuses loses no registration (the page says the mail did not go).
A registration's calendar entry keeps one UID, so the cancellation replaces the entry it made.
"""

from __future__ import annotations

import logging
import smtplib
import uuid

import icalendar
import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from core import clock, mail
from core.auth import User
from core.console.courses.models import Course, CourseRegistration, RegistrationStatus
from core.db import db
from core.tenancy import Tenant, canton_tenant, tenant_scope

log = logging.getLogger(__name__)

REGISTERED, WAITING, MOVED_UP, CANCELLED = "registered", "waiting", "moved_up", "cancelled"


def notify(kind: str, registration_ids: list[uuid.UUID]) -> bool:
    """Mail each participant of these registrations what happened (``kind``); False if one mail failed."""
    sent = True
    for registration, course, user, tenant in _load(registration_ids):
        if user.email:
            sent &= _send(kind, registration, course, user, tenant)
    return sent


def _load(registration_ids: list[uuid.UUID]):
    if not registration_ids:
        return []
    with tenant_scope(canton_tenant()):
        return db.session.execute(
            sa.select(CourseRegistration, Course, User, Tenant)
            .join(Course, sa.and_(Course.tenant_id == CourseRegistration.tenant_id,
                                  Course.id == CourseRegistration.course_id))
            .join(User, User.id == CourseRegistration.user_id)
            .join(Tenant, Tenant.id == CourseRegistration.registrant_tenant_id)
            .where(CourseRegistration.id.in_(registration_ids))
        ).all()


def _send(kind: str, registration: CourseRegistration, course: Course, user: User, tenant: Tenant) -> bool:
    with mail.in_language(mail.language_of(user)):
        subject, body = text(kind, course, user, tenant)
        attachments = [] if kind == WAITING else [
            mail.Attachment("kurs.ics", "text/calendar", calendar(registration, course, cancelled=kind == CANCELLED),
                            {"method": "CANCEL" if kind == CANCELLED else "PUBLISH"})]
    try:
        mail.send(user.email, subject, body, attachments)
        return True
    except (smtplib.SMTPException, OSError):
        log.exception("course mail %s to %s not sent", kind, user.email)
        return False


def when(course: Course) -> str:
    """"Mittwoch, 15.03.2017, 09:00–12:00" (local time; a course over several days names both)."""
    start, end = course.starts_at, course.ends_at
    same_day = start.astimezone(clock.ZURICH).date() == end.astimezone(clock.ZURICH).date()
    until = format_datetime(end, "HH:mm" if same_day else "EEEE, dd.MM.yyyy, HH:mm")
    return f"{format_datetime(start, 'EEEE, dd.MM.yyyy, HH:mm')}–{until}"


def text(kind: str, course: Course, user: User, tenant: Tenant) -> tuple[str, str]:
    """Subject and body in the current locale."""
    subject, opening = {
        REGISTERED: (_("Anmeldung bestätigt: %(title)s", title=course.title),
                     _("Sie sind für diesen Kurs angemeldet:")),
        WAITING: (_("Warteliste: %(title)s", title=course.title),
                  _("Der Kurs ist ausgebucht. Sie stehen auf der Warteliste und erhalten eine E-Mail, sobald ein "
                    "Platz für Sie frei wird:")),
        MOVED_UP: (_("Ein Platz ist frei geworden: %(title)s", title=course.title),
                   _("Ein Platz ist frei geworden: Sie sind von der Warteliste nachgerückt und für diesen Kurs "
                     "angemeldet:")),
        CANCELLED: (_("Abmeldung: %(title)s", title=course.title), _("Sie sind von diesem Kurs abgemeldet:")),
    }[kind]
    lines = [_("Guten Tag %(name)s", name=user.name).strip(), "", opening, "", course.title,
             _("Wann: %(when)s", when=when(course)), _("Wo: %(place)s", place=course.place)]
    if course.description:
        lines += ["", course.description]
    if kind in (REGISTERED, MOVED_UP):
        lines += ["", _("Die Datei im Anhang trägt den Kurs in Ihren Kalender ein.")]
    elif kind == CANCELLED:
        lines += ["", _("Die Datei im Anhang nimmt den Kurs aus Ihrem Kalender.")]
    if kind != CANCELLED:
        lines += [_("Abmelden können Sie sich bis zum Kursbeginn hier: %(link)s", link=_courses_link(tenant))]
    return subject, "\n".join(lines) + "\n"


def calendar(registration: CourseRegistration, course: Course, cancelled: bool = False) -> bytes:
    """The course as an iCalendar file; ``cancelled`` takes the same entry (its UID) out again."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//start.integration//Kurse//DE")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"course-registration-{registration.id}@start.integration")
    event.add("dtstamp", clock.utcnow())
    event.add("sequence", 1 if cancelled else 0)
    event.add("dtstart", course.starts_at)
    event.add("dtend", course.ends_at)
    event.add("summary", course.title)
    event.add("location", course.place)
    if course.description:
        event.add("description", course.description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def _courses_link(tenant: Tenant) -> str:
    if current_app.config.get("SERVER_NAME") or has_request_context():
        return url_for("courses.courses", tenant=tenant.slug, _external=True)
    return f"/{tenant.slug}/kurse"


def kind_of(registration: CourseRegistration) -> str:
    return REGISTERED if registration.status == RegistrationStatus.REGISTERED else WAITING
