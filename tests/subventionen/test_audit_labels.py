"""Every audit entry Subventionen writes has a label in the reader's language (no codes in the audit log)."""

from __future__ import annotations

import re
from pathlib import Path

from plugins.subventionen import access
from plugins.subventionen.models import ENTRY_KINDS

SOURCE = Path(access.__file__).parent


def test_every_action_the_module_records_is_labelled():
    written = set()
    for path in SOURCE.glob("*.py"):
        written |= set(re.findall(r'audit\.record\("(subventionen\.[a-z_.]+)"', path.read_text()))
    written |= {f"subventionen.ledger.{kind}" for kind in ENTRY_KINDS}  # ledger.book: f"…{kind}"
    written |= {f"subventionen.payment_run.{file}" for file in ("pain001", "sheet", "advice")}  # review_views._file
    assert len(written) > 10 and written <= set(access.AUDIT_ACTIONS), sorted(written - set(access.AUDIT_ACTIONS))


def test_every_object_type_the_module_records_is_labelled():
    written = set()
    for path in SOURCE.glob("*.py"):
        written |= set(re.findall(r'object_type="(subventionen[a-z_.]+)"', path.read_text()))
    assert written and written <= set(access.AUDIT_OBJECTS), sorted(written - set(access.AUDIT_OBJECTS))
