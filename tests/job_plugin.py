"""Job kinds for the tests, in a plugin of their own (loaded by the jobs tests and their worker)."""

from __future__ import annotations

import time
import types

from core import provisioning
from core.db import db
from core.errors import UserError
from core.hookspecs import hookimpl
from core.jobs import JobKind, ResultFile
from core.plugins import Manifest, Setting

plugin = types.ModuleType("test_jobs")
plugin.manifest = Manifest(
    id="test_jobs", title="Test jobs", version="1.0", always_on=True,
    settings=(Setting("test_jobs.runs", 0), Setting("test_jobs.fail_until", 0), Setting("test_jobs.sleep_seconds", 0)),
)


def _count(context) -> int:
    """Every run leaves a trace in the database, committed with the job's result or not at all."""
    runs = provisioning.get_setting(context.tenant, "test_jobs.runs") + 1
    provisioning.set_setting(context.tenant, "test_jobs.runs", runs)
    return runs


def _echo(context):
    runs = _count(context)
    context.progress(1, 2, "halfway")
    if context.record.attempts <= provisioning.get_setting(context.tenant, "test_jobs.fail_until"):
        raise RuntimeError(f"planned failure on attempt {context.record.attempts}")
    context.progress(2, 2, "done")
    return [ResultFile("echo.txt", "text/plain", f"{context.params['text']} ({runs})".encode())]


def _sleep(context):
    _count(context)
    time.sleep(provisioning.get_setting(context.tenant, "test_jobs.sleep_seconds"))


def _refuse(context):
    raise UserError("Diese Datei passt nicht.")


def _collide(context):
    """Two rows with one key: what a concurrent job that wrote the same rows first causes."""
    db.session.add_all([provisioning.TenantSetting(key="test_jobs.twin", value=1),
                        provisioning.TenantSetting(key="test_jobs.twin", value=2)])
    db.session.flush()


@hookimpl
def job_kinds():
    return [
        JobKind("test.echo", _echo, "Echo", permission="core.reports.read"),
        JobKind("test.sleep", _sleep, "Sleep", queue="imports", timeout_seconds=120),
        JobKind("test.refuse", _refuse, "Refuse"),
        JobKind("test.collide", _collide, "Collide"),
    ]


plugin.job_kinds = job_kinds
