"""Fördern's shared fixtures: the canton and three communes with each reach of offer (``world``); a tenant on
a fixed day with its integration officer, for the needs and referrals (``today``, ``grenchen``, ``officer``;
the offers' own tests bring theirs)."""

from __future__ import annotations

import pytest

from core import clock, modules
from core.db import db
from core.tenancy import canton_tenant
from tests.conftest import login_as
from tests.foerdern import needs_support
from tests.foerdern.support import publish_offer
from tests.foerdern.test_offers import active_tenant


@pytest.fixture
def world(ctx):
    """The canton, three communes with Fördern; each offer of one reach."""
    grenchen, bettlach, balsthal = (active_tenant(slug, [bfs]) for slug, bfs in
                                    (("grenchen", 2546), ("bettlach", 2543), ("balsthal", 2422)))
    canton = canton_tenant()
    modules.entitle(canton, "foerdern")
    modules.activate(canton, "foerdern")
    db.session.commit()
    publish_offer(canton, "Kantonaler Elternkurs", reach="cantonal")
    publish_offer(grenchen, "Deutschtreff Grenchen")
    publish_offer(grenchen, "Regionaler Sprachkurs", reach="regional", recipients=[bettlach])
    return canton, grenchen, bettlach, balsthal


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: needs_support.TODAY)
    return needs_support.TODAY


@pytest.fixture
def grenchen(ctx, today):
    return needs_support.active_tenant("grenchen")


@pytest.fixture
def officer(client, grenchen):
    login_as(client, (grenchen, "integration_officer"), name="Greta Gerber")
    return client
