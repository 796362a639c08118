# jakcheck task runner. `make run` and `make test` each set up .venv/ first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test check docs bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/jakcheck kb validate
	$(BIN)/jakcheck assess examples/ra-71-smoker-eu.json --region EU --as-of 2026-11-26 --format text
	@echo
	@echo "Assess your own record:  .venv/bin/jakcheck assess FILE.json --region EU|US [--indication ID] [--format json|html]"
	@echo "Knowledge base:          .venv/bin/jakcheck kb list | kb show DRUG | kb sources | kb gaps"

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/jakcheck
	$(BIN)/pytest

check: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/jakcheck

docs: $(STAMP)
	$(BIN)/python -m tests.spec.rules_doc > docs/rules.md

bench: $(STAMP)
	$(BIN)/python benchmarks/assess_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
