"""Sidechain liveness on the node (issue 15 item 7): proposer rotation (SC-LIVE-1/2), missed-block
fetch (P2P-SC-3) and checkpoint shares that survive a restart.

The federation is the 2-of-3 world of ``tests/test_reference_sidechains.py`` (three
:class:`SidechainService` members over one mainchain, messages flooded in process); here a member can
be *offline*: it hears no sidechain message and runs no tip handler, and the mainchain blocks it
missed are connected when it comes back (as the node's mainchain sync does). Every scenario is
bounded by a block limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.sidechains import (
    SidechainOutput,
    account_of,
    balance_of,
)
from spec.errors import FederationKeyMissing
from spec.ledger.transaction import Transaction
from spec.masternode.signing import SignatureShare
from spec.p2p.messages import GetSidechainBlocks
from spec.presets import DEVNET
from spec.sidechain.liveness import compute_round, get_proposer
from spec.sidechain.transactions import DepositMessage
from tests.sidechain_helpers import RESULT, World, build_world, sidechain_service
from tests.test_reference_sidechains import ALICE_SEED, CHAIN, SPEC

LIMIT = 40
"""Mainchain blocks any scenario may take (bounded)."""


@dataclass
class LiveWorld(World):
    """The federation world with members that can be offline and a log of block requests."""

    requests: list[tuple[int, GetSidechainBlocks]] = field(default_factory=list)

    def answer(self, sender: int, request: GetSidechainBlocks) -> list[tuple[int, SidechainOutput]]:
        """The online members serve the blocks; the asker receives them (P2P-SC-3)."""
        self.requests.append((sender, request))
        out: list[tuple[int, SidechainOutput]] = []
        for index, service in enumerate(self.services):
            if index == sender or index in self.offline:
                continue
            for answer in service.serve_blocks(request):
                out.extend((sender, m) for m in self.services[sender].receive_block(answer.block))
        return out

    def stop(self, index: int) -> None:
        self.offline.add(index)

    def start(self, index: int) -> None:
        """Back online: connect the mainchain blocks it missed (mainchain sync), then follow."""
        for block, before in self.missed.pop(index, []):
            self.services[index].on_connect(block, before)
        self.offline.discard(index)
        self.flood(index, self.services[index].on_tip())

    def run_until(self, done: Callable[[], bool]) -> None:
        for _ in range(LIMIT):
            if done():
                return
            self.mine()
        assert done(), "the scenario did not get there within the block limit"


_service = sidechain_service


def _world() -> tuple[LiveWorld, list[sqlite3.Connection]]:
    dbs = [sqlite3.connect(":memory:", isolation_level=None) for _ in range(3)]
    return build_world((SPEC,), LiveWorld, dbs), dbs


def _checkpoints(world: LiveWorld) -> int:
    return len(world.builder.state.sidechains.chains[CHAIN].checkpoints)


def _height(world: LiveWorld, index: int) -> int:
    chain = world.services[index].local(CHAIN)
    assert chain is not None
    return chain.tip.tip.height


def test_first_proposer_stopped_blocks_still_come_and_a_rejoining_node_catches_up() -> None:
    world, _ = _world()
    world.run_until(lambda: _checkpoints(world) == 1)  # the genesis header (no proposer)
    node = world.services[0]
    chain = node.local(CHAIN)
    assert chain is not None
    first = node.proposer(chain, 1)
    assert first == get_proposer(1, 0, RESULT.qualified)
    down = RESULT.qualified.index(first)
    up = [i for i in range(3) if i != down]
    world.stop(down)
    alice = account_of(ALICE_SEED)
    world.publish(DepositMessage(CHAIN, alice), (), 50_000)
    world.mine()
    # the round-0 proposer is down: after proposer_timeout_blocks the next member produces block 1,
    # the two live members sign it and its checkpoint is accepted on the mainchain
    world.run_until(lambda: _checkpoints(world) >= 2)
    live = world.services[up[0]]
    live_chain = live.local(CHAIN)
    assert live_chain is not None and live_chain.tip.tip.height >= 1
    assert balance_of(live, CHAIN, alice)["balance"] == 50_000
    checkpoint_0 = world.builder.state.sidechains.chains[CHAIN].checkpoints[0]
    assert (
        world.builder.state.height >= checkpoint_0.posted_height + DEVNET.sidechains.proposer_timeout_blocks
    )
    assert down in world.offline and _height(world, down) == 0
    # a second block, to leave the stopped node further behind
    world.publish(DepositMessage(CHAIN, alice), (), 7_000)
    world.run_until(lambda: _checkpoints(world) >= 3)
    assert balance_of(live, CHAIN, alice)["balance"] == 57_000
    # the stopped node comes back: it sees checkpoints beyond its tip, asks (P2P-SC-3), catches up
    world.start(down)
    world.run_until(lambda: _height(world, down) >= _checkpoints(world) - 1)
    asked = [request for sender, request in world.requests if sender == down]
    assert asked and asked[0] == GetSidechainBlocks(CHAIN, 1, _checkpoints(world) - 1)
    rejoined = world.services[down].local(CHAIN)
    assert rejoined is not None
    tips = {s.info(CHAIN)["tip_hash"] for s in world.services}
    assert len(tips) == 1
    assert balance_of(world.services[down], CHAIN, alice)["balance"] == 57_000


def test_a_block_beyond_the_tip_makes_the_node_ask_for_the_gap() -> None:
    world, _ = _world()
    world.run_until(lambda: _checkpoints(world) == 1)
    world.stop(2)
    alice = account_of(ALICE_SEED)
    for amount in (1_000, 2_000):
        world.publish(DepositMessage(CHAIN, alice), (), amount)
        target = _checkpoints(world) + 1
        world.run_until(lambda: _checkpoints(world) >= target)  # noqa: B023
    live = world.services[0].local(CHAIN)
    assert live is not None and live.tip.tip.height >= 2
    late = world.services[2]
    for block, before in world.missed.pop(2):
        late.on_connect(block, before)
    newest = live.blocks[-1]
    assert newest is not None
    out = late.receive_block(newest)  # block n with the node at genesis: held, gap requested
    gap = max(newest.header.height - 1, _checkpoints(world) - 1)  # up to the block or the checkpoints
    assert out == [GetSidechainBlocks(CHAIN, 1, gap)]
    assert late.receive_block(newest) == []  # the same request once per mainchain block
    for answer in world.services[0].serve_blocks(GetSidechainBlocks(CHAIN, 1, gap)):
        late.receive_block(answer.block)
    assert late.local(CHAIN) is not None and _height(world, 2) == newest.header.height  # held one applied too


def test_serve_blocks_answers_what_the_node_has_within_the_bound() -> None:
    world, _ = _world()
    world.run_until(lambda: _checkpoints(world) == 1)
    world.publish(DepositMessage(CHAIN, account_of(ALICE_SEED)), (), 1_000)
    world.run_until(lambda: _height(world, 0) >= 1)
    node = world.services[0]
    assert [m.block.header.height for m in node.serve_blocks(GetSidechainBlocks(CHAIN, 0, 5))] == [1]
    assert node.serve_blocks(GetSidechainBlocks(CHAIN, 9, 1)) == []
    assert node.serve_blocks(GetSidechainBlocks(CHAIN + 1, 1, 1)) == []


def test_checkpoint_shares_survive_a_restart_mid_signing() -> None:
    world, dbs = _world()
    world.run_until(lambda: _checkpoints(world) == 1)
    node = world.services[0]
    chain = node.local(CHAIN)
    assert chain is not None
    proposer = RESULT.qualified.index(node.proposer(chain, 1))
    others = [i for i in range(3) if i != proposer]
    for index in others:
        world.stop(index)
    world.publish(DepositMessage(CHAIN, account_of(ALICE_SEED)), (), 5_000)
    world.run_until(lambda: _height(world, proposer) >= 1)  # block 1 built and signed by 1 of 2
    assert _checkpoints(world) == 1
    produced = world.services[proposer].local(CHAIN)
    assert produced is not None and produced.blocks[1] is not None
    block = produced.blocks[1]
    # a second member signs the block, but its share reaches the proposer only after a restart
    helper = others[0]
    for missed, before in world.missed.pop(helper):
        world.services[helper].on_connect(missed, before)
    shares = [m for m in world.services[helper].receive_block(block) if isinstance(m, SignatureShare)]
    assert len(shares) == 1
    restarted = _service(world, dbs[proposer], proposer + 1)  # same database, fresh memory
    world.services[proposer] = restarted
    resent = restarted.on_tip()
    assert [m for m in resent if isinstance(m, SignatureShare)]  # its own share, reloaded and re-sent
    out = restarted.receive_share(shares[0])
    assert out is not None
    posted = [m for m in out if isinstance(m, Transaction)]
    assert posted, "the restarted member did not assemble the checkpoint from its stored share"
    world.mine()
    assert _checkpoints(world) == 2


def test_without_stored_shares_the_restarted_member_cannot_finish() -> None:
    """The control of the test above: with the stored share deleted, the two shares never meet."""
    world, dbs = _world()
    world.run_until(lambda: _checkpoints(world) == 1)
    chain = world.services[0].local(CHAIN)
    assert chain is not None
    proposer = RESULT.qualified.index(world.services[0].proposer(chain, 1))
    others = [i for i in range(3) if i != proposer]
    for index in others:
        world.stop(index)
    world.publish(DepositMessage(CHAIN, account_of(ALICE_SEED)), (), 5_000)
    world.run_until(lambda: _height(world, proposer) >= 1)
    produced = world.services[proposer].local(CHAIN)
    assert produced is not None and produced.blocks[1] is not None
    helper = others[0]
    for missed, before in world.missed.pop(helper):
        world.services[helper].on_connect(missed, before)
    shares = [
        m for m in world.services[helper].receive_block(produced.blocks[1]) if isinstance(m, SignatureShare)
    ]
    dbs[proposer].execute("DELETE FROM sc_shares")
    restarted = _service(world, dbs[proposer], proposer + 1)
    restarted.on_tip()
    out = restarted.receive_share(shares[0]) or []
    assert not [m for m in out if isinstance(m, Transaction)]


# ------------------------------------------------------------------------- SC-LIVE-1/2 properties


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.lists(st.integers(1, 400), min_size=1, max_size=20, unique=True),
)
def test_every_member_gets_a_turn_within_one_cycle_of_rounds(
    height: int, round_: int, qualified: list[int]
) -> None:
    """SC-LIVE-2: ``|qualified|`` consecutive rounds name every member exactly once, so a member
    that is down delays a height by at most one round per down member."""
    turns = [get_proposer(height, round_ + i, qualified) for i in range(len(qualified))]
    assert sorted(turns) == sorted(qualified)
    assert get_proposer(height, 0, qualified) == qualified[height % len(qualified)]  # the un-rotated rule


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 100))
def test_the_round_advances_every_timeout(start: int, elapsed: int, timeout: int) -> None:
    """SC-LIVE-1: round 0 for the first ``timeout`` blocks, then one more every ``timeout`` blocks;
    never negative, monotone in the mainchain height."""
    round_ = compute_round(start, start + elapsed, timeout)
    assert round_ == elapsed // timeout
    assert compute_round(start, start + elapsed + 1, timeout) >= round_
    assert compute_round(start + elapsed + 1, start, timeout) == 0  # a height before the start


def test_an_empty_federation_has_no_proposer() -> None:
    with pytest.raises(FederationKeyMissing, match="no qualified member"):
        get_proposer(1, 0, ())
