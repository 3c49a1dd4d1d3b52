"""Staff login: OpenID Connect (authlib), the development login, sessions and their timeouts.

Users are keyed by (issuer, subject), never by e-mail; name and e-mail are
refreshed at every login.  Memberships may be derived from a ``groups`` claim:
``OIDC_GROUP_ROLES`` maps a group to ``tenant-slug:role`` for the canton's
provider, and a tenant with its own provider maps groups to roles in its
setting ``core.oidc_group_roles``.  Such memberships (source ``claim``) follow
the claim at every login; memberships granted by hand stay.  An invitation of an
e-mail address (:func:`core.provisioning.invite`) becomes a membership at the
first login whose provider vouches for that address.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, i18n, provisioning, sessions
from core.access import Membership, authenticated, known_roles, public
from core.clock import utcnow
from core.db import UTCDateTime, db
from core.errors import NotFound
from core.public import is_public_page
from core.security import safe_next
from core.tenancy import Tenant, TenantState, canton_tenant, get_tenant, tenant_scope

auth = Blueprint("auth", __name__, url_prefix="/auth")
DEV_ISSUER = "dev"


class User(db.Model):
    """A person who logs in; one person may work for several tenants."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(sa.String(300))
    subject: Mapped[str] = mapped_column(sa.String(300))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The UI language the user last chose or logged in with: mails to them are written in it.
    language: Mapped[str | None] = mapped_column(sa.String(5))

    __table_args__ = (sa.UniqueConstraint("issuer", "subject"),)


# -- providers -----------------------------------------------------------------------


def _oauth() -> OAuth:
    return current_app.extensions["authlib.integrations.flask_client"]


def _register(name: str, issuer: str, client_id: str, client_secret: str):
    oauth = _oauth()
    if oauth.create_client(name) is None:
        oauth.register(
            name,
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile groups", "code_challenge_method": "S256"},
        )
    return oauth.create_client(name)


def provider_for(tenant: Tenant | None):
    """The tenant's own provider if it has one, else the canton's; ``(name, client)`` or None."""
    if tenant is not None:
        issuer = provisioning.get_setting(tenant, "core.oidc_issuer")
        if issuer:
            name = f"tenant-{tenant.slug}"
            client = _register(
                name,
                issuer,
                provisioning.get_setting(tenant, "core.oidc_client_id"),
                provisioning.get_setting(tenant, "core.oidc_client_secret"),
            )
            return name, client
    config = current_app.config
    if config["OIDC_ISSUER"]:
        return "canton", _register(
            "canton", config["OIDC_ISSUER"], config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"]
        )
    return None


# -- sessions -------------------------------------------------------------------------


def start_session(user: User, *, provider: str, id_token: str | None = None) -> None:
    session.clear()  # a new session id for a new login: no fixation
    session.permanent = True
    now = int(time.time())
    session.update(user_id=user.id, login_at=now, seen_at=now, provider=provider, sid=sessions.open_session(user.id))
    if id_token:
        session["id_token"] = id_token


def _load_user() -> None:
    if is_public_page():
        return  # a public page is the same for everybody and leaves the session alone
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = int(time.time())
    config = current_app.config
    idle = now - session.get("seen_at", 0) > config["SESSION_IDLE_MINUTES"] * 60
    too_old = now - session.get("login_at", 0) > config["SESSION_MAX_HOURS"] * 3600
    # The cookie is signed, but only a session still live on the server counts (see core.sessions).
    user = db.session.scalar(
        sa.select(User).join(sessions.UserSession, sessions.UserSession.user_id == User.id)
        .where(User.id == user_id, sessions.live(session.get("sid")))
    )
    if idle or too_old or user is None:
        if user is not None:
            sessions.end_session(session.get("sid"))
            db.session.commit()
        session.clear()
        if idle or too_old:
            flash(_("Ihre Sitzung ist abgelaufen; bitte melden Sie sich wieder an."))
        return
    session["seen_at"] = now
    g.user = user
    g.actor = f"user:{user.id}"


# -- memberships from claims -----------------------------------------------------------


