# Retail POS — `make run` to try it, `make test` to prove it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Where the demo print agent reaches the server, and the embedded default's data (as in settings).
AGENT_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
VAR_DIR := $(or $(RETAILPOS_VAR_DIR),var)

CHROMIUM := /usr/bin/chromium
# Node.js on the PATH, else where the Debian/Ubuntu package puts it.
NODE := $(or $(shell command -v node),/usr/bin/node)

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: set up the embedded default (SQLite, demo data) and serve on http://127.0.0.1:8000, with a demo
## print agent for register R1 that prints to var/printer/receipts.escpos (stopped with the server)
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --demo-agent http://$(AGENT_HOST):$(PORT)
	@$(BIN)/python -m devices.agent --data-dir $(VAR_DIR)/agent run & agent=$$!; \
	trap 'kill $$agent 2>/dev/null; wait $$agent 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/uvicorn retailpos.asgi:application --host $(HOST) --port $(PORT) --lifespan off

# Browser tests drive the system Chromium; install it (Debian/Ubuntu, as root) when missing.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "Browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; \
	fi

# The register's ES modules (static/js/pricing.js) are tested with Node's test runner; install
# Node.js (Debian/Ubuntu, as root) when missing.
$(NODE):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs; \
	else \
		echo "JavaScript tests need Node.js at $(NODE): sudo apt-get install nodejs"; exit 1; \
	fi

## test: install the dev tools and run the whole suite (PostgreSQL when DATABASE_URL is set)
# The JS test files are named, not their directory: Node 21 and later read a directory argument
# as a file name.
test: $(VENV)/.dev | $(CHROMIUM) $(NODE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(NODE) --test tests/js/*.test.mjs
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: checkout throughput and scan latency against PostgreSQL (see bench/README.md)
bench: $(VENV)/.runtime
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
