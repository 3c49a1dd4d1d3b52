"""A module with a public page for the tests: offers with translated titles and texts.

The offers are kept in a tenant setting (a list of ``{"title": {lang: text}, "text": {...}}``), so the
plugin needs no table; staff add one through a form with a :class:`TranslationsField` per text.
"""

from __future__ import annotations

import types

from flask import Blueprint, flash, g, redirect, render_template_string, url_for
from flask_wtf import FlaskForm

from core import provisioning
from core.access import requires
from core.db import db
from core.plugins import Manifest, MenuEntry, Permission, Setting, SettingType
from core.public import public_page
from core.translations_field import TranslationsField

ITEMS = "test_public.items"
staff = Blueprint("test_public", __name__)
public_pages = Blueprint("test_public_pages", __name__)

plugin = types.ModuleType("test_public")
plugin.manifest = Manifest(
    id="test_public",
    title="Test offers",
    version="1.0",
    url_prefix="/angebote-test",
    blueprint=staff,
    public_blueprint=public_pages,
    settings=(Setting(ITEMS, [], type=SettingType.JSON),),
    permissions=(Permission("test_public.edit", "Edit offers", ("integration_officer",)),),
    menu=(MenuEntry("Offers (staff)", "test_public.edit", "test_public.edit"),),
)

PUBLIC_PAGE = """{% extends "public_base.html" %}
{% from "public/_macros.html" import text %}
{% block title %}{{ _("Integrationsangebote") }}{% endblock %}
{% block content %}
<h1{{ ui_attrs() }}>{{ _("Integrationsangebote") }}</h1>
<ul class="items">
{% for item in items %}
  {# One note per offer: on the title where it is German, else on the text where that is. #}
  <li>{{ text(item.title, tag="h2") }}
    {{- text(item.text, class="text", mark=not translated(item.title).is_fallback) }}</li>
{% endfor %}
</ul>
{% endblock %}"""

STAFF_PAGE = """{% extends "base.html" %}
{% block content %}
<form method="post" class="form">
  {{ form.csrf_token }}
  {{ form.title() }}{% for error in form.title.errors %}<p class="error">{{ error }}</p>{% endfor %}
  {{ form.text() }}
  <button type="submit">Save</button>
</form>
{% endblock %}"""


class OfferForm(FlaskForm):
    title = TranslationsField("Titel", multiline=False)
    text = TranslationsField("Beschreibung")


@public_pages.get("/")
@public_page
def offers():
    return render_template_string(PUBLIC_PAGE, items=provisioning.get_setting(g.tenant, ITEMS))


@staff.route("/neu", methods=["GET", "POST"])
@requires("test_public.edit")
def edit():
    form = OfferForm()
    if form.validate_on_submit():
        items = provisioning.get_setting(g.tenant, ITEMS)
        provisioning.set_setting(g.tenant, ITEMS, [*items, {"title": form.title.data, "text": form.text.data}])
        db.session.commit()
        flash("saved")
        return redirect(url_for("test_public_pages.offers"))
    return render_template_string(STAFF_PAGE, form=form), 200 if not form.errors else 400
