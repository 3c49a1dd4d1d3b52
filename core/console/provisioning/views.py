"""Provisioning and the module plan: tenants, regional groups, communes, mergers, invitations, modules.

The views call :mod:`core.provisioning` and :mod:`core.modules`, the code paths of the
CLI and the tenant files.  Changes that move communes between tenants, and plans for
many tenants, are shown as a preview first and carried out by a second POST that
computes the plan again, so sending it twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, NumberRange, Optional

from core import clock, modules, provisioning
from core.access import Role, can, requires
from core.admin import RoleField, role_choices
from core.auth import actor_names
from core.db import db
from core.errors import NotFound, UserError
from core.form_fields import MultiCheckboxField
from core.module_matrix import build_matrix  # the rollout dashboard's matrix, with every tenant
from core.tenancy import Municipality, Tenant, TenantKind, TenantMunicipality, TenantState, canton_scope, get_tenant

# The historical name of the console's blueprint: its endpoints stay console.tenants, console.module_plan, …
blueprint = Blueprint("console", __name__, template_folder="templates")


def _target(slug: str) -> Tenant:
    try:
        return get_tenant(slug, include_archived=True)
    except NotFound:
        abort(404)


def _active_target(slug: str) -> Tenant:
    tenant = _target(slug)
    if tenant.state != TenantState.ACTIVE:
        raise UserError(_("%(tenant)s ist archiviert; archivierte Mandanten bleiben unverändert.", tenant=tenant.name))
    return tenant


def _commit_or_form_error(form, field, action):
    """Run ``action``; a refusal becomes the field's error and nothing is written."""
    try:
        result = action()
        db.session.commit()
        return result
    except UserError as error:
        db.session.rollback()
        field.errors.append(str(error))
    except sa.exc.IntegrityError:  # the same form sent twice at once: the slug's unique key decides
        db.session.rollback()
        field.errors.append(_("Der Mandant besteht schon (Formular doppelt gesendet?)."))
    return None


# -- the list of tenants ---------------------------------------------------------------------------


@blueprint.get("/mandanten")
@requires("core.canton.read")
def tenants():
    matrix = build_matrix(clock.today(), include_archived=True, include_canton=True, reason="canton tenant list")
    db.session.commit()  # the canton scope's audit record
    return render_template("console/tenants.html", matrix=matrix)


# -- creating tenants --------------------------------------------------------------------------------


class CommuneTenantForm(FlaskForm):
    commune = SelectField(_l("Gemeinde"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional()], description=_l("leer: der Name der Gemeinde"))
    slug = StringField(_l("Kürzel (in der Adresse)"), validators=[Optional()],
                       description=_l("leer: aus dem Namen vorgeschlagen"))
    valid_from = DateField(_l("Betreut ab"), validators=[DataRequired()], default=clock.today)


class RegionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    slug = StringField(_l("Kürzel (in der Adresse)"), validators=[Optional()],
                       description=_l("leer: aus dem Namen vorgeschlagen"))
    communes = MultiCheckboxField(_l("Gemeinden"), coerce=int, validators=[DataRequired()])
    valid_from = DateField(_l("Betreut ab"), validators=[DataRequired()], default=clock.today)


def _commune_choices(day: date) -> list[SelectChoice]:
    return [
        SelectChoice(m.bfs_number, f"{m.name} ({m.bfs_number}, {m.district})",
                     render_kw={"data-name": m.name, "data-slug": provisioning.propose_slug(m.name)})
        for m in provisioning.free_municipalities(day)
    ]


@blueprint.route("/mandanten/neu", methods=["GET", "POST"])
@requires("core.tenants.manage")
def create_commune():
    form = CommuneTenantForm()
    form.commune.choices = _commune_choices(clock.today())
    if form.validate_on_submit():
        commune = db.session.get(Municipality, form.commune.data)
        name = (form.name.data or "").strip() or commune.name
        slug = (form.slug.data or "").strip() or provisioning.propose_slug(name)
        tenant = _commit_or_form_error(form, form.slug, lambda: provisioning.create_tenant(
            slug, name, TenantKind.COMMUNE, [commune.bfs_number], form.valid_from.data))
        if tenant is not None:
            flash(_("Der Mandant %(name)s ist eingerichtet.", name=tenant.name))
            return redirect(url_for("console.tenant_detail", slug=tenant.slug))
    return render_template("console/create_commune.html", form=form)


