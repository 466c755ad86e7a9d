# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test install servers chromium pgbouncer promtool lint format bench-hot-event bench-campaign bench-confirmation-latency bench-relay bench-cluster clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

servers:
	devtools/ensure-servers.sh

# $(call need,COMMAND,PACKAGE): install Debian's PACKAGE when COMMAND is missing, refreshing
# the (stale on a new machine) package lists first; nothing at all when it is there.
define need
@command -v $(1) >/dev/null 2>&1 || { apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2); }
endef

# The browser tests drive Debian's Chromium (never a downloaded one).
chromium:
	$(call need,chromium,chromium)

# The pooler test runs Debian's PgBouncer as a process of its own (never a system service).
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer; }

# The alert rule tests run Debian's promtool (package prometheus; no server is started).
promtool:
	$(call need,promtool,prometheus)

## Run the whole system with the demo programme; Ctrl-C stops it.
run: install servers
	$(BIN)/python -m shared.auth keygen
	$(BIN)/python -m shared.migrations all
	$(BIN)/python -m shared.messaging.declare
	$(BIN)/python -m devtools.seed
	$(BIN)/python -m services.console.cli demo-admin
	$(BIN)/honcho start -f Procfile

## Run every test (real PostgreSQL, RabbitMQ, SMTP and Chromium).
test: install servers chromium pgbouncer promtool
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Hot event benchmark: 5,000 people, 1,000 places, one event (see bench/hot_event/README.md).
bench-hot-event: install servers
	$(call need,wrk,wrk)
	$(BIN)/python -m bench.hot_event

## Campaign fan-out: 10,000 invitees, emails/s against the raw aiosmtplib ceiling (see README).
bench-campaign: install servers
	$(BIN)/python -m bench.campaign

## Booking 201 -> confirmation email at the sink, 100 bookings/s for 30 s (see README).
bench-confirmation-latency: install servers
	$(BIN)/python -m bench.confirmation_latency

## Outbox relay: messages/s and CPU per message against a raw confirmed publisher, same run.
bench-relay: install servers
	$(BIN)/python -m bench.relay $(BENCH_ARGS)

## One node against a test-owned three-node cluster, side by side: the booking rush and the
## campaign on each (see deploy/SCALING.md). Its nodes run the RabbitMQ that `servers` brings.
bench-cluster: install servers
	$(BIN)/python -m bench.cluster $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
