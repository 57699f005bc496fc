"""The node's watcher loop (reference/watch_service.py, ``rusty node --watch-sidechains``) and the
federation's defender (reference/watcher.py ``SidechainDefender``), on the spec's mainchain
transition block by block (SC-BLK-1, SC-DSP-14..18).

The forged checkpoint is the one ``rusty node --sidechain-fault`` signs (reference/sidechains.py
``forge_header``: the block's last post-state root and so its ``state_root`` and ``trace_root``
forged); the watcher re-executes the block, opens the game, answers the forger's bisection, and
wins when the forger's own one-step proof re-executes to the honest root; the events the node
logs and counts are read from the change of the sidechains state across each block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from conformance import disputebuilder as db
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from reference.node import Node
from reference.rpc import INVALID_PARAMS, RpcServer
from reference.watch_service import REPOST_AFTER_BLOCKS, Applied, Forged, WatchService
from reference.watcher import SidechainDefender, WatchedBlock
from spec.chain.state import ChainState
from spec.ledger.transaction import Transaction, TxOutput
from spec.masternode.finality import QuorumRegistry
from spec.masternode.quorum import QuorumType
from spec.sidechain.dispute import max_moves
from spec.sidechain.games import MOVE_BISECT, MOVE_ONE_STEP, DisputeMoveMessage, DisputeOpenMessage, Penalty
from spec.sidechain.header import BlockCredit, compute_header_hash
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains
from spec.sidechain.transactions import match_sidechain_message
from spec.vm.interface import VmKind
from tests.watch_harness import PAYEE, PRESET, SIDECHAIN, Mainchain, Wallet, forged_scenario, watched


def _service(wallet: Wallet, challenge: bool = True) -> WatchService:
    state = cast(ChainState, None)  # the loop's decisions take the state as an argument
    return WatchService(PRESET, PAYEE, lambda: state, wallet, challenge=challenge)


def _run(
    sc: gc.Scenario,
    watch: WatchService,
    wallet: Wallet,
    defender: SidechainDefender | None,
    blocks: int,
    extra: Sequence[Sequence[TxOutput]] = (),
    first: Applied | None = None,
) -> tuple[SidechainsState, list[tuple[int, str, str]], list[Penalty]]:
    """Both checkpoints, then ``blocks`` mainchain blocks with what the watcher (and the defender)
    post; ``extra`` outputs go into the first of them, the follower hands it ``first`` (the block
    not defended unless given). The events each block gives the node."""
    chain = Mainchain(sc, watch)
    applied = [first or Applied(watched(sc), sc.block.header, ())]
    chain.connect_checkpoints(sc)
    height = gc.CHECKPOINT_1_AT
    for index in range(blocks):
        height += 1
        posts = watch.decide(chain.state, height, chain.connected, applied, ())
        chain.connected.clear()
        applied = []
        before = len(wallet.posted)
        watch.post(posts, height - 1)
        outputs: list[Sequence[TxOutput]] = list(wallet.posted[before:])
        if defender is not None:
            outputs.extend(defender.on_tip(chain.state))
        chain.connect(height, [*outputs, *(extra if index == 0 else ())])
    return chain.state, chain.events, chain.penalties


@pytest.mark.parametrize("vm", list(VmKind))
@pytest.mark.parametrize("tx_count", [1, 2, 5])
def test_the_watcher_beats_a_forged_checkpoint_defended_to_the_one_step_proof(
    vm: VmKind, tx_count: int
) -> None:
    """The devnet's fault: the forger bisects from its forged trace (it agrees with the honest one
    but for the last root), so the game narrows to the last transaction, whose one-step proof
    re-executes to the honest root: the defender loses by its own proof, before any clock runs out."""
    sc = forged_scenario(tx_count, vm)
    wallet = Wallet()
    watch = _service(wallet)
    defender = SidechainDefender(PRESET)
    defender.defend(sc.block.header, sc.defender_roots, watched(sc))
    state, events, penalties = _run(sc, watch, wallet, defender, max_moves(tx_count) + 4)
    assert penalties == [Penalty(SIDECHAIN, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0, PAYEE)]
    assert [c.height for c in state.chains[SIDECHAIN].checkpoints] == [0]  # checkpoint 1 reverted
    assert not state.games and not state.bond_payouts  # the bond was claimed back
    kinds = [kind for _, kind, _ in events]
    assert kinds == ["game_opened", "game_won", "checkpoint_reverted", "bond_claimed"]
    won = next(text for _, kind, text in events if kind == "game_won")
    moves = max_moves(tx_count) if tx_count > 1 else 1
    assert won == f"game 0 defender lost at move {moves} (at its one-step proof)"
    assert "checkpoint h=1 of sidechain 3 challenged by this node (game 0" in events[0][2]
    # one opening, one answer per defender bisection, one claim: nothing posted twice
    messages = [outputs[0].script_pubkey for outputs in wallet.posted]
    assert len(messages) == len(set(messages)) == 1 + (moves - 1) // 2 + 1
    assert isinstance(match_sidechain_message(messages[0], PRESET), DisputeOpenMessage)
    assert wallet.posted[0][0].value == PRESET.dispute.min_challenger_bond
    assert wallet.posted[-1][1] == TxOutput(PRESET.dispute.min_challenger_bond, PAYEE)


def test_a_silent_forger_loses_by_its_clock() -> None:
    """Without a defender the game ends by SC-DSP-16 timeout at the defender's first deadline."""
    sc = forged_scenario(3)
    wallet = Wallet()
    watch = _service(wallet)
    state, events, _ = _run(sc, watch, wallet, None, PRESET.dispute.move_blocks + 3)
    kinds = [kind for _, kind, _ in events]
    assert kinds == ["game_opened", "game_won", "checkpoint_reverted", "bond_claimed"]
    assert "defender lost at move 0 (timeout: defender missed its deadline)" in events[1][2]
    assert len(state.chains[SIDECHAIN].checkpoints) == 1


