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
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d core/translations

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

# After changing UI strings: extract them and merge them into the catalogues.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o core/translations/messages.pot core plugins
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i core/translations/messages.pot -d core/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .import_linter_cache .hypothesis
