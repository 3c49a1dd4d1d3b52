"""The welcome-letter pages: counts and batches (/schreiben), a batch's households, the templates."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import clock, i18n, jobs, provisioning
from core.access import can, requires
from core.db import db
from core.documents.letter import links_for
from core.documents.letter import render as render_letters
from core.documents.text import is_rtl_language
from core.errors import UserError
from core.tenancy import served_municipalities
from plugins.informieren.blueprints import blueprint
from plugins.informieren.letters import batch, preview, templates
from plugins.informieren.letters.texts import DEFAULTS, PLACEHOLDERS
from plugins.informieren.models import Newcomer, WelcomeLetter

MANAGE = "informieren.letters.manage"
SETTINGS = "informieren.settings.manage"
BATCHES_SHOWN = 50


# -- forms ---------------------------------------------------------------------------------------


class BatchForm(FlaskForm):
    arrival_from = DateField(_l("Zuzug ab"), validators=[Optional()])
    arrival_to = DateField(_l("Zuzug bis"), validators=[Optional()])
    commune = SelectField(_l("Gemeinde"), validators=[Optional()])

    def validate_arrival_to(self, field):
        if field.data and self.arrival_from.data and field.data < self.arrival_from.data:
            raise ValidationError(_("Das Ende liegt vor dem Anfang."))


class SentForm(FlaskForm):
    sent_on = DateField(_l("Versandt am"), validators=[DataRequired(_l("Bitte ein Datum angeben."))])

    def validate_sent_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_("Das Versanddatum liegt in der Zukunft."))


class TemplateForm(FlaskForm):
    subject = StringField(_l("Betreff"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)])

    def validate_subject(self, field):
        _printable_with_known_placeholders(field)

    def validate_body(self, field):
        _printable_with_known_placeholders(field)


class NewTemplateForm(TemplateForm):
    language = SelectField(_l("Sprache"), validators=[DataRequired()])

    def validate_language(self, field):
        try:
            field.data = templates.check_language(field.data)
        except UserError as error:
            raise ValidationError(str(error)) from None
        if field.data in templates.templates():
            raise ValidationError(_("Für diese Sprache gibt es schon eine Vorlage."))


class ContactForm(FlaskForm):
    contact = TextAreaField(_l("Integrations-Ansprechstelle"), validators=[Length(max=500)],
                            description=_l("Name, Adresse, Telefon, E-Mail: erscheint im Absender und im Text "
                                           "({contact})."))

    def validate_contact(self, field):
        if error := templates.unprintable_error(field.data or ""):
            raise ValidationError(error)


def _printable_with_known_placeholders(field) -> None:
    errors = [*templates.placeholder_errors(field.data or ""), templates.unprintable_error(field.data or "")]
    if any(errors):
        raise ValidationError(" ".join(filter(None, errors)))


# -- counts, start, batches ------------------------------------------------------------------------


def _batch_form(formdata=None) -> BatchForm:
    """The filters of a batch: posted with the start, or in the preview's query string (no CSRF for a GET)."""
    form = BatchForm(formdata, prefix="batch", meta={"csrf": False}) if formdata is not None \
        else BatchForm(prefix="batch")
    communes = served_municipalities(g.tenant, clock.today())
    form.commune.choices = [SelectChoice("", _("Alle Gemeinden")),
                            *[SelectChoice(str(m.bfs_number), m.name) for m in communes]]
    return form


def _batches() -> list[dict]:
    """The recent batches (jobs) with their numbers of persons, households and letters sent."""
    rows = db.session.execute(
        sa.select(WelcomeLetter.job_id, sa.func.count(), sa.func.count(sa.distinct(WelcomeLetter.household_key)),
                  sa.func.sum(sa.case((WelcomeLetter.state == batch.SENT, 1), else_=0)),
                  sa.func.max(WelcomeLetter.generated_at))
        .group_by(WelcomeLetter.job_id).order_by(sa.func.max(WelcomeLetter.generated_at).desc()).limit(BATCHES_SHOWN)
    ).all()
    records = {record.id: record for record in db.session.scalars(
        sa.select(jobs.JobRecord).where(jobs.JobRecord.id.in_([row[0] for row in rows if row[0]])))}
    return [{"job_id": job_id, "persons": persons, "households": households, "sent": sent or 0,
             "generated_at": generated_at, "record": records.get(job_id)}
            for job_id, persons, households, sent, generated_at in rows]


