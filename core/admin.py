"""Administration in a tenant: members and their roles, role permissions, the audit log, API tokens."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, NumberRange, Optional, ValidationError

from core import actors, api, audit, audit_view, sessions
from core import content_languages as languages
from core.access import (
    Membership,
    can,
    declared_permissions,
    requires,
    role_label,
    role_labels,
    role_permissions,
    roles_for,
    set_grant,
)
from core.auth import User
from core.clock import ZURICH
from core.db import db
from core.errors import UserError
from core.form_fields import MultiCheckboxField
from core.i18n import language as current_language
from core.input_guard import page_number
from core.spreadsheet import csv_row
from core.tenancy import Tenant, canton_scope, get_tenant, tenant_scope

admin = Blueprint("admin", __name__, url_prefix="/<tenant>")


def target_tenant() -> Tenant:
    """The tenant administered: the current one, or (for the canton) the one named in ``mandant``."""
    slug = request.args.get("mandant")
    if not slug or slug == g.tenant.slug:
        return g.tenant
    if not (g.tenant.is_canton and can("core.tenants.manage")):
        abort(404)
    try:
        return get_tenant(slug)
    except UserError:
        abort(404)


# -- members -----------------------------------------------------------------------------


class RoleField(SelectField):
    """A role of the tenant; one it does not offer (or a made-up one) is refused in words."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_("Diese Rolle gibt es in diesem Mandanten nicht."))


class MemberForm(FlaskForm):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(), Email()])
    role = RoleField(_l("Rolle"), validators=[DataRequired()])


def role_choices(tenant: Tenant) -> list[SelectChoice]:
    return [SelectChoice(role, role_label(role)) for role in roles_for(tenant)]


@admin.route("/mitglieder", methods=["GET", "POST"])
@requires("core.members.manage")
def members():
    tenant = target_tenant()
    form = MemberForm()
    form.role.choices = role_choices(tenant)
    if form.validate_on_submit():
        users = db.session.scalars(sa.select(User).where(sa.func.lower(User.email) == form.email.data.lower())).all()
        if len(users) != 1:
            form.email.errors.append(
                _("Niemand mit dieser Adresse hat sich bisher angemeldet.")
                if not users
                else _("Mehrere Personen haben diese Adresse; bitte wenden Sie sich an den Kanton.")
            )
        else:
            add_member(tenant, users[0], form.role.data)
            db.session.commit()
            flash(_("%(name)s ist jetzt Mitglied.", name=users[0].name))
            return redirect(request.full_path.rstrip("?"))
    return render_template("admin/members.html", target=tenant, form=form, rows=_member_rows(tenant))


@admin.post("/mitglieder/<int:user_id>/<role>/entfernen")
@requires("core.members.manage")
def remove_member(user_id, role):
    tenant = target_tenant()
    with tenant_scope(tenant):
        membership = db.session.get(Membership, (tenant.id, user_id, role))
        if membership is None:
            abort(404)
        db.session.delete(membership)
        audit.record("membership.remove", object_type="user", object_id=user_id, detail={"role": role})
    sessions.end_sessions_of(user_id)  # the user signs in again, with the rights left
    db.session.commit()
    flash(_("Die Rolle wurde entzogen."))
    return redirect(url_for("admin.members", mandant=request.args.get("mandant")))


def add_member(tenant: Tenant, user: User, role: str) -> None:
    if role not in roles_for(tenant):
        raise UserError(_("Diese Rolle gibt es in diesem Mandanten nicht."))
    with tenant_scope(tenant):
        if db.session.get(Membership, (tenant.id, user.id, role)) is None:
            db.session.add(Membership(user_id=user.id, role=role, granted_by=audit.current_actor()))
            audit.record("membership.add", object_type="user", object_id=user.id, detail={"role": role})


def _member_rows(tenant):
    with tenant_scope(tenant):
        return db.session.execute(
            sa.select(Membership, User).join(User, User.id == Membership.user_id).order_by(User.name, Membership.role)
        ).all()


# -- role permissions --------------------------------------------------------------------------


@admin.route("/rollen", methods=["GET", "POST"])
@requires("core.members.manage")
def roles():
    tenant = target_tenant()
    roles_ = roles_for(tenant)
    permissions = declared_permissions(tenant)
    current = role_permissions(tenant)
    if request.method == "POST":  # CSRFProtect has checked the token
        for role in roles_:
            for permission in permissions:
                wanted = f"{role}:{permission}" in request.form
                if wanted != (permission in current[role]):
                    set_grant(tenant, role, permission, wanted)
        db.session.commit()
        flash(_("Die Berechtigungen sind gespeichert."))
        return redirect(request.full_path.rstrip("?"))
    return render_template(
        "admin/roles.html", target=tenant, roles=roles_, labels=role_labels(), permissions=permissions,
        current=current,
    )


# -- audit log -----------------------------------------------------------------------------------


