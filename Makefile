# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv/ itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pycsw 2.6.2 (the local CSW of tests and demo) pins OWSLib<0.29 and breaks with SQLAlchemy 2: its own virtualenv.
PYCSW_VENV := .venv-pycsw
PYCSW_STAMP := $(PYCSW_VENV)/.installed
# pygeoapi (the local OGC API - Records server of tests and demo) pins Flask, pydantic and rasterio of its own; 0.21.0
# is its last release for Python 3.11: its own virtualenv too.
PYGEOAPI_VENV := .venv-pygeoapi
PYGEOAPI_STAMP := $(PYGEOAPI_VENV)/.installed

.PHONY: demo demo-es test lint bench bench-quick fuzz clean venv browser wrk screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(PYCSW_STAMP):
	$(PYTHON) -m venv $(PYCSW_VENV)
	$(PYCSW_VENV)/bin/pip install --quiet --upgrade pip
	$(PYCSW_VENV)/bin/pip install --quiet 'pycsw==2.6.2' 'sqlalchemy<2'
	touch $(PYCSW_STAMP)

$(PYGEOAPI_STAMP):
	$(PYTHON) -m venv $(PYGEOAPI_VENV)
	$(PYGEOAPI_VENV)/bin/pip install --quiet --upgrade pip
	$(PYGEOAPI_VENV)/bin/pip install --quiet 'pygeoapi==0.21.0'
	touch $(PYGEOAPI_STAMP)

venv: $(STAMP)

demo: $(STAMP) $(PYCSW_STAMP) $(PYGEOAPI_STAMP)
	$(BIN)/moisson demo

# The demo indexed into a local Elasticsearch-compatible server, its answers compared with the embedded index's.
demo-es: $(STAMP) $(PYCSW_STAMP) $(PYGEOAPI_STAMP)
	$(BIN)/moisson demo --elasticsearch

# A Debian package a target needs, installed when missing and we may (root with apt-get, as .ci/run), else one line
# saying how. $(1): a shell test that holds when it is there; $(2): the package; $(3): what needs it; $(4): another way.
define debian_package
	@if $(1); then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's $(2) for $(3) (apt-get install $(2))" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	else \
		echo "$(3) needs $(2): run 'sudo apt-get install -y $(2)' (Debian/Ubuntu)$(4)" >&2; \
		exit 1; \
	fi
endef

# The browser tests drive Debian's chromium (Playwright cannot download its own browsers here); MOISSON_CHROMIUM
# names another binary.
browser:
	$(call debian_package,[ -n "$$MOISSON_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1,chromium,make test (its browser tests), or set MOISSON_CHROMIUM=/path/to/chromium)

# The bench's http section drives wrk (Debian's package) against `moisson serve`.
wrk:
	$(call debian_package,command -v wrk >/dev/null 2>&1,wrk,make bench (its http section))

test: $(STAMP) $(PYCSW_STAMP) $(PYGEOAPI_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/pytest

screenshots: $(STAMP) browser
	$(BIN)/python -m demo.screenshots

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP) wrk
	$(BIN)/python -m bench

bench-quick: $(STAMP) wrk
	$(BIN)/python -m bench --quick

# The suite's property tests and API fuzzing with many more examples, new ones at each run (figures in the README's
# "Fuzzing"). FUZZ_EXAMPLES per property test, FUZZ_API_EXAMPLES per API operation.
FUZZ_EXAMPLES ?= 2000
FUZZ_API_EXAMPLES ?= 300
fuzz: $(STAMP)
	MOISSON_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider --timeout=7200 --durations=0 \
		tests/normalise/test_fuzz.py tests/index/test_query_properties.py
	MOISSON_FUZZ_EXAMPLES=$(FUZZ_API_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider --timeout=7200 \
		tests/api/test_openapi_fuzz.py

clean:
	rm -rf $(VENV) .venv-pycsw .venv-pygeoapi var .pytest_cache
