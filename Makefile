# Every target sets up what it needs: a fresh machine needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run demo test lint typecheck format bench migrate catalogs clean soak

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The token is checked before the database file is created or migrated.
run: $(STAMP)
	exec $(BIN)/jianfu run --migrate

# No Telegram account needed: the test server and the bot, a scripted evening, then your turn.
demo: $(STAMP)
	exec $(BIN)/python -m demo

migrate: $(STAMP)
	$(BIN)/jianfu migrate

test: $(STAMP) lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After editing a message catalog (bot/platform/locales/*/LC_MESSAGES/jianfu.po).
catalogs: $(STAMP)
	$(BIN)/pybabel compile -d bot/platform/locales -D jianfu

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The soak test at length (issue 10): twenty seeds of a longer night, both databases when
# JIANFU_TEST_POSTGRES_URL is set. A failure names its seed: JIANFU_SOAK_SEEDS=<seed> replays it.
soak: $(STAMP)
	JIANFU_SOAK_SEEDS="$$(seq -s ' ' 1 20)" JIANFU_SOAK_MESSAGES=150 $(BIN)/pytest -p no:cacheprovider tests/test_soak.py
