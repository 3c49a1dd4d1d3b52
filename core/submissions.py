"""Hand-offs from a commune to the canton: numbered, audited submissions with a narrow canton view.

A module declares the kinds of objects it hands to the canton in its manifest
(:class:`core.plugins.SubmissionKind`: a Fordern case to escalate, a subsidy claim) and
calls :func:`submit` with a *snapshot* of the object: a title and a JSON payload the
module renders for the canton (labels to values), plus references to attachments.  The
canton reviews that snapshot, never the commune's live rows: it is the commune's
published projection of its object, and a later change to the object is not seen until
the commune submits again.

Design, and why:

- **Ownership.**  A submission, its versions and its history belong to the *submitting*
  tenant (``TenantScoped``): the commune keeps its own record of what it handed over,
  the composite keys keep versions and events inside it, and the rows are distributed
  with the rest of the commune's data.
- **The canton's view is structural.**  The three tables also derive from
  :class:`core.db.CantonVisible`: in the canton's own scope a SELECT sees every tenant's
  rows of these tables, and row-level security admits the same reads (a second,
  SELECT-only policy, :func:`core.rls.admit_canton_reads`).  Every other table of a
  commune stays invisible to the canton outside the audited ``canton_scope``; the canton
  does not need it to review.  Every read of a submission row by the canton is recorded
  in the audit log of both tenants (:mod:`core.audit`, ``canton.read``).
- **Writes stay with the owner.**  The canton cannot change a commune's rows, neither
  through the ORM nor under row-level security.  Its decisions go through
  :func:`change`, which takes the row lock and writes the state and the event in the
  submitting tenant's scope (the one narrow write path), then tells the owning module
  (``submission_changed`` hook, in that scope and transaction) and writes an audit event
  in both tenants.
- **Numbers** (``FO-2027-0042``) form one series per kind prefix and calendar year across
  all communes, so the counter row belongs to the canton's tenant; :func:`next_number`
  and :func:`lock_series` are the only code that touches it: an
  ``INSERT … ON CONFLICT DO UPDATE`` creates and locks the row, an ``UPDATE … RETURNING``
  takes the number, both in the submitting transaction.  The row lock serialises
  concurrent submissions of a series until their commit, the number is taken only after
  every check passed, and a rolled back submission rolls its number back too: numbers are
  unique and gap-free.
- **States**: submitted → in review → accepted or returned; a commune may withdraw while
  the canton has not started (submitted).  Accepting and returning need the review to
  have started, so the commune sees when the canton took it up and cannot withdraw under
  its hands.  Returning needs a reason.  Resubmitting a returned submission (``submit``
  of the same object) adds a version under the same number.  Accepted and withdrawn are
  final: submitting the object again starts a new submission with a new number.
- **One open submission per object** (submitted, in review or returned): submitting it
  again while the canton has it is refused with a message naming its number.  The check
  runs under the series' lock, so two concurrent submissions of one object cannot both
  pass it; a unique partial index says the same in the database.
- **History** is append-only, like the audit log: every event says what changed, from
  which state, when, by whom, on which side (commune or canton), and why.
"""

from __future__ import annotations

import json
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, clock, modules
from core.db import CantonVisible, TenantScoped, UTCDateTime, append_only, current_scope, db, tenant_fk, uuid_pk
from core.errors import UserError
from core.plugins import SubmissionKind
from core.tenancy import Tenant, canton_tenant, tenant_scope

MAX_PAYLOAD_BYTES = 1_000_000  # a snapshot is a rendering of one object, not a file store


class State(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


STATE_LABELS = {
    State.SUBMITTED: _l("eingereicht"),
    State.IN_REVIEW: _l("in Prüfung"),
    State.ACCEPTED: _l("angenommen"),
    State.RETURNED: _l("zurückgewiesen"),
    State.WITHDRAWN: _l("zurückgezogen"),
}
OPEN_STATES = (State.SUBMITTED, State.IN_REVIEW, State.RETURNED)
_OPEN_SQL = "state IN ('submitted', 'in_review', 'returned')"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[State, ...]
    target: State
    by_canton: bool
    label: Any
    note_required: bool = False


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("start_review", (State.SUBMITTED,), State.IN_REVIEW, True, _l("Prüfung beginnen")),
        Transition("accept", (State.IN_REVIEW,), State.ACCEPTED, True, _l("annehmen")),
        Transition("return", (State.IN_REVIEW,), State.RETURNED, True, _l("zurückweisen"), note_required=True),
        Transition("withdraw", (State.SUBMITTED,), State.WITHDRAWN, False, _l("zurückziehen")),
    )
}
ACTION_LABELS = {
    "submit": _l("eingereicht"),
    "resubmit": _l("erneut eingereicht"),
    "start_review": _l("Prüfung begonnen"),
    "accept": _l("angenommen"),
    "return": _l("zurückgewiesen"),
    "withdraw": _l("zurückgezogen"),
}


