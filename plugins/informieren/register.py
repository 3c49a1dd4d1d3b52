"""The newcomer register: manual entry and editing, list with filters, person page, API, CLI listing.

Stub: owned by the register work package.
"""


def timeline(person_id) -> list:
    """Informieren's own timeline entries for a person: created, corrected, edited."""
    return []
