# advisor: `make run` serves the API on http://127.0.0.1:8000, `make test` runs the whole test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ADVISOR_HOST ?= 127.0.0.1
ADVISOR_PORT ?= 8000

.PHONY: run test install ingest bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "advisor needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: pip then takes the local CPU build instead of a multi-GB CUDA one.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# axe-core (accessibility checks in the browser tests) comes from npm, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

install: $(STAMP)

ingest: $(STAMP)
	$(BIN)/advisor ingest

run: $(STAMP)
	$(BIN)/advisor ingest
	ADVISOR_HOST=$(ADVISOR_HOST) ADVISOR_PORT=$(ADVISOR_PORT) $(BIN)/advisor serve

test: $(STAMP) node_modules/.installed
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/advisor bench

clean:
	rm -rf $(VENV) .advisor .pytest_cache
