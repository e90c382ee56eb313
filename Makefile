# Two commands set everything up: `make run` (embedded default) and `make test` (PostgreSQL + Redis).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bootcamp
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

BENCH_SIZES ?= 1000,10000

.PHONY: run test bench install system-deps browser-deps node-deps messages screenshots worker beat clean prod-smoke

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# gettext compiles the message catalogs; chromium drives the browser tests.
system-deps:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing gettext"; \
	  (apt-get install -y -q gettext >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q gettext >/dev/null)); }

# fonts-noto-cjk: Korean names and pages render as text, not boxes, in tests and screenshots.
browser-deps:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests (about a minute)"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); }
	@test -d /usr/share/fonts/opentype/noto || { \
	  echo "Installing Debian's fonts-noto-cjk (Korean in the browser)"; \
	  (apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q fonts-noto-cjk >/dev/null)); }

# axe-core (package.json, exact pin) is injected into the pages by the browser tests.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's npm for the browser tests' axe-core"; \
	  (apt-get install -y -q npm >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null)); }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node-deps: $(NODE_STAMP)

messages: $(STAMP) system-deps
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

run: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_curriculum curricula/deep-learning-specialization.toml
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP) messages browser-deps node-deps
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m tests.preflight
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DJANGO_DB_POOL=0 \
	  DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest -q $(PYTEST_ARGS)
	$(BIN)/python manage.py makemigrations --check --dry-run -v0

# README screenshots from the demo (docs/screenshots/*.png), in Debian's Chromium.
screenshots: $(STAMP) messages browser-deps
	@fc-list :lang=ko 2>/dev/null | grep -q . || { \
	  echo "Installing Debian's fonts-noto-cjk so that Korean shows in the screenshots"; \
	  (apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q fonts-noto-cjk >/dev/null)); }
	$(BIN)/python scripts/screenshots.py

# Security audit (issue 10): bandit fails on any high-severity finding in the app's code;
# pip-audit fails on any known vulnerability in the installed packages (the project itself,
# installed editable, is skipped). See scripts/dependency_audit.py for the service fallback.
audit: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,audit]'
	$(BIN)/bandit -r bootcamp courses cohorts --severity-level high --quiet
	$(BIN)/python scripts/dependency_audit.py

# Benchmarks at cohort scale (README, "Benchmarks"): separate from `make test`.
# Uses only the databases bench_*, Redis DB 6 and ports 18100-18199 (see bench/config.py).
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES)

# Both need REDIS_URL (the broker); the worker also DATABASE_URL and EMAIL_HOST. One beat only.
worker: $(STAMP)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker"; exit 1; }
	DJANGO_DB_POOL=0 $(BIN)/celery -A bootcamp worker -l info

beat: $(STAMP)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make beat"; exit 1; }
	DJANGO_DB_POOL=0 $(BIN)/celery -A bootcamp beat -l info --schedule $(VENV)/celerybeat-schedule

# --- production stack (issue 8) ---------------------------------------------------------------
# The compose stack's processes (gunicorn, Celery worker, beat) run natively with production
# settings against the local PostgreSQL (its own database bootcamp_smoke) and Redis DB 5.
SMOKE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432
SMOKE_REDIS_URL ?= redis://127.0.0.1:6379/5

prod-smoke: $(STAMP)
	SMOKE_DATABASE_URL=$(SMOKE_DATABASE_URL) SMOKE_REDIS_URL=$(SMOKE_REDIS_URL) \
	  $(BIN)/python scripts/prod_smoke.py
# ------------------------------------------------------------------------------------------------

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles node_modules
