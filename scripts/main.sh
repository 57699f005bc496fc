#!/usr/bin/env bash
# The main job: install, generate every conformance vector, check them against the lock file,
# run the conformance runner against the reference adapter (a progress bar, then one summary row per
# flow; `scripts/main.sh --verbose` adds the per-handler table), then
# start a local devnet of three reference nodes that mine, sync, relay payments, register
# masternodes, run the finality quorum's DKG over P2P, finalize blocks and converge.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/rusty-spec main "$@"
exec .venv/bin/rusty devnet 3
