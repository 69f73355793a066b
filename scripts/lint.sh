#!/usr/bin/env bash
# Lint gates: ruff (lint + format) for Python, sqlfluff for the dbt SQL.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== sqlfluff"
.venv/bin/sqlfluff lint models macros --disable-progress-bar --nocolor
