"""The import pages: the list of imports, the upload, the CSV mapping, an import's result."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import ValidationError

from core import actors, jobs
from core.access import requires
from core.db import db
from core.people import Person, format_partial_date
from core.tenancy import tenant_scope
from plugins.informieren import retention
from plugins.informieren.blueprints import blueprint
from plugins.informieren.imports import csv_files, runs, sources
from plugins.informieren.imports.pipeline import COUNT_KEYS
from plugins.informieren.models import ImportItem, ImportRun, PersonChange, Source

PERMISSION = "informieren.imports.run"
ITEMS_SHOWN = 1000
NEW_PEOPLE_SHOWN = 100

COUNT_LABELS = {
    "created": _l("neu erfasst"),
    "updated": _l("aktualisiert"),
    "unchanged": _l("unverändert"),
    "skipped_swiss": _l("Zuzug aus der Schweiz (übersprungen)"),
    "skipped_before_since": _l("Zuzug vor dem Stichtag (übersprungen)"),
    "review": _l("zu prüfen (Herkunft unbekannt)"),
    "rejected": _l("abgewiesen"),
    "refused": _l("Dateien abgelehnt"),
    "already_imported": _l("bereits importiert"),
    "other_events": _l("andere Meldungen"),
    "test_deliveries": _l("Testlieferungen"),
    "possible_duplicates": _l("davon möglicherweise doppelt erfasst (zu prüfen)"),
}
OUTCOME_LABELS = {"refused": _l("Datei abgelehnt"), "rejected": _l("abgewiesen"), "review": _l("zu prüfen"),
                  "skipped": _l("übersprungen"), "duplicate": _l("möglicherweise doppelt")}


def _parse_day(text: str):
    try:
        return csv_files.parse_date(text.strip())
    except ValueError as error:
        raise ValidationError(str(error)) from None


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("Dateien"), description=_l(
        "Eine oder mehrere eCH-0020-Meldungen (XML), ein ZIP-Archiv mit Meldungen oder eine CSV-Datei."))
    since = StringField(_l("Zuzüge ab (nur bei einer Lieferung des ganzen Registers)"), description=_l(
        "Gilt für eine Lieferung aller Einwohnerinnen und Einwohner (baseDelivery): Übernommen werden die "
        "Zuzüge aus dem Ausland ab diesem Tag. TT.MM.JJJJ; ohne Angabe: das Datum, ab dem Informieren aktiv ist."))

    def validate_since(self, field):
        if field.data and field.data.strip():
            _parse_day(field.data)

    def validate_files(self, field):
        chosen = [f for f in (field.data or []) if getattr(f, "filename", "")]
        if not chosen:
            raise ValidationError(_("Bitte mindestens eine Datei wählen."))
        if any(sources.is_csv(f.filename) for f in chosen) and len(chosen) > 1:
            raise ValidationError(_("Eine CSV-Datei bitte allein hochladen."))


def _since(form: UploadForm):
    return _parse_day(form.since.data) if form.since.data and form.since.data.strip() else None


# -- pages ---------------------------------------------------------------------------------------------------


@blueprint.route("/importe", methods=["GET", "POST"])
@requires(PERMISSION)
def import_index():
    form = UploadForm()
    if request.method == "POST" and (request.content_length or 0) > runs.MAX_UPLOAD_BYTES:
        form.files.errors = [str(runs.UploadTooLarge())]
    elif form.validate_on_submit():
        try:
            return _start_upload(form)
        except runs.UploadTooLarge as error:
            db.session.rollback()
            form.files.errors = [str(error)]
    with tenant_scope(g.tenant):
        recent = db.session.scalars(sa.select(ImportRun).order_by(ImportRun.started_at.desc()).limit(100)).all()
    actors.prefetch(run.requested_by for run in recent)
    status = 400 if form.errors or (request.method == "POST" and form.files.errors) else 200
    return render_template("informieren/import_index.html", form=form, runs=recent, count_keys=COUNT_KEYS,
                           count_labels=COUNT_LABELS), status


def _start_upload(form: UploadForm):
    # Werkzeug spooled each file to a temporary file; its stream goes to the database in blocks, never whole.
    files = [(f.filename, f.stream) for f in form.files.data if getattr(f, "filename", "")]
    batch = runs.store(g.tenant, files)
    if sources.is_csv(files[0][0]):
        db.session.commit()
        return redirect(url_for("informieren.import_csv_mapping", batch=batch))
    names = ", ".join(name for name, _stream in files)
    run, _record = runs.request_import(g.tenant, batch, filename=names, since=_since(form))
    return redirect(url_for("informieren.import_show", import_id=run.id))  # the import's result, or its progress


def _mapping_form(table: csv_files.Table, proposed: dict):
    choices = [SelectChoice("", _("— keine Spalte —")),
               *(SelectChoice(str(i), f"{name or '?'} ({_('Spalte %(n)s', n=i + 1)})")
                 for i, name in enumerate(table.header))]

    class MappingForm(FlaskForm):
        since = UploadForm.since

        def validate_since(self, field):
            if field.data and field.data.strip():
                _parse_day(field.data)

    for target in csv_files.TARGETS:
        default = "" if proposed.get(target.key) is None else str(proposed[target.key])
        setattr(MappingForm, target.key, SelectField(target.label, choices=choices, default=default))
    return MappingForm()


@blueprint.route("/importe/csv/<uuid:batch>", methods=["GET", "POST"])
@requires(PERMISSION)
def import_csv_mapping(batch):
    with tenant_scope(g.tenant):
        files = runs.uploads(batch)
        if len(files) != 1:
            abort(404)
        upload = files[0]
    try:
        table = csv_files.read(upload.open(g.tenant))  # the header, ten rows to show, the count; read as a stream
    except csv_files.CsvError as error:
        return render_template("informieren/import_csv.html", error=str(error), upload=upload), 422
    form = _mapping_form(table, csv_files.propose(table.header))
    problems = []
    if form.validate_on_submit():
        mapping = {t.key: (int(form[t.key].data) if form[t.key].data else None) for t in csv_files.TARGETS}
        problems = csv_files.mapping_problems(mapping, table.header)
        if not problems:
            since = _parse_day(form.since.data) if form.since.data and form.since.data.strip() else None
            run, _record = runs.request_import(g.tenant, batch, filename=upload.filename, source=Source.CSV,
                                               since=since, mapping=mapping)
            return redirect(url_for("informieren.import_show", import_id=run.id))
    status = 400 if problems or form.errors else 200
    return render_template("informieren/import_csv.html", form=form, table=table, upload=upload,
                           preview=table.rows[:csv_files.MAX_PREVIEW_ROWS], targets=csv_files.TARGETS,
                           problems=problems), status


@blueprint.get("/importe/<uuid:import_id>")
@requires(PERMISSION)
def import_show(import_id):
    with tenant_scope(g.tenant):
        run = db.session.get(ImportRun, (g.tenant.id, import_id))
        if run is None:
            abort(404)
        query = sa.select(ImportItem).where(ImportItem.import_id == run.id)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        items = db.session.scalars(
            query.order_by(ImportItem.outcome, ImportItem.filename, ImportItem.position).limit(ITEMS_SHOWN)).all()
        job = db.session.get(jobs.JobRecord, (g.tenant.id, run.job_id)) if run.job_id else None
        new_people, new_total = created_people(run)
        people = _flagged_people(items)
    return render_template("informieren/import_show.html", run=run, items=items, total=total, job=job,
                           new_people=new_people, new_total=new_total, format_partial_date=format_partial_date,
                           count_keys=COUNT_KEYS, count_labels=COUNT_LABELS, outcome_labels=OUTCOME_LABELS,
                           detail_days=retention.IMPORT_DETAIL_DAYS, people=people)


def _flagged_people(items: list[ImportItem]) -> dict[str, Person]:
    """The persons a possible duplicate names (the new one and those it resembles), by id, as far as they exist."""
    ids = {uuid.UUID(value) for item in items if item.outcome == "duplicate"
           for value in [item.detail.get("person_id"), *item.detail.get("matches", ())] if value}
    if not ids:
        return {}
    return {str(person.id): person for person in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


# -- what the job page shows of an import -------------------------------------------------------------------


def created_people(run: ImportRun, limit: int = NEW_PEOPLE_SHOWN) -> tuple[list[Person], int]:
    """The persons the import entered (the first ``limit``, by name) and how many there are."""
    created = sa.select(PersonChange.person_id).where(PersonChange.import_id == run.id,
                                                      PersonChange.kind == "created")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(created.subquery()))
    people = db.session.scalars(sa.select(Person).where(Person.id.in_(created))
                                .order_by(Person.official_name, Person.first_name).limit(limit)).all()
    return people, total


def job_result(record: jobs.JobRecord):
    """The job page's account of an import: its counts, the new persons, the refused files with reasons."""
    run = db.session.get(ImportRun, (record.tenant_id, uuid.UUID(record.params["import"])))
    if run is None:
        return None
    new_people, new_total = created_people(run)
    refused = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == run.id,
                                                             ImportItem.outcome == "refused")
                                 .order_by(ImportItem.filename).limit(ITEMS_SHOWN)).all()
    return render_template("informieren/import_job_result.html", run=run, new_people=new_people,
                           new_total=new_total, refused=refused, count_keys=COUNT_KEYS, count_labels=COUNT_LABELS,
                           format_partial_date=format_partial_date)
