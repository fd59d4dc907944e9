# The shop's two commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

.PHONY: run test lint format install install-test browsers clean bench load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## browsers: Debian's Chromium for the end-to-end tests (tests/browser), when it is missing
browsers:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

## run: install, migrate, load the demo shop and serve it on http://$(HOST):$(PORT)
run: export MPESA_BASE_URL ?= http://$(HOST):$(PORT)
run: export MPESA_CALLBACK_BASE_URL ?= http://$(HOST):$(PORT)
run: export SHOP_DOMAIN ?= $(HOST):$(PORT)
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo_shop
	$(MANAGE) shop_banner --url http://$(HOST):$(PORT)
	@# Once the server answers, register the Paybill URLs with the simulator it serves.
	@(for i in $$(seq 60); do sleep 1; $(MANAGE) mpesa_register_c2b >/dev/null 2>&1 && break; done &)
	@# Reconciliation without cron: unpaid orders expire, owed emails are sent again.
	@($(MANAGE) mpesa_reconcile --every 60 >/dev/null &)
	$(MANAGE) runserver --insecure $(HOST):$(PORT)

## test: install the test tools and run the whole suite (lint, checks, pytest)
## PYTEST_WORKERS: pytest-xdist processes, each on a test database and a Redis database of
## its own (README, "Two commands"): one per CPU of CI's 2 (3 took longer, each worker
## migrating its own database); 0 runs the suite in this one process (PYTEST_ARGS="-n 0" too).
PYTEST_WORKERS ?= 2
test: install-test browsers
	$(BIN)/ruff check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	@# The fuzz tests (with half of their examples) and the search behaviour tests once more
	@# on SQLite, whatever DATABASE_URL the suite ran on (CI: PostgreSQL): the embedded run
	@# searches the same way without PostgreSQL's full-text search.
	DATABASE_URL=sqlite:// SHOP_FUZZ_SHARE=0.5 $(BIN)/pytest -n $(PYTEST_WORKERS) tests/fuzz tests/functional/search

## bench: gunicorn + PostgreSQL + Redis under wrk, 10,000 products / 100,000 orders (bench/bench.py)
bench: install
	command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

## load: 50 Locust shoppers check out and pay for 2 minutes, then the records are checked and
## the books audited (manage.py mpesa_audit); fails when they do not balance (load/run.py)
var/bench-venv/.installed: requirements-bench.txt
	$(PYTHON) -m venv var/bench-venv
	var/bench-venv/bin/pip install --quiet -r requirements-bench.txt
	touch $@

load: install var/bench-venv/.installed
	$(BIN)/python load/run.py $(LOAD_ARGS)

lint: install-test
	$(BIN)/ruff check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3 db.sqlite3-*