def test_an_honest_checkpoint_is_left_alone_and_defended_against_a_lying_challenger() -> None:
    """A member's node defends its honest checkpoint; the lying challenger loses its bond; the
    watcher (re-executing the same block) opens nothing."""
    sc = gc.scenario(4, PRESET, challenger_lies_at=(3,))
    wallet = Wallet()
    watch = _service(wallet)
    watch.decide(gc.initial(), 0, (), (), [Forged(sc.block.header, sc.block.trace[1:])])  # unknown block
    assert not watch.defender.defended
    watch.defender.defend(sc.block.header, sc.block.trace[1:], watched(sc))
    griefer = gc.opening(sc, bond=PRESET.dispute.min_challenger_bond, preset=PRESET)
    state, events, penalties = _run(sc, watch, wallet, None, max_moves(4) + 3, [[griefer]])
    posted = [match_sidechain_message(outputs[0].script_pubkey, PRESET) for outputs in wallet.posted]
    assert len(posted) == 1 and isinstance(posted[0], DisputeMoveMessage)  # one defence, no opening
    assert (posted[0].game_id, posted[0].party, posted[0].move_kind) == (0, 0, MOVE_BISECT)
    assert not penalties and len(state.chains[SIDECHAIN].checkpoints) == 2
    assert [kind for _, kind, _ in events] == ["game_opened"]
    assert "challenged by a watcher; this node defends it (game 0" in events[0][2]
    (game,) = [opened.game for opened in state.games.values()]
    assert game.moves == 1 and game.pending_root == sc.block.trace[2]  # defended at once, honestly
    assert game.turn == 1  # the silent griefer's clock runs (it loses as the forger above did)


