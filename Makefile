# Aragora: `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIND ?= $(or $(ARAGORA_BIND),127.0.0.1:8000)
SERVICE_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/test)
SERVICE_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)
# The load test's own Redis database: bench/load.py empties it before and after the run.
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/14
LOAD_DURATION ?= 60
# pytest-xdist workers for `make test` (0: one process). Each has its own test database.
TEST_WORKERS ?= 2

# Lint tools with large or conflicting dependency trees live in their own venvs under .tools/
# (git-ignored): checkov, kubernetes-validate and hadolint in .tools/iac; detect-secrets in
# .tools/secrets, since checkov's bc-detect-secrets fork would overwrite its package.
TOOLS := .tools
IAC := $(TOOLS)/iac/bin
SECRETS := $(TOOLS)/secrets/bin
K8S_MANIFESTS := $(filter-out deploy/k8s/kustomization.yaml,$(wildcard deploy/k8s/*.yaml))

.PHONY: run test test-services bench-smoke worker beat lint lint-alerts lint-deploy secrets-scan secrets-scan-selftest \
	secrets-baseline tools migrate lock deploy-check audit-deps load clean \
	mutation mutation-smoke

$(VENV)/.installed: requirements/dev.txt requirements/base.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

venv: $(VENV)/.installed

# The tool venvs, hash-checked from requirements/tools*.txt (make lock pins them).
$(TOOLS)/iac/.installed: requirements/tools.txt
	rm -rf $(TOOLS)/iac
	$(PYTHON) -m venv $(TOOLS)/iac
	$(IAC)/pip install --quiet --require-hashes -r requirements/tools.txt
	touch $@

$(TOOLS)/secrets/.installed: requirements/tools-secrets.txt
	rm -rf $(TOOLS)/secrets
	$(PYTHON) -m venv $(TOOLS)/secrets
	$(SECRETS)/pip install --quiet --require-hashes -r requirements/tools-secrets.txt
	touch $@

tools: $(TOOLS)/iac/.installed $(TOOLS)/secrets/.installed

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

# Mutation testing (TEST-3, scripts/mutation.py, docs/mutation.md): every critical module, or
# those named (`make mutation MUTATION_MODULES="tokens fetch"`); slow, outside `make test`.
# Fails when a module kills under 85 % of its mutants. `lockout` and `revocation` run on the
# service databases (as test-services). `mutation-smoke`: the two smallest, embedded (CI).
MUTATION_MODULES ?=
mutation: $(VENV)/.installed
	MUTATION_DATABASE_URL=$(SERVICE_DATABASE_URL) MUTATION_REDIS_URL=$(SERVICE_REDIS_URL) \
		nice -n 10 $(PY) scripts/mutation.py $(MUTATION_MODULES)

mutation-smoke: $(VENV)/.installed
	$(PY) scripts/mutation.py --smoke

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

lint: $(VENV)/.installed lint-deploy secrets-scan secrets-scan-selftest
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r aragora accounts audit abuse privacy debates
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/audit_deps.py requirements/base.txt requirements/dev.txt
	$(MAKE) --no-print-directory lint-alerts

# The Prometheus alerting rules (OPS-1): valid, and their unit tests pass. promtool comes with
# Debian's `prometheus` package (`apt-get install prometheus`; .ci/run installs it).
lint-alerts:
	@command -v promtool >/dev/null 2>&1 || { echo "promtool not found: apt-get install prometheus (Debian) provides it" >&2; exit 1; }
	promtool check rules deploy/prometheus/rules.yml
	promtool test rules deploy/prometheus/rules.test.yml

# The image and the cluster manifests (OPS-4): hadolint and checkov on the Dockerfile; every
# manifest validated against the bundled Kubernetes schemas (offline) and scanned by checkov.
# (kubernetes-validate has no schema for cert-manager's Certificate: it warns and skips it.)
lint-deploy: $(TOOLS)/iac/.installed
	$(IAC)/hadolint --config deploy/hadolint.yaml deploy/Dockerfile
	$(IAC)/kubernetes-validate --strict --quiet $(K8S_MANIFESTS)
	$(IAC)/checkov --quiet --compact --skip-download --directory deploy \
		--framework dockerfile kubernetes

# Secrets scan (OPS-5): every tracked file against the audited .secrets.baseline; a new
# finding fails (moved line numbers do not). After auditing a false positive:
# make secrets-baseline, mark it, give its reason in .secrets.reasons, commit.
secrets-scan: $(TOOLS)/secrets/.installed
	$(PY) scripts/secrets_scan.py $(SECRETS)/detect-secrets-hook .secrets.baseline scan

# The scan must catch a planted fake secret, or a green scan proves nothing.
secrets-scan-selftest: $(TOOLS)/secrets/.installed
	$(PY) scripts/secrets_scan.py $(SECRETS)/detect-secrets-hook .secrets.baseline selftest

secrets-baseline: $(TOOLS)/secrets/.installed
	git ls-files -z | xargs -0 $(SECRETS)/detect-secrets scan --baseline .secrets.baseline

# `check --deploy` in production mode with throwaway secrets: must report nothing.
deploy-check: $(VENV)/.installed
	ARAGORA_ENV=production ARAGORA_SECRET_KEY="$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(64))')" \
		ARAGORA_ALLOWED_HOSTS=aragora.example.com ARAGORA_JWT_SIGNING_KEYS="$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(48))')" \
		ARAGORA_ENCRYPTION_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())')" \
		ARAGORA_TOKEN_PEPPER=throwaway-pepper-$$RANDOM$$RANDOM \
		ARAGORA_AUDIT_KEYS="$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(48))')" \
		$(PY) manage.py check --deploy --fail-level WARNING

# TEST-2: 50 clients for LOAD_DURATION seconds against gunicorn (2 workers) on PostgreSQL and
# Redis, production settings with throwaway secrets; exits non-zero when an invariant breaks.
# Works in a scratch database it creates and drops. Not part of `make test`.
load: $(VENV)/.installed
	DATABASE_URL=$(SERVICE_DATABASE_URL) REDIS_URL=$(LOAD_REDIS_URL) \
		$(PY) bench/load.py --duration $(LOAD_DURATION)

audit-deps: $(VENV)/.installed
	$(PY) scripts/audit_deps.py requirements/base.txt requirements/dev.txt

# Re-pin requirements/*.txt from the .in files.
# base.txt and tools.txt carry hashes: the image and the tool venv install with --require-hashes.
lock: $(VENV)/.installed
	cd requirements && ../$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links -o base.txt base.in
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o dev.txt dev.in
	cd requirements && ../$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links -o tools.txt tools.in
	cd requirements && ../$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links -o tools-secrets.txt tools-secrets.in

clean:
	rm -rf $(VENV) $(TOOLS) var/mutation .pytest_cache .ruff_cache .mypy_cache .grimp_cache .import_linter_cache
