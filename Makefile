# Tend: `make run` serves the app, `make test` runs every test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-quick install migrate chromium wrk lint bench icons clean

# One pytest-xdist worker per core, each on its own database (tests/conftest.py); tests that
# share something outside the process (Redis) are kept on one worker by their xdist_group.
PARALLEL ?= -n auto --dist loadgroup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/flask --app wsgi db upgrade

run: migrate
	TEND_EMBEDDED_DISPATCHER=1 PUBLIC_URL=$${PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests, installed when missing and we may (root).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is not installed and cannot be installed here: browser tests will skip (they fail under CI=true)."; \
	  fi; \
	fi

# Every test: SQLite always; PostgreSQL as well when TEST_DATABASE_URL is set (CI sets it).
test: install chromium
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest $(PARALLEL)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== The same suite on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  $(BIN)/python -m pytest $(PARALLEL); \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI must run the suite on PostgreSQL too: set TEST_DATABASE_URL." >&2; exit 1; \
	else \
	  echo "PostgreSQL run skipped: TEST_DATABASE_URL is not set (see README)."; \
	fi

# The inner loop while working: SQLite, no browser, nothing slow. `make test` before pushing.
test-quick: install
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest $(PARALLEL) -m "not browser and not slow"

lint: install
	$(BIN)/ruff check webapp tests bench wsgi.py

# wrk (Debian package) for the throughput benchmarks, installed when missing and we may (root).
wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for the throughput benchmarks"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "wrk is not installed and cannot be installed here: bench/timeline.py will say so."; \
	  fi; \
	fi

# Every benchmark in bench/; each prints its figures with their targets (✔ or ✘), and the
# results are recorded in docs/benchmarks.md. bench/profile_timeline.py shows where a
# signed-in request's time goes.
bench: install chromium wrk
	@status=0; for script in first_visit sync_batch timeline search_and_hashing reminders media; do \
	  echo "== bench/$$script.py"; $(BIN)/python bench/$$script.py || status=1; \
	done; exit $$status

# Redraw the app icons and the install-sheet screenshot into static/icons/ (needs Pillow).
icons: install
	$(BIN)/python -m webapp.pwa.icons

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
