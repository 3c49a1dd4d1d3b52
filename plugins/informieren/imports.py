"""Imports from the residents' registry: eCH-0020 v3 messages (single, batch, ZIP), CSV with a mapping.

The work is in ``import_pipeline`` (matching and writing), ``import_sources`` (files, directories,
ZIPs unpacked safely), ``import_csv`` (CSV and its column mapping), ``import_runs`` (uploads, the
job, in-process runs), ``import_views`` (pages and the API endpoint) and ``import_cli``.
"""

from flask_babel import lazy_gettext as _l

from core.jobs import JobKind, PeriodicJob, each_tenant
from plugins.informieren import import_cli, import_views  # noqa: F401  (routes and the command)
from plugins.informieren.import_runs import JOB_KIND, job_link, purge_uploads, run_job


def job_kinds() -> list:
    return [JobKind(JOB_KIND, run_job, _l("Import aus dem Einwohnerregister"), queue="imports",
                    timeout_seconds=3600, permission="informieren.imports.run", link=job_link)]


def periodic_jobs() -> list:
    return [PeriodicJob("informieren.purge_uploads", "17 3 * * *", lambda: each_tenant(purge_uploads))]
