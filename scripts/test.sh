#!/usr/bin/env bash
# The whole test suite: lint, then pytest (unit, integration, browser).
# Browser tests drive Debian's chromium; install it here if the machine lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/chromium ]]; then
  echo "== installing Debian chromium for the browser tests"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
bash scripts/lint.sh
echo "== pytest"
export SHOPSIGHT_TEST_OUTPUT="${SHOPSIGHT_TEST_OUTPUT:-$PWD/test-output}"
.venv/bin/python -m pytest "$@"
