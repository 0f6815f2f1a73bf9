# The two commands a newcomer needs: `make run` and `make test`. Both build what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BENCH_INSTALLED := $(VENV)/.bench-installed
FAKE_SEAM := tests/fakes/seam
FAKE_SEAM_INSTALLED := $(FAKE_SEAM)/node_modules/.package-lock.json

.PHONY: run test lint unit install bench clean

run: $(INSTALLED)  ## start the bot (reads .env; Socket Mode when SLACK_APP_TOKEN is set)
	$(BIN)/lockbot serve

test: $(INSTALLED) $(FAKE_SEAM_INSTALLED) lint  ## ruff, mypy, then every test (SQLite; PostgreSQL too when LOCKBOT_TEST_DATABASE_URL is set)
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check bot tests migrations bench
	$(BIN)/mypy

install: $(INSTALLED)

bench: $(BENCH_INSTALLED) $(FAKE_SEAM_INSTALLED)  ## every benchmark on loopback → docs/benchmarks.md and docs/benchmarks/*.png (about 10 min)
	$(BIN)/python -m bench

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $@

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(FAKE_SEAM_INSTALLED): $(FAKE_SEAM)/package-lock.json
	npm ci --prefix $(FAKE_SEAM) --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) $(FAKE_SEAM)/node_modules .mypy_cache .ruff_cache .pytest_cache
