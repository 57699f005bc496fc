"""The sidechain watcher (reference/watcher.py, issue 16 item 8) against a faulty federation.

The mainchain is the spec's sidechain transition block by block (SC-BLK-1..5); the federation
signs a checkpoint whose trace is wrong from one transaction on and defends it from its own
(lying) roots; the watcher re-executes the block, opens the game, answers every bisection and
claims its bond back. Bounded: at most ``max_moves`` moves plus the opening and the claim.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from conformance import disputebuilder as db
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from conformance.wasm_contracts import address_of as wasm_address
from reference.watcher import SidechainWatcher, WatchedBlock
from spec.ledger.transaction import TxOutput
from spec.masternode.quorum import QuorumType
from spec.presets import DEVNET
from spec.sidechain.dispute import Party, max_moves
from spec.sidechain.games import Penalty
from spec.sidechain.header import BlockCredit
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains
from spec.vm.interface import VmKind

PRESET = DEVNET
PAYEE = b"\x76\xa9\x14" + b"\x42" * 20 + b"\x88\xac"


def _run(
    sc: gc.Scenario, blocks: int, deposits: Sequence[TxOutput] = ()
) -> tuple[SidechainsState, list[SidechainBlock], int]:
    """``deposits`` (at height 11), checkpoints, then ``blocks`` mainchain blocks in which the
    watcher and the defender post."""
    watcher = SidechainWatcher(PRESET, PAYEE)
    block = sc.block
    watcher.observe(WatchedBlock(gc.SPEC_G.sidechain_id, 1, block.txs, block.credits, block.nodes))
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

    if deposits:
        connect(gc.CHECKPOINT_0_AT - 1, [[output] for output in deposits])
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


def _credits(vm: VmKind) -> tuple[BlockCredit, ...]:
    recipient = {
        VmKind.FERRIS: db.ferris_accounts()[1],
        VmKind.EVM: b"\x42" * 20,
        VmKind.WASM: wasm_address(db.WASM_HOLDERS[2]),
    }[vm]
    return (BlockCredit(recipient, 900), BlockCredit(b"\x01" * 7, 5))


def _deposits(credits: Sequence[BlockCredit]) -> list[TxOutput]:
    """The deposits (SC-PEG-1, at height 11) that checkpoint 1's cursor 11 credits as ``credits``."""
    return [sb.deposit_output(gc.SPEC_G.sidechain_id, c.amount, c.recipient) for c in credits]


@pytest.mark.parametrize("vm", list(VmKind))
def test_the_watcher_challenges_an_empty_block_minting_to_the_federation(vm: VmKind) -> None:
    """SC-DSP-1/5 (issue 16): a block with credits and no transactions whose state root is wrong
    (the federation credits itself beside the deposit) is challenged: the game is the one credit
    step, the lying defender's own one-step proof loses, the checkpoint is reverted."""
    credits = _credits(vm)
    sc = gc.scenario(0, PRESET, federation_lies_at=(0,), vm=vm, credits=credits, cursor=11)
    assert sc.block.tx_count == 0 and sc.block.header.state_root != sc.block.steps[0]
    state, results, posted = _run(sc, 6, _deposits(credits))
    penalties = [p for r in results for p in r.penalties]
    assert penalties == [Penalty(gc.SPEC_G.sidechain_id, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0, PAYEE)]
    assert [c.height for c in state.chains[gc.SPEC_G.sidechain_id].checkpoints] == [0]
    claimed = [r.released for r in results if any(r.released)]
    assert claimed == [(0, PRESET.dispute.min_challenger_bond)]
    assert not state.games and not state.bond_payouts
    assert posted == 2  # the opening and the claim: a one-step game has no bisection


@pytest.mark.parametrize("vm", list(VmKind))
def test_the_watcher_leaves_an_honest_empty_block_alone(vm: VmKind) -> None:
    credits = _credits(vm)
    sc = gc.scenario(0, PRESET, vm=vm, credits=credits, cursor=11)
    watcher = SidechainWatcher(PRESET, PAYEE)
    watcher.observe(WatchedBlock(gc.SPEC_G.sidechain_id, 1, (), sc.block.credits, sc.block.nodes))
    assert watcher.honest_trace(sc.block.header, sc.block.trace[0], vm) == sc.block.steps
    state, _, posted = _run(sc, 5, _deposits(credits))
    assert posted == 0
    assert not state.games and len(state.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2


def test_two_empty_blocks_are_never_confused() -> None:
    """Every empty block has the empty ``tx_root``: the watcher holds each by its height
    (``block_key``), so the block a header names is its own credit step, not a later empty block's."""
    credits = _credits(VmKind.FERRIS)
    sc = gc.scenario(0, PRESET, credits=credits, cursor=11)
    watcher = SidechainWatcher(PRESET, PAYEE)
    watcher.observe(WatchedBlock(gc.SPEC_G.sidechain_id, 1, (), credits, sc.block.nodes))
    watcher.observe(WatchedBlock(gc.SPEC_G.sidechain_id, 2, (), (), sc.block.nodes))
    assert len(watcher.blocks) == 2
    assert watcher.honest_trace(sc.block.header, sc.block.trace[0], VmKind.FERRIS) == sc.block.steps
