"""Country facts the Informieren module needs beside eCH-0008 codes.

Only facts that do not change often and are easy to check live here; the full
BFS country list (eCH-0008 / BFS "Staaten und Gebiete") is not copied: the
registers send ``countryIdISO2`` with the BFS number for almost every country,
and a country without ISO code (e.g. Kosovo, long without one) is kept as
``BFS-<number>`` by :class:`plugins.informieren.imports.ech0020.Country`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# BFS number of Switzerland (eCH-0020 swissNationalityType fixes it to 8100).
SWITZERLAND_BFS = 8100
SWITZERLAND_ISO2 = "CH"

# The 27 EU member states (since 2020) and the EFTA states other than Switzerland.
EU_ISO2 = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
EFTA_ISO2 = frozenset({"IS", "LI", "NO"})
EU_EFTA_ISO2 = EU_ISO2 | EFTA_ISO2


def is_swiss(iso2: str | None, bfs_id: int | None = None) -> bool:
    """True for Switzerland, by ISO code or BFS number."""
    return (iso2 or "").upper() == SWITZERLAND_ISO2 or bfs_id == SWITZERLAND_BFS


# The United Kingdom left free movement on 31.12.2020: its nationals arriving since are third-state nationals.
LEFT_FREE_MOVEMENT = {"GB": date(2021, 1, 1)}


def is_eu_efta(iso2: str | None) -> bool:
    """True for a citizen of an EU or EFTA state (free movement of persons); Switzerland excluded."""
    return (iso2 or "").upper() in EU_EFTA_ISO2


def eu_efta(nationalities: Iterable[str], arrival: date | None) -> bool | None:
    """EU/EFTA national (True), third-state national (False), or None: nothing known, or Swiss.

    A Swiss national (returning from abroad, or a dual national) needs no permit: neither category.
    """
    codes = [code.upper() for code in nationalities if code]
    if not codes or SWITZERLAND_ISO2 in codes:
        return None
    if any(code in EU_EFTA_ISO2 for code in codes):
        return True
    return any(arrival is not None and arrival < LEFT_FREE_MOVEMENT[code]
               for code in codes if code in LEFT_FREE_MOVEMENT)
