"""An rq worker for the jobs tests: the application with the test job kinds (run as a subprocess)."""

import sys

from core import create_app, jobs
from core.plugins import discover
from tests.job_plugin import plugin

app = create_app(plugins=[*discover(), plugin])
with app.app_context():
    jobs.run_worker(jobs.QUEUES, burst="--burst" in sys.argv)
