"""The fixture of the import tests (loaded with ``pytest_plugins``): two tenants with Informieren since 2017."""

from __future__ import annotations

from datetime import date

import pytest

from core import modules, provisioning
from core.db import db
from tests.conftest import make_tenant

GRENCHEN, BALSTHAL = 2546, 2422


@pytest.fixture
def world(app, ctx, monkeypatch):
    """Grenchen (2546) and Balsthal (2422), both serving their commune since 2017 with Informieren active.

    Jobs run in-process (the tests with a real worker have their own fixture).
    """
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    make_tenant("kanton", kind="canton")
    tenants = []
    for slug, name, bfs in (("grenchen", "Grenchen", GRENCHEN), ("balsthal", "Balsthal", BALSTHAL)):
        tenant = provisioning.create_tenant(slug, name, "commune", [bfs], valid_from=date(2017, 1, 1))
        modules.entitle(tenant, "informieren")
        modules.activate(tenant, "informieren", date(2017, 1, 1))
        db.session.commit()
        tenants.append(tenant)
    return tuple(tenants)
