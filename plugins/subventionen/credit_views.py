"""The canton's pages of a year's setup: the credits (``/kanton/subventionen/kredit``), one year with its rule
versions (``…/kredit/<year>``), a new version (``…/regeln/neu``) and an older one (``…/regeln/<version>``)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from core.access import requires
from core.db import db
from core.errors import UserError
from plugins.subventionen import credit
from plugins.subventionen.access import CREDIT_MANAGE
from plugins.subventionen.credit_forms import CreditForm, VersionForm, plain_chf, rows_of
from plugins.subventionen.pages import blueprint


@blueprint.route("/kredit", endpoint="credits", methods=['GET', 'POST'])
@requires(CREDIT_MANAGE)
def credits_page():
    form = CreditForm()
    error = None
    if request.method == "GET":
        _prefill_next_year(form)
    elif form.validate_on_submit():
        error = _set(form)
        if error is None:
            return redirect(url_for("subventionen.credit_year", year=form.year.data))
    return _credits(form, error)


def _credits(form, error):
    status = 400 if request.method == "POST" else 200
    return render_template("subventionen/credits.html", form=form, error=error, credits=credit.credits(),
                           versions=credit.current_versions()), status


def _prefill_next_year(form: CreditForm) -> None:
    years = [found.year for found in credit.credits()]
    year = max(years) + 1 if years else credit.FIRST_YEAR
    form.year.data = year
    form.claims_from.data, form.claims_until.data = date(year, 1, 1), date(year, 12, 31)
    form.deadline.data = date(year + 1, 3, 31)


def _set(form: CreditForm) -> str | None:
    """Save the form's credit; the error message, or None when saved."""
    try:
        credit.set_credit(form.year.data, form.amount.rappen, form.claims_from.data, form.claims_until.data,
                          form.deadline.data)
    except UserError as refused:
        db.session.rollback()
        return str(refused)
    db.session.commit()
    flash(_("Der Kredit %(year)s ist gespeichert.", year=form.year.data))
    return None


@blueprint.route("/kredit/<int:year>", endpoint="credit_year", methods=['GET', 'POST'])
@requires(CREDIT_MANAGE)
def year_page(year):
    found = credit.credit_of(year)
    if found is None:
        abort(404)
    form = CreditForm()
    error = None
    if request.method == "GET":
        form.year.data, form.claims_from.data, form.claims_until.data = year, found.claims_from, found.claims_until
        form.amount.data, form.deadline.data = plain_chf(found.amount), found.deadline
    else:
        form.year.data = year  # the year is the page's
        if form.validate_on_submit():
            error = _set(form)
            if error is None:
                return redirect(url_for("subventionen.credit_year", year=year))
    current = credit.current_version(year)
    return render_template(
        "subventionen/credit_year.html", credit=found, form=form, error=error, versions=credit.versions(year),
        current=current, rules=credit.rules_of(year, current.version) if current else [],
        describe=credit.shown, frozen=credit.frozen_message(year), committed=credit.committed(year),
    ), 400 if request.method == "POST" else 200


@blueprint.route("/kredit/<int:year>/regeln/neu", endpoint="rules_new", methods=['GET', 'POST'])
@requires(CREDIT_MANAGE)
def new_version(year):
    if credit.credit_of(year) is None:
        abort(404)
    current = credit.current_version(year)
    frozen = credit.frozen_message(year)
    form = VersionForm()
    error = frozen
    if request.method == "GET":
        form = VersionForm(data={"rules": rows_of(credit.rules_of(year, current.version) if current else []),
                                 "based_on": str(current.version) if current else ""})
    elif frozen is None and form.validate_on_submit():
        based_on = int(form.based_on.data) if (form.based_on.data or "").isdigit() else None
        try:
            with db.session.begin_nested():
                saved = credit.save_version(year, form.drafts(), form.note.data, based_on)
        except UserError as refused:
            db.session.rollback()
            error = str(refused)
        except IntegrityError:  # another version of the same number was saved at the same moment
            db.session.rollback()
            error = _("Inzwischen wurde eine andere Version der Regeln %(year)s gespeichert; bitte neu laden.",
                      year=year)
        else:
            db.session.commit()
            flash(_("Version %(version)s der Regeln %(year)s gilt ab jetzt.", version=saved.version, year=year))
            return redirect(url_for("subventionen.credit_year", year=year))
    status = 400 if request.method == "POST" else 200
    return render_template("subventionen/rules_edit.html", year=year, form=form, error=error, current=current,
                           frozen=frozen), status


@blueprint.get("/kredit/<int:year>/regeln/<int:version>", endpoint="rules_version")
@requires(CREDIT_MANAGE)
def version_page(year, version):
    found = next((item for item in credit.versions(year) if item.version == version), None)
    if found is None:
        abort(404)
    return render_template("subventionen/rules_version.html", year=year, version=found,
                           rules=credit.rules_of(year, version), describe=credit.shown,
                           current=credit.current_version(year))