def _index_page(form: BatchForm, status: int = 200):
    return render_template("informieren/letter_index.html", form=form, counts=batch.counts(),
                           batches=_batches(), may_manage=can(MANAGE), sent_form=SentForm(),
                           contact_missing=not provisioning.get_setting(g.tenant, templates.CONTACT_SETTING),
                           may_configure=can(SETTINGS), today=clock.today(),
                           batch_cap=format_number(batch.MAX_BATCH_PERSONS)), status


@blueprint.get("/schreiben", endpoint="letters")
@requires("informieren.newcomers.read")
def letters_index():
    return _index_page(_batch_form())


def _filters(form: BatchForm) -> dict:
    return {"arrival_from": form.arrival_from.data, "arrival_to": form.arrival_to.data,
            "commune": int(form.commune.data) if form.commune.data else None}


@blueprint.get("/schreiben/vorschau", endpoint="letters_preview")
@requires(MANAGE)
def letters_preview():
    """The batch the filters take, before anything is generated: envelopes and what stands in their way."""
    form = _batch_form(request.args)
    if not form.validate():
        return _index_page(form, 400)
    return _preview_page(form, preview.preview(batch.batch_params(**_filters(form))))


def _preview_page(form: BatchForm, shown: preview.BatchPreview, status: int = 200, chosen: set | None = None,
                  latin: frozenset | None = None, every_latin: bool = True):
    """``chosen``: the households ticked (default: those with a complete address); ``latin``: the persons whose
    names the envelope spells in Latin letters when not all are (default: all)."""
    if chosen is None:
        chosen = {letter.key for letter in shown.letters if not letter.gaps}
    return render_template(
        "informieren/letter_preview.html", form=form, shown=shown, fingerprint=preview.fingerprint(shown),
        chosen=chosen, latin=shown.latin_candidates() if latin is None else latin, every_latin=every_latin,
        all_latin=shown.latin_candidates(), language_name=i18n.language_name, missing=_missing,
        may_configure=can(SETTINGS), may_edit=can("informieren.newcomers.edit"),
        batch_cap=format_number(batch.MAX_BATCH_PERSONS)), status


def _missing(gaps: list[str]) -> str:
    """The missing parts of an address, named: «Strasse, Postleitzahl»."""
    labels = {"street": _("Strasse"), "postal_code": _("Postleitzahl"), "town": _("Ort")}
    return ", ".join(labels[gap] for gap in gaps)


@blueprint.post("/schreiben", endpoint="letters_start")
@requires(MANAGE)
def letters_start():
    """Generate exactly what the preview showed, as the officer chose; a batch changed since is shown again."""
    form = _batch_form()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    ids = [value for value in request.form.getlist("person") if batch_id(value)]
    shown = preview.preview(batch.batch_params(**_filters(form), persons=ids))
    chosen = set(request.form.getlist("household"))
    every_latin = request.form.get("umschrift", "alle") == "alle"
    latin = shown.latin_candidates() if every_latin else \
        shown.latin_candidates() & frozenset(filter(None, map(batch_id, request.form.getlist("latin"))))
    if not ids or request.form.get("fingerprint") != preview.fingerprint(shown):
        flash(_("Seit der Vorschau haben sich die wartenden Personen oder ihre Angaben geändert. Bitte die "
                "Vorschau nochmals prüfen."))
        return _preview_page(form, shown, 409, chosen, latin, every_latin)
    letters = [letter for letter in shown.letters if letter.key in chosen]
    if not letters:
        flash(_("Bitte mindestens einen Haushalt auswählen."))
        return _preview_page(form, shown, 400, chosen, latin, every_latin)
    persons = [person_id for letter in letters for person_id in letter.person_ids]
    incomplete = [person_id for letter in letters if letter.gaps for person_id in letter.person_ids]
    held_back = sum(1 for letter in shown.letters if letter.gaps and letter.key not in chosen)
    params = batch.batch_params(**_filters(form), persons=persons, include_incomplete=incomplete,
                                latin=[person_id for person_id in latin if person_id in set(persons)],
                                held_back=held_back)
    record = jobs.enqueue(batch.JOB_KIND, g.tenant, params)
    return redirect(url_for("jobs.show", job_id=record.id))


