# jakcheck task runner. `make run` and `make test` each set up .venv/ first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser java postgres run test check docs bench bench-service bench-screen clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The browser tests drive Debian's Chromium (never a downloaded browser). Installed only when missing and root;
# otherwise those tests skip and say why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian chromium for the browser tests"; \
		apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null); \
	else echo "no /usr/bin/chromium and not root: browser tests will be skipped"; fi

# The Spark engine (jakcheck screen --engine spark) needs a Java runtime; installed only when missing and root,
# otherwise its tests skip and say why.
java:
	@if command -v java >/dev/null 2>&1 || [ -x "$$JAVA_HOME/bin/java" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing a Java runtime for the Spark engine tests"; \
		apt-get update >/dev/null; \
		apt-get install -y openjdk-17-jre-headless >/dev/null 2>&1 || apt-get install -y openjdk-21-jre-headless >/dev/null; \
	else echo "no java and not root: the Spark engine tests will be skipped"; fi

# The PostgreSQL feedback store tests start a throwaway server from Debian's postgresql binaries (initdb, pg_ctl);
# installed only when missing and root, otherwise those tests skip and say why.
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian postgresql for the feedback store tests"; \
		apt-get install -y postgresql >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y postgresql >/dev/null); \
	else echo "no PostgreSQL server binaries and not root: the PostgreSQL feedback store tests will be skipped"; fi

run: $(STAMP)
	$(BIN)/jakcheck kb validate
	$(BIN)/jakcheck assess examples/ra-71-smoker-eu.json --region EU --as-of 2026-11-26 --format text
	@echo
	@echo "Assess your own record:  .venv/bin/jakcheck assess FILE.json --region EU|US [--indication ID] [--format json|html]"
	@echo "Knowledge base:          .venv/bin/jakcheck kb list | kb show DRUG | kb sources | kb gaps | kb coverage"
	@echo
	@echo "Starting the service (local demo, INSECURE DEV MODE: no authentication) on http://127.0.0.1:8000/"
	@echo "  web app http://127.0.0.1:8000/   API docs http://127.0.0.1:8000/docs   CDS Hooks http://127.0.0.1:8000/cds-services"
	@echo "  Ctrl-C to stop. Production: jakcheck serve --config FILE (trusted JWT issuers, FHIR allowlist)."
	$(BIN)/jakcheck serve --host 127.0.0.1 --port 8000 --insecure-dev

test: $(STAMP) browser java postgres
	$(BIN)/ruff check src tests tools
	$(BIN)/mypy src/jakcheck
	$(BIN)/pytest

check: $(STAMP)
	$(BIN)/ruff check src tests tools
	$(BIN)/mypy src/jakcheck

docs: $(STAMP)
	$(BIN)/python -m tests.spec.rules_doc > docs/rules.md
	$(BIN)/jakcheck kb coverage --format markdown --output docs/coverage.md
	$(BIN)/jakcheck kb gaps --write docs/knowledge-gaps.md
	$(BIN)/python -m tools.rule_scenarios
	$(BIN)/python -m jakcheck.knowledge.valueset_doc > docs/value-sets.md

bench: $(STAMP)
	$(BIN)/python benchmarks/assess_bench.py

# CDS Hooks order-select on loopback, concurrency 1/16/64, vs a bare parse-and-echo endpoint (bounded run).
bench-service: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)); } || \
		echo "wrk not available: the benchmark falls back to its Python client"
	$(BIN)/python benchmarks/service_bench.py

# Population screen: Synthea patients cloned to 10k (BENCH_PATIENTS=100000 for 100k) as NDJSON; parse floor,
# local engine and Spark local[2]; patients/s, ratio and peak memory.
bench-screen: $(STAMP) java
	$(BIN)/python benchmarks/screen_bench.py --patients $${BENCH_PATIENTS:-10000}

clean:
	rm -rf $(VENV) build *.egg-info
