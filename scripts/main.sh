#!/usr/bin/env bash
# The main job: install, generate every conformance vector, check them against the lock file,
# and run the conformance runner against the reference adapter (progress bars and a summary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/rusty-spec main "$@"