@blueprint.route("/mandanten/neue-region", methods=["GET", "POST"])
@requires("core.tenants.manage")
def create_region():
    form = RegionForm()
    form.communes.choices = [SelectChoice(c.value, c.label) for c in _commune_choices(clock.today())]
    if form.validate_on_submit():
        slug = (form.slug.data or "").strip() or provisioning.propose_slug(form.name.data)
        tenant = _commit_or_form_error(form, form.communes, lambda: provisioning.create_tenant(
            slug, form.name.data, TenantKind.REGION, form.communes.data, form.valid_from.data))
        if tenant is not None:
            flash(_("Der Mandant %(name)s ist eingerichtet.", name=tenant.name))
            return redirect(url_for("console.tenant_detail", slug=tenant.slug))
    return render_template("console/create_region.html", form=form)


# -- one tenant ----------------------------------------------------------------------------------------


class RenameForm(FlaskForm):
    name = StringField(_l("Neuer Name"), validators=[DataRequired()])


class ArchiveForm(FlaskForm):
    confirm = BooleanField(_l("Ja, archivieren: die Seiten und Anmeldungen schliessen, die Daten bleiben."),
                           validators=[DataRequired()])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(), Email()])
    role = RoleField(_l("Rolle"), validators=[DataRequired()], default=Role.TENANT_ADMIN.value)
    days = IntegerField(_l("Gültig (Tage)"), default=provisioning.INVITATION_DAYS,
                        validators=[DataRequired(), NumberRange(1, 90)])


class TenantModuleForm(FlaskForm):
    action = SelectField(_l("Aktion"), choices=[
        SelectChoice("entitle", _l("freigeben")),
        SelectChoice("activate", _l("aktivieren (ab Datum; leer: sofort)")),
        SelectChoice("suspend", _l("ausschalten")),
    ])
    day = DateField(_l("Ab"), validators=[Optional()])


def _invite_form(tenant: Tenant) -> InviteForm:
    form = InviteForm(prefix="invite")
    form.role.choices = role_choices(tenant)
    return form


def _detail_page(tenant: Tenant, invite_form: InviteForm | None = None, rename_form: RenameForm | None = None,
                 status: int = 200):
    with canton_scope("tenant details"):
        links = db.session.scalars(
            sa.select(TenantMunicipality).where(TenantMunicipality.tenant_id == tenant.id)
            .order_by(TenantMunicipality.valid_from, TenantMunicipality.bfs_number)
        ).all()
        db.session.commit()
    states = modules.activations(tenant)
    page = render_template(
        "console/tenant.html", target=tenant, links=links, today=clock.today(),
        states=states, modules=modules.registry().modules, history=_history(tenant),
        who=actor_names(row.changed_by for row in states.values()),
        invitations=provisioning.invitations(tenant),
        rename_form=rename_form or RenameForm(prefix="rename", name=tenant.name),
        archive_form=ArchiveForm(prefix="archive"), invite_form=invite_form or _invite_form(tenant),
        module_form=TenantModuleForm(prefix="module"),
    )
    return page, status


@blueprint.get("/mandanten/<slug>")
@requires("core.canton.read")
def tenant_detail(slug):
    return _detail_page(_target(slug))


@blueprint.post("/mandanten/<slug>/umbenennen")
@requires("core.tenants.manage")
def rename(slug):
    tenant = _active_target(slug)
    form = RenameForm(prefix="rename")
    if form.validate_on_submit() and _commit_or_form_error(
            form, form.name, lambda: provisioning.rename_tenant(tenant, form.name.data) or True):
        flash(_("Der Mandant heisst jetzt %(name)s.", name=tenant.name))
        return redirect(url_for("console.tenant_detail", slug=slug))
    return _detail_page(tenant, rename_form=form, status=400)


