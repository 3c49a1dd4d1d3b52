"""Needs handed over from a first-information interview (Informieren's event ``informieren.needs_handed_over``).

Each line of needs the interview noted becomes a need, its category guessed from words in German,
French, Italian or English ("other" when none fits; the officer can change it), a language level
(A1 … C2, literacy) taken from the line. Each offer the interview suggested goes with the first
need of its category, or becomes a need of its own. An interview is recorded once: a repeated event
adds nothing. Fördern does not import Informieren; the payload's fields are the whole contract.
"""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from anyascii import anyascii
from flask_babel import ngettext

from core import clock
from core.db import db
from core.people import Person
from plugins.foerdern import needs
from plugins.foerdern.needs_models import Need

EVENT = "informieren.needs_handed_over"  # person_id, interview_id, needs (texts), offers (texts), languages
LINE_LENGTH = 2000

# Word stems (in ASCII, lower case) naming a category; the first category that matches wins.
KEYWORDS = (
    ("language", r"deutsch|sprach|german|allemand|langue|francais|franzosisch|tedesco|lingua|italienisch|englisch"
                 r"|english|alphabeti|literacy|lesen und schreiben|konversation|conversation|\bdaz\b"
                 r"|\b[abc][12]\b"),
    ("childcare", r"kinderbetreuung|betreuung|\bkita|krippe|spielgruppe|tagesmutter|tagesfamilie|\bhort\b"
                  r"|mittagstisch|garde d|creche|asilo|\bnido\b|childcare|day ?care|nursery|babysit"),
    ("health", r"gesundheit|arzt|krank|therap|psych|zahn|spital|hebamme|schwanger|sante|medecin|medic|soins|malad"
               r"|salute|ospedale|health|doctor|hospital|pregnan|trauma|dentist"),
    ("housing", r"wohn|miete|unterkunft|obdach|logement|appartement|loyer|alloggio|abitazione|affitto|housing"
                r"|\bflat\b|apartment|\brent\b|\brental|\bhouse\b|\bcasa\b"),
    ("work", r"arbeit|stelle|\bjob|beruf|\brav\b|bewerbung|lebenslauf|praktikum|travail|emploi|\bcv\b|lavoro"
             r"|impiego|\bwork|employ|career"),
    ("education", r"schule|ausbildung|bildung|diplom|anerkennung|studium|universit|ecole|scolar|\bformation|scuola"
                  r"|formazione|educat|school|training|\bstud"),
    ("social", r"kontakt|verein|freizeit|nachbar|treff|sport|einsam|freund|contact|association|loisir|voisin"
               r"|contatt|associazion|tempo libero|social|club|friend|neighbo|lonel|isol"),
)
PATTERNS = tuple((category, re.compile(words)) for category, words in KEYWORDS)
LEVEL = re.compile(r"\b([abc][12])\b")
LITERACY = re.compile(r"alphabeti|literacy|lesen und schreiben")


def _plain(text: str) -> str:
    return anyascii(text).casefold()


def guess_category(text: str) -> str:
    plain = _plain(text)
    return next((category for category, pattern in PATTERNS if pattern.search(plain)), "other")


def guess_level(text: str) -> str | None:
    plain = _plain(text)
    if LITERACY.search(plain):
        return "alpha"
    found = LEVEL.search(plain)
    return found.group(1).upper() if found else None


def _lines(values) -> list[str]:
    if not isinstance(values, list):
        return []
    return [value.strip()[:LINE_LENGTH] for value in values if isinstance(value, str) and value.strip()]


def _ids(payload: dict) -> tuple[uuid.UUID, uuid.UUID] | None:
    try:
        return uuid.UUID(str(payload["person_id"])), uuid.UUID(str(payload["interview_id"]))
    except (KeyError, ValueError):
        return None


def plan(need_lines: list[str], offer_lines: list[str]) -> list[dict]:
    """The needs to record: one per need line; an offer joins the first need of its category, or stands alone."""
    planned = []
    for line in need_lines:
        category = guess_category(line)
        planned.append({"category": category, "level": guess_level(line) if category == "language" else None,
                        "note": line, "suggested": []})
    for line in offer_lines:
        category = guess_category(line)
        same = next((need for need in planned if need["category"] == category), None)
        if same is not None:
            same["suggested"].append(line)
        else:
            planned.append({"category": category, "level": guess_level(line) if category == "language" else None,
                            "note": "", "suggested": [line]})
    return planned


def take(tenant, payload: dict) -> str | None:
    """Record the interview's needs for its person; None when there is nothing (new) to record."""
    ids = _ids(payload)
    if ids is None:
        return None
    person_id, interview_id = ids
    person = db.session.get(Person, (tenant.id, person_id))
    if person is None or db.session.scalar(
            sa.select(Need.id).where(Need.interview_id == interview_id).limit(1)) is not None:
        return None
    planned = plan(_lines(payload.get("needs")), _lines(payload.get("offers")))
    today = clock.today()
    for line, values in enumerate(planned):
        needs.add(person, values["category"], values["level"], values["note"], today, interview_id=interview_id,
                  line=line, suggested=values["suggested"])
    if not planned:
        return None
    db.session.flush()
    return ngettext("%(num)s Bedürfnis in Fördern erfasst", "%(num)s Bedürfnisse in Fördern erfasst", len(planned))
