"""Issue 14's instruction counts of block validation against its floor (callgrind).

The load on the shared machine moves CPU times by 0.3 floors either way; instruction counts do not
move. Build the chain benchmark's scenario once, outside valgrind, and pickle it::

    python -m tests.benchmarks.callgrind_block pickle 1000 /tmp/block.pkl

then run each mode under callgrind (``PYTHONHASHSEED=0``) and take the differences from ``load``::

    valgrind --tool=callgrind python -m tests.benchmarks.callgrind_block load /tmp/block.pkl
    valgrind --tool=callgrind python -m tests.benchmarks.callgrind_block floor /tmp/block.pkl
    valgrind --tool=callgrind python -m tests.benchmarks.callgrind_block block /tmp/block.pkl

``load`` imports the spec, unpickles the parent's state (with its trie, STATE-6), the block's
bytes and the signatures, decodes the block, empties the script-parse memo and collects the
garbage; ``floor`` then calls libsodium's bare ``crypto_sign_open`` once per signature, ``block``
runs ``apply_block``. Floor = Ir(floor) - Ir(load), block = Ir(block) - Ir(load).
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys

import nacl.bindings

from spec.chain.block import decode_block, encode_block
from spec.chain.state import BlockContext, apply_block
from spec.script import parse_script
from tests.benchmarks.test_bench_chain import PRESET, scenario

_RECURSION = 100_000
"""The pickled trie nests one frame per node level and dataclass; the default limit is too low."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("pickle", "load", "floor", "block"))
    parser.add_argument("rest", nargs="+", help="pickle: SIZE PATH; the other modes: PATH")
    options = parser.parse_args()
    sys.setrecursionlimit(_RECURSION)
    if options.mode == "pickle":
        size, path = int(options.rest[0]), options.rest[1]
        bench = scenario(size)
        with open(path, "wb") as out:
            pickle.dump((bench.state, encode_block(bench.block, PRESET), bench.signatures), out)
        return
    with open(options.rest[0], "rb") as source:
        state, raw, signatures = pickle.load(source)
    block = decode_block(raw, PRESET)
    parse_script.cache_clear()
    gc.collect()
    if options.mode == "floor":
        for public, message, signature in signatures:
            nacl.bindings.crypto_sign_open(signature + message, public)
    elif options.mode == "block":
        apply_block(state, block, BlockContext(block.header.timestamp), PRESET)


if __name__ == "__main__":
    main()
