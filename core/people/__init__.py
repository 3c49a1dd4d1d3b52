"""The person belongs to the platform: identity in core, each module's own data in its tables.

``Person`` holds who someone is (names, partial date of birth, sex, nationalities,
languages, address, commune, AHV number, the registry's id, household) for every module:
Informieren welcomes them, Fördern refers them, Fordern opens cases about them.  A module
keeps what is its own in rows that reference the person by the composite key
``(tenant_id, person_id)``, adds panels and timeline entries to core's person page through
hooks (``person_panels``, ``person_timeline``), contributes to the export of everything held
about a person (``person_export``), and agrees when the person may be anonymised
(``retention_holds``, ``retention_erase``; see :mod:`core.people.retention`).
"""

from core.people.models import Person, format_partial_date, search_name
from core.people.page import Panel, TimelineEntry, timeline
from core.people.search import duplicates, matching

__all__ = ["Panel", "Person", "TimelineEntry", "duplicates", "format_partial_date", "matching", "search_name",
           "timeline"]
