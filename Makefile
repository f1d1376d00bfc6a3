# Fairwatch: `make run` starts the demo, `make test` runs every test, `make check` lints and type-checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench bench-tools profile clean setup browser services screenshots cluster cluster-stop i18n bench-cluster

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,pdf,cluster]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the console's browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

# The tests start their own throwaway PostgreSQL, Mosquitto and NATS on free loopback ports; these are the binaries.
services:
	@command -v mosquitto >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null)
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

run: $(STAMP)
	$(BIN)/fairwatch demo

# A whole cluster on loopback (3 NATS nodes, a throwaway PostgreSQL, 2 edges, 3 workers, the Riverside simulator);
# state and logs in build/cluster/. `make cluster-stop` ends every process it started.
cluster: $(STAMP) services
	$(BIN)/fairwatch cluster up --root build/cluster

cluster-stop:
	$(BIN)/fairwatch cluster down --root build/cluster

test: $(STAMP) browser services
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Browser tests write screenshots to build/screenshots/ (ignored); this refreshes the ones docs/ shows.
screenshots: $(STAMP) browser
	FAIRWATCH_SCREENSHOTS=$(CURDIR)/docs/img $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser tests/report/test_report_browser.py tests/welfare/test_browser.py

check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Side by side with Prometheus Alertmanager (Debian's package) driven by wrk; writes docs/benchmarks.md.
# Run it on a quiet machine: other work on the cores moves every figure.
bench-tools:
	@command -v wrk >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1 || { \
	  echo "installing wrk and prometheus-alertmanager for the benchmark"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk prometheus-alertmanager) >/dev/null; }

bench: $(STAMP) bench-tools
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/ingest.py

# The cluster benchmark (issue 12): 3 NATS nodes, PostgreSQL, 3 workers, 2 edges; writes docs/benchmarks-cluster.md.
bench-cluster: $(STAMP) bench-tools
	$(BIN)/python bench/cluster.py

# Flame graphs (docs/img/flame-*.svg) of single events, batches of 100 and an alarm storm; needs py-spy.
profile: $(STAMP) bench-tools
	$(BIN)/python -m pip install --quiet py-spy
	$(BIN)/python bench/profile.py
	$(BIN)/python bench/profile.py --workers 2

clean:
	rm -rf $(VENV) fairwatch-data build .pytest_cache .mypy_cache .ruff_cache

# The console's languages (docs/console.md, "Languages"): extract new strings from templates, scripts and
# console/i18n.py into the .pot, merge them into each language's .po, and write the scripts' JSON catalogues.
LOCALES := src/fairwatch/console/locale
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t -k N_ --no-wrap --sort-by-file --project Fairwatch \
	  --copyright-holder "Fairwatch contributors" -o $(LOCALES)/messages.pot .
	for lang in de fr es zh ar; do \
	  $(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang --init-missing --no-wrap \
	    --no-fuzzy-matching --ignore-obsolete || exit 1; done
	$(BIN)/python -c 'from fairwatch.console.i18n import main; main()'
