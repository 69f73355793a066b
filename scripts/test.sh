#!/usr/bin/env bash
# The whole test suite: lint, then pytest (unit, integration, browser).
# Browser tests drive Debian's chromium (and screenshots need a CJK font for 万/亿); install them
# here if the machine lacks them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/chromium || ! -d /usr/share/fonts/truetype/wqy ]]; then
  echo "== installing Debian chromium and a CJK font for the browser tests"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
bash scripts/lint.sh
echo "== pytest"
export SHOPSIGHT_TEST_OUTPUT="${SHOPSIGHT_TEST_OUTPUT:-$PWD/test-output}"
.venv/bin/python -m pytest "$@"
