"""schemathesis hooks for tests/test_schemathesis.py: each operation is called with its scope's token.

The tokens come as JSON (scope → token) in ``CONTRACT_TOKENS``; the scope is the one the
operation's ``security`` names in the OpenAPI document (a public operation also lists ``{}``:
it is called with its token too, which it must accept).
"""

from __future__ import annotations

import json
import os

import schemathesis

TOKENS = json.loads(os.environ["CONTRACT_TOKENS"])


def scope_of(operation) -> str:
    [requirement] = [r for r in operation.definition.raw["security"] if r]
    [scope] = requirement["bearer"]
    return scope


@schemathesis.auth(refresh_interval=None)
class TokenOfTheOperationsScope:
    def get(self, case, context):
        return TOKENS[scope_of(case.operation)]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
