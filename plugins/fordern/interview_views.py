"""The interview's pages: the invitation (new, or changed while it stands), its letter (PDF) and the
officer's calendar entry (.ics), and the minutes. Mounted on Fordern's blueprint.
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import clock, i18n
from core.access import requires
from core.clock import ZURICH
from core.db import db
from core.tenancy import Municipality
from plugins.fordern import interviews, letters, states
from plugins.fordern.interview_forms import InvitationForm, MinutesForm
from plugins.fordern.pages import EDIT, READ, blueprint, case_or_404, editable_or_404, names, person_of


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@blueprint.route("/faelle/<uuid:case_id>/gespraech", methods=["GET", "POST"], endpoint="interview")
@requires(EDIT)
def invitation(case_id):
    case = editable_or_404(case_id)
    interview = interviews.of(case)
    if case.state not in (states.OPENED, states.INTERVIEW_SCHEDULED):
        abort(404)  # held already: the minutes are the interview's page now
    person = person_of(case)
    form = InvitationForm(today=clock.today(), letter_languages=letters.languages(g.tenant))
    if request.method == "GET":
        if interview is not None:
            start = interview.starts_at.astimezone(ZURICH)
            form.day.data, form.time.data, form.place.data = start.date(), start.time(), interview.place
            form.interpreter.data, form.letter_language.data = interview.interpreter_language or "", \
                interview.letter_language
        else:
            form.letter_language.data = letters.letter_language(person, g.tenant)
        return _invitation_form(case, person, form, interview)
    if not form.validate_on_submit():
        return _invitation_form(case, person, form, interview)
    if interview is None:
        interviews.schedule(case, form.starts_at, form.place.data, form.interpreter.data, form.letter_language.data,
                            clock.today())
        flash(_("Das Gespräch ist geplant. Drucken Sie den Einladungsbrief."))
    else:
        interviews.reschedule(case, interview, form.starts_at, form.place.data, form.interpreter.data,
                              form.letter_language.data)
        flash(_("Die Einladung ist geändert. Drucken Sie den neuen Einladungsbrief."))
    db.session.commit()
    return redirect(url_for(".case", case_id=case.id))


def _invitation_form(case, person, form, interview):
    spoken = ", ".join(i18n.language_name(code) for code in person.languages or ()) or "–"
    written = (letters.GERMAN, *letters.languages(g.tenant))
    without = [i18n.language_name(code) for code in person.languages or () if code not in written]
    return render_template("fordern/interview_form.html", case=case, person=person, form=form,
                           interview=interview, spoken=spoken, without=without), 400 if form.errors else 200


def _scheduled_or_404(case_id):
    case = case_or_404(case_id)
    interview = interviews.of(case)
    if interview is None:
        abort(404)
    return case, interview


@blueprint.get("/faelle/<uuid:case_id>/gespraech/einladung.pdf", endpoint="interview_letter")
@requires(READ)
def letter(case_id):
    case, interview = _scheduled_or_404(case_id)
    officer = names([interview.updated_by]).get(interview.updated_by, "")
    person = person_of(case)
    commune = db.session.get(Municipality, person.municipality_bfs)
    content = letters.invitation(interview, person, officer, g.tenant, commune.name if commune else g.tenant.name)
    db.session.commit()  # the audited print
    return _download(content, "application/pdf", "einladung-integrationsgespraech.pdf")


@blueprint.get("/faelle/<uuid:case_id>/gespraech/termin.ics", endpoint="interview_ics")
@requires(READ)
def calendar(case_id):
    case, interview = _scheduled_or_404(case_id)
    content = interviews.calendar(interview, person_of(case), g.tenant.name)
    db.session.commit()
    return _download(content, "text/calendar; charset=utf-8", "integrationsgespraech.ics")


@blueprint.route("/faelle/<uuid:case_id>/gespraech/protokoll", methods=["GET", "POST"], endpoint="interview_minutes")
@requires(EDIT)
def minutes(case_id):
    case = editable_or_404(case_id)
    interview = interviews.of(case)
    if interview is not None and interview.held_on is not None and request.method == "POST":
        flash(_("Das Protokoll war schon gespeichert (das Formular wurde zweimal abgeschickt)."))
        return redirect(url_for(".case", case_id=case.id))
    if interview is None or case.state != states.INTERVIEW_SCHEDULED:
        abort(404)
    form = MinutesForm(case=case, today=clock.today())
    if request.method == "GET":
        form.held_on.data = min(interview.starts_at.astimezone(ZURICH).date(), clock.today())
    elif form.validate_on_submit():
        interviews.record_minutes(case, interview, form.held_on.data, form.topics.data, form.person_view.data or "")
        db.session.commit()
        flash(_("Das Protokoll ist gespeichert. Vereinbaren Sie jetzt die Massnahmen."))
        return redirect(url_for(".measures", case_id=case.id))
    return render_template("fordern/interview_minutes.html", case=case, person=person_of(case), form=form,
                           interview=interview), 400 if form.errors else 200
