# remtrack — two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard web/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=

.PHONY: run test bench lint format translations install clean help

help:
	@echo "make run          install, initialise instance/ with demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test         install and run every test (SQLite and PostgreSQL, browser tests included)"
	@echo "make bench        measure against the budgets of DESIGN.md (SQLite and PostgreSQL)"
	@echo "make lint         ruff and mypy"
	@echo "make format       format the code with ruff"
	@echo "make translations extract new strings into the catalogs"

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Front-end assets (bpmn-js) are built from npm packages, never committed.
ASSETS    := web/static/dist/viewer.js web/static/dist/modeler.js
FRONT_SRC := $(wildcard web/static/src/*)
NPM_STAMP := node_modules/.installed

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

$(ASSETS) &: $(NPM_STAMP) $(FRONT_SRC)
	npm run --silent build

install: $(STAMP) $(MO) $(ASSETS)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: install
	$(BIN)/remtrack init --demo
	@echo
	@echo "  remtrack: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (role, user name, password):"
	@sed 's/^/    /' instance/demo-logins.txt 2>/dev/null || echo "    (none: this database had data before demo logins were recorded)"
	@echo
	REMTRACK_HOST=$(HOST) REMTRACK_PORT=$(PORT) $(BIN)/remtrack serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/remtrack bench engine
	$(BIN)/remtrack bench monitor

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -o web/translations/messages.pot web workflows notifier
	$(BIN)/pybabel -q update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache node_modules web/static/dist