def _claimed_roles(provider: str, claims: dict) -> dict[str, set[str]]:
    """{tenant slug: roles} the provider's groups claim grants."""
    groups = claims.get("groups") or []
    if isinstance(groups, str):
        groups = [groups]
    wanted: dict[str, set[str]] = {}
    if provider == "canton":
        mapping = current_app.config["OIDC_GROUP_ROLES"]
        for slug_role in (mapping[group] for group in groups if group in mapping):
            slug, _sep, role = slug_role.partition(":")
            wanted.setdefault(slug, set()).add(role)
        scope = {slug_role.partition(":")[0] for slug_role in mapping.values()}
    else:
        slug = provider.removeprefix("tenant-")
        mapping = provisioning.get_setting(get_tenant(slug), "core.oidc_group_roles")
        wanted[slug] = {mapping[group] for group in groups if group in mapping}
        scope = {slug}
    return {slug: wanted.get(slug, set()) for slug in scope}


def sync_claimed_memberships(user: User, provider: str, claims: dict) -> None:
    for slug, roles in _claimed_roles(provider, claims).items():
        try:
            tenant = get_tenant(slug)
        except NotFound:
            continue
        roles &= set(known_roles(tenant))  # a suspended module's role is kept, not dropped
        with tenant_scope(tenant):
            current = {
                m.role: m
                for m in db.session.scalars(
                    sa.select(Membership).where(Membership.user_id == user.id, Membership.source == "claim")
                )
            }
            for role in set(current) - roles:
                db.session.delete(current[role])
                sessions.end_sessions_of(user.id)  # rights granted in an open session are gone: sign in again
                audit.record(
                    "membership.remove", object_type="user", object_id=user.id, detail={"role": role, "source": "claim"}
                )
            for role in roles - set(current):
                if db.session.get(Membership, (tenant.id, user.id, role)) is None:
                    db.session.add(Membership(user_id=user.id, role=role, source="claim", granted_by="claim"))
                    audit.record(
                        "membership.add",
                        object_type="user",
                        object_id=user.id,
                        detail={"role": role, "source": "claim"},
                    )


def actor_names(actors) -> dict[str, str]:
    """``user:<id>`` -> the user's name (one query), for pages that say who did something.

    Other actors (API tokens, the CLI's operator, the system) are not in it: show them as they are.
    """
    ids = {int(actor.split(":", 1)[1]) for actor in actors if re.fullmatch(r"user:\d+", actor or "")}
    if not ids:
        return {}
    return {f"user:{user_id}": name for user_id, name in
            db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all()}


def user_tenants(user: User) -> list[Tenant]:
    """The active tenants in which ``user`` holds a role."""
    tenants = db.session.scalars(sa.select(Tenant).where(Tenant.state == TenantState.ACTIVE).order_by(Tenant.name))
    result = []
    for tenant in tenants:
        with tenant_scope(tenant):
            if db.session.scalar(sa.select(Membership.role).where(Membership.user_id == user.id).limit(1)):
                result.append(tenant)
    return result


# The header's tenant switcher asks on every page; looking through every tenant costs a query each,
# so the list is kept per user for TENANT_CACHE_SECONDS and forgotten when a membership changes here.
_tenants_of: dict[int, tuple[float, list[tuple[str, str]]]] = {}


def tenants_of(user: User) -> list[tuple[str, str]]:
    """(slug, name) of the active tenants in which ``user`` holds a role, by name; cached briefly."""
    hit = _tenants_of.get(user.id)
    now = time.monotonic()
    if hit is None or hit[0] <= now:
        found = [(tenant.slug, tenant.name) for tenant in user_tenants(user)]
        hit = _tenants_of[user.id] = (now + current_app.config["TENANT_CACHE_SECONDS"], found)
    return hit[1]


@sa.event.listens_for(Membership, "after_insert")
@sa.event.listens_for(Membership, "after_delete")
def _membership_changed(mapper, connection, target) -> None:
    _tenants_of.pop(target.user_id, None)