# -- the tables ----------------------------------------------------------------------------------


class Submission(TenantScoped, CantonVisible, db.Model):
    """An object a tenant handed to the canton; owned by the submitting tenant, readable by the canton."""

    __tablename__ = "submissions"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(sa.String(100))
    number: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[str] = mapped_column(sa.String(200))  # the module's id of its object
    title: Mapped[str] = mapped_column(sa.String(300))  # of the current version
    state: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[int]  # the current snapshot
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # first submitted
    submitted_by: Mapped[str] = mapped_column(sa.String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the last event

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "number", name="uq_submissions_number"),
        sa.Index("ix_submissions_number", "number"),  # the canton finds one by its number alone
        sa.Index("ix_submissions_open_object", "tenant_id", "kind", "object_id", unique=True,
                 sqlite_where=sa.text(_OPEN_SQL), postgresql_where=sa.text(_OPEN_SQL)),
        sa.CheckConstraint("state IN ('submitted', 'in_review', 'accepted', 'returned', 'withdrawn')",
                           name="state"),
        sa.CheckConstraint("version >= 1", name="version"),
    )

    def audit_ref(self) -> tuple[str, str]:
        return "submission", str(self.id)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))


class SubmissionVersion(TenantScoped, CantonVisible, db.Model):
    """One snapshot of a submission as the canton reviews it (append-only)."""

    __tablename__ = "submission_versions"

    submission_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(sa.String(300))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (tenant_fk(["submission_id"], "submissions"),)

    def audit_ref(self) -> tuple[str, str]:
        return "submission", str(self.submission_id)


class SubmissionEvent(TenantScoped, CantonVisible, db.Model):
    """One step in a submission's history (append-only): what, from which state, when, who, why."""

    __tablename__ = "submission_events"

    submission_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, … per submission
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(200))
    by_canton: Mapped[bool]
    action: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[int]
    note: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (tenant_fk(["submission_id"], "submissions"),)

    def audit_ref(self) -> tuple[str, str]:
        return "submission", str(self.submission_id)

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


class SubmissionCounter(TenantScoped, db.Model):
    """The last number given in a series (kind prefix, year); owned by the canton's tenant."""

    __tablename__ = "submission_counters"

    prefix: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int]


append_only(SubmissionVersion, SubmissionEvent, what="a submission's versions and history are")


# -- kinds ---------------------------------------------------------------------------------------


def kinds() -> dict[str, tuple[str, SubmissionKind]]:
    """Every declared kind by id, with the id of the module that declared it."""
    return modules.registry().submission_kinds()


def kind_of(kind_id: str) -> SubmissionKind:
    """The declared kind, or (a module since uninstalled) a stand-in with the default permissions."""
    found = kinds().get(kind_id)
    return found[1] if found else SubmissionKind(kind_id, "", kind_id)


# -- numbers -------------------------------------------------------------------------------------


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


def lock_series(kind: SubmissionKind, year: int) -> None:
    """Lock the series of ``kind`` in ``year`` until the transaction ends (its counter starts at 0).

    Submitters of one series take turns from here on, so what they check next (is the
    object with the canton already?) still holds when they commit.
    """
    canton = canton_tenant()
    table = SubmissionCounter.__table__
    insert = (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)
    statement = insert.values(tenant_id=canton.id, prefix=kind.prefix, year=year, last_number=0).on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.prefix, table.c.year], set_={"last_number": table.c.last_number})
    with tenant_scope(canton):
        db.session.execute(statement)


def next_number(kind: SubmissionKind, year: int) -> str:
    """The next number of the kind's series in ``year``, counted in the canton's tenant.

    Runs in the caller's transaction: the counter row stays locked until it commits (so
    concurrent submissions of a series take turns), and a rollback gives the number back.
    """
    lock_series(kind, year)
    with tenant_scope(canton_tenant()):
        number = db.session.execute(
            sa.update(SubmissionCounter)
            .where(SubmissionCounter.prefix == kind.prefix, SubmissionCounter.year == year)
            .values(last_number=SubmissionCounter.last_number + 1)
            .returning(SubmissionCounter.last_number)
        ).scalar_one()
    return format_number(kind.prefix, year, number)


# -- submitting ----------------------------------------------------------------------------------


