"""Run in a subprocess by test_third_party_plugin.py, with the example distribution on sys.path."""

import json
import sys

import sqlalchemy as sa
from flask_migrate import upgrade

from core import create_app, modules, provisioning
from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from tests.conftest import login_as

app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    upgrade(revision="heads")
    provisioning.load_municipalities()
    provisioning.create_tenant("kanton", "Kanton", "canton", [])
    a = provisioning.create_tenant("grenchen", "Grenchen", "commune", [2546])
    b = provisioning.create_tenant("balsthal", "Balsthal", "commune", [2422])
    for tenant in (a, b):
        modules.entitle(tenant, "example_notes")
    modules.activate(a, "example_notes")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False  # the JSON post carries no form token
    client = app.test_client()
    login_as(client, (a, "integration_officer"), (b, "integration_officer"))
result = {
    "modules": [m.id for m in app.extensions["plugins"].modules],
    "post_a": client.post("/grenchen/notes/", json={"text": "hello"}).status_code,
    "get_a": client.get("/grenchen/notes/").get_json(),
    "get_b": client.get("/balsthal/notes/").status_code,
    "home_a": "Notes" in client.get("/grenchen/").text,
}
with app.app_context(), tenant_scope(a):
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.startswith("sensitive.")).order_by(AuditEvent.occurred_at)
    ).all()
    result["sensitive"] = [(e.action, e.object_type, e.actor.startswith("user:")) for e in events]
print(json.dumps(result))
