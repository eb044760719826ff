# OneStock developer commands. `make run` and `make test` work on a fresh
# machine with only Python 3.11+: each creates .venv and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROTOS := $(shell find proto -name '*.proto')

.PHONY: run test proto proto-check lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Migrate, load the demo chain and serve on ONESTOCK_LISTEN (127.0.0.1:50051).
run: $(STAMP)
	$(BIN)/onestock migrate
	$(BIN)/onestock seed-demo
	$(BIN)/onestock serve

## The whole test suite, against a real (embedded) PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m pytest -q

## Regenerate generated/ from proto/.
proto: $(STAMP)
	rm -rf generated/onestock
	$(BIN)/python -m grpc_tools.protoc -Iproto \
		--python_out=generated --pyi_out=generated --grpc_python_out=generated $(PROTOS)
	find generated/onestock -type d -exec touch {}/__init__.py \;

## Fail when generated/ differs from what proto/ generates.
proto-check: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_generated_code.py

lint: $(STAMP)
	$(BIN)/ruff check services migrations tests bench
	$(BIN)/buf lint

## Benchmarks: each prints its figures and ratios measured in the same run.
bench: $(STAMP)
	$(BIN)/python -m bench.reserve_hot
	$(BIN)/python -m bench.route_core
	$(BIN)/python -m bench.route_rpc
	$(BIN)/python -m bench.create_order
	$(BIN)/python -m bench.order_day
	$(BIN)/python -m bench.list_orders
	$(BIN)/python -m bench.sales_summary
	$(BIN)/python -m bench.outbox_drain
	$(BIN)/python -m bench.expiry_sweep
	$(BIN)/python -m bench.auth_overhead
	$(BIN)/python -m bench.count_during_sales
	$(BIN)/python -m bench.simulate

clean:
	rm -rf $(VENV) .pytest_cache
