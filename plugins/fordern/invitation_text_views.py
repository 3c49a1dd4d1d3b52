"""The page of the tenant's own invitation texts, one per content language Fordern does not translate."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core import content_languages, i18n, provisioning
from core.access import requires
from core.db import db
from plugins.fordern import invitation_texts
from plugins.fordern.pages import EDIT, blueprint


@blueprint.route("/einladungstexte", methods=["GET", "POST"], endpoint="invitation_texts")
@requires(EDIT)
def edit():
    codes = invitation_texts.editable_languages(g.tenant)
    stored = invitation_texts.texts(g.tenant)
    form = FlaskForm()
    if request.method == "GET":
        return _page(form, codes, stored, {})
    entered = {code: request.form.get(f"text-{code}", "").replace("\r\n", "\n").strip() for code in codes}
    errors = {code: found for code, text in entered.items() if text and (found := invitation_texts.problem(text))}
    if not form.validate_on_submit() or errors:
        return _page(form, codes, entered, errors)
    kept = {code: text for code, text in stored.items() if code not in codes}  # nothing typed elsewhere is lost
    provisioning.set_setting(g.tenant, invitation_texts.SETTING, kept | {c: t for c, t in entered.items() if t})
    db.session.commit()
    flash(_("Die Einladungstexte sind gespeichert."))
    return redirect(url_for(".invitation_texts"))


def _page(form, codes, texts, errors):
    names = {code: (i18n.language_name(code), content_languages.language(code)) for code in codes}
    status = 400 if errors or form.errors else 200
    return render_template("fordern/invitation_texts.html", form=form, codes=codes, texts=texts, errors=errors,
                           names=names, placeholders=invitation_texts.PLACEHOLDERS), status
