#!/usr/bin/env bash
# The whole test suite: install, lint (ruff), type-check (mypy --strict), then pytest, which runs
# the unit and property suites, vector determinism against the lock, the conformance run, the
# crosshair contracts (bounded time) and the atheris fuzz smoke runs.
# Long runs are opt-in: RUSTY_SLOW=1 (slow tests), RUSTY_FUZZ_SECONDS=N (per harness),
# RUSTY_CROSSHAIR_SECONDS=N (per condition).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== ruff"; .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== mypy --strict"; .venv/bin/mypy
echo "== pytest (the 30 slowest tests are listed at the end)"
# Both cores (pytest-xdist); RUSTY_TEST_WORKERS overrides the worker count (1 = no xdist).
WORKERS="${RUSTY_TEST_WORKERS:-2}"
if [ "$WORKERS" = "1" ]; then
    exec .venv/bin/python -m pytest -p no:cacheprovider --benchmark-disable --durations=30 "$@"
fi
exec .venv/bin/python -m pytest -p no:cacheprovider --benchmark-disable -n "$WORKERS" --dist loadgroup --durations=30 "$@"