@blueprint.post("/mandanten/<slug>/archivieren")
@requires("core.tenants.manage")
def archive(slug):
    tenant = _target(slug)
    form = ArchiveForm(prefix="archive")
    if not form.validate_on_submit():
        flash(_("Bitte bestätigen Sie das Archivieren."))
        return redirect(url_for("console.tenant_detail", slug=slug))
    provisioning.archive_tenant(tenant)
    db.session.commit()
    flash(_("%(name)s ist archiviert: seine Seiten und Anmeldungen sind geschlossen, seine Daten bleiben.",
            name=tenant.name))
    return redirect(url_for("console.tenant_detail", slug=slug))


@blueprint.post("/mandanten/<slug>/einladungen")
@requires("core.tenants.manage")
def invite(slug):
    tenant = _active_target(slug)
    form = _invite_form(tenant)
    if form.validate_on_submit():
        result = _commit_or_form_error(form, form.email, lambda: provisioning.invite(
            tenant, form.email.data, form.role.data, form.days.data))
        if result is not None:
            invitation, created = result
            flash(_("%(email)s ist eingeladen; die Rolle gilt ab der ersten Anmeldung mit dieser bestätigten "
                    "Adresse.", email=invitation.email) if created
                  else _("Für %(email)s besteht schon eine offene Einladung.", email=invitation.email))
            return redirect(url_for("console.tenant_detail", slug=slug))
    return _detail_page(tenant, invite_form=form, status=400)


@blueprint.post("/mandanten/<slug>/einladungen/<invitation_id>/widerrufen")
@requires("core.tenants.manage")
def revoke_invitation(slug, invitation_id):
    tenant = _target(slug)
    try:
        provisioning.revoke_invitation(tenant, invitation_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("Die Einladung ist widerrufen."))
    return redirect(url_for("console.tenant_detail", slug=slug))


def _history(tenant: Tenant) -> dict[str, str]:
    """{module id: the periods it was active, as a line}, for the module tables."""
    return {module_id: modules.history_text(periods) for module_id, periods in modules.history(tenant).items()}


@blueprint.post("/mandanten/<slug>/module/<module_id>")
@requires("core.modules.entitle")
def tenant_module(slug, module_id):
    tenant = _active_target(slug)
    form = TenantModuleForm(prefix="module")
    if not form.validate_on_submit():
        raise UserError(_("Bitte wählen Sie eine Aktion und ein gültiges Datum."))
    back = url_for("console.tenant_detail", slug=slug)
    if form.action.data == "suspend" and not _confirmed():
        return _confirm_suspend(tenant, module_id, form, back)
    _change_module(tenant, module_id, form.action.data, form.day.data)
    return redirect(back)


def _confirmed() -> bool:
    return request.form.get("confirmed") == "1"


def _confirm_suspend(tenant: Tenant, module_id: str, form, back: str):
    """Switching a module off is asked once more, with what it means and what needs the module."""
    try:
        manifest = modules.manifest_of(module_id)
    except NotFound:
        abort(404)
    active = modules.active_modules(tenant)
    needing = [m.title for m in modules.registry().modules if module_id in m.requires and m.id in active]
    return render_template("console/module_suspend.html", target=tenant, manifest=manifest, form=form,
                           needing=needing, back=back, action=request.path)


def _change_module(tenant: Tenant, module_id: str, action: str, day: date | None) -> None:
    """One module change in one tenant; a refusal (a missing requirement, say) is shown as it is."""
    try:
        modules.manifest_of(module_id)
    except NotFound:
        abort(404)
    if action == "entitle":
        modules.entitle(tenant, module_id)
    elif action == "activate":
        modules.activate(tenant, module_id, day)
    else:
        modules.suspend(tenant, module_id)
    db.session.commit()
    row = modules.activations(tenant)[module_id]
    flash(_("%(module)s in %(tenant)s: %(state)s.", module=modules.manifest_of(module_id).title,
            tenant=tenant.name, state=_state_text(row)))


