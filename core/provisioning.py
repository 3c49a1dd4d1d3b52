"""Provisioning tenants: the one code path behind the CLI, the tenant files and the canton's UI."""

from __future__ import annotations

import copy
import csv
import logging
import re
import smtplib
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, clock, i18n, mail, setting_values
from core.access import Membership, role_label, roles_for
from core.clock import utcnow
from core.db import TenantScoped, UTCDateTime, db, uuid_pk
from core.errors import NotFound, UserError
from core.plugins import Setting
from core.tenancy import (
    RESERVED_SLUGS,
    Municipality,
    Tenant,
    TenantKind,
    TenantMunicipality,
    TenantState,
    canton_scope,
    served_links,
    tenant_scope,
    validate_slug,
)

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
COMMUNES_FILE = DATA / "communes_so.csv"
MERGERS_FILE = DATA / "commune_mergers_so.csv"


class TenantSetting(TenantScoped, db.Model):
    """A tenant's value for a setting a module declares (absent: the declared default)."""

    __tablename__ = "tenant_settings"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)


# -- reference data ------------------------------------------------------------


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_municipalities(path: Path = COMMUNES_FILE, mergers: Path = MERGERS_FILE) -> int:
    """Insert or update the communes of the reference files; returns how many communes they hold."""
    rows = _read_csv(path)
    successors = {
        int(old): int(merger["new_bfs_number"])
        for merger in _read_csv(mergers)
        for old in merger["old_bfs_numbers"].split()
    }
    existing = {m.bfs_number: m for m in db.session.scalars(sa.select(Municipality))}
    for row in rows:
        number = int(row["bfs_number"])
        municipality = existing.setdefault(number, Municipality(bfs_number=number))
        municipality.name = row["name"]
        municipality.district = row["district"]
        municipality.valid_from = date.fromisoformat(row["valid_from"])
        municipality.valid_to = date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None
        db.session.add(municipality)
    db.session.flush()  # successors refer to rows that must exist first
    for number, successor in successors.items():
        if number in existing:
            existing[number].successor_bfs_number = successor
    db.session.flush()
    return len(rows)


def municipality(bfs_number: int, day: date) -> Municipality:
    found = db.session.get(Municipality, bfs_number)
    if found is None:
        if db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) == 0:
            raise UserError(_("Das Gemeindeverzeichnis ist nicht geladen (flask communes load)."))
        raise UserError(_("Keine Gemeinde des Kantons hat die BFS-Nummer %(number)s.", number=bfs_number))
    if not found.valid_on(day):
        raise UserError(
            _("Die Gemeinde %(name)s (%(number)s) besteht am %(day)s nicht.",
              name=found.name, number=bfs_number, day=format_date(day))
        )
    return found


# -- tenants -----------------------------------------------------------------


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def slug_taken(slug: str) -> bool:
    return db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None


