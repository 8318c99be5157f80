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

# One test process per core (pytest-xdist); each starts its own PostgreSQL and fake LINE.
test: install system-deps
	$(BIN)/python -m pytest -n auto

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# PostgreSQL, Chromium, nginx and the Noto CJK/emoji fonts for the tests, from Debian packages
# (installs as root; otherwise says what to install).
system-deps:
	@./scripts/system-deps

# Refresh the staff guide's pictures (docs/screenshots/) from a temporary demo database (`flask demo seed`).
# system-deps brings Chromium and the Noto CJK and color-emoji fonts.
screenshots: install system-deps
	$(BIN)/python scripts/screenshots
