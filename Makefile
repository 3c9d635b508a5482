# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv/ itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pycsw 2.6.2 (the local CSW of tests and demo) pins OWSLib<0.29 and breaks with SQLAlchemy 2: its own virtualenv.
PYCSW_VENV := .venv-pycsw
PYCSW_STAMP := $(PYCSW_VENV)/.installed

.PHONY: demo test lint bench bench-quick fuzz clean venv

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

venv: $(STAMP)

demo: $(STAMP) $(PYCSW_STAMP)
	$(BIN)/moisson demo

test: $(STAMP) $(PYCSW_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
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
	rm -rf $(VENV) .venv-pycsw var .pytest_cache
