# kehu — the two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KEHU := $(BIN)/kehu
DEMO_CUSTOMERS ?= 2000
DEMO_SEED ?= 42
BENCH_CUSTOMERS ?= 1000000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev setup test install lint messages bench serve clean-data

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Create the venv, migrate, load the demo data once, serve http://127.0.0.1:8000 with the task worker
## and the scheduler (`kehu run`; Ctrl-C stops all three). DEBUG off, as users get it.
run: setup
	$(KEHU) run $(HOST):$(PORT)

## For development: the same data, Django's runserver with autoreload and DEBUG on (no worker: start
## `kehu db_worker` in another terminal when you need background jobs).
dev: setup
	KEHU_DEBUG=1 $(KEHU) runserver $(HOST):$(PORT)

setup: $(STAMP)
	$(KEHU) migrate --no-input
	@# A freshly loaded demo also gets its segments and predictive scores computed (the nightly jobs'
	@# work), so every page has data from the first start.
	@if $(KEHU) demo --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --if-empty | tee /dev/stderr \
		| grep -q 'demo data not loaded'; then :; else $(KEHU) segments refresh && $(KEHU) clv refresh; fi

## The whole suite on SQLite, then on PostgreSQL when reachable (required when KEHU_REQUIRE_POSTGRES=1)
test: $(STAMP)
	$(BIN)/python -m core.testrun

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## Refresh the translation catalogues (needs GNU gettext) and compile them
messages: $(STAMP)
	$(KEHU) makemessages -l zh_Hans --ignore='.venv/*' --ignore='data/*' --no-obsolete
	$(KEHU) compilemessages --ignore='.venv/*'

## Benchmark through the production server on SQLite and PostgreSQL (not part of `make test`; see
## docs/performance.md). Builds data/bench/ and the kehu_bench database once, then reuses them.
bench: $(STAMP)
	$(BIN)/python -m bench.run --customers $(BENCH_CUSTOMERS)
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.segmentation --bench $(BENCH_CUSTOMERS)
	$(BIN)/python -m bench.insights --customers 100000 1000000
	$(BIN)/python bench/mail.py

## Production-style server: gunicorn + whitenoise (see docs/deploy.md)
serve: $(STAMP)
	$(KEHU) collectstatic --no-input
	$(BIN)/gunicorn kehu.wsgi --bind $(HOST):$(PORT) --workers 2

clean-data:
	rm -rf data/kehu.sqlite3* data/media
