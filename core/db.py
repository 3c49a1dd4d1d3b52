"""Database, the tenant-owned model base and the automatic tenant scope.

Every tenant-owned table derives from :class:`TenantScoped`: ``tenant_id`` is
the first column of its primary key, references between tenant-owned rows are
composite ``(tenant_id, ...)`` foreign keys (:func:`tenant_fk`), and every ORM
statement is filtered to the tenant of the current :class:`Scope`.  Reading
across tenants needs :func:`core.tenancy.canton_scope`.  On PostgreSQL the same
rule is enforced a second time by row-level security (see :mod:`core.rls`).

The two exceptions are structural too, and open reads only, never writes: a model
that also derives from :class:`CantonVisible` (the submissions a commune hands to the
canton, see :mod:`core.submissions`) can be read in the canton's own scope; one that
derives from :class:`SharedReads` (Fördern's published offers) can be read by the
tenants its owner published a row to.  Writing stays with the owner, as for every table.
"""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC

import sqlalchemy as sa
from flask import has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, with_loader_criteria

from core import rls

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Rows stay readable after a commit: a refresh would run in whatever scope is
# current then, where row-level security may rightly hide them.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp, also on SQLite (which forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetimes are not stored; use core.clock.utcnow()")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TenantScopeError(RuntimeError):
    """A tenant-owned table was touched outside a tenant or canton scope."""


@dataclass(frozen=True)
class Scope:
    """Whose rows the current code may see: one tenant's, or all (canton scope)."""

    tenant_id: int | None = None
    all_tenants: bool = False


NO_SCOPE = Scope()
_scope: ContextVar[Scope] = ContextVar("tenant_scope", default=NO_SCOPE)


def current_scope() -> Scope:
    return _scope.get()


@contextlib.contextmanager
def scoped_to(scope: Scope):
    """Run the block in ``scope``; the previous scope returns afterwards.

    Pending changes are flushed on the way in and out, so each is written under
    the scope it was made in (row-level security checks them against it).
    """
    _flush_pending()
    token = _scope.set(scope)
    try:
        yield scope
        _flush_pending()
    finally:
        _scope.reset(token)


def _flush_pending() -> None:
    if has_app_context():
        session = db.session()
        if session.new or session.dirty or session.deleted:
            session.flush()


def enter_scope(scope: Scope):
    """Set the scope until :func:`leave_scope` (for request hooks that cannot use ``with``)."""
    return _scope.set(scope)


def leave_scope(token) -> None:
    _scope.reset(token)


class TenantScoped:
    """Mixin for every tenant-owned table: ``tenant_id`` leads the primary key."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True, sort_order=-100
        )


# The canton's tenant, recognised by the database itself (a scope carries only a tenant id).
_tenants = sa.table("tenants", sa.column("id"), sa.column("kind"))


def identity_ref(obj) -> str:
    """A tenant-owned row's key without its tenant, as the audit log names it: ``<uuid>``, ``<a>/<b>``."""
    key = sa.inspect(obj).mapper.primary_key_from_instance(obj)[1:]  # known before the flush if assigned
    return "" if any(part is None for part in key) else "/".join(str(part) for part in key)


class CantonVisible:
    """Mixin for the few tenant-owned models the canton's tenant may read too (never write).

    Use it only beside :class:`TenantScoped`, for rows a tenant deliberately hands to the
    canton (submissions).  In the canton's scope a SELECT sees every tenant's rows of such
    a model and nothing more of theirs; changes still need the owner's scope.  Row-level
    security admits the same reads (:func:`core.rls.admit_canton_reads`).
    """

    def audit_ref(self) -> tuple[str, str]:
        """What the audit record of a canton's read names: (object type, object id)."""
        return type(self).__tablename__, identity_ref(self)

    @classmethod
    def _read_criterion(cls):
        return sa.or_(
            cls.tenant_id == sa.bindparam("scope_tenant_id"),
            sa.exists().where(_tenants.c.id == sa.bindparam("scope_tenant_id"),
                              _tenants.c.kind == sa.literal_column("'canton'")),
        )


