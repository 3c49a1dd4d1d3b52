# start.integration: `make run` serves the demo, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: install run test system-packages bench translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Idempotent: reinstalls only when the dependencies change.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed translations

# Each package carries its own catalogue (core, and every plugin), merged by Flask-Babel at run time.
CATALOGUES := core plugins/informieren plugins/foerdern plugins/fordern plugins/subventionen
LOCALES := fr it en

translations: $(VENV)/.installed
	for package in $(CATALOGUES); do $(BIN)/pybabel compile --statistics -d $$package/translations || exit 1; done

run: install
	$(BIN)/flask db upgrade heads
	$(BIN)/flask demo load
	$(BIN)/flask run --debug --host 127.0.0.1 --port 5000

# Node.js, Chromium and the letter fonts, installed with apt when missing (see the script).
system-packages:
	.ci/system-packages

# ruff, then the architecture rules (lint-imports: core imports no plugin, no plugin another; setup.cfg).
test: install system-packages
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

# After changing UI strings: extract each package's strings and merge them into its catalogues.
messages: $(VENV)/.installed
	for package in $(CATALOGUES); do \
	  mkdir -p $$package/translations && $(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext \
	    -o $$package/translations/messages.pot $$package || exit 1; \
	  for locale in $(LOCALES); do \
	    [ -f $$package/translations/$$locale/LC_MESSAGES/messages.po ] || \
	      $(BIN)/pybabel init -l $$locale -i $$package/translations/messages.pot -d $$package/translations; \
	  done; \
	  $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $$package/translations/messages.pot \
	    -d $$package/translations || exit 1; \
	done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .import_linter_cache .hypothesis
