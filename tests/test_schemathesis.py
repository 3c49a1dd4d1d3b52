"""The API against its own OpenAPI document: schemathesis, every check, on a real server.

The app runs under gunicorn on a free port of 127.0.0.1 with a database of its own (SQLite,
or PostgreSQL with DATABASE_URL), migrated and loaded with the demo through the CLI, as an
operator would set it up; one API token per scope, made with ``flask tokens create``. Each
operation is called with the token of the scope it declares, so what it answers is what a
client holding just that scope gets. Derandomized and bounded, so that it fits in CI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import POSTGRES, REPO, _drop_postgres_database, _postgres_test_database

TENANT = "grenchen"
SCOPES = ("core:read", "informieren:read", "informieren:write", "informieren:import", "foerdern:read",
          "foerdern:needs", "foerdern:referrals", "fordern:cases")
EXAMPLES = 20  # per operation and phase; the whole run stays within a minute or two


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flask(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", *args], env=env, cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"flask {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server ended with {server.returncode}: {log.read_text()}")
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its worker still booting
            time.sleep(0.2)
    pytest.fail(f"the server did not answer {url} within a minute")


@dataclass
class ServedApi:
    base: str
    tokens: dict[str, str]  # scope → token
    env: dict[str, str]  # the server's environment, for the CLI


@pytest.fixture(scope="module")
def served_api(tmp_path_factory):
    """The demo served by gunicorn, with a token per scope."""
    instance = tmp_path_factory.mktemp("contract-instance")
    database = _postgres_test_database("contract") if POSTGRES else f"sqlite:///{instance / 'contract.db'}"
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": database, "INSTANCE_PATH": str(instance),
           "PYTHONPATH": str(REPO)}
    env.pop("REDIS_URL", None)  # a large delivery would wait for a worker; this run posts small ones
    _flask(env, "db", "upgrade", "heads")
    _flask(env, "demo", "load")
    tokens = {scope: _flask(env, "tokens", "create", TENANT, "--scope", scope, "--name", f"contract {scope}").strip()
              for scope in SCOPES}
    port, log = _free_port(), instance / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
             "--log-level", "warning", "wsgi:app"],
            env=env, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/v1/openapi.json", server, log)
        yield ServedApi(base, tokens, env)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if POSTGRES:
            _drop_postgres_database(database)


def test_every_operation_keeps_its_contract(served_api, tmp_path):
    """`st run --checks all` over the whole document; its report is the failure message."""
    base = served_api.base
    env = {**os.environ, "CONTRACT_TOKENS": json.dumps(served_api.tokens),
           "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(REPO)}
    command = [str(Path(sys.executable).with_name("st")), "--no-color", "--config-file",
               str(REPO / "tests" / "schemathesis.toml"), "run", f"{base}/api/v1/openapi.json", "--url", base,
               "--checks", "all", "--workers", "1", "--report", "junit", "--report-dir", str(tmp_path)]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    # Each token got past its scope check: the operations ran, not only their refusals.
    listed = json.loads(_flask(served_api.env, "tokens", "list", TENANT, "--json"))
    used = {row["name"]: row["last_used_at"] for row in listed}
    assert all(used[f"contract {scope}"] for scope in SCOPES), used
