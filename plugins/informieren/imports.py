"""Imports from the residents' registry: eCH-0020 v3 messages (single, batch, ZIP), CSV with a mapping.

Stub: owned by the imports work package.
"""


def job_kinds() -> list:
    return []
