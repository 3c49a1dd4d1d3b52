"""Subventionen's fixtures: a fixed day in 2018 (the 2017 claims are submitted then), the canton and communes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from core import clock
from tests.subventionen import review_world as the


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: the.TODAY)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime.combine(the.TODAY, time(9), tzinfo=UTC))
    return the.TODAY


@pytest.fixture
def tenants(ctx, today):
    """The canton and two communes, with the 2017 credit of CHF 900'000."""
    canton, communes = the.world(2)
    the.set_credit()
    return canton, communes
