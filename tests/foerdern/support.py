"""Helpers of Fördern's tests."""

from __future__ import annotations

import uuid

from core.db import db
from core.tenancy import tenant_scope
from plugins.foerdern import offers
from plugins.foerdern.models import Offer


def publish_offer(tenant, title: str, reach: str = "own", recipients=(), **values) -> Offer:
    with tenant_scope(tenant):
        offer = Offer(id=uuid.uuid4())
        offers.save(offer, {"title": {"de": title}, "kind": "language_course", "reach": reach, **values}, new=True,
                    recipients=[t.id for t in recipients])
        db.session.commit()
        return offer
