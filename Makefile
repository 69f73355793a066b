# Shopsight's two commands: `make demo` and `make test`. Everything else is a helper target.
# Only python3 (3.11) and make are needed: uv is bootstrapped into .tools/ from PyPI, and uv
# installs the exact versions in uv.lock into .venv/ using this machine's Python.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: demo test env lint dev clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: Python would otherwise compile dbt, Dagster and GX from source in every
# process where PYTHONDONTWRITEBYTECODE is set (common in containers): seconds per dbt start.
.venv/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

env: .venv/.synced  ## create or update the environment from the lock file

demo: env  ## simulate a year, run the pipeline into data/warehouse.duckdb, serve the dashboard
	.venv/bin/shopsight demo

test: env  ## lint, then the whole test suite (installs Debian chromium for browser tests if missing)
	bash scripts/test.sh

lint: env
	bash scripts/lint.sh

dev: env  ## a small dev warehouse (a few simulated months) for the analyst's loop
	.venv/bin/shopsight demo --dev --no-serve

clean:
	rm -rf data target logs .pytest_cache test-output
