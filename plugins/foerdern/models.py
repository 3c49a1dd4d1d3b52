"""Fördern's tables: the tenant's integration offers and the kinds of offer it adds to the built-in ones.

An offer's texts for newcomers (title, description, a recurring schedule, the conditions of a
reduced price) are translated columns in the tenant's content languages, German required where
the text is given at all.

``reach`` says who shows the offer: ``own`` (this tenant alone), ``regional`` (also the tenants it
names, :class:`OfferRecipient`) or ``cantonal`` (the canton's: every tenant).  Other tenants never
read ``foerdern_offers``: each saved offer is copied to its published projection,
:class:`PublishedOffer`, which is the one read path between tenants (:class:`core.db.SharedReads`,
the same rule in row-level security).  A tenant hides another's offer with a :class:`HiddenOffer`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.content_languages import translated_column
from core.db import SharedReads, TenantScoped, UTCDateTime, db, one_of, tenant_fk, uuid_pk
from core.money import money_column

OWN_KIND = "own"  # an offer's kind is one of the tenant's own (``own_kind_id``)
BUILTIN_KINDS = ("language_course", "childcare", "parents_group", "club", "counselling", "work", "health", "other")
KINDS = (*BUILTIN_KINDS, OWN_KIND)
TARGET_GROUPS = ("children", "youth", "adults", "parents", "families", "seniors")
TIMINGS = ("dates", "recurring", "ongoing")  # from a start to an end date, a repeated schedule, always
REACHES = ("own", "regional", "cantonal")
URL_LENGTH = 500



class OwnKind(TenantScoped, db.Model):
    """A kind of offer a tenant adds to the built-in ones, named in its content languages."""

    __tablename__ = "foerdern_kinds"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[dict] = translated_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Offer(TenantScoped, db.Model):
    """An integration offer: what, by whom, where, when, for whom, at what cost, how to register."""

    __tablename__ = "foerdern_offers"
    __table_args__ = (
        tenant_fk(["own_kind_id"], "foerdern_kinds"),
        sa.CheckConstraint(one_of("kind", KINDS), name="kind"),
        sa.CheckConstraint("(kind = 'own') = (own_kind_id IS NOT NULL)", name="own_kind"),
        sa.CheckConstraint(one_of("timing", TIMINGS), name="timing"),
        sa.CheckConstraint(one_of("reach", REACHES), name="reach"),
        sa.CheckConstraint("starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name="dates"),
        sa.CheckConstraint("valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until",
                           name="validity"),
        sa.CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="ages"),
        sa.Index("ix_foerdern_offers_kind", "tenant_id", "kind"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[dict] = translated_column()
    description: Mapped[dict | None] = translated_column(nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    own_kind_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # provider
    provider_name: Mapped[str | None] = mapped_column(sa.String(200))
    provider_contact: Mapped[str | None] = mapped_column(sa.Text)
    # where
    address: Mapped[str | None] = mapped_column(sa.Text)
    municipality_bfs: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.bfs_number"))
    online: Mapped[bool] = mapped_column(default=False)
    # when
    timing: Mapped[str] = mapped_column(sa.String(10), default="ongoing")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    schedule: Mapped[dict | None] = translated_column(nullable=True)  # "Tuesdays 14-16", in the content languages
    # for whom
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)  # content language codes spoken in the offer
    target_groups: Mapped[list] = mapped_column(sa.JSON, default=list)  # TARGET_GROUPS
    age_min: Mapped[int | None]
    age_max: Mapped[int | None]
    women_only: Mapped[bool] = mapped_column(default=False)
    childcare: Mapped[bool] = mapped_column(default=False)  # childcare is provided during the offer
    # cost: 0 is free of charge
    cost: Mapped[int] = money_column(default=0)
    reduced_cost: Mapped[int | None] = money_column(nullable=True)
    reduction_conditions: Mapped[dict | None] = translated_column(nullable=True)
    # registration
    registration_url: Mapped[str | None] = mapped_column(sa.String(URL_LENGTH))
    registration_contact: Mapped[str | None] = mapped_column(sa.Text)
    # validity: an offer past valid_until is expired
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    reach: Mapped[str] = mapped_column(sa.String(10), default="own")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(200))

    def expired_on(self, day: date) -> bool:
        return (self.valid_until is not None and self.valid_until < day) or (
            self.timing == "dates" and self.ends_on is not None and self.ends_on < day)

    @classmethod
    def expired_clause(cls, day: date):
        """The SQL of :meth:`expired_on`: past its validity, or a dated offer that has ended.

        Never NULL (an open date compares as not past), so that its negation finds the current ones.
        """
        return sa.or_(sa.and_(cls.valid_until.is_not(None), cls.valid_until < day),
                      sa.and_(cls.timing == "dates", cls.ends_on.is_not(None), cls.ends_on < day))


# -- the published projection: what other tenants and the public page read ---------------------------

_recipients = sa.table("foerdern_offer_recipients", sa.column("tenant_id"), sa.column("offer_id"),
                       sa.column("recipient_tenant_id"))
_tenants = sa.table("tenants", sa.column("id"), sa.column("kind"))


class PublishedOffer(TenantScoped, SharedReads, db.Model):
    """An offer as its tenant publishes it: the public page's document, and who else may read it.

    Written with the offer in the same transaction (``plugins.foerdern.published``), never by
    another tenant.  A cantonal row is read by every tenant, a regional one by its recipients.
    """

    __tablename__ = "foerdern_published_offers"
    __table_args__ = (
        tenant_fk(["offer_id"], "foerdern_offers", ondelete="CASCADE"),
        sa.CheckConstraint(one_of("reach", REACHES), name="reach"),
        sa.Index("ix_foerdern_published_offers_reach", "reach"),
    )

    offer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    reach: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(20))
    first_day: Mapped[date | None]  # shown from (valid_from)
    last_day: Mapped[date | None]  # shown until: the earlier of valid_until and a dated offer's end
    document: Mapped[dict] = mapped_column(sa.JSON)  # plugins.foerdern.published.document
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # The same rule as row-level security's (migration foerdern_0002_published).
    @classmethod
    def shared_read_criterion(cls):
        shared = sa.exists().where(_recipients.c.tenant_id == cls.tenant_id,
                                   _recipients.c.offer_id == cls.offer_id,
                                   _recipients.c.recipient_tenant_id == sa.bindparam("scope_tenant_id"))
        # A cantonal row counts only from the canton's tenant: a commune cannot publish to every tenant.
        by_canton = sa.exists().where(_tenants.c.id == cls.tenant_id, _tenants.c.kind == sa.literal_column("'canton'"))
        return sa.or_(sa.and_(cls.reach == sa.literal_column("'cantonal'"), by_canton),
                      sa.and_(cls.reach == sa.literal_column("'regional'"), shared))

    def current_on(self, day: date) -> bool:
        return (self.first_day is None or self.first_day <= day) and (self.last_day is None or day <= self.last_day)

    @classmethod
    def current_clause(cls, day: date):
        return sa.and_(sa.or_(cls.first_day.is_(None), cls.first_day <= day),
                       sa.or_(cls.last_day.is_(None), cls.last_day >= day))

    # What other parts of the module read of an offer they may not load (another tenant's).
    @property
    def key(self) -> str:
        """How a form names it: its tenant and id (a regional or cantonal offer is another tenant's)."""
        return f"{self.tenant_id}:{self.offer_id}"

    @property
    def title(self) -> dict:
        return self.document["title"]

    @property
    def own_kind_id(self) -> uuid.UUID | None:
        kind_id = self.document.get("own_kind_id")
        return uuid.UUID(kind_id) if kind_id else None

    @property
    def languages(self) -> list[str]:
        return self.document.get("languages", [])

    @property
    def target_groups(self) -> list[str]:
        return self.document.get("target_groups", [])

    @property
    def cost(self) -> int:
        return self.document["cost"]["amount"]


class OfferRecipient(TenantScoped, SharedReads, db.Model):
    """A tenant a regional offer is shared with; the recipient may read that it is one."""

    __tablename__ = "foerdern_offer_recipients"
    __table_args__ = (tenant_fk(["offer_id"], "foerdern_offers", ondelete="CASCADE"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    recipient_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), primary_key=True)

    @classmethod
    def shared_read_criterion(cls):
        return cls.recipient_tenant_id == sa.bindparam("scope_tenant_id")


class HiddenOffer(TenantScoped, db.Model):
    """Another tenant's offer (cantonal or regional) this tenant does not show, with who hid it and when."""

    __tablename__ = "foerdern_hidden_offers"

    publisher_tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), primary_key=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hidden_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_by: Mapped[str] = mapped_column(sa.String(200))
