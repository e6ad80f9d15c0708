# linkdesk — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000
SMTP_PORT ?= 8025
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

.PHONY: run test install db clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

db: install
	$(BIN)/flask --app linkdesk init-db
	@if [ ! -f instance/demo_logins.txt ]; then $(BIN)/flask --app linkdesk seed --demo >/dev/null; else $(BIN)/flask --app linkdesk seed >/dev/null; fi

# The web server and, beside it, the worker (notifications, the day's cutovers, reminders, link
# checks) and a local SMTP debugging server that prints the e-mails the worker sends to the demo's
# channels; Ctrl-C stops all three: the trap ends them whichever way the server stops.
run: db
	@echo "演示账号 / demo logins (user, password):"
	@cat instance/demo_logins.txt
	@echo "网页 / web: http://$(HOST):$(PORT)  (Ctrl-C stops the server, the worker and the mail printer)"
	@echo "worker: flask --app linkdesk worker; the demo's e-mails are printed by a local SMTP debugging server on port $(SMTP_PORT)"
	@$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:$(SMTP_PORT) & smtp=$$!; \
	LINKDESK_SMTP_HOST=127.0.0.1 LINKDESK_SMTP_PORT=$(SMTP_PORT) $(BIN)/flask --app linkdesk worker & worker=$$!; \
	trap 'kill $$worker $$smtp 2>/dev/null; wait $$worker $$smtp' EXIT INT TERM; \
	$(BIN)/flask --app linkdesk run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check linkdesk tests benchmarks .ci
	$(BIN)/ruff format --check linkdesk tests benchmarks .ci
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