def _check_snapshot(title: str, payload: dict, attachments) -> tuple[str, dict, list]:
    title = (title or "").strip()
    if not title or len(title) > 300:
        raise UserError(_("Eine Eingabe braucht einen Titel von höchstens 300 Zeichen."))
    if not isinstance(payload, dict) or not all(isinstance(key, str) for key in payload):
        raise UserError(_("Der Inhalt einer Eingabe muss eine Zuordnung von Bezeichnungen zu Werten sein."))
    try:
        text = json.dumps({"payload": payload, "attachments": list(attachments)}, ensure_ascii=False)
    except (TypeError, ValueError):
        raise UserError(_("Der Inhalt der Eingabe lässt sich nicht speichern (nur Text, Zahlen, Listen).")) from None
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise UserError(_("Der Inhalt der Eingabe ist zu gross."))
    snapshot = json.loads(text)  # a copy: later changes to the caller's dict do not reach it
    return title, snapshot["payload"], snapshot["attachments"]


def _open_submission(kind_id: str, object_id: str) -> Submission | None:
    return db.session.scalar(
        sa.select(Submission)
        .where(Submission.kind == kind_id, Submission.object_id == object_id, Submission.state.in_(OPEN_STATES))
        .with_for_update().execution_options(populate_existing=True)
    )


def submit(tenant: Tenant, kind: str, object_id: str, title: str, payload: dict, attachments=(),
           note: str = "") -> Submission:
    """Hand ``object_id`` (a snapshot of it) to the canton as a submission of ``kind``.

    A new submission gets the next number of its series; a returned one of the same object
    gets a new version under its number.  Refused while the canton has the object already.
    The caller (the module's view, job or command) has checked the user's permission.
    """
    declared = kinds().get(kind)
    if declared is None:
        raise UserError(_("Unbekannte Art von Eingabe: %(kind)s", kind=kind))
    module_id, kind_ = declared
    if tenant.is_canton:
        raise UserError(_("Nur Gemeinden und regionale Umsetzungen reichen Eingaben beim Kanton ein."))
    manifest = modules.registry().manifests[module_id]
    if not manifest.always_on and module_id not in modules.active_modules(tenant):
        raise UserError(_("Das Modul %(module)s ist in diesem Mandanten nicht eingeschaltet.", module=manifest.title))
    object_id = str(object_id)
    title, payload, attachments = _check_snapshot(title, payload, attachments)
    now, actor, year = clock.utcnow(), audit.current_actor(), clock.today().year
    with tenant_scope(tenant):
        lock_series(kind_, year)  # until commit: no one else submits this object meanwhile
        submission = _open_submission(kind, object_id)
        if submission is not None and submission.state != State.RETURNED:
            raise UserError(_("Dieses Objekt liegt dem Kanton schon vor: Eingabe %(number)s (%(state)s).",
                              number=submission.number, state=submission.state_label))
        if submission is None:
            submission = Submission(id=uuid.uuid4(), kind=kind, number=next_number(kind_, year),
                                    object_id=object_id, title=title, state=State.SUBMITTED, version=1,
                                    submitted_at=now, submitted_by=actor, changed_at=now)
            db.session.add(submission)
            action, source = "submit", None
        else:
            action, source = "resubmit", State.RETURNED
            submission.version += 1
            submission.state, submission.title, submission.changed_at = State.SUBMITTED, title, now
        db.session.add(SubmissionVersion(submission_id=submission.id, version=submission.version, title=title,
                                         payload=payload, attachments=attachments, created_at=now, created_by=actor))
        event = _add_event(submission, action, source, note, by_canton=False)
    _record(tenant, submission, event)
    _notify(tenant, submission, event)
    return submission


def _add_event(submission: Submission, action: str, source: State | None, note: str, *,
               by_canton: bool) -> SubmissionEvent:
    """The next step of the history, in the owner's scope, while the submission's row is locked."""
    seq = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(SubmissionEvent.seq), 0))
        .where(SubmissionEvent.submission_id == submission.id)
    ) + 1
    event = SubmissionEvent(submission_id=submission.id, seq=seq, occurred_at=submission.changed_at,
                            actor=audit.current_actor(), by_canton=by_canton, action=action, from_state=source,
                            to_state=submission.state, version=submission.version, note=(note or "").strip())
    db.session.add(event)
    return event


# -- the canton's decisions and the commune's withdrawal -----------------------------------------


def refusal(submission: Submission, transition: Transition) -> str:
    """Why ``transition`` cannot happen to ``submission`` in its state."""
    sources = ", ".join(f"«{STATE_LABELS[s]}»" for s in transition.sources)
    return _("Eingabe %(number)s ist «%(state)s»: «%(action)s» geht nur, wenn sie %(sources)s ist.",
             number=submission.number, state=submission.state_label, action=transition.label, sources=sources)


