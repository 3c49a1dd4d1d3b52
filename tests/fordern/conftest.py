"""Fordern's fixtures: Grenchen on a fixed day with Informieren, Fördern and Fordern, and its officer."""

from __future__ import annotations

import pytest

from core import clock
from tests.conftest import login_as
from tests.foerdern import needs_support
from tests.fordern import support


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: needs_support.TODAY)
    return needs_support.TODAY


@pytest.fixture
def grenchen(ctx, today):
    return support.commune()


@pytest.fixture
def officer(client, grenchen):
    user = login_as(client, (grenchen, "integration_officer"), name="Greta Gerber")
    client.actor = f"user:{user.id}"
    return client
