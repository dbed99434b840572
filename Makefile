# Every target creates (or reuses) the local virtual environment .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG_DIR := .pipelex/inference
OUT := generated
LINTED := compiler tests generated tools

.PHONY: compile check test lint records bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

compile: $(STAMP)  ## TOML sources -> generated/ (lockfile + runtime modules)
	$(BIN)/deckc compile --config-dir $(CONFIG_DIR) --out $(OUT)

check: $(STAMP)  ## exit 1 when generated/ is stale or was edited by hand
	$(BIN)/deckc check --config-dir $(CONFIG_DIR) --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy --strict $(LINTED)

test: lint  ## lint, then the whole test suite
	$(BIN)/python -m pytest

records: $(STAMP)  ## regenerate the record types from schema/deck.lock.schema.json
	$(BIN)/python tools/gen_records.py templates/records.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
