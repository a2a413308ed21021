# mybili developer entry points. `make run` serves the app, `make test` runs the suite.
# Every recipe runs under `sh -e`; multi-line shell blocks also `set -e` themselves.

SHELL := /bin/sh
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000

# SERVE is how `make run` serves the app: honcho runs the Procfile's web server and
# django-q2 worker (schedules, partitions) together and stops both on Ctrl-C.
SERVE = env PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ADDR="$(ADDR)" $(VENV)/bin/honcho start -f Procfile

# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-x -k ranking"
PYTEST_ARGS ?=

.PHONY: help venv run test lint bench-recompute bench-api clean

help:
	@echo "make run              migrate, load demo data if empty, recompute, serve on http://$(ADDR)/"
	@echo "make test             run the test suite (PYTEST_ARGS=... passes arguments to pytest)"
	@echo "make lint             ruff check"
	@echo "make bench-recompute  recompute benchmark (N=... sets its size)"
	@echo "make bench-api        API benchmark (N=... sets its size)"
	@echo "make clean            remove .venv and caches (keeps db.sqlite3)"

# --- virtualenv ---------------------------------------------------------------
# Created once; re-installed only when a requirements file is newer than the stamp.
venv: $(STAMP)

$(VENV)/pyvenv.cfg:
	@set -e; \
	if ! command -v $(PYTHON) >/dev/null 2>&1; then \
		echo "mybili needs Python >= 3.11; '$(PYTHON)' was not found." >&2; \
		echo "Install Python 3.11 or newer, or point at one: make PYTHON=python3.12 ..." >&2; \
		exit 1; \
	fi; \
	if ! $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then \
		echo "mybili needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "Install a newer Python, or point at one: make PYTHON=python3.12 ..." >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$($(PYTHON) --version 2>&1)"; \
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VENV)/pyvenv.cfg requirements.txt requirements-dev.txt
	@set -e; \
	if ! $(VPY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then \
		echo "$(VENV) uses Python < 3.11; remove it (make clean) and retry." >&2; \
		exit 1; \
	fi; \
	sh deploy/ensure-build-deps.sh; \
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt; \
	touch $(STAMP)

# --- run --------------------------------------------------------------------------
# DJANGO_DEBUG defaults to 1 here; override with `make run DJANGO_DEBUG=0` (then set DJANGO_SECRET_KEY).
run: venv
	@set -e; \
	export DJANGO_DEBUG="$${DJANGO_DEBUG:-1}"; \
	$(VPY) manage.py migrate --no-input; \
	if $(VPY) manage.py shell --no-imports -c 'import sys; from videos.models import VideoInfo; sys.exit(0 if VideoInfo.objects.exists() else 3)'; then \
		echo "Database has videos; not loading demo data."; \
	else \
		rc=$$?; \
		if [ $$rc -ne 3 ]; then exit $$rc; fi; \
		if [ -f fixtures/demo.json ]; then \
			echo "Database is empty; loading demo data (fixtures/demo.json)."; \
			$(VPY) manage.py loaddata fixtures/demo.json; \
		else \
			echo "Database is empty and fixtures/demo.json is missing: starting with no data." >&2; \
		fi; \
	fi; \
	$(VPY) manage.py recompute_hot; \
	echo ""; \
	echo "mybili:  http://$(ADDR)/"; \
	echo "admin:   http://$(ADDR)/admin/"; \
	case "$$(echo "$$DJANGO_DEBUG" | tr 'A-Z' 'a-z')" in \
		1|true|yes|y|on|ok) $(VPY) manage.py ensure_demo_admin ;; \
		*) echo "         (create a login: $(VPY) manage.py createsuperuser)" ;; \
	esac; \
	echo ""; \
	exec $(SERVE)

# --- checks --------------------------------------------------------------------------
# pytest exits 5 when it collects no tests; ALLOW_NO_TESTS=1 turns that into success.
test: venv
	@set -e; \
	rc=0; \
	$(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "pytest collected no tests (exit 5)." >&2; \
		if [ -n "$(ALLOW_NO_TESTS)" ]; then exit 0; fi; \
	fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check .

# --- benchmarks (N sets the size; the scripts choose their own default) -------------------
bench-recompute: venv
	$(if $(N),N="$(N)" )$(VPY) bench/bench_recompute.py

bench-api: venv
	$(if $(N),N="$(N)" )$(VPY) bench/bench_api.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles bench/out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