class SharedReads:
    """Mixin for a tenant-owned model whose owner publishes rows to other tenants: they read them, never write.

    Use it only beside :class:`TenantScoped`, for a table that is itself the published
    projection (what the owner chose to show), never for the owner's working rows.  The model
    says which rows of other tenants a scope reads with :meth:`shared_read_criterion`, SQL in
    terms of the bind parameter ``scope_tenant_id``; its migration gives row-level security the
    same rule (:func:`core.rls.admit_shared_reads`), and its tests check both.
    """

    @classmethod
    def shared_read_criterion(cls):
        raise NotImplementedError(f"{cls.__name__} must say which rows other tenants read")


def one_of(column: str, values, nullable: bool = False) -> str:
    """The SQL of a check constraint: ``column`` holds one of ``values`` (or, if ``nullable``, nothing)."""
    listed = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {listed}" if nullable else listed


def append_only(*models: type, what: str) -> None:
    """Refuse every ORM update and delete of these models' rows (a history); ``what`` names them in the error.

    A retention job that must erase a text does it in SQL, on purpose and audited.
    """

    def refuse(mapper, connection, target):
        raise RuntimeError(f"{what} append-only")

    for model in models:
        event.listen(model, "before_update", refuse)
        event.listen(model, "before_delete", refuse)


def uuid_pk() -> Mapped[uuid.UUID]:
    """The row id of a tenant-owned table: a UUID, so SQLite and Citus need no sequence."""
    return mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)


def tenant_fk(columns: list[str], table: str, remote: list[str] | None = None, **kw) -> sa.ForeignKeyConstraint:
    """A composite foreign key that keeps a reference inside one tenant."""
    remote = remote or ["id"]
    return sa.ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{table}.tenant_id", *(f"{table}.{c}" for c in remote)], **kw
    )


def tenant_scoped_models() -> list[type]:
    """Every mapped tenant-owned class (core's and all loaded plugins')."""
    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)),
        key=lambda cls: cls.__tablename__,
    )


def _touches_tenant_tables(state) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


def _read_criterion(cls):
    """What a SELECT in a tenant's scope sees of ``cls``: its own rows (for CantonVisible and SharedReads, more)."""
    if issubclass(cls, CantonVisible):
        return cls._read_criterion()
    if issubclass(cls, SharedReads):
        return sa.or_(cls.tenant_id == sa.bindparam("scope_tenant_id"), cls.shared_read_criterion())
    return cls.tenant_id == sa.bindparam("scope_tenant_id")


# One criterion for every statement, its tenant a parameter: built once, compiled once (see bench/).
# Reads may reach CantonVisible rows in the canton's scope and published SharedReads rows; changes never do.
_TENANT_CRITERIA = with_loader_criteria(
    TenantScoped, lambda cls: cls.tenant_id == sa.bindparam("scope_tenant_id"), include_aliases=True
)
_READ_CRITERIA = with_loader_criteria(TenantScoped, lambda cls: _read_criterion(cls), include_aliases=True)


def _dialect(session: Session) -> str:
    name = session.info.get("dialect")
    if name is None:
        name = session.info["dialect"] = session.get_bind().dialect.name
    return name


def _with_tenant(parameters, tenant_id: int):
    if isinstance(parameters, list):  # executemany
        return [{**p, "scope_tenant_id": tenant_id} for p in parameters]
    return {**(parameters or {}), "scope_tenant_id": tenant_id}


@event.listens_for(Session, "do_orm_execute")
def _apply_tenant_scope(state) -> None:
    scope = current_scope()
    if _dialect(state.session) == "postgresql":
        _apply_rls_settings(state.session, scope)
    if state.is_column_load or state.is_relationship_load:
        # Loads of rows already found: a lazy load carries the criterion of its query.
        if scope.tenant_id is not None:
            state.parameters = _with_tenant(state.parameters, scope.tenant_id)
        return
    if scope.all_tenants or not (state.is_select or state.is_update or state.is_delete):
        return
    if scope.tenant_id is None:
        if _touches_tenant_tables(state):
            raise TenantScopeError("tenant-owned rows queried without a tenant scope")
        return
    state.statement = state.statement.options(_READ_CRITERIA if state.is_select else _TENANT_CRITERIA)
    state.parameters = _with_tenant(state.parameters, scope.tenant_id)


