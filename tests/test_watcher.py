"""The sidechain watcher (reference/watcher.py, issue 16 item 8) against a faulty federation.

The mainchain is the spec's sidechain transition block by block (SC-BLK-1..5); the federation
signs a checkpoint whose trace is wrong from one transaction on and defends it from its own
(lying) roots; the watcher re-executes the block, opens the game, answers every bisection and
claims its bond back. Bounded: at most ``max_moves`` moves plus the opening and the claim.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from reference.watcher import SidechainWatcher, WatchedBlock
from spec.ledger.transaction import TxOutput
from spec.masternode.quorum import QuorumType
from spec.presets import DEVNET
from spec.sidechain.dispute import Party, max_moves
from spec.sidechain.games import Penalty
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains
from spec.vm.interface import VmKind

PRESET = DEVNET
PAYEE = b"\x76\xa9\x14" + b"\x42" * 20 + b"\x88\xac"


def _run(sc: gc.Scenario, blocks: int) -> tuple[SidechainsState, list[SidechainBlock], int]:
    """Checkpoints, then ``blocks`` mainchain blocks in which the watcher and the defender post."""
    watcher = SidechainWatcher(PRESET, PAYEE)
    block = sc.block
    watcher.observe(WatchedBlock(gc.SPEC_G.sidechain_id, 1, block.txs, (), block.nodes))
    state = gc.initial(sc.spec)
    results: list[SidechainBlock] = []
    posted = 0

    def connect(height: int, outputs: Sequence[Sequence[TxOutput]]) -> None:
        nonlocal state
        transactions = sb.block(height, *outputs)
        result = apply_block_to_sidechains(state, transactions, height, sb.keys(), PRESET)
        watcher.on_block(transactions)
        results.append(result)
        state = result.state

    for at, posted_outputs in gc.checkpoint_blocks(sc):
        connect(at, posted_outputs)
    height = gc.CHECKPOINT_1_AT
    for _ in range(blocks):
        height += 1
        outputs: list[Sequence[TxOutput]] = list(watcher.on_tip(state, height))
        posted += len(outputs)
        for game_id, opened in sorted(state.games.items()):
            if opened.payout_script == PAYEE and opened.game.turn == Party.DEFENDER:
                kind, data = gc.honest_move(sc, opened.game, PRESET)
                outputs.append([gc.move_output(game_id, Party.DEFENDER, kind, data, PRESET)])
        connect(height, outputs)
    return state, results, posted


@pytest.mark.parametrize("vm", list(VmKind))
def test_the_watcher_challenges_a_faulty_federation_and_gets_its_bond_back(vm: VmKind) -> None:
    """Over every VM kind: the watcher re-executes under SCB-3's context (the kind's fee sink)."""
    sc = gc.scenario(6, PRESET, federation_lies_at=(3, 4, 5), vm=vm)
    state, results, posted = _run(sc, 2 * max_moves(6) + 4)
    penalties = [p for r in results for p in r.penalties]
    assert penalties == [Penalty(gc.SPEC_G.sidechain_id, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0, PAYEE)]
    assert [c.height for c in state.chains[gc.SPEC_G.sidechain_id].checkpoints] == [0]
    claimed = [r.released for r in results if any(r.released)]
    assert claimed == [(0, PRESET.dispute.min_challenger_bond)]  # the watcher's bond, paid once
    assert not state.games and not state.bond_payouts
    assert posted <= max_moves(6) + 2  # an opening, its answers, one claim: it never loops


@pytest.mark.parametrize("vm", list(VmKind))
def test_the_watcher_leaves_an_honest_checkpoint_alone(vm: VmKind) -> None:
    sc = gc.scenario(6, PRESET, vm=vm)
    assert (
        SidechainWatcher(PRESET, PAYEE).honest_trace(sc.block.header, sc.block.trace[0], vm) is None
    )  # it holds no block yet
    watcher = SidechainWatcher(PRESET, PAYEE)
    watcher.observe(WatchedBlock(gc.SPEC_G.sidechain_id, 1, sc.block.txs, (), sc.block.nodes))
    assert watcher.honest_trace(sc.block.header, sc.block.trace[0], vm) == sc.block.trace[1:]
    state, _, posted = _run(sc, 5)
    assert posted == 0
    assert not state.games and len(state.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2
