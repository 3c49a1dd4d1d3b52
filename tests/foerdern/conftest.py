"""Fördern's shared fixtures: the canton and three communes with Fördern, each reach of offer published."""

from __future__ import annotations

import pytest

from core import modules
from core.db import db
from core.tenancy import canton_tenant
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


