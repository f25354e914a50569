# Aragora: `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIND ?= $(or $(ARAGORA_BIND),127.0.0.1:8000)
SERVICE_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/test)
SERVICE_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)
# pytest-xdist workers for `make test` (0: one process). Each has its own test database.
TEST_WORKERS ?= 2

.PHONY: run test test-services bench-smoke worker beat lint migrate lock deploy-check audit-deps clean

$(VENV)/.installed: requirements/dev.txt requirements/base.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

# No configuration needed: unset secrets are generated once into the git-ignored
# var/dev-secrets.env (aragora/devsecrets.py); DEBUG is on only here, under runserver.
run: migrate
	$(PY) manage.py runserver $(BIND)

# The whole suite on the embedded defaults (SQLite, in-process cache, eager tasks).
# Service tests are skipped here; browser tests skip when /usr/bin/chromium is absent.
test: $(VENV)/.installed
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -n $(TEST_WORKERS)

# The same suite plus the service-only tests, against real PostgreSQL and Redis, in one
# process (under xdist each worker would use one more Redis database: tests/settings.py).
test-services: $(VENV)/.installed
	DATABASE_URL=$(SERVICE_DATABASE_URL) REDIS_URL=$(SERVICE_REDIS_URL) \
		ARAGORA_TEST_SERVICES=1 $(PY) -m pytest

# bench/http_bench.py --quick, checked for every row (no timing): the bench cannot rot (#14).
# Two Redis databases of the bench's own (both flushed): the project's and the baseline's.
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/10
BENCH_BASELINE_REDIS_URL ?= redis://127.0.0.1:6379/9
bench-smoke: $(VENV)/.installed
	DATABASE_URL=$(SERVICE_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		BENCH_BASELINE_REDIS_URL=$(BENCH_BASELINE_REDIS_URL) ARAGORA_BENCH_SMOKE=1 \
		$(PY) -m pytest tests/bench

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A aragora worker --loglevel=INFO

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A aragora beat --loglevel=INFO

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r aragora accounts audit abuse privacy debates
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/audit_deps.py requirements/base.txt requirements/dev.txt

# `check --deploy` in production mode with throwaway secrets: must report nothing.
deploy-check: $(VENV)/.installed
	ARAGORA_ENV=production ARAGORA_SECRET_KEY="$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(64))')" \
		ARAGORA_ALLOWED_HOSTS=aragora.example.com ARAGORA_JWT_SIGNING_KEYS="$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(48))')" \
		ARAGORA_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())')" \
		ARAGORA_TOKEN_PEPPER=throwaway-pepper-$$RANDOM$$RANDOM \
		ARAGORA_AUDIT_KEYS="$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(48))')" \
		$(PY) manage.py check --deploy --fail-level WARNING

audit-deps: $(VENV)/.installed
	$(PY) scripts/audit_deps.py requirements/base.txt requirements/dev.txt

# Re-pin requirements/*.txt from the .in files.
lock: $(VENV)/.installed
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o base.txt base.in
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o dev.txt dev.in

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .grimp_cache .import_linter_cache
