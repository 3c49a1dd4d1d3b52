"""The submissions pages: a commune's own submissions, the canton's inbox, one submission and its steps.

The canton's pages and a commune's share their addresses (``/<tenant>/eingaben``): the
tenant decides which one answers.  In a commune the page lists its own submissions; in
the canton it is the inbox of every commune's submissions whose kind the user may review
(``SubmissionKind.review_permission``).  A step of the other side answers 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional

from core import submissions
from core.access import can, requires
from core.auth import actor_names
from core.db import db
from core.errors import UserError
from core.submissions import STATE_LABELS, TRANSITIONS, State, Submission
from core.tenancy import Tenant, TenantKind

pages = Blueprint("submissions", __name__, url_prefix="/<tenant>")

# The steps in the addresses of their forms.
STEPS = {"pruefen": "start_review", "annehmen": "accept", "zurueckweisen": "return", "zurueckziehen": "withdraw"}
STEP_OF = {action: step for step, action in STEPS.items()}
OPEN = "offen"
ALL = "alle"
INBOX_LIMIT = 500


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Begründung"), validators=[Optional(), Length(max=5000)])


class InboxFilter(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    art = SelectField(_l("Art"), validators=[Optional()])
    stand = SelectField(_l("Stand"), validators=[Optional()], default=OPEN)
    mandant = SelectField(_l("Gemeinde"), validators=[Optional()])


def _reviewable() -> dict[str, object]:
    """The kinds the current user reviews in the canton, by id."""
    return {kind_id: kind for kind_id, (_module, kind) in submissions.kinds().items() if can(kind.review_permission)}


def _may_see(submission: Submission) -> bool:
    """In the canton, a submission is there only for those who review its kind."""
    return not g.tenant.is_canton or can(submissions.kind_of(submission.kind).review_permission)


def _submission(number: str) -> Submission:
    submission = submissions.find(number)
    if submission is None or not _may_see(submission):
        abort(404)
    return submission


def open_by_kind() -> list[tuple[str, object, int]]:
    """For the canton's start page: (kind id, kind, count) of the submissions awaiting the user's review."""
    reviewable = _reviewable()
    if not reviewable:
        return []
    counts = dict(db.session.execute(
        sa.select(Submission.kind, sa.func.count()).where(Submission.kind.in_(list(reviewable)),
                                                          Submission.state.in_([State.SUBMITTED, State.IN_REVIEW]))
        .group_by(Submission.kind)).all())
    return [(kind_id, kind, counts.get(kind_id, 0)) for kind_id, kind in reviewable.items()]


@pages.get("/eingaben")
@requires("core.submissions.read")
def index():
    if g.tenant.is_canton:
        return _inbox()
    rows = db.session.scalars(sa.select(Submission).order_by(Submission.changed_at.desc())).all()
    return render_template("submissions/index.html", rows=rows, kinds=submissions.kinds())


def _inbox():
    reviewable = _reviewable()
    form = InboxFilter(request.args)
    form.art.choices = [("", _("alle Arten"))] + [(k, str(kind.label)) for k, kind in reviewable.items()]
    form.stand.choices = [(OPEN, _("offen")), *((s.value, str(label)) for s, label in STATE_LABELS.items()),
                          (ALL, _("alle"))]
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.kind != TenantKind.CANTON).order_by(Tenant.name))
    form.mandant.choices = [("", _("alle Gemeinden"))] + [(t.slug, t.name) for t in tenants]
    rows = []
    if form.validate() and reviewable:
        query = (sa.select(Submission, Tenant).join(Tenant, Tenant.id == Submission.tenant_id)
                 .where(Submission.kind.in_(list(reviewable))))
        if form.art.data:
            query = query.where(Submission.kind == form.art.data)
        state = form.stand.data or OPEN
        if state == OPEN:
            query = query.where(Submission.state.in_([State.SUBMITTED, State.IN_REVIEW]))
        elif state != ALL:
            query = query.where(Submission.state == state)
        if form.mandant.data:
            query = query.where(Tenant.slug == form.mandant.data)
        rows = db.session.execute(query.order_by(Submission.changed_at.desc()).limit(INBOX_LIMIT)).all()
    return render_template("submissions/inbox.html", form=form, rows=rows, reviewable=reviewable,
                           any_kind=bool(submissions.kinds()), limit=INBOX_LIMIT), 200 if not form.errors else 400


@pages.get("/eingaben/<number>")
@requires("core.submissions.read")
def show(number):
    return _page(_submission(number))


def _page(submission: Submission, error: str | None = None, status: int = 200):
    kind = submissions.kind_of(submission.kind)
    events = submissions.history(submission)
    steps = [
        (STEP_OF[t.action], t) for t in TRANSITIONS.values()
        if t.by_canton == g.tenant.is_canton and submission.state in t.sources
        and can(kind.review_permission if t.by_canton else kind.submit_permission)
    ]
    owner = db.session.get(Tenant, submission.tenant_id)
    return render_template(
        "submissions/show.html", submission=submission, kind=kind, owner=owner,
        versions=submissions.versions(submission), events=events, names=actor_names(e.actor for e in events),
        steps=steps, form=NoteForm(), error=error,
    ), status


@pages.post("/eingaben/<number>/<step>")
@requires("core.submissions.read")
def change(number, step):
    action = STEPS.get(step)
    if action is None or TRANSITIONS[action].by_canton != g.tenant.is_canton:
        abort(404)  # the other side's step does not exist here
    submission = _submission(number)
    kind = submissions.kind_of(submission.kind)
    if not can(kind.review_permission if TRANSITIONS[action].by_canton else kind.submit_permission):
        abort(403)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(submission, error=" ".join(e for errors in form.errors.values() for e in errors), status=400)
    try:
        event = submissions.change(submission, action, form.note.data)
    except UserError as refused:
        db.session.rollback()
        return _page(_submission(number), error=str(refused), status=400)
    db.session.commit()
    flash(_("Eingabe %(number)s: %(step)s.", number=submission.number, step=event.action_label))
    return redirect(url_for("submissions.show", number=submission.number))


def init_app(app) -> None:
    app.register_blueprint(pages)
    app.jinja_env.globals["submission_state_label"] = lambda state: STATE_LABELS.get(state, state)
