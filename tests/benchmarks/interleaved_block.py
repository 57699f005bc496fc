"""Issue 14's measurement of block validation: floor and hot path interleaved in one process.

``python -m tests.benchmarks.interleaved_block --size 15000 --repeats 3`` builds the chain
benchmark's scenario (``test_bench_chain.scenario``: N one-in-one-out P2PKH spends of an N-coin
UTXO set, devnet), then repeats, in this order: the floor (N bare libsodium ``crypto_sign_open``
calls), ``apply_block`` on a fresh copy of the block (decoded from its bytes, parse memo emptied)
on the parent's state carrying its trie (STATE-6, as a node's tip state does), the same on the
state without its trie (``apply_block_no_trie``: the root built from the whole set), and the parts
of it timed alone on other fresh copies: ``check_block_shape`` and the state root built from
scratch (``utxo_state_root`` over the set after the block). It prints each repeat's
ratios to that repeat's floor, then the median of the per-repeat ratios and the ratio of the
medians. The machine is shared, so only ratios measured side by side mean anything; the times
are the process's CPU time (``time.process_time``: the run is single-threaded, and CPU time leaves
out the time spent waiting for a core on a loaded machine, though not the slowdown of sharing
caches with other processes).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import nacl.bindings

from spec.chain.block import check_block_shape
from spec.chain.state import apply_block
from spec.ledger.state import utxo_state_root
from tests.benchmarks.test_bench_chain import PRESET, Scenario, fresh_arguments, scenario


def _timed(run: Callable[[], object]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def measure(bench: Scenario, repeats: int) -> dict[str, list[float]]:
    """Seconds per repeat for the floor, ``apply_block`` and its parts, interleaved."""
    times: dict[str, list[float]] = {
        "floor": [],
        "apply_block": [],
        "apply_block_no_trie": [],
        "block_shape": [],
        "state_root": [],
    }
    after = apply_block(*fresh_arguments(bench)[0])
    bare = replace(bench.state, commitment=None)

    def floor() -> None:
        for public, message, signature in bench.signatures:
            nacl.bindings.crypto_sign_open(signature + message, public)

    for _ in range(repeats):
        times["floor"].append(_timed(floor))
        arguments = fresh_arguments(bench)[0]
        times["apply_block"].append(_timed(partial(apply_block, *arguments)))
        _, block, context, preset = fresh_arguments(bench)[0]
        times["apply_block_no_trie"].append(_timed(partial(apply_block, bare, block, context, preset)))
        block = fresh_arguments(bench)[0][1]
        times["block_shape"].append(_timed(partial(check_block_shape, block, PRESET)))
        times["state_root"].append(_timed(partial(utxo_state_root, after.utxos, PRESET)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=15_000, help="transactions in the block")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    options = parser.parse_args()
    times = measure(scenario(options.size), options.repeats)
    floors = times["floor"]
    for index, floor in enumerate(floors):
        parts = ", ".join(f"{name} {times[name][index] / floor:.2f}x" for name in times if name != "floor")
        print(f"repeat {index + 1}: floor {floor:.3f} s; {parts}")
    for name in ("apply_block", "apply_block_no_trie", "block_shape", "state_root"):
        per_repeat = statistics.median(t / f for t, f in zip(times[name], floors, strict=True))
        of_medians = statistics.median(times[name]) / statistics.median(floors)
        print(f"{name}: median of ratios {per_repeat:.2f}x, ratio of medians {of_medians:.2f}x")


if __name__ == "__main__":
    main()
