"""The platform's clock: timestamps in UTC, calendar days in Solothurn's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

ZURICH = ZoneInfo("Europe/Zurich")


def utcnow() -> datetime:
    return datetime.now(UTC)


def start_of(day: date) -> datetime:
    """Midnight in Switzerland at the start of ``day``, as UTC."""
    return datetime.combine(day, time(), tzinfo=ZURICH).astimezone(UTC)


def today() -> date:
    """Today in Switzerland: effective dates (activations, deadlines) are Swiss calendar days."""
    return datetime.now(ZURICH).date()
