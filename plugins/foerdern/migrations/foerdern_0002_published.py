"""Fördern's published projection: offers other tenants and the public page read, their recipients, hidden ones.

Revision ID: foerdern_0002_published
Revises: foerdern_0001_offers
"""

import sqlalchemy as sa
from alembic import op

import core.db
from core import rls

revision = "foerdern_0002_published"
down_revision = "foerdern_0001_offers"
branch_labels = None
depends_on = None

# The rules of the models' shared_read_criterion (plugins/foerdern/models.py), for row-level security.
# Only with a scope; a cantonal row only from the canton's tenant; a regional one for its recipients.
PUBLISHED_RULE = f"""{rls.SCOPE_TENANT} IS NOT NULL AND (
    (reach = 'cantonal' AND (SELECT kind FROM tenants WHERE id = foerdern_published_offers.tenant_id) = 'canton')
    OR (reach = 'regional' AND EXISTS (
        SELECT 1 FROM foerdern_offer_recipients r
        WHERE r.tenant_id = foerdern_published_offers.tenant_id AND r.offer_id = foerdern_published_offers.offer_id
          AND r.recipient_tenant_id = {rls.SCOPE_TENANT})))"""
RECIPIENT_RULE = f"recipient_tenant_id = {rls.SCOPE_TENANT}"


def _tenant_column(name="tenant_id"):
    return sa.Column(name, sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False)


def _offer_fk(table):
    return sa.ForeignKeyConstraint(["tenant_id", "offer_id"], ["foerdern_offers.tenant_id", "foerdern_offers.id"],
                                   ondelete="CASCADE", name=op.f(f"fk_{table}_tenant_id_foerdern_offers"))


def upgrade():
    op.create_table(
        "foerdern_published_offers",
        _tenant_column(),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("reach", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=False),
        _offer_fk("foerdern_published_offers"),
        sa.CheckConstraint("reach IN ('own', 'regional', 'cantonal')", name=op.f("ck_foerdern_published_offers_reach")),
        sa.PrimaryKeyConstraint("tenant_id", "offer_id", name=op.f("pk_foerdern_published_offers")),
    )
    op.create_index("ix_foerdern_published_offers_reach", "foerdern_published_offers", ["reach"])
    op.create_table(
        "foerdern_offer_recipients",
        _tenant_column(),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        _offer_fk("foerdern_offer_recipients"),
        sa.PrimaryKeyConstraint("tenant_id", "offer_id", "recipient_tenant_id",
                                name=op.f("pk_foerdern_offer_recipients")),
    )
    op.create_table(
        "foerdern_hidden_offers",
        _tenant_column(),
        sa.Column("publisher_tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("hidden_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hidden_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "publisher_tenant_id", "offer_id", name=op.f("pk_foerdern_hidden_offers")),
    )
    for table in ("foerdern_published_offers", "foerdern_offer_recipients", "foerdern_hidden_offers"):
        rls.protect(op, table)
    rls.admit_shared_reads(op, "foerdern_published_offers", PUBLISHED_RULE)
    rls.admit_shared_reads(op, "foerdern_offer_recipients", RECIPIENT_RULE)


def downgrade():
    op.drop_table("foerdern_hidden_offers")
    op.drop_table("foerdern_offer_recipients")
    op.drop_table("foerdern_published_offers")
