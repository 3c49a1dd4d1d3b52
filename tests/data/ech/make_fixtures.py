"""Regenerate the valid eCH-0020 fixtures in valid/ from tests/informieren/ech_messages.py.

Run from the repository root: ``.venv/bin/python tests/data/ech/make_fixtures.py``.
The hostile fixtures in hostile/ are hand-written and not generated.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.informieren.ech_messages import (
    BERN,
    ERITREA,
    GRENCHEN,
    KOSOVO,
    OLTEN,
    SWITZERLAND,
    SYRIA,
    UKRAINE,
    PersonSpec,
    base_delivery,
    correct_name,
    household,
    move_in,
    validate,
    vn_with_check_digit,
)

HERE = Path(__file__).parent / "valid"

ABROAD = PersonSpec(
    local_id="2001",
    vn=vn_with_check_digit(200001),
    official_name="Al-Hassan",
    first_name="Ahmad",
    sex="1",
    date_of_birth="1985-03-14",
    nationalities=(SYRIA,),
    language="ar",
    permit="0201",
    entry_date="2024-02-20",
    arrival_date="2024-03-01",
    origin=("abroad", SYRIA, "Aleppo"),
    household_id="HH-2001",
)


def fixtures() -> dict[str, bytes]:
    files = {
        "move_in_abroad.xml": move_in(ABROAD, message_id="fx-abroad"),
        "move_in_swiss_commune.xml": move_in(
            replace(
                ABROAD,
                local_id="2002",
                vn=vn_with_check_digit(200002),
                official_name="Rossi",
                first_name="Giulia",
                sex="2",
                nationalities=((None, "IT", "Italien"),),
                language="it",
                permit="0301",
                entry_date=None,
                municipality=OLTEN,
                town="Olten",
                postal_code="4600",
                origin=("swiss", BERN),
                household_id=None,
            ),
            message_id="fx-swiss",
        ),
        "move_in_unknown_origin.xml": move_in(
            replace(
                ABROAD,
                local_id="2003",
                vn=vn_with_check_digit(200003),
                official_name="Doe",
                first_name="Sam",
                sex="3",
                nationality_status="0",
                nationalities=(),
                language=None,
                permit="05",
                origin=("unknown",),
                household_id=None,
            ),
            message_id="fx-unknown",
        ),
        "move_in_year_only_birth.xml": move_in(
            replace(
                ABROAD,
                local_id="2004",
                vn=vn_with_check_digit(200004),
                official_name="Ahmadi",
                first_name="Gul",
                sex="2",
                date_of_birth="1979",
                nationalities=((None, "AF", "Afghanistan"),),
                language="fa",
                permit="08",
                origin=("abroad", (None, "AF", "Afghanistan"), None),
                household_id=None,
            ),
            message_id="fx-year",
        ),
        "move_in_without_vn.xml": move_in(
            replace(
                ABROAD,
                local_id="2005",
                vn=None,
                official_name="Bondarenko",
                first_name="Iryna",
                sex="2",
                date_of_birth="1992-07",
                nationalities=(UKRAINE,),
                language="uk",
                permit="09",
                origin=("abroad", UKRAINE, "Kharkiv"),
                household_id=None,
            ),
            message_id="fx-novn",
        ),
        "move_in_non_latin.xml": move_in(
            replace(
                ABROAD,
                local_id="2006",
                vn=vn_with_check_digit(200006),
                official_name="ተስፋማርያም",
                first_name="ሰላም",
                call_name="Selam",
                sex="2",
                date_of_birth="1996-11-02",
                nationalities=(ERITREA,),
                language="ti",
                permit="0201",
                origin=("abroad", ERITREA, "ኣስመራ"),
                household_id=None,
            ),
            message_id="fx-script",
        ),
        "move_in_bfs_only_country.xml": move_in(
            replace(
                ABROAD,
                local_id="2007",
                vn=vn_with_check_digit(200007),
                official_name="Krasniqi",
                first_name="Arben",
                sex="1",
                date_of_birth="1990-01-31",
                nationalities=(KOSOVO,),
                language="sq",
                permit="0701",
                municipality=GRENCHEN,
                town="Grenchen",
                postal_code="2540",
                origin=("abroad", KOSOVO, "Prishtinë"),
                household_id=None,
            ),
            message_id="fx-kosovo",
        ),
        "correct_name.xml": correct_name(
            ABROAD, official_name="Al Hassan", first_name="Ahmed", message_id="fx-correct"
        ),
        "base_delivery.xml": base_delivery(
            [
                ABROAD,
                replace(
                    ABROAD,
                    local_id="3002",
                    vn=vn_with_check_digit(300002),
                    official_name="Шевченко",
                    first_name="Олена",
                    sex="2",
                    nationalities=(UKRAINE,),
                    language="uk",
                    permit="09",
                    origin=("abroad", UKRAINE, "Kyiv"),
                    household_id="HH-3002",
                ),
                replace(
                    ABROAD,
                    local_id="3003",
                    vn=None,
                    official_name="Krasniqi",
                    first_name="Drita",
                    nationalities=(KOSOVO,),
                    language="sq",
                    permit="0301",
                    origin=("abroad", KOSOVO, None),
                    household_id=None,
                ),
                replace(
                    ABROAD,
                    local_id="3004",
                    vn=vn_with_check_digit(300004),
                    official_name="Meier",
                    first_name="Hans",
                    nationalities=(SWITZERLAND,),
                    language="de",
                    permit=None,
                    origin=("swiss", BERN),
                    household_id=None,
                    arrival_date="2019-08-15",
                ),
                replace(
                    ABROAD,
                    local_id="3005",
                    vn=vn_with_check_digit(300005),
                    official_name="Nowak",
                    first_name="Piotr",
                    nationality_status="1",
                    nationalities=(),
                    language=None,
                    permit="0301",
                    origin=("swiss", BERN),
                    household_id=None,
                    arrival_date="2021-04-01",
                ),
                replace(
                    ABROAD,
                    local_id="3006",
                    vn=vn_with_check_digit(300006),
                    official_name="Okafor",
                    first_name="Chidi",
                    nationalities=((None, "NG", "Nigeria"),),
                    language="en",
                    permit="0201",
                    origin=("unknown",),
                    residence="secondary",
                    household_id=None,
                ),
            ],
            message_id="fx-base",
        ),
    }
    for number, person in enumerate(household(3), start=1):
        files[f"household_{number}.xml"] = move_in(person, message_id=f"fx-household-{number}")
    return files


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, data in fixtures().items():
        errors = validate(data)
        assert not errors, (name, errors)
        (HERE / name).write_bytes(data)
        print("wrote", name)


if __name__ == "__main__":
    main()
