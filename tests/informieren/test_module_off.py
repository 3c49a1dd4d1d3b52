"""Where Informieren is not active (only entitled, or suspended) every page and API endpoint answers 404."""

from __future__ import annotations

import uuid

import pytest

from core import api, modules
from core.db import db
from tests.conftest import login_as, make_tenant

VALUES = {"person_id": uuid.uuid4(), "interview_id": uuid.uuid4(), "import_id": uuid.uuid4(), "batch": uuid.uuid4(),
          "job_id": uuid.uuid4(), "language": "fr"}


def _urls(app, blueprint: str, slug: str) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != blueprint:
            continue
        values = {"tenant": slug, **{name: VALUES.get(name, 1) for name in rule.arguments if name != "tenant"}}
        url = rule.build(values)[1]
        found += [(method, url) for method in sorted(rule.methods & {"GET", "POST", "PATCH", "PUT", "DELETE"})]
    return found


@pytest.mark.parametrize("state", ["entitled", "suspended"])
def test_every_informieren_url_answers_404_where_the_module_is_off(app, client, ctx, state):
    tenant = make_tenant("grenchen", communes=[2546])
    modules.entitle(tenant, "informieren")
    if state == "suspended":
        modules.activate(tenant, "informieren")
        modules.suspend(tenant, "informieren")
    _token, secret = api.issue_token(tenant, "registry", ["informieren:read", "informieren:write",
                                                          "informieren:import"])
    db.session.commit()
    login_as(client, (tenant, "tenant_admin"), (tenant, "integration_officer"), (tenant, "residents_services"))
    pages = _urls(app, "informieren", "grenchen")
    assert len(pages) >= 20
    for method, url in pages:
        assert client.open(url, method=method).status_code == 404, (method, url)
    endpoints = _urls(app, "informieren_api", "grenchen")
    assert {url.rsplit("/", 1)[-1] for _m, url in endpoints} >= {"newcomers", "deliveries"}
    for method, url in endpoints:
        response = client.open(url, method=method, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 404, (method, url)
        assert response.is_json
