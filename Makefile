# The two commands a newcomer needs are `make run` and `make test`; the rest are
# for the team and CI.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# `make run PORT=8001` serves there; the printed links and the e-mailed ones
# (PORTAL_URL, unless set) follow it.
PORT ?= 8000

.PHONY: help run test lint release cluster bench loadgen worker beat messages makemessages install migrate demo demo-reset clean browser

help:
	@echo "make run    install, migrate, load demo data, serve http://127.0.0.1:$(PORT) (PORT=8001 for another port)"
	@echo "make test   install and run the whole test suite"
	@echo "make lint   ruff, formatting, layers, migrations and the production deploy check"
	@echo "make bench  the performance benchmark"
	@echo "make release  the release step: migrate (under a lock), static files, deploy check"
	@echo "make demo-reset  delete the local demo database and load the demo afresh"

# The virtual environment, made with the first Python >= 3.12 found.
$(PY):
	@python=""; \
	for candidate in python3.13 python3.12 python3 python; do \
	  if command -v $$candidate >/dev/null 2>&1 && \
	     $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    python=$$candidate; break; \
	  fi; \
	done; \
	if [ -z "$$python" ]; then \
	  echo "No Python 3.12 or newer found. Install one (e.g. 'pyenv install 3.12') and run make again." >&2; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$($$python --version)"; \
	$$python -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) messages browser

# The browser tests drive the distribution's Chromium; never a downloaded one.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Chromium from the system packages for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "Chromium could not be installed: browser tests will be skipped."; \
	  else \
	    echo "No /usr/bin/chromium: browser tests will be skipped (apt-get install chromium)."; \
	  fi; \
	fi

messages: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then \
	  $(MANAGE) compilemessages --ignore=.venv -v0; \
	else \
	  $(VENV)/bin/pybabel compile --statistics -d locale -D django >/dev/null; \
	fi

makemessages: $(STAMP)
	$(MANAGE) makemessages -l sv -l en --ignore=.venv --ignore=var --ignore=tests --no-obsolete

migrate: install
	@mkdir -p var
	$(MANAGE) migrate --no-input -v0
	$(MANAGE) createcachetable

# The release step of a deployment on several machines (docs/operations.md):
# run once before web nodes and workers start; they never migrate themselves.
release: install
	$(MANAGE) release

# Several machines on one: the release step, two gunicorn nodes, a worker, two
# beats, an S3 server (moto) and an SFTP server (asyncssh), on a database
# "cashback_cluster" (dropped and made afresh) of DATABASE_URL's PostgreSQL.
cluster: install
	$(PY) -m tests.cluster.cluster

# Creates only what is missing: a demo someone has used is kept as it is.
demo: migrate
	$(MANAGE) seed_demo

# Deletes the local SQLite database (after asking) and loads the demo afresh;
# refused when DATABASE_URL points anywhere else.
demo-reset: migrate
	$(MANAGE) seed_demo --reset

run demo demo-reset: export PORTAL_URL ?= http://127.0.0.1:$(PORT)
run: demo
	@echo "Serving on http://127.0.0.1:$(PORT), e-mailed links to $(PORTAL_URL) (Ctrl-C to stop)"
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: install loadgen
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -q -c pyproject.toml -r . --severity-level medium
	$(MANAGE) makemigrations --check --dry-run -v0
	DJANGO_SETTINGS_MODULE=cashback.settings.production \
	  DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  DJANGO_ALLOWED_HOSTS=cashback.example.com PORTAL_URL=https://cashback.example.com \
	  FIELD_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  BANK_ACCOUNT_FINGERPRINT_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))') \
	  DEFAULT_FROM_EMAIL='Cash Back <cashback@vendor.test>' \
	  TRUSTED_PROXY_COUNT=1 ALLOW_LOCAL_FILE_STORAGE=true \
	  $(MANAGE) check --deploy --fail-level WARNING

# SCALE=small (default, a few minutes) or SCALE=full (the figures in docs/performance.md).
SCALE ?= small
bench: install loadgen
	$(PY) -m bench $(SCALE)

# wrk from the system packages drives the page load; without it the benchmark
# falls back to Python threads, which share the 2 cores with the server.
loadgen:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing wrk from the system packages for the page load"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
	      || echo "wrk could not be installed: the page load uses Python threads."; \
	  else \
	    echo "No wrk: the page load uses Python threads (apt-get install wrk)."; \
	  fi; \
	fi

worker: install
	$(VENV)/bin/celery -A cashback worker -l info --concurrency 2

beat: install
	$(VENV)/bin/celery -A cashback beat -l info

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