def forget_tenant_lists() -> None:
    _tenants_of.clear()


# -- audit and throttling of logins ----------------------------------------------------


def _client_ip() -> str:
    return request.remote_addr or "unknown"  # the client's, behind PROXY_FIX proxies (core.security)


def account_key(issuer: str, subject: str) -> str:
    """An account as the throttle counts it: the provider's issuer and subject (a digest if too long)."""
    key = f"{issuer} {subject}"
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _named_account(client) -> str | None:
    """The account named by an ID token the callback refused, to count the failure against it too.

    Unverified, but it came from the provider's token endpoint (not from the browser): it only
    ever throttles the account it names, never opens a session.
    """
    try:
        payload = client.token["id_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return account_key(str(claims["iss"]), str(claims["sub"]))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None  # no token fetched, or none that names an account


def _record_platform(action: str, **kwargs) -> None:
    """Login events belong to the platform: they are kept in the canton's tenant."""
    try:
        canton = canton_tenant()
    except NotFound:
        return
    with tenant_scope(canton):
        audit.record(action, **kwargs)


def _recent_failures(action: str, object_id: str, minutes: int) -> int:
    since = utcnow() - timedelta(minutes=minutes)
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(audit.AuditEvent)
        .where(
            audit.AuditEvent.action == action,
            audit.AuditEvent.object_id == object_id,
            audit.AuditEvent.occurred_at >= since,
        )
    )


def throttled(account: str | None = None) -> bool:
    """Too many failed logins lately from this address, or (``account``) of this account from anywhere."""
    limit, minutes = current_app.config["LOGIN_THROTTLE"]
    try:
        canton = canton_tenant()
    except NotFound:
        return False
    with tenant_scope(canton):
        if _recent_failures("auth.login_failed", _client_ip(), minutes) >= limit:
            return True
        return account is not None and _recent_failures("auth.account_failed", account, minutes) >= limit


def _refuse_if_throttled(account: str | None = None) -> None:
    if throttled(account):
        abort(429)


def login_failed(reason: str, account: str | None = None):
    """A real failed login (a login was under way): counted against the address and the named account."""
    db.session.rollback()
    _record_platform("auth.login_failed", object_type="client", object_id=_client_ip(), detail={"reason": reason})
    if account:
        _record_platform("auth.account_failed", object_type="account", object_id=account,
                         detail={"address": _client_ip()})
    db.session.commit()
    return render_template("auth/failed.html"), 400


def complete_login(user: User, provider: str, id_token: str | None = None):
    """Open the session and send the user on: to ``next``, their only tenant, or the tenant choice."""
    target, chosen = session.get("login_next"), session.get("language") or user.language
    start_session(user, provider=provider, id_token=id_token)
    if chosen:
        session["language"] = chosen  # a language chosen on the login page, or at an earlier login
    user.language = i18n.language()
    user.last_login_at = utcnow()
    _record_platform("auth.login", object_type="user", object_id=user.id, detail={"provider": provider})
    db.session.commit()
    return redirect(safe_next(target, default=url_for("auth.choose")))


# -- views ---------------------------------------------------------------------------------


@auth.get("/login")
@public
def login():
    _refuse_if_throttled()
    slug = request.args.get("tenant")
    tenant = None
    if slug:
        try:
            tenant = get_tenant(slug)
        except NotFound:
            tenant = None
    found = provider_for(tenant)
    if found is None:
        if current_app.extensions.get("dev_login"):
            return redirect(url_for("dev_login.choose", next=request.args.get("next")))
        return render_template("auth/unavailable.html"), 503
    name, client = found
    session["login_next"] = safe_next(request.args.get("next"), default="")
    session["login_provider"] = name
    try:
        return client.authorize_redirect(url_for("auth.callback", _external=True))
    except Exception as error:  # the provider's discovery document cannot be had
        current_app.logger.warning("identity provider %s unreachable: %r", name, error)
        return render_template("auth/unavailable.html", unreachable=True), 503


