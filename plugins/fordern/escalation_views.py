"""The commune's pages of the escalation: submitting a case to the canton, the canton's decision on it.

``/<tenant>/fordern/faelle/<case>/eskalieren`` (the form) and ``…/entscheide/<outcome>.pdf`` (the PDF the
canton shared). The panel on the case page is ``fordern/_escalation_panel.html`` with :func:`panel`.
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from core import attachments
from core.access import requires
from core.db import db
from core.errors import UserError
from core.people.permits import PERMITS
from plugins.fordern import escalation, measures, states
from plugins.fordern.escalation_forms import EscalationForm
from plugins.fordern.escalation_models import CaseOutcome
from plugins.fordern.pages import EDIT, READ, blueprint, case_or_404, person_of


@blueprint.route("/faelle/<uuid:case_id>/eskalieren", methods=["GET", "POST"], endpoint="escalate")
@requires(EDIT)
def escalate(case_id):
    case = case_or_404(case_id)
    person = person_of(case)
    form = EscalationForm(since=case.state_on)
    if request.method == "GET":
        nationalities = [code for code in person.nationalities or () if len(code) == 2]
        form.nationality.data = nationalities[0] if nationalities else ""
        form.language.data = next((code for code in person.languages or () if code != "de"), "")
    error = None
    if case.state != states.UNDER_REVIEW:
        error = _("Nur ein Fall «%(state)s» wird an den Kanton übergeben; dieser ist «%(now)s».",
                  state=states.STATE_LABELS[states.UNDER_REVIEW], now=states.STATE_LABELS[case.state])
    elif form.validate_on_submit():
        facts = escalation.Facts(form.nationality.data, form.permit.data, form.refugee.data, form.language.data or "")
        try:
            submission = escalation.escalate(g.tenant, case, person, facts, form.reason.data, form.on.data,
                                             measures.summary(case))
        except UserError as refused:
            db.session.rollback()
            case = case_or_404(case_id)
            person = person_of(case)
            error = str(refused)
        else:
            db.session.commit()
            flash(_("Der Fall ist dem Kanton übergeben: Eingabe %(number)s.", number=submission.number))
            return redirect(url_for("fordern.case", case_id=case.id))
    status = 400 if (request.method == "POST" and (form.errors or error)) else 200
    return render_template("fordern/escalate.html", case=case, person=person, form=form, error=error,
                           permits=PERMITS), status


@blueprint.get("/faelle/<uuid:case_id>/entscheide/<uuid:outcome_id>.pdf", endpoint="outcome_pdf")
@requires(READ)
def outcome_pdf(case_id, outcome_id):
    case = case_or_404(case_id)
    outcome = db.session.scalar(sa.select(CaseOutcome).where(CaseOutcome.case_id == case.id,
                                                             CaseOutcome.id == outcome_id))
    attachment = attachments.get(outcome.attachment_id) if outcome and outcome.attachment_id else None
    if attachment is None or attachment.deleted_at is not None:
        abort(404)
    data = attachments.read(attachment)
    db.session.commit()  # the audited read
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=attachment.filename, etag=False, conditional=False)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
