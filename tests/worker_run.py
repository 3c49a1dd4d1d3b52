"""An rq worker for the jobs tests: the application with the test job kinds (run as a subprocess)."""

import sys

from rq import SimpleWorker

from core import create_app, jobs
from core.plugins import discover
from tests.job_plugin import plugin

app = create_app(plugins=[*discover(), plugin])
with app.app_context():
    worker = SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.redis_connection())
    worker.work(burst="--burst" in sys.argv, with_scheduler=False)