_decision: ContextVar[Any] = ContextVar("submission_decision", default=None)


def decision() -> Any:
    """In ``submission_changed``: what the caller of :func:`change` handed over as ``decision``, else None."""
    return _decision.get()


def change(submission: Submission, action: str, note: str = "", *, decision: Any = None) -> SubmissionEvent:
    """Take one step of the state machine: the canton's (start_review, accept, return) or the commune's (withdraw).

    The caller checks the user's permission; this checks the side: the canton's steps only
    in the canton's scope, the commune's only in the owner's.  ``decision`` is the module's own
    account of the step (an amount, a document), for its ``submission_changed`` hook: the hook
    runs in the owner's scope and sees only the submission and its event, and reads it with
    :func:`decision`.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise UserError(_("Unbekannter Schritt: %(action)s", action=action))
    note = (note or "").strip()
    if transition.note_required and not note:
        raise UserError(_("Bitte geben Sie einen Grund an."))
    if len(note) > 5000:
        raise UserError(_("Die Begründung ist zu lang (höchstens 5000 Zeichen)."))
    owner = db.session.get(Tenant, submission.tenant_id)
    actor_tenant = current_scope().tenant_id
    if transition.by_canton and actor_tenant != canton_tenant().id:
        raise UserError(_("Nur der Kanton kann eine Eingabe prüfen, annehmen oder zurückweisen."))
    if not transition.by_canton and actor_tenant != owner.id:
        raise UserError(_("Nur die einreichende Gemeinde kann ihre Eingabe zurückziehen."))
    with tenant_scope(owner):  # the one path by which the canton's decision reaches the owner's rows
        submission = db.session.scalar(
            sa.select(Submission).where(Submission.id == submission.id)
            .with_for_update().execution_options(populate_existing=True)
        )
        if submission.state not in transition.sources:
            raise UserError(refusal(submission, transition))
        source = State(submission.state)
        submission.state, submission.changed_at = transition.target, clock.utcnow()
        event = _add_event(submission, action, source, note, by_canton=transition.by_canton)
    _record(owner, submission, event)
    token = _decision.set(decision)
    try:
        _notify(owner, submission, event)
    finally:
        _decision.reset(token)
    return event


def _record(owner: Tenant, submission: Submission, event: SubmissionEvent) -> None:
    """The step in the audit log of the submitting tenant and of the canton."""
    detail = {"number": submission.number, "kind": submission.kind, "version": submission.version,
              "from": event.from_state, "to": event.to_state, "note": event.note}
    with tenant_scope(owner):
        audit.record(f"submission.{event.action}", object_type="submission", object_id=submission.id,
                     detail=detail)
    canton = canton_tenant()
    with tenant_scope(canton):
        audit.record(f"submission.{event.action}", object_type="submission", object_id=submission.id,
                     detail={**detail, "tenant": owner.slug})


def _notify(owner: Tenant, submission: Submission, event: SubmissionEvent) -> None:
    """Tell the module that declared the kind, in the owner's scope (where it is active)."""
    declared = kinds().get(submission.kind)
    if declared is None:
        return
    module_id = declared[0]
    registry = modules.registry()
    if not registry.manifests[module_id].always_on and module_id not in modules.active_modules(owner):
        return
    with tenant_scope(owner):
        registry.hook_for([module_id]).submission_changed(tenant=owner, submission=submission, event=event)


# -- reading -------------------------------------------------------------------------------------


def find(number: str) -> Submission | None:
    """The submission with this number that the current scope may see (its own; the canton's: all)."""
    return db.session.scalar(sa.select(Submission).where(Submission.number == number))


def versions(submission: Submission) -> list[SubmissionVersion]:
    return db.session.scalars(
        sa.select(SubmissionVersion).where(SubmissionVersion.tenant_id == submission.tenant_id,
                                           SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.version.desc())
    ).all()


def history(submission: Submission) -> list[SubmissionEvent]:
    return db.session.scalars(
        sa.select(SubmissionEvent).where(SubmissionEvent.tenant_id == submission.tenant_id,
                                         SubmissionEvent.submission_id == submission.id)
        .order_by(SubmissionEvent.seq)
    ).all()


def of_object(kind: str, object_id: str) -> list[Submission]:
    """The current tenant's submissions of one object, newest first (for the module's own pages)."""
    return db.session.scalars(
        sa.select(Submission).where(Submission.kind == kind, Submission.object_id == str(object_id))
        .order_by(Submission.submitted_at.desc())
    ).all()