def _state_text(row) -> str:
    day = row.effective_from.strftime("%d.%m.%Y") if row.effective_from else ""
    return {
        "entitled": _("freigegeben"),
        "scheduled": _("geplant ab %(day)s", day=day),
        "active": _("aktiv seit %(day)s", day=day),
        "suspended": _("ausgeschaltet seit %(day)s", day=day),
    }[row.state]


# -- communes joining or leaving a tenant: preview, then confirm -------------------------------------------


class CommunesForm(FlaskForm):
    communes = MultiCheckboxField(_l("Gemeinden"), coerce=int)
    valid_from = DateField(_l("Ab"), validators=[DataRequired()], default=clock.today)


def _communes_choices(tenant: Tenant, day: date) -> list[SelectChoice]:
    """Every commune of the day, with the tenant that serves it now (taking one over moves it)."""
    with canton_scope("communes and their tenants"):
        owners = dict(db.session.execute(
            sa.select(TenantMunicipality.bfs_number, Tenant.name)
            .join(Tenant, Tenant.id == TenantMunicipality.tenant_id)
            .where(TenantMunicipality.serving_on(day), Tenant.state == TenantState.ACTIVE,
                   TenantMunicipality.tenant_id != tenant.id)
        ).all())
    communes = db.session.scalars(sa.select(Municipality).order_by(Municipality.name)).all()
    return [
        SelectChoice(m.bfs_number, f"{m.name} ({m.bfs_number})" + (f" – {owners[m.bfs_number]}"
                                                                    if m.bfs_number in owners else ""))
        for m in communes if m.valid_on(day)
    ]


@blueprint.route("/mandanten/<slug>/gemeinden", methods=["GET", "POST"])
@requires("core.tenants.manage")
def communes(slug):
    tenant = _active_target(slug)
    form = CommunesForm()
    day = form.valid_from.data if request.method == "POST" and form.valid_from.data else clock.today()
    form.communes.choices = _communes_choices(tenant, day)
    if request.method == "GET":
        form.communes.data = sorted(provisioning.current_communes(tenant, day))
    if not form.validate_on_submit():
        return render_template("console/communes.html", target=tenant, form=form)
    try:
        plan = provisioning.plan_communes(tenant, form.communes.data, form.valid_from.data, take_over=True)
    except UserError as error:
        db.session.rollback()
        form.communes.errors.append(str(error))
        return render_template("console/communes.html", target=tenant, form=form), 400
    if request.form.get("step") != "confirm":
        db.session.commit()  # the canton scope's audit entries
        return render_template("console/plan.html", target=tenant, plan=plan, form=form,
                               action=url_for("console.communes", slug=slug))
    return _carry_out(plan, url_for("console.tenant_detail", slug=slug))


def _carry_out(plan: provisioning.CommunePlan, done_url: str):
    if plan.empty:
        db.session.commit()
        flash(_("Nichts zu ändern: der Stand entspricht schon dem Plan."))
    else:
        provisioning.apply_plan(plan)
        db.session.commit()
        flash(_("Die Gemeinden sind ab %(day)s neu zugeordnet.", day=plan.day.strftime("%d.%m.%Y")))
    return redirect(done_url)


# -- mergers -------------------------------------------------------------------------------------------------


@blueprint.get("/fusionen")
@requires("core.canton.read")
def mergers():
    rows = [(merger, provisioning.merger_tenants(merger)) for merger in provisioning.mergers()]
    db.session.commit()
    return render_template("console/mergers.html", rows=rows)


class MergerForm(FlaskForm):
    receiving = SelectField(_l("Mandant der neuen Gemeinde"), validators=[Optional()])


@blueprint.route("/fusionen/<key>", methods=["GET", "POST"])
@requires("core.tenants.manage")
def merger(key):
    try:
        found = provisioning.find_merger(key)
    except NotFound:
        abort(404)
    concerned = provisioning.merger_tenants(found)
    form = MergerForm(formdata=request.form if request.method == "POST" else request.args)
    form.receiving.choices = [SelectChoice("", "–")] + [SelectChoice(t.slug, t.name) for t in concerned]
    receiving = next((t for t in concerned if t.slug == form.receiving.data), None)
    error = plan = None
    try:
        plan = provisioning.plan_merger(found, receiving)
    except UserError as refused:
        error = str(refused)
    if request.method == "POST" and form.validate_on_submit() and plan is not None \
            and request.form.get("step") == "confirm":
        return _carry_out(plan, url_for("console.mergers"))
    db.session.commit()
    return render_template("console/merger.html", merger=found, plan=plan, error=error, form=form,
                           concerned=concerned), 200 if plan is not None or request.method == "GET" else 400


