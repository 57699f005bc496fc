"""Benchmarks of dispute games played in mainchain blocks (SC-DSP-14..18) against their floor.

Run with ``pytest tests/benchmarks/test_bench_dispute_games.py --benchmark-enable``; CI runs each
once with ``--benchmark-disable`` as a correctness check.

* ``test_bench_dispute_games_whole_game`` is the sidechain step (SC-BLK-1..5) of every mainchain
  block of a game over a lying federation's 16-transfer FerrisScript checkpoint: the opening, 8
  bisection moves, the one-step proof (reverting and penalising) and the bond claim, each decoded
  from its null-data output and applied through ``apply_block_to_sidechains``;
* its floor, ``test_bench_dispute_games_floor_checkpoint``, is the sidechain step of the one block
  that posts that checkpoint (SC-CP-0..6, its BLS verification included).
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from spec.ledger.transaction import Transaction
from spec.presets import MAINNET
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains

SCENARIO = gc.scenario(16, MAINNET, federation_lies_at=tuple(range(9, 16)))
PLAYED = gc.play(SCENARIO, MAINNET)
BLOCKS: list[tuple[int, tuple[Transaction, ...]]] = [
    (height, sb.block(height, *outputs)) for height, outputs in PLAYED.blocks
]
BEFORE_CHECKPOINT_1 = PLAYED.results[0].state
BEFORE_GAME = PLAYED.results[1].state


def _apply(state: SidechainsState, blocks: list[tuple[int, tuple[Transaction, ...]]]) -> SidechainsState:
    for height, transactions in blocks:
        state = apply_block_to_sidechains(state, transactions, height, sb.keys(), MAINNET).state
    return state


def test_bench_dispute_games_floor_checkpoint(benchmark: BenchmarkFixture) -> None:
    after = benchmark(_apply, BEFORE_CHECKPOINT_1, BLOCKS[1:2])
    assert len(after.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2


def test_bench_dispute_games_whole_game(benchmark: BenchmarkFixture) -> None:
    after = benchmark(_apply, BEFORE_GAME, BLOCKS[2:])
    assert len(after.chains[gc.SPEC_G.sidechain_id].checkpoints) == 1
    assert not after.games and not after.bond_payouts
    assert len(BLOCKS[2:]) == 11  # opening, 8 bisections, the one-step proof, the bond claim
