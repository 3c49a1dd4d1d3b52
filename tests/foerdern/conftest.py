"""Fixtures of Fördern's tests of needs and referrals (the offers' tests bring their own)."""

from __future__ import annotations

import pytest

from core import clock
from tests.conftest import login_as
from tests.foerdern.needs_support import TODAY, active_tenant


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def grenchen(ctx, today):
    return active_tenant("grenchen")


@pytest.fixture
def officer(client, grenchen):
    login_as(client, (grenchen, "integration_officer"), name="Greta Gerber")
    return client
