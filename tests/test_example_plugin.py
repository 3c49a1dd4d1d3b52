"""The example third-party module (``tests/example_plugin``), built and installed as its own distribution.

Its walk (``tests/example_plugin_walk.py``) runs in a pytest process of its own, where the installed
distribution is on the path: core finds the module through its entry point alone.  Core's isolation
and migration tests run in that process too, so the module's tables answer to the same rules as core's
(tenant isolation, row-level security on PostgreSQL, migrations that match the models).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from tests.conftest import REPO
from tests.test_i18n import placeholders

EXAMPLE = REPO / "tests" / "example_plugin"
LANGUAGES = ("fr", "it", "en")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example built from a copy of its sources (a build writes beside them) and installed into ``site``."""
    root = tmp_path_factory.mktemp("example")
    source = root / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
         "--target", str(root / "site"), str(source)],
        check=True, capture_output=True,
    )
    return root


def test_the_installed_example_walks_every_service_core_shares_with_modules(installed):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed / "site"), str(REPO)]),
           "INSTANCE_PATH": str(installed)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/example_plugin_walk.py",
         "tests/test_isolation.py", "tests/test_migrations.py"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-20000:]}\n{run.stderr[-5000:]}"
    assert re.search(r"\d+ passed", run.stdout)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The example's messages, extracted with its own babel.cfg."""
    pot = tmp_path_factory.mktemp("example-i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(pot), "example_notes"],
        cwd=EXAMPLE, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        return {message.id for message in read_po(f) if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_carries_a_complete_catalogue_of_its_own(extracted, language):
    with (EXAMPLE / "example_notes" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert sorted(extracted - translated) == [], f"{language}: untranslated; see tests/example_plugin/README.md"
    assert [(m.id, m.string) for m in catalogue if m.id and placeholders(m.id) != placeholders(m.string)] == []
