# AlphaStock developer workflow. Every target sets up what it needs from a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help dev test test-all live bench lint fmt wheel clean

help:
	@echo "make live      set up and run 'alphastock live' on the embedded default"
	@echo "make test      set up and run every test (cargo + pytest, slow ones skipped)"
	@echo "make test-all  the same, including slow/stress tests"
	@echo "make bench     run the benchmarks (pytest-benchmark) and print ratios to baselines"
	@echo "make lint      ruff, mypy + stubtest, clippy -D warnings, rustfmt --check"
	@echo "make wheel     build a release wheel and import it in a fresh venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Python dependencies (runtime + dev), reinstalled when pyproject.toml changes.
$(STAMPS)/deps: pyproject.toml | $(BIN)/python
	@mkdir -p $(STAMPS)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# The extension, rebuilt in release mode in place (cargo makes this a no-op when nothing changed).
dev: $(STAMPS)/deps
	$(BIN)/maturin develop --release --skip-install --quiet
	@$(BIN)/python -c "import alphastock; print('alphastock', alphastock.__version__, 'built')"

test: dev
	cargo test --no-default-features --quiet
	$(BIN)/python -m pytest -m "not slow" -q

test-all: dev
	cargo test --no-default-features
	$(BIN)/python -m pytest -q

live: dev
	$(BIN)/alphastock live

bench: dev
	$(BIN)/python -m pytest benches -q -p no:randomly --benchmark-columns=min,median,mean,ops,rounds \
		--benchmark-sort=name -s

lint: dev
	$(BIN)/ruff check python tests benches tools
	$(BIN)/ruff format --check python tests benches tools
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest alphastock._core --allowlist .stubtest-allowlist
	cargo clippy --all-targets --all-features -- -D warnings
	cargo clippy --all-targets --no-default-features -- -D warnings
	cargo fmt --check

fmt: dev
	$(BIN)/ruff format python tests benches tools
	$(BIN)/ruff check --fix python tests benches tools
	cargo fmt

wheel: $(STAMPS)/deps
	rm -rf dist
	$(BIN)/maturin build --release --out dist --quiet
	rm -rf $(STAMPS)/wheel-venv
	$(PYTHON) -m venv $(STAMPS)/wheel-venv
	$(STAMPS)/wheel-venv/bin/python -m pip install --quiet --disable-pip-version-check dist/*.whl
	cd /tmp && $(abspath $(STAMPS))/wheel-venv/bin/python -c \
		"import alphastock, alphastock.options as o; print('wheel ok:', alphastock.__version__, float(o.price('c', 100, 100, 1, 0.05, 0.2)))"
	cd /tmp && $(abspath $(STAMPS))/wheel-venv/bin/alphastock --version
	@ls -l dist/*.whl

clean:
	rm -rf $(VENV) $(STAMPS) target dist .pytest_cache .mypy_cache .ruff_cache .benchmarks .hypothesis
	find python -name '*.so' -delete