def batch_id(value: str) -> uuid.UUID | None:
    """A person id as the preview posts it; anything else is no id."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


def _batch_rows(job_id: uuid.UUID):
    rows = db.session.execute(
        sa.select(WelcomeLetter, Newcomer).join(Newcomer, Newcomer.id == WelcomeLetter.person_id)
        .where(WelcomeLetter.job_id == job_id)
    ).all()
    if not rows:
        abort(404)
    by_household: dict[str, dict] = {}
    for letter, person in rows:
        entry = by_household.setdefault(letter.household_key, {"key": letter.household_key, "letter": letter,
                                                               "persons": []})
        entry["persons"].append(person)
    for entry in by_household.values():
        entry["persons"].sort(key=batch.member_order)
    return sorted(by_household.values(), key=lambda e: (e["persons"][0].official_name.casefold(), e["key"]))


@blueprint.get("/schreiben/serien/<uuid:job_id>", endpoint="letter_batch")
@requires("informieren.newcomers.read")
def letter_batch(job_id):
    households = _batch_rows(job_id)
    record = db.session.get(jobs.JobRecord, (g.tenant.id, job_id))
    return render_template("informieren/letter_batch.html", job_id=job_id, record=record, households=households,
                           may_manage=can(MANAGE), sent_form=SentForm(sent_on=clock.today()),
                           language_name=i18n.language_name, address_gaps=batch.address_gaps, missing=_missing)


@blueprint.post("/schreiben/serien/<uuid:job_id>/versandt", endpoint="letters_mark_sent")
@requires(MANAGE)
def letters_mark_sent(job_id):
    known = {entry["key"] for entry in _batch_rows(job_id)}
    form = SentForm()
    chosen = request.form.getlist("household")
    if not form.validate_on_submit():
        flash(" ".join(str(error) for error in form.sent_on.errors) or _("Bitte ein gültiges Datum angeben."))
        return redirect(_back(job_id))
    if request.form.get("scope") == "selected":
        if not chosen:
            flash(_("Bitte mindestens einen Haushalt auswählen."))
            return redirect(url_for("informieren.letter_batch", job_id=job_id))
        keys = [key for key in chosen if key in known]
    else:
        keys = None
    changed = batch.mark_sent(job_id, form.sent_on.data, keys)
    db.session.commit()
    flash(ngettext("Das Schreiben von %(num)s Person ist als versandt markiert.",
                   "Die Schreiben von %(num)s Personen sind als versandt markiert.", changed) if changed
          else _("Diese Schreiben waren schon als versandt markiert."))
    return redirect(_back(job_id))


def _back(job_id) -> str:
    """Where a form came from: the overview or the batch's page (never a URL the client names)."""
    if request.form.get("back") == "index":
        return url_for("informieren.letters")
    return url_for("informieren.letter_batch", job_id=job_id)


@blueprint.post("/schreiben/serien/<uuid:job_id>/neu", endpoint="letters_regenerate")
@requires(MANAGE)
def letters_regenerate(job_id):
    households = {entry["key"]: entry for entry in _batch_rows(job_id)}
    chosen = [households[key] for key in request.form.getlist("household") if key in households]
    if not chosen:
        flash(_("Bitte mindestens einen Haushalt auswählen."))
        return redirect(url_for("informieren.letter_batch", job_id=job_id))
    person_ids = [person.id for entry in chosen for person in entry["persons"]]
    record = jobs.enqueue(batch.JOB_KIND, g.tenant, batch.batch_params(regenerate=person_ids))
    return redirect(url_for("jobs.show", job_id=record.id))


# -- templates ---------------------------------------------------------------------------------------


def _language_choices(taken) -> list[SelectChoice]:
    """Every language a template may be in (ISO 639-1, a locale Babel has), named in the user's language."""
    return [SelectChoice(code, f"{name} ({code})") for code, name in i18n.languages().items()
            if code not in taken and _usable(code)]


def _usable(code: str) -> bool:
    try:
        templates.check_language(code)
    except UserError:
        return False
    return True


def _templates_page(new_form: NewTemplateForm, contact_form: ContactForm, status: int = 200):
    current = templates.templates()
    new_form.language.choices = _language_choices(current)
    return render_template("informieren/letter_templates.html", templates=current.values(), new_form=new_form,
                           contact_form=contact_form, placeholders=PLACEHOLDERS, shipped=DEFAULTS,
                           language_name=i18n.language_name,
                           fallback=templates.FALLBACK_LANGUAGE), status


