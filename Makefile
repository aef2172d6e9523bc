# Zhengqi: `make demo` and `make test` are the whole set-up (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export PYTHONDONTWRITEBYTECODE := 1
# Server processes started by make run the periodic jobs in-process unless told otherwise;
# the test process never does (the suite starts its own servers where jobs matter).
JOBS_IN_PROCESS ?= $(or $(ZHENGQI_JOBS_IN_PROCESS),true)

.PHONY: demo test lint typecheck pytest serve install install-dev messages assets static clean lock

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Zhengqi needs Python 3.11 (Django 5.2 LTS); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian, apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip

# Stamps make re-runs instant and reinstall only when a requirements file changes.
$(VENV)/.base: requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/base.txt
	@touch $@

$(VENV)/.dev: requirements/dev.txt requirements/base.txt $(VENV)/.base
	$(PY) -m pip install -q -r requirements/dev.txt
	@touch $@

install: $(VENV)/.base
install-dev: $(VENV)/.dev

messages: $(VENV)/.base
	@$(PY) manage.py build_catalogues

# Browser libraries (Leaflet, Chart.js) from the npm lock file; reinstalled only when it changes.
FRONTEND := core/frontend
$(FRONTEND)/node_modules/.stamp: $(FRONTEND)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the browser libraries: apt-get install npm"; exit 1; }
	npm ci --prefix $(FRONTEND) --no-audit --no-fund --loglevel=error
	@touch $@

assets: $(FRONTEND)/node_modules/.stamp

static: $(VENV)/.base assets
	@$(PY) manage.py collectstatic --noinput -v0

demo: install messages static
	$(PY) manage.py migrate --noinput -v1
	$(PY) manage.py seed_demo
	@echo
	@echo "Zhengqi is starting on http://$(HOST):$(PORT)/"
	@echo "  Sign in:             http://$(HOST):$(PORT)/login/"
	@echo "  Phone app:           http://$(HOST):$(PORT)/m/          (volunteer_demo, liaison_demo; a phone-sized window)"
	@echo "  Staff dashboard:     http://$(HOST):$(PORT)/dashboard/  (admin, county_410622, township_410611001)"
	@echo "  API docs (OpenAPI):  http://$(HOST):$(PORT)/api/v1/docs"
	@echo "  OpenAPI schema:      http://$(HOST):$(PORT)/api/v1/openapi.json"
	@echo "  Admin:               http://$(HOST):$(PORT)/admin/   (log in as admin)"
	@echo "  Phone socket:        ws://$(HOST):$(PORT)/ws/v1/phone"
	@echo "Press Ctrl-C to stop."
	ZHENGQI_JOBS_IN_PROCESS=$(JOBS_IN_PROCESS) ZHENGQI_DEMO_ACTIVITY=true exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) core.asgi:application

# One production server process (uvicorn + uvloop, see core/management/commands/serve.py)
# with the current environment; it neither migrates nor seeds.
serve: install
	ZHENGQI_JOBS_IN_PROCESS=$(JOBS_IN_PROCESS) exec $(PY) manage.py serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .

typecheck: install-dev
	$(VENV)/bin/mypy .

pytest: install-dev messages assets
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) staticfiles var .mypy_cache .ruff_cache .pytest_cache $(FRONTEND)/node_modules

# Regenerate the pinned requirements from pyproject's top-level choices (needs network).
lock:
	rm -rf /tmp/zq-lock && $(PYTHON) -m venv /tmp/zq-lock && /tmp/zq-lock/bin/pip install -q . && \
	  /tmp/zq-lock/bin/pip freeze --exclude zhengqi > requirements/base.txt
