"""The newcomer register's reference data and the one check of a person's fields, for the form and the API.

Nothing here writes: :func:`check_person` says what to store (or why not); ``records`` stores it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock, i18n
from core.ahv import normalize_ahv
from core.db import db
from core.errors import UserError
from core.people.permits import PERMITS
from core.tenancy import Municipality, Tenant, served_municipalities
from plugins.informieren.countries import eu_efta
from plugins.informieren.models import Newcomer, Source, Stage

# -- reference data -------------------------------------------------------------------------

# eCH-0020 names a country without an ISO code by its BFS number (8xxx); imports store "BFS-8xxx".
BFS_COUNTRY = re.compile(r"^BFS-8\d{3}$")

SEXES = {"f": _l("weiblich"), "m": _l("männlich")}
STAGE_LABELS = {
    Stage.NEW: _l("Neu"),
    Stage.LETTER_GENERATED: _l("Schreiben erstellt"),
    Stage.LETTER_SENT: _l("Schreiben versandt"),
    Stage.INVITED: _l("Zum Gespräch eingeladen"),
    Stage.HELD: _l("Gespräch geführt"),
    Stage.DECLINED: _l("Gespräch abgelehnt"),
    Stage.NO_SHOW: _l("Nicht zum Gespräch erschienen"),
}
SOURCE_LABELS = {
    Source.MANUAL: _l("von Hand erfasst"),
    Source.ECH0020: _l("Meldung des Einwohnerregisters (eCH-0020)"),
    Source.API: _l("Schnittstelle (API)"),
    Source.CSV: _l("CSV-Datei"),
}
FIELD_LABELS = {
    "official_name": _l("Amtlicher Name"),
    "first_name": _l("Vorname"),
    "sex": _l("Geschlecht"),
    "date_of_birth": _l("Geburtsdatum"),
    "nationalities": _l("Staatsangehörigkeiten"),
    "languages": _l("Sprachen"),
    "arrival_date": _l("Zuzugsdatum"),
    "municipality_bfs": _l("Gemeinde"),
    "permit_category": _l("Bewilligung"),
    "eu_efta": _l("EU/EFTA"),
    "street": _l("Strasse"),
    "house_number": _l("Hausnummer"),
    "postal_code": _l("Postleitzahl"),
    "town": _l("Ort"),
    "household_key": _l("Haushalt"),
    "local_person_id": _l("Personen-ID des Registers"),
    "vn": _l("AHV-Nummer"),
}


def municipality_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Municipality.bfs_number, Municipality.name)).all())


# -- the check of a person's fields (form and API) ----------------------------------------------


class Invalid(ValueError):
    """A field's value is not acceptable; ``str()`` is the German (translated) message."""


class PersonInvalid(ValueError):
    """A person's data has field errors: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))
        self.errors = errors


REQUIRED = ("official_name", "first_name", "arrival_date", "municipality_bfs")
LENGTHS = {"official_name": 100, "first_name": 100, "street": 150, "house_number": 30, "postal_code": 15,
           "town": 100, "local_person_id": 80, "household_key": 100}
PARTIAL_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
SWISS_DATE = re.compile(r"^(?:(\d{1,2})\.)?(?:(\d{1,2})\.)?(\d{4})$")  # 14.3.1985, 3.1985, 1985
EDITABLE = ("official_name", "first_name", "sex", "date_of_birth", "nationalities", "languages", "arrival_date",
            "municipality_bfs", "permit_category", "street", "house_number", "postal_code", "town",
            "local_person_id", "vn")
INPUT_FIELDS = (*EDITABLE, "moves_with", "household_key")


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _text(name: str):
    def parse(raw):
        if not isinstance(raw, str):
            raise Invalid(_("Bitte einen Text angeben."))
        value = " ".join(raw.split())
        if len(value) > LENGTHS[name]:
            raise Invalid(_("Höchstens %(max)d Zeichen.", max=LENGTHS[name]))
        return value

    return parse


def parse_sex(raw) -> str:
    if raw not in SEXES:
        raise Invalid(_("Bitte «f» (weiblich) oder «m» (männlich) angeben, oder nichts."))
    return raw


def parse_partial_date(raw) -> str:
    """A date of birth: full, year and month, or year only; ISO (1985-03-14) or Swiss (14.03.1985)."""
    text = raw.strip() if isinstance(raw, str) else ""
    iso = PARTIAL_ISO.match(text)
    swiss = None if iso else SWISS_DATE.match(text)
    if iso:
        year, month, day = iso.groups()
    elif swiss:
        first, second, year = swiss.groups()
        day, month = (first, second) if second else (None, first)
    else:
        raise Invalid(_("Bitte als TT.MM.JJJJ, MM.JJJJ oder JJJJ angeben (oder JJJJ-MM-TT)."))
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise Invalid(_("Dieses Datum gibt es nicht.")) from None
    if int(year) < 1900:
        raise Invalid(_("Das Geburtsjahr muss nach 1900 liegen."))
    parts = [year] + [f"{int(part):02d}" for part in (month, day) if part]
    value = "-".join(parts)
    if value > clock.today().isoformat()[: len(value)]:
        raise Invalid(_("Das Geburtsdatum liegt in der Zukunft."))
    return value


def parse_date(raw) -> date:
    if isinstance(raw, date):
        return raw
    text = raw.strip() if isinstance(raw, str) else ""
    match = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", text)
    try:
        return date(int(match[3]), int(match[2]), int(match[1])) if match else date.fromisoformat(text)
    except ValueError:
        raise Invalid(_("Bitte ein Datum angeben (TT.MM.JJJJ).")) from None


def parse_arrival(raw) -> date:
    value = parse_date(raw)
    if value > clock.today():
        raise Invalid(_("Das Zuzugsdatum darf nicht in der Zukunft liegen."))
    if value.year < 1900:
        raise Invalid(_("Bitte ein Datum angeben (TT.MM.JJJJ)."))
    return value


def _code_list(raw, case=str.strip) -> list[str]:
    if isinstance(raw, str):
        raw = re.split(r"[\s,;]+", raw.strip())
    if not isinstance(raw, list | tuple) or not all(isinstance(code, str) for code in raw):
        raise Invalid(_("Bitte eine Liste von Codes angeben."))
    return list(dict.fromkeys(case(code.strip()) for code in raw if code.strip()))  # order kept, repeats dropped


def parse_nationalities(raw) -> list[str]:
    codes = _code_list(raw, str.upper)
    unknown = [code for code in codes if code not in i18n.country_codes() and not BFS_COUNTRY.match(code)]
    if unknown:
        raise Invalid(_("Unbekannter Ländercode: %(codes)s.", codes=", ".join(unknown)))
    return codes


def parse_languages(raw) -> list[str]:
    codes = _code_list(raw, str.lower)
    unknown = [code for code in codes if code not in i18n.language_codes()]
    if unknown:
        raise Invalid(_("Unbekannter Sprachcode: %(codes)s (erwartet wird ISO 639-1, zum Beispiel «pt» "
                        "für Portugiesisch).", codes=", ".join(unknown)))
    return codes


MAX_BFS = 9999


def parse_commune(raw) -> int:
    try:
        bfs = int(str(raw).strip())
    except ValueError:
        bfs = 0
    if not 1 <= bfs <= MAX_BFS:  # a BFS number has at most four digits; a larger one no column could hold
        raise Invalid(_("Bitte eine Gemeinde wählen."))
    return bfs


def parse_permit(raw) -> str:
    if raw not in PERMITS:
        raise Invalid(_("Unbekannte Bewilligungskategorie (möglich: %(codes)s).", codes=", ".join(PERMITS)))
    return raw


def parse_postal_code(raw) -> str:
    value = _text("postal_code")(raw)
    if not re.fullmatch(r"\d{4}", value):
        raise Invalid(_("Die Postleitzahl hat vier Ziffern."))
    return value


def parse_vn(raw) -> str:
    """An AHV number (756.XXXX.XXXX.XX; dots, spaces, dashes optional) as its 13 digits (core.ahv)."""
    try:
        vn = normalize_ahv(raw if isinstance(raw, str) else "-")
    except UserError as error:
        raise Invalid(str(error)) from None
    if vn is None:  # blanks are handled before the parsers; this is a safeguard
        raise Invalid(_("Die AHV-Nummer hat die Form 756.XXXX.XXXX.XX."))
    return vn


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def parse_person_ref(raw) -> uuid.UUID | str:
    if raw == "new":
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise Invalid(_("Diese Person gibt es nicht.")) from None


PARSERS = {
    "official_name": _text("official_name"),
    "first_name": _text("first_name"),
    "sex": parse_sex,
    "date_of_birth": parse_partial_date,
    "nationalities": parse_nationalities,
    "languages": parse_languages,
    "arrival_date": parse_arrival,
    "municipality_bfs": parse_commune,
    "permit_category": parse_permit,
    "street": _text("street"),
    "house_number": _text("house_number"),
    "postal_code": parse_postal_code,
    "town": _text("town"),
    "local_person_id": _text("local_person_id"),
    "vn": parse_vn,
    "household_key": _text("household_key"),
    "moves_with": parse_person_ref,
}
EMPTY = {"nationalities": [], "languages": []}


LIST_FIELDS = ("nationalities", "languages")


def check_person(data: Mapping, tenant: Tenant, person: Newcomer | None = None, *, partial: bool = False,
                 name_holder: bool = True) -> dict:
    """The values to store for ``data`` (a new person, or changes to ``person``), or PersonInvalid.

    The one check behind the form and the API. With ``partial`` only the fields present are
    looked at (PATCH). A field that keeps its stored value is not checked again, so that an
    imported record with a value the form would not offer can still be edited. Returns only the
    columns that change (for a new person: all), with the derived ``eu_efta``, and under
    ``moves_with`` the Person moved in with (or "new": a household of one's own). Without
    ``name_holder`` a taken id says only that it is taken, not by whom (an API client that may write
    but not read).
    """
    names = [name for name in INPUT_FIELDS if name in data] if partial else list(INPUT_FIELDS)
    values, errors = {}, {}
    for name in names:
        raw = data.get(name)
        if name in EDITABLE and person is not None and _same(raw, getattr(person, name)):
            continue
        if _blank(raw):
            if name in REQUIRED:
                errors[name] = [_("Bitte ausfüllen.")]
            elif name in EDITABLE:
                values[name] = list(EMPTY.get(name, [])) if name in EMPTY else None
            continue
        if isinstance(raw, list | tuple | dict) and name not in LIST_FIELDS:  # JSON's ["B"] for "B"
            errors[name] = [_("Bitte einen Text angeben.")]
            continue
        try:
            values[name] = PARSERS[name](raw)
        except Invalid as error:
            errors[name] = [str(error)]
    _check_together(values, errors, tenant, person, name_holder)
    if errors:
        raise PersonInvalid(errors)
    if person is not None:
        values = {name: value for name, value in values.items() if name == "moves_with"
                  or getattr(person, name, None) != value}
    _derive(values, person)
    return values


def _same(raw, stored) -> bool:
    """Whether an input (a form's text, the API's JSON) repeats the stored value."""
    if isinstance(stored, date):
        return raw == stored or raw == stored.isoformat()
    if isinstance(stored, list) and isinstance(raw, str):  # the form's text of language codes
        try:
            return [code.casefold() for code in _code_list(raw)] == [code.casefold() for code in stored]
        except Invalid:
            return False
    if isinstance(stored, int) and not isinstance(stored, bool):
        return str(raw).strip() == str(stored)
    if stored is None:
        return _blank(raw)
    return raw == stored


def _check_together(values: dict, errors: dict, tenant: Tenant, person: Newcomer | None,
                    name_holder: bool = True) -> None:
    """The checks that need the database or several fields: commune, unique ids, the household."""

    def current(name):
        return values[name] if name in values else getattr(person, name, None)

    bfs, arrival = current("municipality_bfs"), current("arrival_date")
    if "municipality_bfs" in values and "municipality_bfs" not in errors and "arrival_date" not in errors:
        served = {m.bfs_number for day in {arrival or clock.today(), clock.today()}
                  for m in served_municipalities(tenant, day)}
        if bfs not in served:
            errors["municipality_bfs"] = [_("Diese Gemeinde betreut %(tenant)s nicht.", tenant=tenant.name)]
    person_id = person.id if person is not None else None
    vn = values.get("vn")
    if vn and "vn" not in errors:
        other = _holder(Newcomer.vn == vn, person_id)
        if other is not None:
            errors["vn"] = [_("Diese AHV-Nummer ist bereits erfasst (%(name)s).", name=other.full_name)
                            if name_holder else _("Die AHV-Nummer gehört bereits einer anderen Person.")]
    local_id = current("local_person_id")
    if local_id and ({"local_person_id", "municipality_bfs"} & set(values)) and not (
            {"local_person_id", "municipality_bfs"} & set(errors)):
        other = _holder(sa.and_(Newcomer.local_person_id == local_id, Newcomer.municipality_bfs == bfs), person_id)
        if other is not None:
            errors["local_person_id"] = [
                _("Diese Personen-ID des Registers ist in dieser Gemeinde bereits vergeben (%(name)s).",
                  name=other.full_name)
                if name_holder else _("Die Personenkennung des Registers gehört bereits einer anderen Person.")]
    ref = values.get("moves_with")
    if isinstance(ref, uuid.UUID):
        mate = db.session.get(Newcomer, (tenant.id, ref))
        if mate is None or ref == person_id:
            errors["moves_with"] = [_("Diese Person gibt es nicht.")]
        elif mate.anonymised_on:
            errors["moves_with"] = [_("Dieser Eintrag ist anonymisiert; seinem Haushalt kann niemand mehr "
                                      "zugeordnet werden.")]
        else:
            values["moves_with"] = mate


def _holder(condition, person_id) -> Newcomer | None:
    query = sa.select(Newcomer).where(condition)
    if person_id is not None:
        query = query.where(Newcomer.id != person_id)
    return db.session.scalars(query.limit(1)).first()


def _derive(values: dict, person: Newcomer | None) -> None:
    """eu_efta follows the nationalities (a former member's nationals: the arrival date)."""
    if "nationalities" in values or "arrival_date" in values:
        nationalities = values.get("nationalities", person.nationalities if person else [])
        arrival = values.get("arrival_date", person.arrival_date if person else None)
        eu_efta_value = eu_efta(nationalities, arrival)
        if person is None or eu_efta_value != person.eu_efta:
            values["eu_efta"] = eu_efta_value
