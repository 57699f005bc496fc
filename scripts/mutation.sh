#!/usr/bin/env bash
# Mutation adequacy of the vectors (docs/mutation.md): mutmut over the flow's spec modules, the
# flow's vectors through the reference adapter as the killing test. Opt-in, long: run it niced.
#   scripts/mutation.sh                 every flow, cheap ones first
#   scripts/mutation.sh encoding trie   only these flows
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for flow in "$@"; do args+=(--flow "$flow"); done
exec nice -n 10 .venv/bin/python -m conformance.mutation "${args[@]}"
