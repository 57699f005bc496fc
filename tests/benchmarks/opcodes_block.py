"""Issue 14's bytecode counts of block validation, per Python function (a profile that does not move).

callgrind (``callgrind_block``) gives the instructions above the floor, but under CPython 3.11 most
of them are the interpreter's own (``_PyEval_EvalFrameDefault``) and name no Python function.
This driver counts the bytecodes each Python function executes while ``apply_block`` runs, with
``sys.settrace`` opcode events: exact, the same on every run and machine, and about a minute
for the N = 1,000 block of ``callgrind_block``::

    python -m tests.benchmarks.callgrind_block pickle 1000 /tmp/block.pkl
    python -m tests.benchmarks.opcodes_block /tmp/block.pkl --top 40

It prints the total per transaction of the block and the functions with the most bytecodes.
Bytecodes are not instructions (a call or a dictionary lookup is one bytecode and hundreds of
instructions), so this says where the interpreter spends its steps, not their price.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

from spec.chain.block import decode_block
from spec.chain.state import BlockContext, apply_block
from spec.script import parse_script
from tests.benchmarks.test_bench_chain import PRESET

_RECURSION = 100_000
"""As in ``callgrind_block``: the pickled trie nests deeply."""

_Tracer = Callable[[FrameType, str, Any], Any]


def count_opcodes(run: Callable[[], object]) -> Counter[tuple[str, int, str]]:
    """Bytecodes executed by ``run``, keyed by (file, first line, function name)."""
    counts: Counter[tuple[str, int, str]] = Counter()

    def local(frame: FrameType, event: str, _: Any) -> _Tracer:
        if event == "opcode":
            code = frame.f_code
            counts[(code.co_filename, code.co_firstlineno, code.co_name)] += 1
        return local

    def start(frame: FrameType, _event: str, _arg: Any) -> _Tracer:
        frame.f_trace_opcodes = True
        return local

    sys.settrace(start)
    try:
        run()
    finally:
        sys.settrace(None)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a scenario pickled by callgrind_block")
    parser.add_argument("--top", type=int, default=40, help="how many functions to list")
    options = parser.parse_args()
    sys.setrecursionlimit(_RECURSION)
    with open(options.path, "rb") as source:
        state, raw, _ = pickle.load(source)
    block = decode_block(raw, PRESET)
    parse_script.cache_clear()
    gc.collect()
    counts = count_opcodes(lambda: apply_block(state, block, BlockContext(block.header.timestamp), PRESET))
    size = len(block.transactions) - 1
    print(f"{sum(counts.values())} bytecodes, {sum(counts.values()) / size:.1f} per transaction ({size})")
    for (filename, line, name), count in counts.most_common(options.top):
        print(f"{count / size:8.1f} per transaction  {'/'.join(filename.split('/')[-3:])}:{line} {name}")


if __name__ == "__main__":
    main()
