"""Fill a database with release 0.1 (commit 1d22e8f) and dump its rows as JSON: the upgrade test's input.

Run in a checkout of that release (it uses that release's code), for example::

    git worktree add /tmp/release-0.1 1d22e8f
    cd /tmp/release-0.1 && INSTANCE_PATH=$(mktemp -d) PYTHONPATH=. FLASK_APP=wsgi.py \\
        python /path/to/tests/data/release_0_1/make_dump.py /path/to/tests/data/release_0_1/dump.json

What it holds: the tenants of tenants/, the demo (users, newcomers), eCH-0020 imports into
Grenchen, welcome letters (generated, some sent) and first-information interviews.
"""

import base64
import json
import os
import sys
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from core import audit, clock, create_app, demo, jobs, provisioning, sync
from core.db import db
from core.tenancy import get_tenant, tenant_scope
from plugins.informieren import letters
from plugins.informieren.import_runs import run_now
from plugins.informieren.models import Interview, Person, Source, refresh_stage

ECH = Path("tests/data/ech/valid")
SKIP = {"alembic_version", "municipalities", "job_files"}  # reference data; rendered PDFs


def _json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    return value


def fill() -> None:
    provisioning.load_municipalities()
    sync.sync(Path("tenants"))
    demo.load_users()
    demo.load_module_data()
    grenchen = get_tenant("grenchen")
    files = [(path.name, path.read_bytes()) for path in sorted(ECH.glob("*.xml")) if path.name != "base_delivery.xml"]
    with audit.acting_as("system:fixture"):
        run_now(grenchen, files, source=Source.ECH0020, filename="fixtures.zip")
        db.session.commit()
        jobs.enqueue("informieren.letters", grenchen, letters.batch_params(), requested_by="system:fixture")
        db.session.commit()
        with tenant_scope(grenchen):
            job = db.session.scalars(
                sa.select(jobs.JobRecord).where(jobs.JobRecord.kind == "informieren.letters")).one()
            letters.mark_sent(job.id, clock.today())
            for number, person in enumerate(db.session.scalars(sa.select(Person).order_by(Person.official_name))):
                if number % 3:
                    continue
                db.session.add(Interview(
                    person_id=person.id, invitation="appointment", invited_on=clock.today() - timedelta(days=3),
                    outcome="held", held_on=clock.today(), topics=[{"key": "living", "label": "Leben in der Schweiz"}],
                    notes=f"Notiz zu {person.first_name}", interpreter_language="ti", place="Stadthaus",
                    created_by="system:fixture"))
                db.session.flush()
                refresh_stage(person)
        db.session.commit()


def dump(path: str) -> None:
    tables = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in SKIP:
                continue
            rows = connection.execute(sa.select(table)).mappings().all()
            tables[table.name] = [{key: _json(value) for key, value in row.items()} for row in rows]
    Path(path).write_text(json.dumps({"release": "0.1 (1d22e8f)", "tables": tables}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    database = Path(os.environ["INSTANCE_PATH"]) / "release-0.1.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "REDIS_URL": None})
    with app.app_context():
        upgrade(revision="heads")
        fill()
        dump(sys.argv[1])
        counts = {name: len(rows) for name, rows in json.loads(Path(sys.argv[1]).read_text())["tables"].items() if rows}
        print(counts)
