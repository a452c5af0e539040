# VendorAssure: `make run` serves the app on a fresh machine; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: translations run serve worker venv setup test test-sqlite test-pg test-fast test-cluster fuzz lint format bench bench-web clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: venv
	$(FLASK) db upgrade
	$(FLASK) questionnaires load
	$(FLASK) scoring rescore --stale-only
	$(FLASK) demo seed

run: setup serve

serve: venv
	@echo "VendorAssure on http://$(HOST):$(PORT)"
	BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c python:vendorassure.gunicorn_conf --workers 2 --access-logfile - app:app

# Background jobs from Redis (JOBS_BACKEND=rq and REDIS_URL set); not needed for make run.
worker: venv
	$(FLASK) worker

test: venv
	$(BIN)/pytest -q

test-sqlite: test

test-pg: venv
	VA_TEST_DB=postgresql $(BIN)/pytest -q

# Two app hosts, PostgreSQL + Redis, an S3-compatible store and nginx, each in a network
# namespace of its own; one app host is killed mid-load (root; a few minutes).
test-cluster: venv
	VA_CLUSTER=1 $(BIN)/pytest -q -s -p no:cacheprovider tests/cluster

test-fast: venv
	$(BIN)/pytest -q -m "not browser"

# Schemathesis over the whole API for each role, against a live app on SQLite with demo data:
# fails on any server error (a few minutes; FUZZ_EXAMPLES sets the depth, FUZZ_ARGS=--postgresql
# runs it on a PostgreSQL database of its own).
FUZZ_EXAMPLES ?= 10
fuzz: venv
	$(BIN)/python tests/fuzz/run.py --max-examples $(FUZZ_EXAMPLES) $(FUZZ_ARGS)

# Message catalogs (docs/OPERATIONS.md, "Languages"): extract the marked strings, merge them into
# the German and French catalogs, compile. The compiled .mo files are committed with the .po.
translations: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -k ngettext:1,2 \
	  --no-location --omit-header --sort-output -o vendorassure/translations/messages.pot .
	$(BIN)/pybabel update -i vendorassure/translations/messages.pot -d vendorassure/translations \
	  --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d vendorassure/translations

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check vendorassure tests bench

format: venv
	$(BIN)/ruff format vendorassure tests bench
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python bench/scoring.py

# Seed 500 and 20,000 vendors into SQLite and PostgreSQL, serve with gunicorn -w 2 and drive every
# page with wrk (Debian's package); prints PASS/FAIL per target, JSON in bench/results/ (about
# 25 minutes on 2 cores; BENCH_WEB_ARGS="--db sqlite --sizes 500,5000 --duration 5" to narrow).
bench-web: venv
	$(BIN)/python bench/web.py $(BENCH_WEB_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