@pytest.mark.parametrize("vm", list(VmKind))
def test_an_honest_empty_block_is_defended_at_its_credit_step(vm: VmKind) -> None:
    """SC-DSP-1/5 (issue 16): the follower hands a block with credits and no transactions (its one
    step, the root after its credits); the member's node holds the credit step's nodes only
    (``compute_held_nodes``) and answers a lying challenger's game with the credit step's one-step
    proof at once: the challenger loses its bond, the checkpoint stands."""
    credits = (BlockCredit(b"\x42" * 20 if vm is VmKind.EVM else bytes(32), 900),)
    if vm is VmKind.FERRIS:
        credits = (BlockCredit(db.ferris_accounts()[1], 900),)
    sc = gc.scenario(0, PRESET, vm=vm, credits=credits, challenger_lies_at=(0,), cursor=11)
    wallet = Wallet()
    watch = _service(wallet, challenge=False)
    block = WatchedBlock(SIDECHAIN, 1, (), credits, sc.block.nodes)
    first = Applied(block, sc.block.header, sc.block.steps, sc.block.trace[0], vm)
    griefer = gc.opening(sc, bond=PRESET.dispute.min_challenger_bond, preset=PRESET)
    state, events, penalties = _run(sc, watch, wallet, None, 4, [[griefer]], first)
    held = watch.defender.defended[compute_header_hash(sc.block.header)][1]
    assert len(held.nodes) < len(sc.block.nodes)  # the credit step's witness only
    posted = [match_sidechain_message(outputs[0].script_pubkey, PRESET) for outputs in wallet.posted]
    assert len(posted) == 1 and isinstance(posted[0], DisputeMoveMessage)
    assert posted[0].move_kind == MOVE_ONE_STEP
    assert not penalties and len(state.chains[SIDECHAIN].checkpoints) == 2 and not state.games
    assert [kind for _, kind, _ in events] == ["game_opened", "game_won"]


def test_the_loop_posts_a_message_once_and_retries_an_opening_it_could_not_pay() -> None:
    sc = forged_scenario(2)
    wallet = Wallet()
    watch = _service(wallet)
    state = gc.initial(sc.spec)
    transactions = []
    for at, posted in gc.checkpoint_blocks(sc):
        block = sb.block(at, *posted)
        state = apply_block_to_sidechains(state, block, at, sb.keys(), PRESET).state
        transactions.append(block)
    height = gc.CHECKPOINT_1_AT + 1
    posts = watch.decide(state, height, transactions, [Applied(watched(sc), sc.block.header, ())], ())
    assert len(posts) == 1  # the opening
    wallet.broke = True
    assert watch.post(posts, height) == []
    assert watch.counts["opening_posted"] == 0
    wallet.broke = False
    again = watch.decide(state, height + 1, (), (), ())
    assert again == posts  # forgotten when unpaid, so opened again
    assert len(watch.post(again, height + 1)) == 1
    assert watch.post(again, height + 1) == []  # the same message waits in the mempool
    assert watch.post(again, height + REPOST_AFTER_BLOCKS) == []
    assert watch.decide(state, height + 2, (), (), ()) == []  # opened once per checkpoint
    assert len(watch.post(posts, height + 1 + REPOST_AFTER_BLOCKS)) == 1  # re-posted once stale
    assert watch.counts["opening_posted"] == 2
    assert watch.info()["challenged"] == [compute_header_hash(sc.block.header).hex()]


def test_a_defender_only_node_does_not_challenge() -> None:
    """``--sidechain-fault`` alone (no ``--watch-sidechains``): it defends, never challenges."""
    sc = forged_scenario(2)
    wallet = Wallet()
    watch = _service(wallet, challenge=False)
    state, events, _ = _run(sc, watch, wallet, None, 3)
    assert not wallet.posted and not events and len(state.chains[SIDECHAIN].checkpoints) == 2


