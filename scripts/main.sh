#!/usr/bin/env bash
# The main job: install, generate every conformance vector, check them against the lock file,
# run the conformance runner against the reference adapter (a progress bar, then one summary row per
# flow; `scripts/main.sh --verbose` adds the per-handler table), then
# start a local devnet of three reference nodes that mine, sync, relay payments, register
# masternodes, run the finality quorum's DKG over P2P, finalize blocks and converge, vote the
# sidechain forks in, create sidechain 1, and run its round trip against a misbehaving federation
# (--dispute): node 0's watcher challenges the forged checkpoint, wins the dispute game, the
# checkpoint is reverted and the honest withdrawal is paid later (docs/node.md#watching-sidechains).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/rusty-spec main "$@"
exec .venv/bin/rusty devnet 3 --dispute
