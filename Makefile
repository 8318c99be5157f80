# The two commands: `make run` (the service on its embedded default) and `make test` (the whole suite).
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test install system-deps screenshots

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask kb import
	$(BIN)/flask users ensure-dev-admin  # prints the console login once (never in production)
	@# The notice worker runs beside the web server so due notices go out; it stops when the server does.
	$(BIN)/flask notices worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install system-deps
	$(BIN)/python -m pytest

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# PostgreSQL, Chromium, nginx and the Noto CJK/emoji fonts for the tests, from Debian packages
# (installs as root; otherwise says what to install).
system-deps:
	@./scripts/system-deps

# Refresh the README's staff-guide pictures from the browser tests (system-deps brings the Japanese fonts).
screenshots: install system-deps
	UPDATE_SCREENSHOTS=1 TEST_BACKENDS=sqlite $(BIN)/python -m pytest tests/browser -q
