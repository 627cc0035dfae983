# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run   — create .venv, migrate the SQLite file in instance/, seed demo data, serve :8080
#   make test  — create .venv and run the whole suite (TEST_DATABASE_URL=... for PostgreSQL)
#                on WORKERS processes (pytest-xdist; WORKERS=0: one process)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-test.txt | cksum | cut -d' ' -f1)
FLASK := $(BIN)/flask --app run.py
HOST ?= 127.0.0.1
PORT ?= 8080
WORKERS ?= 3

.PHONY: run test bench setup

setup: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo "注协业务管理系统: http://$(HOST):$(PORT)/"
	SCHEDULER_ENABLED=1 $(BIN)/waitress-serve --host=$(HOST) --port=$(PORT) --threads=8 --ident= run:app

# the suite keeps its bytecode (pytest's rewritten test modules, the app's) in __pycache__/
# (git-ignored) even where the environment sets PYTHONDONTWRITEBYTECODE: collecting the
# suite compiles 274 modules, 12.8 s of CPU a worker without it, 3.4 s with it
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(WORKERS) --dist load --maxschedchunk 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench
