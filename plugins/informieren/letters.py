"""Welcome letters: templates per tenant and language, PDF per household, combined print file.

Stub: owned by the letters work package.
"""


def install_defaults(tenant) -> None:
    """Seed the shipped templates (de, fr, it, en) where the tenant has none; idempotent."""


def job_kinds() -> list:
    return []


def timeline(person_id) -> list:
    return []