# -- the module plan ---------------------------------------------------------------------------------------------


@blueprint.get("/modulplan")
@requires("core.canton.read")
def module_plan():
    tenants_ = provisioning.plan_tenants(None, clock.today())
    states = {t.id: modules.activations(t) for t in tenants_}
    return render_template("console/module_plan.html", tenants=tenants_, states=states,
                           modules=modules.registry().modules)


class BulkPlanForm(FlaskForm):
    module = SelectField(_l("Modul"), validators=[DataRequired()])
    district = SelectField(_l("Mandanten"), validators=[Optional()])
    day = DateField(_l("Aktiv ab"), validators=[Optional()],
                    description=_l("leer: nur freigeben; ein künftiges Datum plant die Aktivierung"))


def _districts() -> list[str]:
    return list(db.session.scalars(sa.select(Municipality.district).distinct().order_by(Municipality.district)))


@blueprint.route("/modulplan/sammelplanung", methods=["GET", "POST"])
@requires("core.modules.entitle")
def bulk_plan():
    form = BulkPlanForm()
    form.module.choices = [SelectChoice(m.id, str(m.title)) for m in modules.registry().modules]
    form.district.choices = [SelectChoice("", _("alle Mandanten"))] + [
        SelectChoice(d, _("Bezirk %(district)s", district=d)) for d in _districts()]
    if not form.validate_on_submit():
        return render_template("console/bulk_plan.html", form=form), 400 if request.method == "POST" else 200
    day = form.day.data
    tenants_ = provisioning.plan_tenants(form.district.data, day or clock.today())
    plan = modules.plan_rollout(form.module.data, tenants_, day, entitle_only=day is None)
    if request.form.get("step") != "confirm":
        db.session.commit()
        return render_template("console/bulk_preview.html", form=form, plan=plan,
                               changes=[row for row in plan if row.action not in ("unchanged", "refused")])
    done = modules.apply_rollout(form.module.data, plan, day)
    db.session.commit()
    flash(ngettext("Modulplan gespeichert: %(num)s Mandant geändert.",
                   "Modulplan gespeichert: %(num)s Mandanten geändert.", len(done)) if done
          else _("Nichts zu ändern: der Stand entspricht schon dem Plan."))
    return redirect(url_for("console.module_plan"))


# -- a tenant's own modules (its administrator switches entitled modules on) ---------------------------------------


class OwnModuleForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    day = DateField(_l("Ab"), validators=[Optional()], description=_l("leer: sofort"))


@blueprint.get("/module")
@requires("core.modules.activate")
def own_modules():
    rows = modules.activations(g.tenant)
    return render_template("console/own_modules.html", modules=modules.registry().modules, states=rows,
                           history=_history(g.tenant), form=OwnModuleForm(), can_plan=can("core.modules.entitle"))


@blueprint.post("/module/<module_id>")
@requires("core.modules.activate")
def own_module_action(module_id):
    form = OwnModuleForm()
    if not form.validate_on_submit() or form.action.data not in ("activate", "suspend"):
        raise UserError(_("Bitte wählen Sie eine Aktion und ein gültiges Datum."))
    tenant = get_tenant(g.tenant.slug)  # g.tenant is a read-only snapshot
    if form.action.data == "activate" and module_id not in modules.activations(tenant):
        raise UserError(_("Der Kanton hat dieses Modul für %(tenant)s noch nicht freigegeben.", tenant=tenant.name))
    if form.action.data == "suspend" and not _confirmed():
        return _confirm_suspend(tenant, module_id, form, url_for("console.own_modules"))
    _change_module(tenant, module_id, form.action.data, form.day.data)
    return redirect(url_for("console.own_modules"))