EMPTY_RLS_SCOPE = (None, False)  # what a new transaction starts with: nothing set


def _apply_rls_settings(session: Session, scope: Scope) -> None:
    """Tell PostgreSQL's row-level security the scope, once per transaction and scope.

    The settings travel with the transaction's next statement, in the same round
    trip (:func:`send_rls_settings`), rather than costing one of their own.
    """
    wanted = (scope.tenant_id, scope.all_tenants)
    if session.info.get("rls_scope", EMPTY_RLS_SCOPE) == wanted:
        return
    connection = session.connection()
    connection.info["rls_pending"] = (scope.tenant_id, scope.all_tenants)
    session.info["rls_scope"] = wanted


@event.listens_for(Session, "after_transaction_end")
def _forget_rls_settings(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("rls_scope", None)


# -- PostgreSQL: sending the scope in the same round trip as the next statement -------------


def send_rls_settings(conn, cursor, statement, parameters, context, executemany) -> None:
    """Before a statement: queue the pending settings and the statement in one psycopg pipeline."""
    pending = conn.info.pop("rls_pending", None)
    if pending is None:
        return
    # The secret proves the scope (core.rls); a connection made before the app set it up has none,
    # which the database refuses as an unknown secret.
    arguments = (conn.info.get("scope_secret"), *pending)
    driver = cursor.connection
    if executemany or context is None:
        driver.execute(rls.ENTER_SCOPE_SQL, arguments)  # a round trip of its own
        return
    pipeline = driver.pipeline()
    pipeline.__enter__()
    context.rls_pipeline = pipeline
    driver.execute(rls.ENTER_SCOPE_SQL, arguments)


def sync_rls_pipeline(conn, cursor, statement, parameters, context, executemany) -> None:
    """After the statement was queued: send both and wait for their results."""
    pipeline = getattr(context, "rls_pipeline", None)
    if pipeline is not None:
        context.rls_pipeline = None
        pipeline.__exit__(None, None, None)


def close_rls_pipeline(exception_context) -> None:
    """A statement failed: leave pipeline mode, so the connection can be rolled back."""
    context = exception_context.execution_context
    pipeline = getattr(context, "rls_pipeline", None)
    if pipeline is not None:
        context.rls_pipeline = None
        with contextlib.suppress(Exception):
            pipeline.__exit__(None, None, None)


def drop_pending_rls_settings(conn) -> None:
    """At the end of a transaction: settings never sent must not reach the next one."""
    conn.info.pop("rls_pending", None)


@event.listens_for(Session, "transient_to_pending")
def _stamp_tenant(session, obj) -> None:
    """A new tenant-owned row belongs to the scope it was added in."""
    if isinstance(obj, TenantScoped) and obj.tenant_id is None:
        scope = current_scope()
        if scope.tenant_id is None:
            raise TenantScopeError(f"new {type(obj).__name__} outside a tenant scope")
        obj.tenant_id = scope.tenant_id


@event.listens_for(Session, "before_flush")
def _check_flush(session, flush_context, instances) -> None:
    scope = current_scope()
    if _dialect(session) == "postgresql":
        _apply_rls_settings(session, scope)
    for obj in session.new:
        if isinstance(obj, TenantScoped) and not scope.all_tenants and obj.tenant_id != scope.tenant_id:
            raise TenantScopeError(f"new {type(obj).__name__} for another tenant")
    for obj in session.dirty:
        if isinstance(obj, TenantScoped) and sa.inspect(obj).attrs.tenant_id.history.deleted:
            raise TenantScopeError(f"{type(obj).__name__} cannot move to another tenant")
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, TenantScoped) and not scope.all_tenants and obj.tenant_id != scope.tenant_id:
            raise TenantScopeError(f"{type(obj).__name__} of another tenant changed outside its scope")
