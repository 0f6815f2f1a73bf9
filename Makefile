# The two commands a newcomer needs: `make demo` and `make test`; then `make run` with a .env.
# Each builds what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BENCH_INSTALLED := $(VENV)/.bench-installed
FAKE_SEAM := tests/fakes/seam
FAKE_SEAM_INSTALLED := $(FAKE_SEAM)/node_modules/.package-lock.json
# Every install takes its versions, and their hashes, from a lock file; `make lock` writes them.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
BENCH_LOCK := requirements-bench.lock
LOCK_VENV := .venv-lock
PIP_TOOLS := pip-tools==7.6.2
# `make lock` keeps every pin that pyproject.toml still allows; to move on, for example
# `make lock LOCK_ARGS=--upgrade` (everything) or `make lock LOCK_ARGS="--upgrade-package seam"`.
LOCK_ARGS ?=
COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	$(LOCK_ARGS) pyproject.toml

.PHONY: demo run test lint unit install bench lock clean

demo: $(INSTALLED) $(FAKE_SEAM_INSTALLED)  ## see lockbot work in a browser: the real bot, Seam's fake server and a Slack stand-in, all on 127.0.0.1 (Ctrl-C stops it)
	$(BIN)/lockbot demo

run: $(INSTALLED)  ## start the bot (reads .env; Socket Mode when SLACK_APP_TOKEN is set)
	$(BIN)/lockbot serve

test: $(INSTALLED) $(FAKE_SEAM_INSTALLED) lint  ## ruff, mypy, then every test (SQLite; PostgreSQL too when LOCKBOT_TEST_DATABASE_URL is set)
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check bot tests migrations bench
	$(BIN)/ruff format --check bot tests migrations bench
	$(BIN)/mypy

install: $(INSTALLED)

bench: $(BENCH_INSTALLED) $(FAKE_SEAM_INSTALLED)  ## every benchmark on loopback → docs/benchmarks.md and docs/benchmarks/*.png (about 20 min)
	$(BIN)/python -m bench

$(BENCH_INSTALLED): $(INSTALLED) $(BENCH_LOCK)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(BENCH_LOCK)
	@touch $@

# lockbot itself goes in with --no-deps: everything it needs came from the lock, hashes checked.
$(INSTALLED): $(DEV_LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

lock:  ## pyproject.toml's dependencies → requirements.lock (runtime), -dev.lock (+dev), -bench.lock (+dev, bench)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip "$(PIP_TOOLS)"
	$(COMPILE) --output-file $(LOCK)
	$(COMPILE) --extra dev --output-file $(DEV_LOCK)
	$(COMPILE) --extra dev --extra bench --output-file $(BENCH_LOCK)

$(FAKE_SEAM_INSTALLED): $(FAKE_SEAM)/package-lock.json
	npm ci --prefix $(FAKE_SEAM) --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(FAKE_SEAM)/node_modules .mypy_cache .ruff_cache .pytest_cache