def _contact_form() -> ContactForm:
    return ContactForm(prefix="contact", contact=provisioning.get_setting(g.tenant, templates.CONTACT_SETTING))


@blueprint.get("/schreiben/vorlagen", endpoint="letter_templates")
@requires(SETTINGS)
def letter_templates():
    subject, body = DEFAULTS[templates.FALLBACK_LANGUAGE]
    return _templates_page(NewTemplateForm(prefix="new", subject=subject, body=body), _contact_form())


@blueprint.post("/schreiben/vorlagen", endpoint="letter_template_add")
@requires(SETTINGS)
def letter_template_add():
    form = NewTemplateForm(prefix="new")
    form.language.choices = _language_choices(templates.templates())
    form.language.validate_choice = False  # validate_language names the problem in words
    if not form.validate_on_submit():
        return _templates_page(form, _contact_form(), 400)
    templates.save_template(form.language.data, form.subject.data, form.body.data, new=True)
    db.session.commit()
    flash(_("Die Vorlage ist gespeichert."))
    return redirect(url_for("informieren.letter_templates"))


@blueprint.post("/schreiben/vorlagen/kontakt", endpoint="letter_contact")
@requires(SETTINGS)
def letter_contact():
    form = ContactForm(prefix="contact")
    if not form.validate_on_submit():
        subject, body = DEFAULTS[templates.FALLBACK_LANGUAGE]
        return _templates_page(NewTemplateForm(prefix="new", subject=subject, body=body), form, 400)
    tenant = _editable_tenant()
    provisioning.set_setting(tenant, templates.CONTACT_SETTING, (form.contact.data or "").strip())
    db.session.commit()
    flash(_("Die Ansprechstelle ist gespeichert."))
    return redirect(url_for("informieren.letter_templates"))


def _editable_tenant():
    from core.tenancy import get_tenant

    return get_tenant(g.tenant.slug)


def _template_or_404(language: str):
    row = templates.templates().get(language)
    if row is None:
        abort(404)
    return row


@blueprint.route("/schreiben/vorlagen/<language>", methods=["GET", "POST"], endpoint="letter_template_edit")
@requires(SETTINGS)
def letter_template_edit(language):
    row = _template_or_404(language)
    form = TemplateForm(obj=row)
    if form.validate_on_submit():
        templates.save_template(language, form.subject.data, form.body.data)
        db.session.commit()
        flash(_("Die Vorlage ist gespeichert."))
        return redirect(url_for("informieren.letter_templates"))
    status = 400 if request.method == "POST" else 200
    return render_template("informieren/letter_edit.html", form=form, template=row, placeholders=PLACEHOLDERS,
                           name=i18n.language_name(language), rtl=is_rtl_language(language),
                           fallback=templates.FALLBACK_LANGUAGE), status


@blueprint.post("/schreiben/vorlagen/<language>/loeschen", endpoint="letter_template_delete")
@requires(SETTINGS)
def letter_template_delete(language):
    _template_or_404(language)
    templates.delete_template(language)
    db.session.commit()
    flash(_("Die Vorlage ist gelöscht."))
    return redirect(url_for("informieren.letter_templates"))


@blueprint.get("/schreiben/vorlagen/<language>/vorschau", endpoint="letter_template_preview")
@requires(SETTINGS)
def letter_template_preview(language):
    """The template as a PDF for a made-up household (nothing is stored)."""
    row = _template_or_404(language)
    communes = served_municipalities(g.tenant, clock.today())
    commune = communes[0] if communes else None
    sample = [Newcomer(id=uuid.uuid4(), official_name="Muster", first_name=first, date_of_birth=born,
                     arrival_date=clock.today(), municipality_bfs=commune.bfs_number if commune else 0,
                     street="Musterstrasse", house_number="1", postal_code="4500", town=commune and commune.name,
                     languages=[language]) for first, born in (("Ana", "1985"), ("Luís", "1983"))]
    letter = batch.compose(batch.Household("preview", sample), row, g.tenant.name,
                           commune.name if commune else g.tenant.name,
                           provisioning.get_setting(g.tenant, templates.CONTACT_SETTING) or "", clock.today(),
                           links_for(g.tenant, language))
    return Response(render_letters([letter]), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="vorschau-{language}.pdf"'})
