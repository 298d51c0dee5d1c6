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

# llama.cpp (the real-model tests; pinned in pyproject.toml) is built portable: a -march=native build uses every
# instruction the build host advertises, and on VMs that advertise AMX without enabling it the server dies with a
# protection fault on its first token. --no-cache-dir because pip's wheel cache does not key on CMAKE_ARGS.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

# torch first, pinned: pip then takes the local CPU build instead of a multi-GB CUDA one.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(BIN)/pip install --quiet --no-cache-dir -e '.[test]'
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