def propose_slug(name: str) -> str:
    """A free, valid slug from a name: «Lüterkofen-Ichertswil» → ``lueterkofen-ichertswil``."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:58].strip("-") or "mandant"
    slug, counter = base, 2
    while slug in RESERVED_SLUGS or slug_taken(slug):
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def free_municipalities(day: date) -> list[Municipality]:
    """The communes existing on ``day`` that no active tenant serves (then or later)."""
    communes = i18n.sorted_by_name(db.session.scalars(
        sa.select(Municipality)
        .where(Municipality.valid_from <= day, sa.or_(Municipality.valid_to.is_(None), Municipality.valid_to >= day))
    ), lambda m: m.name)
    taken = {link.bfs_number for link, _owner in _other_links(None, {m.bfs_number for m in communes}, day)}
    return [m for m in communes if m.bfs_number not in taken]



def create_tenant(slug: str, name: str, kind: str, communes: list[int], valid_from: date | None = None) -> Tenant:
    validate_slug(slug)
    if kind not in {k.value for k in TenantKind}:
        raise UserError(_("Unbekannte Art «%(kind)s» (canton, commune oder region).", kind=kind))
    if not name.strip():
        raise UserError(_("Der Name darf nicht leer sein."))
    if slug_taken(slug):
        raise UserError(_("Das Kürzel «%(slug)s» ist schon vergeben.", slug=slug))
    problem = tenant_kind_allows(kind, len(set(communes)))
    if problem:
        raise UserError(problem)
    if kind == TenantKind.REGION and len(set(communes)) < 2:
        raise UserError(_("Eine regionale Umsetzung dient mindestens zwei Gemeinden."))
    tenant = Tenant(slug=slug, name=name.strip(), kind=kind, state=TenantState.ACTIVE)
    db.session.add(tenant)
    db.session.flush()
    with tenant_scope(tenant):
        audit.record("tenant.create", object_type="tenant", object_id=slug, detail={"name": name, "kind": kind})
    set_communes(tenant, communes, valid_from or clock.today())
    return tenant


def rename_tenant(tenant: Tenant, name: str) -> None:
    if not name.strip():
        raise UserError(_("Der Name darf nicht leer sein."))
    with tenant_scope(tenant):
        audit.record("tenant.rename", object_type="tenant", object_id=tenant.slug,
                     detail={"before": tenant.name, "after": name.strip()})
    tenant.name = name.strip()


def archive_tenant(tenant: Tenant) -> None:
    """Close the tenant: its pages answer 404, its data stays."""
    if tenant.is_canton:
        raise UserError(_("Der Mandant des Kantons kann nicht archiviert werden."))
    if tenant.state == TenantState.ARCHIVED:
        return
    tenant.state = TenantState.ARCHIVED
    tenant.archived_at = utcnow()
    with tenant_scope(tenant):
        audit.record("tenant.archive", object_type="tenant", object_id=tenant.slug)


def current_communes(tenant: Tenant, day: date) -> dict[int, TenantMunicipality]:
    return {link.bfs_number: link for link in served_links(tenant, day)}


def set_communes(tenant: Tenant, bfs_numbers: list[int], valid_from: date) -> list[str]:
    """Make ``tenant`` serve exactly these communes from ``valid_from``; returns what changed.

    A commune another tenant serves is refused here; taking it over is an explicit
    plan (:func:`plan_communes` with ``take_over``) the canton previews first.
    """
    plan = plan_communes(tenant, bfs_numbers, valid_from)
    apply_plan(plan)
    return plan.changes_of(tenant)


def tenant_kind_allows(kind: str, count: int) -> str | None:
    """Why a tenant of ``kind`` cannot serve ``count`` communes (None: it can)."""
    if kind == TenantKind.COMMUNE and count != 1:
        return _("Ein Gemeinde-Mandant dient genau einer Gemeinde.")
    if kind == TenantKind.CANTON and count:
        return _("Der Mandant des Kantons dient keiner einzelnen Gemeinde.")
    return None


# -- moving communes between tenants: a plan first, then the change --------------------------------


@dataclass
class LinkChange:
    """A commune link that ends (``day`` = its last day) or starts (``day`` = its first day)."""

    tenant: Tenant
    municipality: Municipality
    day: date
    link: TenantMunicipality | None = None  # the link that ends


@dataclass
class CommunePlan:
    """What a change of communes does, shown before it is confirmed; nothing is deleted."""

    day: date
    reason: str
    ends: list[LinkChange] = field(default_factory=list)
    starts: list[LinkChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.ends and not self.starts

    def tenants(self) -> list[Tenant]:
        seen: dict[int, Tenant] = {}
        for change in self.ends + self.starts:
            seen.setdefault(change.tenant.id, change.tenant)
        return list(seen.values())

    def changes_of(self, tenant: Tenant) -> list[str]:
        return [f"-{c.municipality.bfs_number}" for c in self.ends if c.tenant.id == tenant.id] + [
            f"+{c.municipality.bfs_number}" for c in self.starts if c.tenant.id == tenant.id
        ]


def _day_before(day: date) -> date:
    return day - timedelta(days=1)


def _other_links(tenant: Tenant | None, numbers: set[int], day: date) -> list[tuple[TenantMunicipality, Tenant]]:
    """Links of other active tenants to these communes that have not ended before ``day``."""
    if not numbers:
        return []
    with canton_scope("which tenant serves a commune"):
        rows = db.session.execute(
            sa.select(TenantMunicipality, Tenant)
            .join(Tenant, Tenant.id == TenantMunicipality.tenant_id)
            .where(
                TenantMunicipality.tenant_id != (tenant.id if tenant else -1),
                TenantMunicipality.bfs_number.in_(numbers),
                Tenant.state == TenantState.ACTIVE,
                sa.or_(TenantMunicipality.valid_to.is_(None), TenantMunicipality.valid_to >= day),
            )
            .order_by(TenantMunicipality.bfs_number)
        ).all()
    return [(link, owner) for link, owner in rows]


def _end(plan: CommunePlan, tenant: Tenant, link: TenantMunicipality) -> None:
    last = _day_before(plan.day)
    if link.valid_from > last:
        raise UserError(
            _("%(tenant)s betreut %(commune)s erst ab %(start)s; wählen Sie ein Datum nach dem %(start)s.",
              tenant=tenant.name, commune=link.municipality.name, start=format_date(link.valid_from))
        )
    plan.ends.append(LinkChange(tenant, link.municipality, last, link))


def _start(plan: CommunePlan, tenant: Tenant, commune: Municipality) -> None:
    with tenant_scope(tenant):
        clash = db.session.get(TenantMunicipality, (tenant.id, commune.bfs_number, plan.day))
    if clash is not None:
        raise UserError(
            _("%(tenant)s hatte %(commune)s schon einmal ab %(day)s; wählen Sie ein anderes Datum.",
              tenant=tenant.name, commune=commune.name, day=format_date(plan.day))
        )
    plan.starts.append(LinkChange(tenant, commune, plan.day))


def plan_communes(tenant: Tenant, bfs_numbers, day: date, *, take_over: bool = False) -> CommunePlan:
    """The plan to make ``tenant`` serve exactly ``bfs_numbers`` from ``day``.

    With ``take_over`` a commune another tenant serves moves: its link there ends
    the day before (a commune joining a regional group); without, that is refused.
    """
    wanted = set(bfs_numbers)
    problem = tenant_kind_allows(tenant.kind, len(wanted))
    if problem:
        raise UserError(problem)
    communes = {number: municipality(number, day) for number in sorted(wanted)}
    plan = CommunePlan(day, "communes")
    _refuse_before_a_later_change(tenant, day)
    current = current_communes(tenant, day)
    for number in sorted(set(current) - wanted):
        _end(plan, tenant, current[number])
    joining = wanted - set(current)
    others = _other_links(tenant, joining, day)
    if others and not take_over:
        raise UserError(
            _("Diese Gemeinden werden schon von einem anderen Mandanten betreut: %(list)s.",
              list=", ".join(f"{link.municipality.name} ({owner.name})" for link, owner in others))
        )
    for link, owner in others:
        _end(plan, owner, link)
    for number in sorted(joining):
        _start(plan, tenant, communes[number])
    _note_emptied_tenants(plan)
    return plan


def _refuse_before_a_later_change(tenant: Tenant, day: date) -> None:
    """Changes go forward in time: one dated before a link that starts later would overlap it."""
    with tenant_scope(tenant):
        later = db.session.scalar(sa.select(sa.func.max(TenantMunicipality.valid_from))
                                  .where(TenantMunicipality.valid_from > day))
    if later is not None:
        raise UserError(
            _("Für %(tenant)s ist ab %(later)s schon eine Änderung der Gemeinden erfasst; wählen Sie ein Datum "
              "ab dann.", tenant=tenant.name, later=format_date(later))
        )


def _note_emptied_tenants(plan: CommunePlan) -> None:
    for tenant in plan.tenants():
        kept = set(current_communes(tenant, plan.day)) - {c.municipality.bfs_number for c in plan.ends
                                                          if c.tenant.id == tenant.id}
        kept |= {c.municipality.bfs_number for c in plan.starts if c.tenant.id == tenant.id}
        if not kept:
            plan.notes.append(
                _("%(tenant)s betreut ab %(day)s keine Gemeinde mehr; archivieren Sie den Mandanten, wenn er "
                  "nicht mehr gebraucht wird.", tenant=tenant.name, day=format_date(plan.day))
            )
        elif tenant.kind == TenantKind.REGION and len(kept) == 1:
            plan.notes.append(
                _("%(tenant)s betreut ab %(day)s nur noch eine Gemeinde.", tenant=tenant.name,
                  day=format_date(plan.day))
            )


def apply_plan(plan: CommunePlan) -> list[str]:
    """Carry the plan out: links end with a date, new ones start; audited in every tenant concerned."""
    for tenant in plan.tenants():
        changes = plan.changes_of(tenant)
        with tenant_scope(tenant):
            for change in plan.ends:
                if change.tenant.id == tenant.id:
                    change.link.valid_to = change.day
            for change in plan.starts:
                if change.tenant.id == tenant.id:
                    db.session.add(TenantMunicipality(tenant_id=tenant.id, bfs_number=change.municipality.bfs_number,
                                                      valid_from=change.day))
            audit.record("tenant.communes", object_type="tenant", object_id=tenant.slug,
                         detail={"changes": changes, "from": plan.day.isoformat(), "reason": plan.reason})
            db.session.flush()
    return [f"{t.slug}: {' '.join(plan.changes_of(t))}" for t in plan.tenants()]


# -- mergers of communes (reference data) ----------------------------------------------------------


@dataclass
class Merger:
    """Communes that became one on ``day`` (a new commune, or one that absorbed the others)."""

    day: date
    old: list[Municipality]
    new: Municipality

    @property
    def key(self) -> str:
        return f"{self.new.bfs_number}-{self.day.isoformat()}"


def mergers() -> list[Merger]:
    """The mergers the reference data knows, oldest first."""
    dissolved = db.session.scalars(
        sa.select(Municipality).where(Municipality.successor_bfs_number.is_not(None)).order_by(Municipality.bfs_number)
    ).all()
    groups: dict[tuple[int, date], list[Municipality]] = {}
    for old in dissolved:
        groups.setdefault((old.successor_bfs_number, old.valid_to + timedelta(days=1)), []).append(old)
    return sorted(
        (Merger(day, olds, db.session.get(Municipality, number)) for (number, day), olds in groups.items()),
        key=lambda m: (m.day, i18n.sort_key(m.new.name)),
    )


def find_merger(key: str) -> Merger:
    for merger in mergers():
        if merger.key == key:
            return merger
    raise NotFound(_("Keine Gemeindefusion «%(key)s» im Gemeindeverzeichnis.", key=key))


def merger_tenants(merger: Merger) -> list[Tenant]:
    """The active tenants that serve one of the merging communes on the day before the merger."""
    numbers = {m.bfs_number for m in merger.old} | {merger.new.bfs_number}
    links = _other_links(None, numbers, _day_before(merger.day))
    found: dict[int, Tenant] = {}
    for link, owner in links:
        if link.valid_from <= _day_before(merger.day):
            found.setdefault(owner.id, owner)
    return i18n.sorted_by_name(found.values(), lambda t: t.name)


def plan_merger(merger: Merger, receiving: Tenant | None = None) -> CommunePlan:
    """What the merger changes: links to the old communes end the day before; one tenant serves the new one.

    The tenant that serves the new commune is the one already serving it (a commune that
    absorbs others keeps its number), the only tenant concerned, or the one chosen.
    """
    plan = CommunePlan(merger.day, f"merger {merger.key}")
    last = _day_before(merger.day)
    old_numbers = {m.bfs_number for m in merger.old}
    links = _other_links(None, old_numbers | {merger.new.bfs_number}, last)
    serving_new = [(link, owner) for link, owner in links
                   if link.bfs_number == merger.new.bfs_number and link.valid_from <= merger.day]
    for link, owner in links:
        ended_already = link.valid_to is not None and link.valid_to <= last
        if link.bfs_number in old_numbers and not ended_already:
            _end(plan, owner, link)
    concerned = merger_tenants(merger)
    if not concerned and not serving_new:
        plan.notes.append(_("Keine der Gemeinden wird von einem Mandanten betreut: nichts zu ändern."))
        return plan
    if serving_new:
        keeper = serving_new[0][1]
        if receiving is not None and receiving.id != keeper.id:
            raise UserError(_("%(commune)s wird schon von %(tenant)s betreut.", commune=merger.new.name,
                              tenant=keeper.name))
    else:
        if receiving is None and len(concerned) == 1:
            receiving = concerned[0]
        if receiving is None:
            raise UserError(_("Mehrere Mandanten sind betroffen: wählen Sie, wer %(commune)s betreut.",
                              commune=merger.new.name))
        if receiving.id not in {t.id for t in concerned}:
            raise UserError(_("%(tenant)s betreut keine der fusionierenden Gemeinden.", tenant=receiving.name))
        _start(plan, receiving, merger.new)
    _note_emptied_tenants(plan)
    return plan


def plan_tenants(district: str | None, day: date) -> list[Tenant]:
    """The active tenants (not the canton) a canton-wide plan covers, or those serving a commune of ``district``."""
    tenants = i18n.sorted_by_name(db.session.scalars(
        sa.select(Tenant).where(Tenant.state == TenantState.ACTIVE, Tenant.kind != TenantKind.CANTON)
    ), lambda t: t.name)
    if not district:
        return tenants
    with canton_scope("tenants of a district"):
        ids = set(db.session.scalars(
            sa.select(TenantMunicipality.tenant_id)
            .join(Municipality, Municipality.bfs_number == TenantMunicipality.bfs_number)
            .where(Municipality.district == district, TenantMunicipality.serving_on(day))
        ))
    return [t for t in tenants if t.id in ids]


# -- invitations: the first administrator of a tenant, before they ever logged in -------------------
#
# Users are keyed by their provider's issuer and subject, which nobody knows before the
# person's first login.  So the canton invites an e-mail address; the invitation becomes a
# membership when someone logs in whose provider vouches for that address (a verified
# e-mail claim), through the canton's provider or the tenant's own.  It is single-use,
# expires, can be revoked, and every step is audited in the tenant.

INVITATION_DAYS = 14


class Invitation(TenantScoped, db.Model):
    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(sa.String(300), index=True)
    role: Mapped[str] = mapped_column(sa.String(40))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= utcnow() else "pending"


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def invitations(tenant: Tenant) -> list[Invitation]:
    with tenant_scope(tenant):
        return db.session.scalars(sa.select(Invitation).order_by(Invitation.created_at.desc())).all()


def invite(tenant: Tenant, email: str, role: str = "tenant_admin", days: int = INVITATION_DAYS
           ) -> tuple[Invitation, bool]:
    """Invite ``email`` to ``role`` in ``tenant``; returns the invitation and whether it is new.

    A pending invitation of the same address and role is returned as it is (a form sent twice).
    """
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise UserError(_("«%(email)s» ist keine gültige E-Mail-Adresse.", email=email))
    if role not in roles_for(tenant):
        raise UserError(_("Diese Rolle gibt es in diesem Mandanten nicht."))
    if tenant.state != TenantState.ACTIVE:
        raise UserError(_("%(tenant)s ist archiviert.", tenant=tenant.name))
    if not 1 <= days <= 90:
        raise UserError(_("Eine Einladung gilt 1 bis 90 Tage."))
    for existing in invitations(tenant):
        if existing.email == email and existing.role == role and existing.state == "pending":
            return existing, False
    with tenant_scope(tenant):
        invitation = Invitation(tenant_id=tenant.id, email=email, role=role, created_by=audit.current_actor(),
                                expires_at=utcnow() + timedelta(days=days))
        db.session.add(invitation)
        db.session.flush()
        audit.record("invitation.create", object_type="invitation", object_id=invitation.id,
                     detail={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()})
    return invitation, True


def send_invitation(tenant: Tenant, invitation: Invitation, language: str) -> bool:
    """Mail the invited person the link and the expiry, in ``language``; False when the mail did not go.

    Called after the invitation is committed: a mail server that refuses loses no invitation, and
    the page says so (the link can be passed on by hand).
    """
    with mail.in_language(language):
        subject, body = invitation_text(tenant, invitation)
    try:
        mail.send(invitation.email, subject, body)
    except (smtplib.SMTPException, OSError):
        log.exception("invitation mail to %s (%s) not sent", invitation.email, tenant.slug)
        return False
    return True


def invitation_text(tenant: Tenant, invitation: Invitation) -> tuple[str, str]:
    """The invitation mail's subject and text, in the current locale (see :func:`core.mail.in_language`)."""
    subject = _("Einladung zu start.integration: %(tenant)s", tenant=tenant.name)
    lines = [
        _("Guten Tag"), "",
        _("Sie sind eingeladen, in start.integration für %(tenant)s als «%(role)s» mitzuarbeiten.",
          tenant=tenant.name, role=role_label(invitation.role)), "",
        _("Melden Sie sich hier an, mit Ihrer Adresse %(email)s:", email=invitation.email),
        invitation_link(tenant), "",
        _("Die Einladung gilt bis %(expiry)s.", expiry=format_datetime(invitation.expires_at, "dd.MM.yyyy HH:mm")),
        _("Danach oder wenn Sie nicht wissen, worum es geht, wenden Sie sich an %(inviter)s.",
          inviter=_inviter(invitation)), "",
        _("Fachstelle Integration, Kanton Solothurn"),
    ]
    return subject, "\n".join(lines) + "\n"


