#!/usr/bin/env bash
# Create .venv (if missing) and install the project with its pinned development dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# Headless Chromium and its driver for the spec book's browser test (tests/test_docsite.py, which
# skips its browser part without them). Debian packages; installed only when missing and as root.
if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } && [ "$(id -u)" = "0" ] \
    && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium and chromium-driver (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null \
        || echo "warning: could not install chromium; the browser part of tests/test_docsite.py will be skipped" >&2
fi
