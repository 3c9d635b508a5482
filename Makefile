# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv/ itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pycsw 2.6.2 (the local CSW of tests and demo) pins OWSLib<0.29 and breaks with SQLAlchemy 2: its own virtualenv.
PYCSW_VENV := .venv-pycsw
PYCSW_STAMP := $(PYCSW_VENV)/.installed

.PHONY: demo demo-es test lint bench bench-quick clean venv

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

# The demo indexed into a local Elasticsearch-compatible server, its answers compared with the embedded index's.
demo-es: $(STAMP) $(PYCSW_STAMP)
	$(BIN)/moisson demo --elasticsearch

test: $(STAMP) $(PYCSW_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .venv-pycsw var .pytest_cache
