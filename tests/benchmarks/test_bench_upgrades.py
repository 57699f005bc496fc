"""The upgrade tally (UPG-5) against its floor: reading the votes it counts.

A mainnet voting window is 8,064 blocks of 5 ticket votes (40,320 votes). The floor decodes every
block's vote list from its BLK-0 bytes (what a node must do anyway to validate the block); the hot
path counts the same decoded votes into a STARTED deployment's window tally block by block
(:func:`spec.forks.deployment.count_votes`) and steps the state machine at each block
(:func:`spec.forks.deployment.begin_window`, a window start at the last block). The printed ratio
says what stakeholder voting adds on top of reading the votes.

Blocks per run: ``RUSTY_BENCH_WINDOW_BLOCKS`` if set; else a full mainnet window with timings, and
400 blocks under ``--benchmark-disable`` (CI smoke mode).
"""

from __future__ import annotations

import os
from functools import cache

from pytest_benchmark.fixture import BenchmarkFixture

from conformance.seeded import seeded_bytes
from spec.chain.block import TicketVote, block_codecs
from spec.encoding import ListOf, decode, encode
from spec.forks.deployment import (
    AgendaRecord,
    Deployments,
    DeploymentStatus,
    begin_window,
    count_votes,
)
from spec.presets import MAINNET

PRESET = MAINNET
SMOKE_BLOCKS = 400
CHOICES = (0, 2, 4, 4, 4)  # abstain, no, yes, yes, yes per block


def window_blocks(benchmark: BenchmarkFixture) -> int:
    chosen = os.environ.get("RUSTY_BENCH_WINDOW_BLOCKS")
    if chosen:
        return int(chosen)
    deployment = PRESET.forks[1].deployment
    assert deployment is not None
    return SMOKE_BLOCKS if benchmark.disabled else deployment.window_blocks


def _codec() -> ListOf[TicketVote]:
    return ListOf(block_codecs(PRESET).vote, PRESET.tickets.voters_per_block)


@cache
def encoded_votes(blocks: int) -> tuple[bytes, ...]:
    """Each block's vote list as BLK-0 bytes."""
    encoded = []
    for height in range(blocks):
        votes = [
            TicketVote(
                seeded_bytes(f"bench/upgrade/{height}/{i}", 32),
                i,
                seeded_bytes(f"bench/upgrade/{height}", 32),
                bits,
                bytes(64),
            )
            for i, bits in enumerate(CHOICES)
        ]
        encoded.append(encode(_codec(), tuple(votes)))
    return tuple(encoded)


def read_votes(encoded: tuple[bytes, ...]) -> list[list[TicketVote]]:
    codec = _codec()
    return [list(decode(codec, raw)) for raw in encoded]  # type: ignore[arg-type]


def tally(blocks: list[list[TicketVote]]) -> Deployments:
    records: Deployments = (
        AgendaRecord("governed_tickets", DeploymentStatus.STARTED, 8064, 0, 0),
        AgendaRecord("state_trie", DeploymentStatus.DEFINED, 0, 0, 0),
        AgendaRecord("sidechains", DeploymentStatus.DEFINED, 0, 0, 0),
    )
    first = 8064 * 2
    for offset, votes in enumerate(blocks):
        records = count_votes(begin_window(records, first + offset + 1, PRESET), votes, PRESET)
    return records


def test_floor_read_window_votes(benchmark: BenchmarkFixture) -> None:
    encoded = encoded_votes(window_blocks(benchmark))
    benchmark.extra_info["votes"] = len(encoded) * len(CHOICES)
    decoded = benchmark.pedantic(read_votes, (encoded,), rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    assert sum(len(v) for v in decoded) == len(encoded) * len(CHOICES)


def test_tally_window(benchmark: BenchmarkFixture) -> None:
    encoded = encoded_votes(window_blocks(benchmark))
    benchmark.extra_info["floor"] = "test_floor_read_window_votes"
    benchmark.extra_info["votes"] = len(encoded) * len(CHOICES)
    decoded = read_votes(encoded)
    record, *_ = benchmark.pedantic(tally, (decoded,), rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    deployment = PRESET.forks[1].deployment
    assert deployment is not None
    if len(encoded) < deployment.window_blocks:  # no window boundary: every block counted
        assert record.status is DeploymentStatus.STARTED
        assert (record.yes, record.no) == (3 * len(encoded), len(encoded))
    else:  # the last block starts a window: 75% yes of the window's non-abstaining votes locks in
        assert len(encoded) == deployment.window_blocks
        assert record.status is DeploymentStatus.LOCKED_IN
        assert (record.yes, record.no) == (0, 0)