def invitation_link(tenant: Tenant) -> str:
    """The login page of ``tenant``: a full link where the server's name is known, else the path."""
    if current_app.config.get("SERVER_NAME") or has_request_context():
        return url_for("auth.login", tenant=tenant.slug, _external=True)
    return f"/auth/login?tenant={tenant.slug}"


def _inviter(invitation: Invitation) -> str:
    from core.auth import actor_names  # core.auth imports this module

    return actor_names([invitation.created_by]).get(invitation.created_by) or _("die Fachstelle Integration")


def revoke_invitation(tenant: Tenant, invitation_id) -> Invitation:
    try:
        key = uuid.UUID(str(invitation_id))
    except ValueError:
        key = None
    with tenant_scope(tenant):
        invitation = key and db.session.get(Invitation, (tenant.id, key))
        if not invitation:
            raise NotFound(_("Keine Einladung %(id)s in %(tenant)s.", id=invitation_id, tenant=tenant.name))
        if invitation.state == "pending":
            invitation.revoked_at = utcnow()
            audit.record("invitation.revoke", object_type="invitation", object_id=invitation.id,
                         detail={"email": invitation.email, "role": invitation.role})
    return invitation


def accept_invitations(user_id: int, provider: str, claims: dict) -> list[Tenant]:
    """At login: turn the pending invitations of the user's verified address into memberships.

    Only a provider trusted for the tenant counts: the canton's for every tenant, a
    tenant's own provider for that tenant alone (it could vouch for any address).
    """
    email = (claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") not in (True, "true"):
        return []
    joined = []
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.state == TenantState.ACTIVE).order_by(Tenant.id))
    for tenant in tenants:
        if provider not in ("canton", f"tenant-{tenant.slug}"):
            continue
        with tenant_scope(tenant):
            pending = db.session.scalars(
                sa.select(Invitation).where(Invitation.email == email, Invitation.accepted_at.is_(None),
                                            Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow())
            ).all()
            for invitation in pending:
                _accept(tenant, invitation, user_id)
            if pending:
                joined.append(tenant)
    return joined


