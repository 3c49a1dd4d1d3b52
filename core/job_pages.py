"""The jobs page of a tenant (live progress, result files, retry) and the report request form."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, ValidationError

from core import actors, audit, jobs, reports
from core.access import can, forbid, requires
from core.db import db
from core.errors import UserError
from core.tenancy import tenant_scope

pages = Blueprint("jobs", __name__, url_prefix="/<tenant>")

STATE_LABELS = {
    jobs.JobState.QUEUED: _l("wartet"),
    jobs.JobState.RUNNING: _l("läuft"),
    jobs.JobState.FINISHED: _l("fertig"),
    jobs.JobState.FAILED: _l("fehlgeschlagen"),
}


def _visible_kinds() -> set[str]:
    return {name for name, kind in jobs.kinds().items() if can(kind.permission)}


def _record(job_id: uuid.UUID) -> jobs.JobRecord:
    with tenant_scope(g.tenant):
        record = db.session.get(jobs.JobRecord, (g.tenant.id, job_id))
    if record is None or record.kind not in _visible_kinds():
        abort(404)
    return record


def status_text(record: jobs.JobRecord) -> str:
    """The line beside a job's progress bar, in the reader's language: its progress while it runs, what it
    did once it is finished (never "letters are being created" for a job that is done), why it failed."""
    if record.state == jobs.JobState.FAILED:
        return ""  # the page says why, at length
    if record.state != jobs.JobState.FINISHED:
        return jobs.message_text(record.progress_message, record.progress_params)
    if record.result:
        return jobs.message_text(record.result.get("message", ""), record.result.get("params"))
    return ""  # its result files, or what its kind shows, say the rest


def result_html(record: jobs.JobRecord, kind: jobs.JobKind):
    """What a finished job's kind shows of its outcome (counts, links), if it declares it."""
    if record.state != jobs.JobState.FINISHED or kind.result is None:
        return None
    html = kind.result(record)
    return Markup(html) if html else None


@pages.get("/auftraege")
@requires("core.tenant.view")
def index():
    with tenant_scope(g.tenant):
        records = db.session.scalars(
            sa.select(jobs.JobRecord)
            .where(jobs.JobRecord.kind.in_(_visible_kinds()))
            .order_by(jobs.JobRecord.created_at.desc())
            .limit(100)
        ).all()
    actors.prefetch(record.requested_by for record in records)
    return render_template("jobs/index.html", records=records, kinds=jobs.kinds())


@pages.get("/auftraege/<uuid:job_id>")
@requires("core.tenant.view")
def show(job_id):
    record = _record(job_id)
    kind = jobs.kinds()[record.kind]
    return render_template("jobs/show.html", record=record, kind=kind, result=result_html(record, kind),
                           may_retry=can(kind.retry_permission or kind.permission))


@pages.get("/auftraege/<uuid:job_id>.json")
@requires("core.tenant.view")
def progress(job_id):
    """What the jobs page polls for its progress bars."""
    record = _record(job_id)
    return jsonify(state=record.state, label=str(STATE_LABELS[record.state]), done=record.progress_done,
                   total=record.progress_total, percent=record.percent, message=status_text(record))


@pages.get("/auftraege/<uuid:job_id>/dateien/<uuid:file_id>")
@requires("core.tenant.view")
def download(job_id, file_id):
    record = _record(job_id)
    with tenant_scope(g.tenant):
        result = db.session.get(jobs.JobFile, (g.tenant.id, file_id))
    if result is None or result.job_id != record.id:
        abort(404)
    # Streamed chunk by chunk: a result file of hundreds of MB never lies whole in the web process.
    return Response(result.open(g.tenant).response_blocks(current_app._get_current_object()), mimetype=result.mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{result.filename}"',
                             "Content-Length": str(result.size)})


@pages.post("/auftraege/<uuid:job_id>/wiederholen")
@requires("core.tenant.view")
def retry(job_id):
    record = _record(job_id)
    kind = jobs.kinds()[record.kind]
    if not can(kind.retry_permission or kind.permission):
        forbid(kind.retry_permission or kind.permission)
    jobs.retry(record, g.tenant)
    return redirect(url_for("jobs.show", job_id=record.id))


