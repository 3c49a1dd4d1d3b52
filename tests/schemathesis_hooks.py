"""schemathesis hooks for tests/test_schemathesis.py: each operation is called with its scope's token.

The tokens come as JSON (scope → token) in ``CONTRACT_TOKENS``; the scope is the one the
operation's ``security`` names in the OpenAPI document.
"""

from __future__ import annotations

import json
import os

import schemathesis

TOKENS = json.loads(os.environ["CONTRACT_TOKENS"])


def scope_of(operation) -> str:
    [requirement] = operation.definition.raw["security"]
    [scope] = requirement["bearer"]
    return scope


@schemathesis.auth(refresh_interval=None)
class TokenOfTheOperationsScope:
    def get(self, case, context):
        return TOKENS[scope_of(case.operation)]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
