"""Module events: declared by the emitter, taken by subscribers active in the tenant, from anywhere."""

from __future__ import annotations

import types
from datetime import date

import click
import pytest
import sqlalchemy as sa

from core import events, jobs, modules
from core.audit import AuditEvent
from core.db import db
from core.hookspecs import hookimpl
from core.plugins import EventType, Manifest, PluginError, PluginRegistry
from core.tenancy import tenant_scope
from tests.conftest import clear_database, make_app, make_tenant

PING = EventType("emitter.ping", "Ping", fields=("person_id", "text"))


def _emitter():
    plugin = types.ModuleType("emitter")
    plugin.manifest = Manifest(id="emitter", title="Emitter", version="1.0", events=(PING,))

    @hookimpl
    def job_kinds():
        def run(context):
            events.emit(context.tenant, PING.id, person_id="p-job", text="from a job")
        return [jobs.JobKind("emitter.ping", run, "Ping")]

    @hookimpl
    def app_ready(app):
        @app.cli.command("ping")
        @click.argument("slug")
        def ping(slug):
            from core.tenancy import get_tenant

            tenant = get_tenant(slug)
            click.echo(events.emit(tenant, PING.id, person_id="p-cli", text="from the CLI"))
            db.session.commit()

    plugin.job_kinds, plugin.app_ready = job_kinds, app_ready
    return plugin


def _subscriber(plugin_id="listener"):
    plugin = types.ModuleType(plugin_id)
    plugin.manifest = Manifest(id=plugin_id, title="Listener", version="1.0", subscribes=(PING.id,))
    plugin.received = []

    @hookimpl
    def handle_event(tenant, event):
        plugin.received.append((tenant.slug, event.type, event.payload))
        return f"{plugin_id} took {event.payload['text']}"

    plugin.handle_event = handle_event
    return plugin


def _bystander():
    """Implements handle_event but subscribes to nothing: it never hears of the ping."""
    plugin = types.ModuleType("bystander")
    plugin.manifest = Manifest(id="bystander", title="Bystander", version="1.0")
    plugin.received = []

    @hookimpl
    def handle_event(tenant, event):
        plugin.received.append(event)

    plugin.handle_event = handle_event
    return plugin


@pytest.fixture
def world(app, database_url):
    listener, bystander = _subscriber(), _bystander()
    # Jobs in-process: a real worker would load the installed plugins, not these.
    test_app = make_app(plugins=[_emitter(), listener, bystander], SQLALCHEMY_DATABASE_URI=database_url,
                        REDIS_URL=None)
    with test_app.app_context():
        with_it, without = make_tenant("grenchen", communes=[2546]), make_tenant("balsthal", communes=[2422])
        for tenant in (with_it, without):
            for module_id in ("emitter", "listener", "bystander"):
                modules.entitle(tenant, module_id)
            modules.activate(tenant, "emitter", date(2017, 1, 1))
            modules.activate(tenant, "bystander", date(2017, 1, 1))
        modules.activate(with_it, "listener", date(2017, 1, 1))
        db.session.commit()
        yield test_app, listener, bystander, with_it, without
        db.session.rollback()
        db.session.remove()
    clear_database(test_app)


def test_an_event_reaches_the_active_subscribers_only(world):
    _app, listener, bystander, with_it, without = world
    assert events.emit(with_it, PING.id, person_id="p1", text="hello") == ["listener took hello"]
    assert events.emit(without, PING.id, person_id="p2", text="nobody") == []
    assert listener.received == [("grenchen", PING.id, {"person_id": "p1", "text": "hello"})]
    assert bystander.received == []
    assert events.subscribers(with_it, PING.id) == ["listener"]
    assert events.subscribers(without, PING.id) == []


def test_the_delivery_is_audited_without_the_payload(world):
    _app, _listener, _bystander, with_it, _without = world
    events.emit(with_it, PING.id, person_id="p1", text="secret words")
    db.session.commit()
    with tenant_scope(with_it):
        [row] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "event.emitted")).all()
    assert row.object_id == PING.id and row.detail == {"delivered_to": ["listener"]}
    assert "secret" not in str(row.detail)


def test_a_payload_must_match_its_declaration(world):
    _app, listener, _bystander, with_it, _without = world
    with pytest.raises(events.EventError, match="missing"):
        events.emit(with_it, PING.id, person_id="p1")
    with pytest.raises(events.EventError, match="unexpected"):
        events.emit(with_it, PING.id, person_id="p1", text="x", extra=1)
    with pytest.raises(events.EventError, match="declared by no installed module"):
        events.emit(with_it, "emitter.unknown")
    assert listener.received == []


def test_events_work_from_a_job_and_the_cli(world):
    app, listener, _bystander, with_it, _without = world
    job = jobs.enqueue("emitter.ping", with_it, {}, requested_by="test")
    db.session.commit()
    with tenant_scope(with_it):
        record = db.session.get(jobs.JobRecord, (with_it.id, job.id), populate_existing=True)
    assert record.state == "finished", record.error
    result = app.test_cli_runner().invoke(args=["ping", "grenchen"])
    assert result.exit_code == 0, result.output
    assert "listener took from the CLI" in result.output
    taken = [payload["text"] for _slug, _type, payload in listener.received]
    assert taken == ["from a job", "from the CLI"]


def test_start_up_refuses_an_event_outside_the_module_namespace_or_declared_twice():
    bad = types.ModuleType("bad")
    bad.manifest = Manifest(id="bad", title="Bad", version="1.0", events=(EventType("other.thing", "x"),))
    with pytest.raises(PluginError, match=r"must start with 'bad\.'"):
        PluginRegistry([bad])
    twice = types.ModuleType("emitter2")
    twice.manifest = Manifest(id="emitter", title="E", version="1.0", events=(PING, PING))
    with pytest.raises(PluginError, match="declared twice"):
        PluginRegistry([twice])