# -- reports --------------------------------------------------------------------------------------


FORMAT_CHOICES = [SelectChoice("xlsx", "Excel (XLSX)"), SelectChoice("pdf", "PDF"), SelectChoice("csv", "CSV")]
SCOPE_CHOICES = [SelectChoice("tenant", _l("Dieser Mandant")), SelectChoice("canton", _l("Alle Mandanten"))]


class ReportForm(FlaskForm):
    period = StringField(_l("Zeitraum"), validators=[DataRequired()],
                         description=_l("2017, 2017-03 oder 2017-01-01..2017-06-30"))
    format = RadioField(_l("Format"), default="xlsx", choices=FORMAT_CHOICES)
    scope = RadioField(_l("Umfang"), default="tenant", choices=SCOPE_CHOICES)

    def validate_period(self, field):
        try:
            reports.Period.parse(field.data)
        except UserError as error:
            raise ValidationError(str(error)) from None


class ScheduleForm(FlaskForm):
    frequency = RadioField(_l("Wann"), default="monthly", choices=[
        SelectChoice("monthly", _l("Monatlich")), SelectChoice("yearly", _l("Jährlich"))])
    format = RadioField(_l("Format"), default="xlsx", choices=FORMAT_CHOICES)
    scope = RadioField(_l("Umfang"), default="tenant", choices=SCOPE_CHOICES)


def _forms():
    """The request form and the schedule form; the canton alone may choose all tenants."""
    request_form, schedule_form = ReportForm(prefix="report"), ScheduleForm(prefix="schedule")
    if not (g.tenant.is_canton and can("core.canton.read")):
        del request_form.scope
        del schedule_form.scope
    return request_form, schedule_form


def _scope(form) -> str:
    return form.scope.data if "scope" in form else "tenant"


@pages.route("/berichte", methods=["GET", "POST"], endpoint="reports")
@requires("core.reports.read")
def report_request():
    form, schedule_form = _forms()
    if form.validate_on_submit():
        params = {"period": reports.Period.parse(form.period.data).label, "format": form.format.data,
                  "scope": _scope(form)}
        record = jobs.enqueue("report", g.tenant, params)
        return redirect(url_for("jobs.show", job_id=record.id))
    return _reports_page(form, schedule_form)


def _reports_page(form, schedule_form):
    with tenant_scope(g.tenant):
        schedules = db.session.scalars(sa.select(reports.ReportSchedule).order_by(reports.ReportSchedule.created_at))
        return render_template("jobs/reports.html", form=form, schedule_form=schedule_form, schedules=schedules.all())


@pages.post("/berichte/plaene")
@requires("core.reports.read")
def add_schedule():
    form, schedule_form = _forms()
    if not schedule_form.validate_on_submit():
        return _reports_page(form, schedule_form), 400
    with tenant_scope(g.tenant):
        schedule = reports.ReportSchedule(
            frequency=schedule_form.frequency.data, format=schedule_form.format.data, scope=_scope(schedule_form),
            created_by=audit.current_actor(),
        )
        db.session.add(schedule)
        audit.record("report_schedule.add", object_type="report_schedule", object_id=schedule.id,
                     detail={"frequency": schedule.frequency, "format": schedule.format, "scope": schedule.scope})
    db.session.commit()
    flash(_("Der Bericht wird ab jetzt regelmässig erstellt."))
    return redirect(url_for("jobs.reports"))


@pages.post("/berichte/plaene/<uuid:schedule_id>/loeschen")
@requires("core.reports.read")
def remove_schedule(schedule_id):
    with tenant_scope(g.tenant):
        schedule = db.session.get(reports.ReportSchedule, (g.tenant.id, schedule_id))
        if schedule is None:
            abort(404)
        db.session.delete(schedule)
        audit.record("report_schedule.remove", object_type="report_schedule", object_id=schedule_id)
    db.session.commit()
    return redirect(url_for("jobs.reports"))



def init_app(app) -> None:
    app.register_blueprint(pages)
    app.jinja_env.globals["state_label"] = lambda state: STATE_LABELS.get(state, state)
    app.jinja_env.globals["job_status"] = status_text