def test_the_tip_handler_runs_the_watcher_off_the_event_loop_once_at_a_time() -> None:
    """``on_tip`` decides in a worker thread; a tip arriving meanwhile is handled by the running
    call (the second call returns at once), and what it posts is returned for relay."""
    sc = forged_scenario(2)
    wallet = Wallet()
    state = gc.initial(sc.spec)
    transactions = []
    for at, posted in gc.checkpoint_blocks(sc):
        block = sb.block(at, *posted)
        state = apply_block_to_sidechains(state, block, at, sb.keys(), PRESET).state
        transactions.append(block)
    fields = {"sidechains": state, "height": gc.CHECKPOINT_1_AT, "quorums": QuorumRegistry({})}
    chain = cast(ChainState, type("Tip", (), fields)())
    watch = WatchService(PRESET, PAYEE, lambda: chain, wallet)
    watch._connected.extend(transactions)
    watch._applied.append(Applied(watched(sc), sc.block.header, ()))

    async def two_tips() -> tuple[list[Transaction], list[Transaction]]:
        first = asyncio.ensure_future(watch.on_tip())
        await asyncio.sleep(0)  # the first call is in its thread
        second = await watch.on_tip()
        return await first, second

    first, second = asyncio.run(two_tips())
    assert second == [] and len(first) == 1 and len(wallet.posted) == 1
    assert watch.counts == {"opening_posted": 1}


def test_getwatcherinfo_answers_for_a_watching_node_only(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    try:
        server = RpcServer(node)
        request = b'{"jsonrpc": "2.0", "id": 1, "method": "getwatcherinfo"}'
        refused = cast(dict[str, Any], asyncio.run(server.answer(request)))
        assert refused["error"]["code"] == INVALID_PARAMS
        watch = node.start_watching()
        assert node.sidechains.on_applied == [watch.on_applied] and not node.sidechains.faulty
        info = cast(dict[str, Any], asyncio.run(server.answer(request)))["result"]
        assert info["challenging"] is True and info["payout_script"] == node.wallet.script_pubkey.hex()
        assert info["events"] == [] and info["counts"] == {}
    finally:
        node.close()


def _rescan_service(state: SidechainsState, scanned: int | None) -> WatchService:
    fields = {"sidechains": state, "height": 0, "quorums": QuorumRegistry({})}
    chain = cast(ChainState, type("Tip", (), fields)())
    watch = WatchService(PRESET, PAYEE, lambda: chain, lambda outputs: None)
    watch.scanned = scanned
    return watch


def test_the_restart_rescan_reaches_every_checkpoint_it_may_need_and_no_further() -> None:
    """``rescan_from`` (item 3 of issue 16): checkpoints 0 and 1 of :mod:`conformance.fraudchain`
    posted at 13 and 16, challenge period 40. From the saved height less the margin, but down to
    the posting of every checkpoint in its window and of the oldest one's parent, however deep a
    reorganisation while the node was down; never further back than the longest challenge period
    plus the margin below the tip (an older checkpoint is out of its window), save for that parent."""
    from conformance import fraudchain as fc
    from reference.watch_service import RESCAN_MARGIN

    state = fc.chain(PRESET).state
    # saved at 50, restarted at 52: checkpoint 1 (window 16..55) and its parent posted at 13
    assert _rescan_service(state, 50).rescan_from(52) == 13
    # nothing saved: the longest challenge period plus the margin (which covers them)
    assert _rescan_service(state, None).rescan_from(52) == 52 - fc.SPEC.challenge_period - RESCAN_MARGIN
    # both windows over at 100: only the latest checkpoint (the next one's parent), posted at 16
    assert _rescan_service(state, 90).rescan_from(100) == 16
    # down since 1000 blocks: bounded, not from the saved height
    empty = gc.initial(fc.SPEC)
    assert (
        _rescan_service(empty, 1_000).rescan_from(2_000) == 2_000 - fc.SPEC.challenge_period - RESCAN_MARGIN
    )
    assert _rescan_service(empty, 1_990).rescan_from(2_000) == 1_990 - RESCAN_MARGIN
