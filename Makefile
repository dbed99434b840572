# Every target creates (or reuses) the local virtual environment .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG_DIR := .pipelex/inference
OUT := generated
LINTED := compiler tests generated tools bench fuzz conformance

.PHONY: compile check test test-fast lint records bench fuzz mutation clean litellm conformance

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The LiteLLM proxy that tests/test_online.py starts on 127.0.0.1, in a virtualenv of its own
# (its many pins must not disturb deckc's); about a minute to install, once.  prisma, which
# litellm[proxy] leaves out, is there because the proxy imports it to classify any failed
# authentication: without it a request with no key is answered 500, not 401 (LiteLLM issue #35457).
# google-auth is what a proxy serving Vertex AI needs to turn a service account into tokens.
LITELLM_VERSION := 1.108.7
PRISMA_VERSION := 0.15.0
GOOGLE_AUTH_VERSION := 2.63.0
LITELLM_VENV := .venv-litellm
LITELLM_STAMP := $(LITELLM_VENV)/.installed-$(LITELLM_VERSION)-prisma-$(PRISMA_VERSION)-google-auth-$(GOOGLE_AUTH_VERSION)

$(LITELLM_STAMP):
	rm -rf $(LITELLM_VENV)
	$(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LITELLM_VENV)/bin/python -m pip install --quiet 'litellm[proxy]==$(LITELLM_VERSION)' \
	  'prisma==$(PRISMA_VERSION)' 'google-auth==$(GOOGLE_AUTH_VERSION)'
	touch $(LITELLM_STAMP)

litellm: $(LITELLM_STAMP)  ## the LiteLLM proxy for the `validate --online` integration test

# Pipelex itself, each version in a virtualenv of its own (its pins must not touch deckc's):
# `make conformance` asks it what it answers and compares deckc's answers with them.
PIPELEX_SEED := 0.10.2
PIPELEX_CURRENT := 0.92.2
PIPELEX_SEED_STAMP := .venv-pipelex-0.10/.installed-$(PIPELEX_SEED)
PIPELEX_CURRENT_STAMP := .venv-pipelex-0.92/.installed-$(PIPELEX_CURRENT)

$(PIPELEX_SEED_STAMP):
	rm -rf .venv-pipelex-0.10
	$(PYTHON) -m venv .venv-pipelex-0.10
	.venv-pipelex-0.10/bin/python -m pip install --quiet --upgrade pip
	.venv-pipelex-0.10/bin/python -m pip install --quiet 'pipelex==$(PIPELEX_SEED)'
	touch $@

$(PIPELEX_CURRENT_STAMP):
	rm -rf .venv-pipelex-0.92
	$(PYTHON) -m venv .venv-pipelex-0.92
	.venv-pipelex-0.92/bin/python -m pip install --quiet --upgrade pip
	.venv-pipelex-0.92/bin/python -m pip install --quiet 'pipelex==$(PIPELEX_CURRENT)'
	touch $@

# CONFORMANCE_DIALECTS: comma-separated layouts to check (default: both, and the migration).
CONFORMANCE_EXAMPLES ?= 500
CONFORMANCE_DIALECTS ?=
comma := ,
wanted = $(filter $(1),$(subst $(comma), ,$(CONFORMANCE_DIALECTS)))
CONFORMANCE_STAMPS := $(if $(call wanted,pipelex-0.10),$(PIPELEX_SEED_STAMP)) \
	$(if $(call wanted,pipelex-0.92),$(PIPELEX_CURRENT_STAMP))
CONFORMANCE_STAMPS := $(or $(strip $(CONFORMANCE_STAMPS)),$(PIPELEX_SEED_STAMP) $(PIPELEX_CURRENT_STAMP))

conformance: $(STAMP) $(CONFORMANCE_STAMPS)  ## deckc against Pipelex itself (both versions)
	CONFORMANCE_EXAMPLES=$(CONFORMANCE_EXAMPLES) CONFORMANCE_DIALECTS=$(CONFORMANCE_DIALECTS) \
	  $(BIN)/python -m conformance.run

compile: $(STAMP)  ## TOML sources -> generated/ (lockfile + runtime modules)
	$(BIN)/deckc compile --config-dir $(CONFIG_DIR) --out $(OUT)

check: $(STAMP)  ## exit 1 when generated/ is stale or was edited by hand
	$(BIN)/deckc check --config-dir $(CONFIG_DIR) --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy --strict $(LINTED)
	$(BIN)/lint-imports

test: lint litellm  ## lint, then the whole test suite
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## the edit loop: no network, no mypy of generated code, no fuzzers (< 30 s)
	$(BIN)/python -m pytest -m "not network and not mypy and not fuzz" -n auto

bench: $(STAMP)  ## performance figures beside their same-run baselines; rewrites the README table
	PYTHONPATH=$(CURDIR) $(BIN)/python bench/run.py  # its scripts import the source tree

FUZZ_RUNS ?= 50000
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)  ## long fuzz of the loader and the compile: atheris (if installed), then hypothesis
	if $(BIN)/python -c 'import atheris' 2>/dev/null; then \
	  $(BIN)/python -m fuzz.run atheris --runs $(FUZZ_RUNS); fi
	$(BIN)/python -m fuzz.run hypothesis --examples $(FUZZ_EXAMPLES)

mutation: $(STAMP)  ## mutmut over routing, patterns and resolve, in a copy of the tree (~10 min)
	$(BIN)/python -m fuzz.mutation

records: $(STAMP)  ## regenerate compiler/runtime/records.py from schema/deck.lock.schema.json
	PYTHONPATH=$(CURDIR) $(BIN)/python tools/gen_records.py

clean:
	rm -rf $(VENV) $(LITELLM_VENV) .venv-pipelex-0.10 .venv-pipelex-0.92 conformance-report
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