class AuditFilter(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = StringField(_l("Aktion"), validators=[Optional()])
    actor = StringField(_l("Wer"), validators=[Optional()])
    since = DateField(_l("Von"), validators=[Optional()])
    until = DateField(_l("Bis"), validators=[Optional()])
    mandant = StringField(_l("Mandant"), validators=[Optional()])


PAGE_SIZE = 100


def _audit_query(form: AuditFilter):
    query = sa.select(audit.AuditEvent, Tenant.slug).join(Tenant, Tenant.id == audit.AuditEvent.tenant_id)
    if form.action.data:
        query = query.where(audit.AuditEvent.action.startswith(form.action.data.strip()))
    if form.actor.data:
        query = query.where(audit.AuditEvent.actor.in_(_actors_named(form.actor.data.strip())))
    if form.since.data:
        query = query.where(audit.AuditEvent.occurred_at >= _swiss_midnight(form.since.data))
    if form.until.data:
        query = query.where(audit.AuditEvent.occurred_at < _swiss_midnight(form.until.data + timedelta(days=1)))
    if form.mandant.data:
        query = query.where(Tenant.slug == form.mandant.data.strip())
    return query.order_by(audit.AuditEvent.occurred_at.desc())


def _actors_named(text: str) -> list[str]:
    """The actors a filter means: one written as stored (``system:…``), or the users whose name contains it."""
    if ":" in text:
        return [text]
    users = db.session.scalars(sa.select(User.id).where(User.name.ilike(f"%{text}%")).limit(100))
    return [f"user:{user_id}" for user_id in users]


def _swiss_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZURICH)


def _audit_rows(form: AuditFilter, limit: int | None, offset: int = 0):
    query = _audit_query(form).offset(offset)
    if limit:
        query = query.limit(limit)
    if g.tenant.is_canton and can("core.canton.read"):
        with canton_scope("audit log"):
            rows = db.session.execute(query).all()
            db.session.commit()
        return rows
    return db.session.execute(query).all()


@admin.get("/protokoll")
@requires("core.audit.read")
def audit_log():
    form = AuditFilter(request.args)
    page = page_number(request.args.get("seite"))
    rows = _audit_rows(form, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE) if form.validate() else []
    return render_template(
        "admin/audit.html", form=form, entries=audit_view.entries(rows[:PAGE_SIZE]), page=page,
        more=len(rows) > PAGE_SIZE
    )


@admin.get("/protokoll.csv")
@requires("core.audit.read")
def audit_csv():
    form = AuditFilter(request.args)
    if not form.validate():
        abort(400)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["occurred_at", "tenant", "actor", "action", "object_type", "object_id", "detail",
                     "actor_name", "action_label"])
    rows = _audit_rows(form, None)
    actors.prefetch(event.actor for event, _slug in rows)
    for event, slug in rows:
        writer.writerow(csv_row([event.occurred_at.isoformat(), slug, event.actor, event.action,
                                 event.object_type or "", audit.clean_ref(event.object_id), event.detail,
                                 actors.label(event.actor), audit.action_label(event.action)]))
    return Response(
        "\ufeff" + buffer.getvalue(),  # a BOM, so that Excel reads UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="protokoll-{g.tenant.slug}.csv"'},
    )


# -- API tokens ----------------------------------------------------------------------------------------


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    scopes = MultiCheckboxField(_l("Berechtigungen"), validators=[DataRequired()])
    days = IntegerField(_l("Gültig (Tage)"), default=365, validators=[DataRequired(), NumberRange(1, 730)])


@admin.route("/api-tokens", methods=["GET", "POST"])
@requires("core.tokens.manage")
def tokens():
    form = TokenForm()
    form.scopes.choices = [SelectChoice(scope) for scope in sorted(api.declared_scopes())]
    created = None
    if form.validate_on_submit():
        _row, created = api.issue_token(g.tenant, form.name.data, form.scopes.data, form.days.data)
        db.session.commit()
    return render_template("admin/tokens.html", form=form, tokens=api.list_tokens(g.tenant), created=created)


@admin.post("/api-tokens/<token_id>/widerrufen")
@requires("core.tokens.manage")
def revoke(token_id):
    api.revoke_token(g.tenant, token_id)
    db.session.commit()
    flash(_("Das Token wurde widerrufen."))
    return redirect(url_for("admin.tokens"))



# -- content languages -----------------------------------------------------------------------------------


class ContentLanguagesForm(FlaskForm):
    languages = MultiCheckboxField(_l("Inhaltssprachen"))


@admin.route("/inhaltssprachen", methods=["GET", "POST"])
@requires("core.content_languages.manage")
def content_languages():
    """The languages the tenant's public pages offer content in (German always)."""
    tenant = target_tenant()
    form = ContentLanguagesForm()
    form.languages.choices = [SelectChoice(code) for code in languages.CODES if code != languages.GERMAN]
    if form.validate_on_submit():
        if languages.set_offered(tenant, form.languages.data):
            db.session.commit()
        flash(_("Die Inhaltssprachen sind gespeichert."))
        return redirect(request.full_path.rstrip("?"))
    chosen = set(form.languages.data or ()) if form.is_submitted() else set(languages.offered(tenant))
    rows = [(languages.language(code), languages.name_in(code, current_language()), code in chosen)
            for code in languages.CODES]
    return render_template("admin/content_languages.html", target=tenant, form=form, rows=rows)