def _accept(tenant: Tenant, invitation: Invitation, user_id: int) -> None:
    invitation.accepted_at = utcnow()
    invitation.accepted_user_id = user_id
    if db.session.get(Membership, (tenant.id, user_id, invitation.role)) is None:
        db.session.add(Membership(tenant_id=tenant.id, user_id=user_id, role=invitation.role,
                                  granted_by=invitation.created_by))
    audit.record("invitation.accept", object_type="invitation", object_id=invitation.id,
                 detail={"email": invitation.email, "role": invitation.role, "user_id": user_id})
    audit.record("membership.add", object_type="user", object_id=user_id,
                 detail={"role": invitation.role, "source": "invitation"})


# -- settings ------------------------------------------------------------------


def declared_settings() -> dict[str, Setting]:
    return {
        s.key: s for m in current_app.extensions["plugins"].manifests.values() for s in m.settings
    }


def get_setting(tenant: Tenant, key: str) -> Any:
    """The tenant's value of a declared setting, or (a copy of) its default."""
    declared = declared_settings()
    if key not in declared:
        raise KeyError(key)
    with tenant_scope(tenant):
        row = db.session.get(TenantSetting, (tenant.id, key))
    return copy.deepcopy(declared[key].default) if row is None else row.value


def set_setting(tenant: Tenant, key: str, value: Any) -> bool:
    """Store a tenant's setting once it fits its declaration (UserError otherwise); returns whether it changed.

    The audit event holds the new value, except for a secret: only that it was set (or cleared).
    """
    declared = declared_settings()
    if key not in declared:
        raise UserError(_("Unbekannte Einstellung «%(key)s».", key=key))
    setting = declared[key]
    value = setting_values.clean(setting, value, tenant)
    if get_setting(tenant, key) == value:
        return False
    with tenant_scope(tenant):
        row = db.session.get(TenantSetting, (tenant.id, key)) or TenantSetting(tenant_id=tenant.id, key=key)
        row.value = value
        db.session.add(row)
        audit.record("tenant.setting", object_type="setting", object_id=key,
                     detail={"value": setting_values.public_value(setting, value)})
    return True
