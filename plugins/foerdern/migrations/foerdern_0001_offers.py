"""Fördern's first tables: the integration offers and the tenant's own kinds of offer.

Revision ID: foerdern_0001_offers
Revises:
"""

import sqlalchemy as sa
from alembic import op

import core.content_languages
import core.db
import core.money
from core import rls

revision = "foerdern_0001_offers"
down_revision = None
branch_labels = ("foerdern",)
depends_on = "core_0014_sealed_scope"

TRANSLATED = core.content_languages.TranslatedText


def _tenant_column():
    return sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False)


def upgrade():
    op.create_table(
        "foerdern_kinds",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", TRANSLATED(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_foerdern_kinds")),
    )
    op.create_table(
        "foerdern_offers",
        _tenant_column(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", TRANSLATED(), nullable=False),
        sa.Column("description", TRANSLATED(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("own_kind_id", sa.Uuid(), nullable=True),
        sa.Column("provider_name", sa.String(200), nullable=True),
        sa.Column("provider_contact", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("municipality_bfs", sa.Integer(), sa.ForeignKey("municipalities.bfs_number"), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("timing", sa.String(10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("schedule", TRANSLATED(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("target_groups", sa.JSON(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("women_only", sa.Boolean(), nullable=False),
        sa.Column("childcare", sa.Boolean(), nullable=False),
        sa.Column("cost", core.money.Money(), nullable=False),  # brings its own check: whole Rappen, not negative
        sa.Column("reduced_cost", core.money.Money(), nullable=True),
        sa.Column("reduction_conditions", TRANSLATED(), nullable=True),
        sa.Column("registration_url", sa.String(500), nullable=True),
        sa.Column("registration_contact", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("reach", sa.String(10), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "own_kind_id"], ["foerdern_kinds.tenant_id", "foerdern_kinds.id"],
                                name=op.f("fk_foerdern_offers_tenant_id_foerdern_kinds")),
        sa.CheckConstraint("kind IN ('language_course', 'childcare', 'parents_group', 'club', 'counselling', "
                           "'work', 'health', 'other', 'own')", name=op.f("ck_foerdern_offers_kind")),
        sa.CheckConstraint("(kind = 'own') = (own_kind_id IS NOT NULL)", name=op.f("ck_foerdern_offers_own_kind")),
        sa.CheckConstraint("timing IN ('dates', 'recurring', 'ongoing')", name=op.f("ck_foerdern_offers_timing")),
        sa.CheckConstraint("reach IN ('own', 'regional', 'cantonal')", name=op.f("ck_foerdern_offers_reach")),
        sa.CheckConstraint("starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on",
                           name=op.f("ck_foerdern_offers_dates")),
        sa.CheckConstraint("valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until",
                           name=op.f("ck_foerdern_offers_validity")),
        sa.CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max",
                           name=op.f("ck_foerdern_offers_ages")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_foerdern_offers")),
    )
    op.create_index("ix_foerdern_offers_kind", "foerdern_offers", ["tenant_id", "kind"])
    for table in ("foerdern_kinds", "foerdern_offers"):
        rls.protect(op, table)


def downgrade():
    op.drop_table("foerdern_offers")
    op.drop_table("foerdern_kinds")