@auth.get("/callback")
@public
def callback():
    _refuse_if_throttled()
    # Spent at the first answer: only a login started here can fail (once), so a stray callback (ten
    # image tags on a page elsewhere, a back button) is nobody's failed login and locks nobody out.
    name = session.pop("login_provider", None)
    if name is None:
        return redirect(url_for("shell.index"))
    if request.args.get("error"):
        return login_failed(f"provider: {request.args['error']}")
    client = _oauth().create_client(name)
    if client is None:
        return login_failed("unknown provider")
    try:
        token = client.authorize_access_token(leeway=current_app.config["OIDC_LEEWAY_SECONDS"])
        claims = token.get("userinfo") or {}
        if not claims.get("sub"):
            raise JoseError("no subject")
    except (OAuthError, JoseError, ValueError) as error:
        return login_failed(f"{type(error).__name__}: {error}", _named_account(client))
    except Exception as error:  # the provider unreachable or answering nonsense
        current_app.logger.warning("login failed: %r", error)
        return login_failed(f"{type(error).__name__}")
    issuer = claims.get("iss") or client.load_server_metadata()["issuer"]
    _refuse_if_throttled(account_key(issuer, claims["sub"]))
    user = db.session.scalar(sa.select(User).where(User.issuer == issuer, User.subject == claims["sub"]))
    if user is None:
        user = User(issuer=issuer, subject=claims["sub"])
        db.session.add(user)
    user.name = claims.get("name") or user.name or claims.get("email", "")
    user.email = claims.get("email") or user.email
    db.session.flush()
    sync_claimed_memberships(user, name, claims)
    provisioning.accept_invitations(user.id, name, claims)
    return complete_login(user, name, token.get("id_token"))


@auth.get("/choose")
@authenticated
def choose():
    tenants = user_tenants(g.user)
    if len(tenants) == 1:
        return redirect(url_for("shell.tenant_home", tenant=tenants[0].slug))
    return render_template("auth/choose.html", tenants=tenants), 200 if tenants else 403


@auth.post("/logout")
@public
def logout():
    """End the session here and, where the provider offers it, there too (RP-initiated logout)."""
    provider, id_token = session.get("provider"), session.get("id_token")
    if g.get("user"):
        _record_platform("auth.logout", object_type="user", object_id=g.user.id)
    sessions.end_session(session.get("sid"))  # a copy of the cookie is refused from now on
    db.session.commit()
    session.clear()
    home = url_for("shell.index", _external=True)
    client = _oauth().create_client(provider) if provider and provider != DEV_ISSUER else None
    if client is not None and client.load_server_metadata().get("end_session_endpoint"):
        url = client.create_logout_url(
            post_logout_redirect_uri=home, id_token_hint=id_token, client_id=client.client_id
        )
        return redirect(url["url"])
    return redirect(home)


# -- development login (never with a provider, never outside development mode) ----------

dev_login = Blueprint("dev_login", __name__, url_prefix="/auth/dev-login")


@dev_login.route("/", methods=["GET", "POST"], endpoint="choose")
@public
def choose_dev_user():
    _refuse_if_throttled()
    if request.method == "POST":
        user = db.session.scalar(
            sa.select(User).where(User.issuer == DEV_ISSUER, User.id == _user_id(request.form.get("user_id")))
        )
        if user is None:
            return login_failed("unknown development user")
        session["login_next"] = safe_next(request.args.get("next"), default="")
        return complete_login(user, DEV_ISSUER)
    users = db.session.scalars(sa.select(User).where(User.issuer == DEV_ISSUER).order_by(User.name)).all()
    return render_template("auth/dev_login.html", users=users)


def _user_id(raw: str | None) -> int | None:
    """A user id as the form sends it, or None: no 64-bit overflow in the query."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def dev_login_allowed(app) -> bool:
    """Only in development mode and only without a provider: it powers ``make run``."""
    return bool(app.debug and not app.config["OIDC_ISSUER"])


def init_app(app) -> None:
    OAuth(app)
    app.register_blueprint(auth)
    if dev_login_allowed(app):
        app.register_blueprint(dev_login)
        app.extensions["dev_login"] = True
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user")})
