"""First-information interviews (Erstinformationsgespräch): invitation, outcome, topics, notes, hand-over.

Stub: owned by the interviews work package.
"""

# The shipped checklist (keys; labels are translated in the code); a tenant edits its own copy.
DEFAULT_TOPICS = ("living", "offers", "rights_duties", "language", "work", "school_childcare", "health", "housing")


def timeline(person_id) -> list:
    return []
