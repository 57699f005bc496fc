"""SC-DSP-24's per-block pruning step (SC-BLK-8) against its floor.

The state: sidechain A with 1,000 input marks (one per height 1..1000), 100 voided slots and 20
checkpoints, the newest 10 unsettled (posted at the block's height, so the backward scan for the
settled cursor reads 10 checkpoints). The step finds the settled cursor (500) and drops the 499
marks and 50 slots below it. Its floor is the bare work it cannot avoid: one ``bisect_right`` over
the 1,000 mark heights (the list built, as the step builds it) and one pass over the 100 slots.
Run with ``--benchmark-enable``; the ratio is reported in docs/disputes.md.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from pytest_benchmark.fixture import BenchmarkFixture

from conformance import sidechainbuilder as sb
from spec.sidechain.header import VoidedInput
from spec.sidechain.pruning import prune_sidechains
from spec.sidechain.registry import CheckpointRecord, InputMark, with_record

HEIGHT = 2000
RECORD = replace(
    sb.initial().chains[sb.CHAIN_A],
    input_marks=tuple(InputMark(h, 2 * h, bytes(32)) for h in range(1, 1001)),
    voids=tuple(VoidedInput(10 * i + 5, 0, 10 * i + 9) for i in range(100)),
    checkpoints=tuple(
        CheckpointRecord(i, bytes(32), 50 * (i + 1), bytes(32), 10 if i < 10 else HEIGHT) for i in range(20)
    ),
)
STATE = with_record(sb.initial(), RECORD)


def test_bench_pruning_floor(benchmark: BenchmarkFixture) -> None:
    def floor() -> tuple[int, int]:
        index = bisect_right([mark.height for mark in RECORD.input_marks], 500)
        return index, sum(1 for void in RECORD.voids if void.relay_height > 500)

    assert benchmark(floor) == (500, 50)


def test_bench_pruning_step(benchmark: BenchmarkFixture) -> None:
    pruned = benchmark(prune_sidechains, STATE, HEIGHT)
    record = pruned.chains[sb.CHAIN_A]
    assert len(record.input_marks) == 501 and len(record.voids) == 50
