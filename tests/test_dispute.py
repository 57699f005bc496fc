"""Sidechain dispute games (spec/sidechain/dispute.py, SC-DSP-1..10) over real EVM blocks.

* an honest party wins against any strategy of the other: hypothesis draws the adversary's
  committed trace and, move by move, whether it answers from it, posts garbage, stalls or times out;
* every game ends within ``max_moves(n) = 2 * ceil(log2 n) + 1`` accepted moves and within
  ``2 * clock_blocks`` mainchain blocks of its opening;
* bonds are conserved: ``winner_receives + burnt`` equals both bonds, the burnt share is the preset's;
* every invalid move is rejected with its code and leaves the game unchanged.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.disputebuilder import (
    FEDERATION,
    PARAMS,
    WASM_HOLDERS,
    Block,
    bisect_move,
    build_block,
    build_ferris_block,
    build_wasm_block,
    empty_block,
    execute_block,
    ferris_accounts,
    lying_header,
    mover,
    one_step_proof,
    opening_against,
    trace_with_credits,
)
from conformance.wasm_contracts import address_of as wasm_address
from spec.crypto import bls
from spec.encoding import encode
from spec.errors import (
    DisputeBisectionPoint,
    DisputeBondTooSmall,
    DisputeEmptyTrace,
    DisputeError,
    DisputeGameOver,
    DisputeLateMove,
    DisputeNoDisagreement,
    DisputeNotExpired,
    DisputeNotFraud,
    DisputeOpeningMismatch,
    DisputeProofInvalid,
    DisputeUnknownVm,
    DisputeWitnessRootMismatch,
    DisputeWrongTurn,
    EvmNonce,
    SpecError,
    WitnessIncomplete,
)
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import DEVNET, MAINNET
from spec.sidechain.chain import vm_table
from spec.sidechain.dispute import (
    ONE_STEP_EXECUTORS,
    BisectMove,
    DisputeOpening,
    Game,
    OneStepProof,
    Party,
    apply_bisect_move,
    apply_one_step,
    check_equivocation_proof,
    check_escrow_overdraw_proof,
    claim_timeout,
    compute_bond_split,
    compute_context,
    decode_bisect_move,
    decode_one_step_proof,
    encode_bisect_move,
    encode_one_step_proof,
    get_credit_step,
    get_deadline,
    max_moves,
    open_game,
)
from spec.sidechain.header import BlockCredit, Checkpoint, compute_checkpoint_message
from spec.vm import ferris, wasm
from spec.vm.evm import apply_transaction
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    OutboxEntry,
    OutboxKind,
    RecordingNodes,
    StateWitness,
    VmKind,
    decode_witness,
    encode_witness,
    state_hasher,
)
from tests.hypothesis_profiles import examples

EMPTY_BLOCK_CREDITS = (BlockCredit(b"\x42" * 20, 900), BlockCredit(b"not an address", 5))


@functools.cache
def block(tx_count: int) -> Block:
    """One block per transaction count (EVM execution is the slow part); the block of 0
    transactions credits a deposit and refunds a bad recipient (its one step is the credit step)."""
    if tx_count == 0:
        return empty_block(build_block(1), EMPTY_BLOCK_CREDITS)
    return build_block(tx_count)


def fake(tag: int) -> bytes:
    """A root no state has."""
    return bytes([0xF0, tag % 256]) * 16


def play_honestly(game: Game, blk: Block, defender: Sequence[bytes], challenger: Sequence[bytes]) -> Game:
    """Both parties answer from their committed traces, one block after the other."""
    now = game.last_move_at
    while game.outcome is None:
        now += 1
        party = mover(game)
        if game.hi - game.lo == 1:
            game = apply_one_step(game, party, one_step_proof(blk, game), now, MAINNET)
        else:
            roots = defender if party is Party.DEFENDER else challenger
            game = apply_bisect_move(game, party, bisect_move(roots, game), now, PARAMS)
    return game


@pytest.mark.parametrize("tx_count", [1, 2, 3, 5, 8])
def test_honest_defender_wins_against_a_wrong_counter_claim(tx_count: int) -> None:
    blk = block(tx_count)
    honest = list(blk.trace[1:])
    lie = [*honest[:-1], fake(1)] if tx_count > 1 else [fake(1)]
    game = play_honestly(open_game(opening_against(blk, lie), PARAMS), blk, honest, lie)
    assert game.outcome is not None
    assert game.outcome.winner == Party.DEFENDER
    assert game.outcome.reverted_height is None and game.outcome.penalised == ()
    assert game.hi == tx_count and game.lo == tx_count - 1
    assert game.moves <= max_moves(tx_count)


@functools.cache
def _vm_block(vm: str, tx_count: int) -> Block:
    build = {"ferris": build_ferris_block, "wasm": build_wasm_block}[vm]
    return build(tx_count, preset=DEVNET)


@pytest.mark.parametrize("vm", ["ferris", "wasm"])
def test_every_vm_plays_the_game_under_its_preset(vm: str) -> None:
    """SC-DSP-5: the FerrisScript and WASM one-step executors decide whole games, under the preset
    the game is played with (DEVNET here): honest defender wins, lying federation is reverted."""
    blk = _vm_block(vm, 3)
    assert blk.preset is DEVNET
    honest = list(blk.trace[1:])
    lie = [honest[0], fake(1), fake(2)]
    kind = VmKind.FERRIS if vm == "ferris" else VmKind.WASM
    assert (
        ONE_STEP_EXECUTORS[kind] is {"ferris": ferris.apply_transaction, "wasm": wasm.apply_transaction}[vm]
    )

    def play(opening: DisputeOpening, defender: Sequence[bytes], challenger: Sequence[bytes]) -> Game:
        game = open_game(opening, DEVNET.dispute)
        now = game.last_move_at
        while game.outcome is None:
            now += 1
            if game.hi - game.lo == 1:
                game = apply_one_step(game, mover(game), one_step_proof(blk, game), now, DEVNET)
            else:
                roots = defender if mover(game) is Party.DEFENDER else challenger
                game = apply_bisect_move(game, mover(game), bisect_move(roots, game), now, DEVNET.dispute)
        return game

    won = play(opening_against(blk, lie), honest, lie)
    assert won.outcome is not None and won.outcome.winner == Party.DEFENDER
    assert (won.lo, won.hi) == (1, 2) and won.outcome.reason == "one_step"
    lost = play(opening_against(blk, honest, header=lying_header(blk, lie)), lie, honest)
    assert lost.outcome is not None and lost.outcome.winner == Party.CHALLENGER
    assert lost.outcome.reason == "one_step" and lost.outcome.reverted_height == blk.header.height


def test_deposits_credited_never_or_twice_lose_at_transaction_zero() -> None:
    """SC-DSP-1/5: the step from ``lo = 0`` applies the block's credits (VMF-8) before tx 0: the
    honest federation's trace (credits included) wins, one that skips or doubles them loses."""
    accounts = ferris_accounts()
    credits = (BlockCredit(accounts[1], 900), BlockCredit(b"not an account", 5))
    blk = build_ferris_block(2, preset=DEVNET, credits=credits)
    assert trace_with_credits(blk, credits) == blk.trace[1:]
    honest = list(blk.trace[1:])
    assert honest != list(trace_with_credits(blk, ()))

    def play(opening: DisputeOpening, defender: Sequence[bytes], challenger: Sequence[bytes]) -> Game:
        game = open_game(opening, DEVNET.dispute)
        while game.outcome is None:
            now = game.last_move_at + 1
            if game.hi - game.lo == 1:
                game = apply_one_step(game, mover(game), one_step_proof(blk, game), now, DEVNET)
            else:
                roots = defender if mover(game) is Party.DEFENDER else challenger
                game = apply_bisect_move(game, mover(game), bisect_move(roots, game), now, DEVNET.dispute)
        return game

    won = play(opening_against(blk, [fake(1), fake(2)]), honest, [fake(1), fake(2)])
    assert won.outcome is not None and won.outcome.winner == Party.DEFENDER and won.lo == 0
    for claimed in ((), credits * 2):
        lie = list(trace_with_credits(blk, claimed))
        lost = play(opening_against(blk, honest, header=lying_header(blk, lie)), lie, honest)
        assert lost.outcome is not None and lost.outcome.winner == Party.CHALLENGER
        assert (lost.lo, lost.hi, lost.outcome.reason) == (0, 1, "one_step")
    # a challenger that leaves the credits out (so the honest r_1 could not be reproduced) cannot
    # open: the header's credits_root binds its statement (SC-DSP-2)
    bare = replace(opening_against(blk, [fake(1), fake(2)]), credits=())
    with pytest.raises(DisputeOpeningMismatch):
        open_game(bare, DEVNET.dispute)


def test_wasm_deposits_credited_never_or_twice_lose_at_transaction_zero() -> None:
    """SC-DSP-5 with VMW-10: a WASM block's deposits are credited by the block transition's own
    credit step before its deploy (a recipient that is not a 32-byte address refunded): the honest
    federation wins, a trace that skips or doubles them loses the one-step at transaction 0."""
    built = build_wasm_block(2, preset=DEVNET)
    holder = wasm_address(WASM_HOLDERS[2])
    credits = (BlockCredit(holder, 700), BlockCredit(b"\x33" * 32, 50), BlockCredit(b"\x33" * 20, 5))
    blk = execute_block(replace(built, trace=built.trace[:1]), built.txs, credits)
    honest = list(blk.trace[1:])
    assert honest != list(trace_with_credits(blk, ())) != list(trace_with_credits(blk, credits * 2))
    # the refunded 20-byte recipient changes nothing: the first two credits give the same trace
    assert honest == list(trace_with_credits(blk, credits[:2]))

    def play(opening: DisputeOpening, defender: Sequence[bytes], challenger: Sequence[bytes]) -> Game:
        return play_honestly(open_game(opening, DEVNET.dispute), blk, defender, challenger)

    won = play(opening_against(blk, [fake(1), fake(2)]), honest, [fake(1), fake(2)])
    assert won.outcome is not None and won.outcome.winner == Party.DEFENDER
    assert (won.lo, won.hi, won.outcome.reason) == (0, 1, "one_step")
    for claimed in ((), credits * 2):
        lie = list(trace_with_credits(blk, claimed))
        lost = play(opening_against(blk, honest, header=lying_header(blk, lie)), lie, honest)
        assert lost.outcome is not None and lost.outcome.winner == Party.CHALLENGER
        assert (lost.lo, lost.hi, lost.outcome.reason) == (0, 1, "one_step")


@pytest.mark.parametrize("kind", list(VmKind))
def test_the_credit_step_is_the_block_transitions(kind: VmKind) -> None:
    """SC-DSP-5 / SCB-2: every VM kind with a one-step executor credits through ``vm_table``'s
    credit step: the same roots, refunds and created nodes as the block transition."""
    assert set(ONE_STEP_EXECUTORS) == set(vm_table(DEVNET)) == set(VmKind)
    built = {VmKind.FERRIS: build_ferris_block, VmKind.EVM: build_block, VmKind.WASM: build_wasm_block}[kind](
        1, preset=DEVNET
    )
    step, transition = get_credit_step(DEVNET, kind), vm_table(DEVNET)[kind].credit
    recipients = {
        VmKind.FERRIS: ferris_accounts()[0],
        VmKind.EVM: b"\x42" * 20,
        VmKind.WASM: wasm_address(WASM_HOLDERS[1]),
    }
    for recipient, amount in ((recipients[kind], 1234), (b"\x01" * 7, 5), (recipients[kind], 10**30)):
        result = step(built.nodes, built.trace[0], recipient, amount)
        assert result == transition(built.nodes, built.trace[0], recipient, amount)
        if amount < 10**30:  # above max_money: refunded by FerrisScript and WASM, not by the EVM
            assert (result is not None) == (amount == 1234)


@pytest.mark.parametrize("tx_count", [1, 4, 7])
def test_honest_challenger_reverts_a_wrong_checkpoint(tx_count: int) -> None:
    blk = block(tx_count)
    honest = list(blk.trace[1:])
    lie = [fake(i) for i in range(tx_count)]
    opening = opening_against(blk, honest, header=lying_header(blk, lie))
    game = play_honestly(open_game(opening, PARAMS), blk, lie, honest)
    assert game.outcome is not None
    assert game.outcome.winner == Party.CHALLENGER
    assert game.outcome.reason == "one_step"
    assert game.outcome.reverted_height == blk.header.height
    assert game.outcome.penalised == FEDERATION
    # the lie starts at the first transaction: the game narrows to it, from the parent's state
    assert (game.lo, game.hi) == (0, 1) and game.agreed_root == blk.trace[0]


def test_opening_rules() -> None:
    blk = block(3)
    honest = list(blk.trace[1:])
    with pytest.raises(DisputeNoDisagreement):
        open_game(opening_against(blk, honest), PARAMS)
    low = replace(opening_against(blk, [fake(1)] * 3), challenger_bond=PARAMS.min_challenger_bond - 1)
    with pytest.raises(DisputeBondTooSmall):
        open_game(low, PARAMS)
    # a statement of no transactions against a block of three is not the header's (SC-DSP-2)
    with pytest.raises(DisputeOpeningMismatch):
        open_game(replace(opening_against(blk, [fake(1)] * 3), tx_count=0), PARAMS)
    # ... checked before the disagreement: a misstated honest opening is a mismatch
    with pytest.raises(DisputeOpeningMismatch):
        open_game(replace(opening_against(blk, honest), tx_count=2), PARAMS)
    # a block without transactions opens a game over its one credit step (SC-DSP-1/2)
    empty = block(0)
    game = open_game(opening_against(empty, [fake(1)]), PARAMS)
    assert (game.lo, game.hi, game.agreed_root, game.defender_root) == (
        0,
        1,
        empty.trace[0],
        empty.header.state_root,
    )


@pytest.mark.parametrize("kind", list(VmKind))
def test_an_empty_blocks_credit_step_is_disputable(kind: VmKind) -> None:
    """SC-DSP-1/5 (issue 16): a block with credits and no transactions has one step, its credit
    step, re-executed from the witness of ``r_0``: the honest federation wins against any
    counter-claim; a state root minting to the federation, or crediting a deposit never or twice,
    loses; a proof carrying a transaction is ``DSP_EMPTY_TRACE``, one without the root node
    ``DSP_WITNESS_ROOT_MISMATCH``, one missing a node the credits read ``VM_WITNESS_INCOMPLETE``."""
    build = {VmKind.FERRIS: build_ferris_block, VmKind.EVM: build_block, VmKind.WASM: build_wasm_block}
    base = build[kind](1, preset=DEVNET)
    recipient = {
        VmKind.FERRIS: ferris_accounts()[1],
        VmKind.EVM: b"\x42" * 20,
        VmKind.WASM: wasm_address(WASM_HOLDERS[2]),
    }[kind]
    credits = (BlockCredit(recipient, 900), BlockCredit(b"\x01" * 7, 5))
    blk = empty_block(base, credits)
    assert blk.tx_count == 0 and blk.header.trace_root == merkle_root([])
    assert blk.header.state_root != blk.trace[0]  # the deposit changed the state

    def one_step(opening: DisputeOpening) -> Game:
        game = open_game(opening, DEVNET.dispute)
        assert (game.lo, game.hi, game.turn) == (0, 1, Party.DEFENDER)
        return apply_one_step(game, Party.DEFENDER, one_step_proof(blk, game), 1001, DEVNET)

    won = one_step(opening_against(blk, [fake(1)]))
    assert won.outcome is not None and won.outcome.winner == Party.DEFENDER
    assert won.moves == 1 <= max_moves(0)
    minted = empty_block(base, (*credits, BlockCredit(recipient, 10**6)))
    for lie in (minted.steps, empty_block(base, ()).steps, empty_block(base, credits * 2).steps):
        lost = one_step(opening_against(blk, blk.steps, header=lying_header(blk, lie)))
        assert lost.outcome is not None and lost.outcome.winner == Party.CHALLENGER
        assert lost.outcome.reason == "one_step" and lost.outcome.reverted_height == blk.header.height
    game = open_game(opening_against(blk, [fake(1)]), DEVNET.dispute)
    proof = one_step_proof(blk, game)
    with pytest.raises(DisputeEmptyTrace):
        apply_one_step(game, Party.DEFENDER, replace(proof, tx=base.txs[0]), 1001, DEVNET)
    with pytest.raises(DisputeEmptyTrace):
        apply_one_step(game, Party.DEFENDER, replace(proof, tx_proof=(fake(3),)), 1001, DEVNET)
    with pytest.raises(DisputeWitnessRootMismatch):
        apply_one_step(
            game, Party.DEFENDER, replace(proof, witness=encode_witness(StateWitness(()))), 1001, DEVNET
        )
    full = decode_witness(proof.witness, state_hasher(kind)).preimages
    root_node = blk.nodes[blk.trace[0]]
    assert root_node in full
    if len(full) > 1:  # the credits read a node below the root: without it, incomplete
        dropped = next(node for node in full if node != root_node)
        short = StateWitness(tuple(node for node in full if node != dropped))
        with pytest.raises(WitnessIncomplete):
            apply_one_step(game, Party.DEFENDER, replace(proof, witness=encode_witness(short)), 1001, DEVNET)


def test_invalid_moves_are_rejected_and_change_nothing() -> None:
    blk = block(6)
    honest = list(blk.trace[1:])
    lie = [*honest[:2], fake(3), fake(4), fake(5), fake(6)]
    game = open_game(opening_against(blk, lie), PARAMS)
    now = game.last_move_at + 1
    good = bisect_move(honest, game)
    with pytest.raises(DisputeWrongTurn):
        apply_bisect_move(game, Party.CHALLENGER, bisect_move(lie, game), now, PARAMS)
    with pytest.raises(DisputeBisectionPoint):
        apply_bisect_move(game, Party.DEFENDER, replace(good, position=good.position + 1), now, PARAMS)
    with pytest.raises(DisputeProofInvalid):
        apply_bisect_move(game, Party.DEFENDER, replace(good, root=fake(9)), now, PARAMS)
    with pytest.raises(DisputeProofInvalid):
        apply_bisect_move(game, Party.DEFENDER, replace(good, proof=good.proof[1:]), now, PARAMS)
    with pytest.raises(DisputeLateMove):
        apply_bisect_move(game, Party.DEFENDER, good, get_deadline(game, PARAMS) + 1, PARAMS)
    with pytest.raises(DisputeLateMove):
        apply_bisect_move(game, Party.DEFENDER, good, game.last_move_at - 1, PARAMS)
    with pytest.raises(DisputeWrongTurn):
        apply_one_step(game, Party.DEFENDER, OneStepProof(b"", (), b""), now, MAINNET)
    with pytest.raises(DisputeNotExpired):
        claim_timeout(game, get_deadline(game, PARAMS), PARAMS)
    timed_out = claim_timeout(game, get_deadline(game, PARAMS) + 1, PARAMS)
    assert timed_out.outcome is not None and timed_out.outcome.winner == Party.CHALLENGER
    with pytest.raises(DisputeGameOver):
        apply_bisect_move(timed_out, Party.DEFENDER, good, now, PARAMS)
    with pytest.raises(DisputeGameOver):
        claim_timeout(timed_out, now + 10**6, PARAMS)


def _at_one_step(tx_count: int) -> tuple[Block, Game]:
    blk = block(tx_count)
    honest = list(blk.trace[1:])
    lie = [*honest[:-1], fake(7)]
    game = open_game(opening_against(blk, lie), PARAMS)
    now = game.last_move_at
    while game.hi - game.lo > 1:
        now += 1
        roots = honest if mover(game) is Party.DEFENDER else lie
        game = apply_bisect_move(game, mover(game), bisect_move(roots, game), now, PARAMS)
    return blk, game


def test_one_step_witness_faults_are_the_submitters() -> None:
    blk, game = _at_one_step(4)
    proof = one_step_proof(blk, game)
    now = game.last_move_at + 1
    with pytest.raises(DisputeWitnessRootMismatch):
        apply_one_step(
            game, Party.DEFENDER, replace(proof, witness=encode_witness(StateWitness(()))), now, MAINNET
        )
    # drop one node that is not the root: execution reads it
    witness = StateWitness(tuple(p for p in decode_witness_items(proof) if len(p) < 100)[:1])
    with pytest.raises((WitnessIncomplete, DisputeWitnessRootMismatch)):
        apply_one_step(game, Party.DEFENDER, replace(proof, witness=encode_witness(witness)), now, MAINNET)
    with pytest.raises(DisputeProofInvalid):
        apply_one_step(game, Party.DEFENDER, replace(proof, tx=blk.txs[0]), now, MAINNET)
    with pytest.raises(DisputeUnknownVm):
        bad_vm = replace(game, opening=replace(game.opening, vm_kind=9))
        apply_one_step(bad_vm, Party.DEFENDER, proof, now, MAINNET)
    # the defender, still to move, loses at its deadline
    lost = claim_timeout(game, get_deadline(game, PARAMS) + 1, PARAMS)
    assert lost.outcome is not None and lost.outcome.winner == Party.CHALLENGER
    won = apply_one_step(game, Party.DEFENDER, proof, now, MAINNET)
    assert won.outcome is not None and won.outcome.winner == Party.DEFENDER


def decode_witness_items(proof: OneStepProof) -> tuple[bytes, ...]:
    from spec.vm.evm import HASHER
    from spec.vm.interface import decode_witness

    return decode_witness(proof.witness, HASHER).preimages


def test_an_invalid_transaction_loses_the_defender() -> None:
    blk = block(2)
    honest = list(blk.trace[1:])
    # a federation that included transaction 0 twice: the replay has a stale nonce (VM_EVM_NONCE)
    txs = (blk.txs[0], blk.txs[0])
    lie = [honest[0], fake(2)]
    header = replace(lying_header(blk, lie), tx_root=merkle_root(txs))
    game = open_game(opening_against(blk, honest, header=header), PARAMS)
    game = apply_bisect_move(game, Party.DEFENDER, bisect_move(lie, game), 1001, PARAMS)
    game = apply_bisect_move(game, Party.CHALLENGER, bisect_move(honest, game), 1002, PARAMS)
    assert (game.lo, game.hi) == (1, 2)
    recording = RecordingNodes(blk.nodes)
    with pytest.raises(EvmNonce):
        apply_transaction(MAINNET, recording, game.agreed_root, txs[1], compute_context(game.opening))
    witness = StateWitness(tuple(recording.read[h] for h in sorted(recording.read)))
    proof = OneStepProof(txs[1], inclusion_proof(txs, 1), encode_witness(witness))
    done = apply_one_step(game, Party.DEFENDER, proof, 1003, MAINNET)
    assert done.outcome is not None
    assert (done.outcome.winner, done.outcome.reason) == (Party.CHALLENGER, "invalid_transaction")


@st.composite
def adversary_traces(draw: st.DrawFn, honest: Sequence[bytes]) -> list[bytes]:
    """Any trace that disagrees with the honest one at the end (agreeing anywhere else it likes)."""
    n = len(honest)
    keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    trace = [root if k else fake(i) for i, (root, k) in enumerate(zip(honest, keep, strict=True))]
    trace[-1] = fake(n + 100)
    return trace


CREDITS = st.builds(BlockCredit, st.binary(max_size=64), st.integers(0, 10**12))
ACTIONS = st.sampled_from(["answer", "answer", "answer", "garbage", "wrong_point", "stall", "timeout"])


@given(data=st.data(), tx_count=st.integers(0, 9), honest_side=st.sampled_from(list(Party)))
@settings(max_examples=examples(60))
def test_honest_party_wins_against_any_strategy(
    data: st.DataObject, tx_count: int, honest_side: Party
) -> None:
    blk = block(tx_count)  # 0: a block with credits and no transactions, its one credit step
    honest = list(blk.steps)
    lie = data.draw(adversary_traces(honest))
    if honest_side is Party.DEFENDER:
        opening = opening_against(blk, lie)
    else:
        opening = opening_against(blk, honest, header=lying_header(blk, lie))
    # the adversary may also have committed to a trace root it cannot open at all
    if data.draw(st.booleans()) and honest_side is Party.DEFENDER:
        opening = replace(opening, challenger_trace_root=fake(200))
    # ... and a lying challenger may misstate the block (SC-DSP-2): any transaction count, any
    # credits; a statement that is not the header's commitment opens no game, so nothing reverts
    if honest_side is Party.DEFENDER and data.draw(st.booleans()):
        stated = replace(
            opening,
            tx_count=data.draw(st.integers(0, 2 * tx_count + 1)),
            credits=tuple(data.draw(st.lists(CREDITS, max_size=3))),
        )
        if (stated.tx_count, stated.credits) != (tx_count, blk.credits):
            with pytest.raises(DisputeOpeningMismatch):
                open_game(stated, PARAMS)
            return
    game = open_game(opening, PARAMS)
    start = game.last_move_at
    bonds = PARAMS.defender_bond + opening.challenger_bond
    now = start
    rejected = 0
    while game.outcome is None:
        party = mover(game)
        deadline = get_deadline(game, PARAMS)
        if party is honest_side:
            now += 1
            if game.hi - game.lo == 1:
                game = apply_one_step(game, party, one_step_proof(blk, game), now, MAINNET)
            else:
                game = apply_bisect_move(game, party, bisect_move(honest, game), now, PARAMS)
            continue
        action = data.draw(ACTIONS)
        if action == "timeout":
            game = claim_timeout(game, deadline + 1, PARAMS)
            continue
        now = min(now + data.draw(st.integers(0, PARAMS.move_blocks)), deadline)
        before = game
        try:
            if game.hi - game.lo == 1:
                proof = one_step_proof(blk, game)
                if action == "garbage":
                    proof = replace(proof, witness=encode_witness(StateWitness(())))
                game = apply_one_step(game, party, proof, now, MAINNET)
            elif action == "garbage":
                game = apply_bisect_move(
                    game, party, replace(bisect_move(lie, game), root=fake(77)), now, PARAMS
                )
            elif action == "wrong_point":
                move = bisect_move(lie, game)
                game = apply_bisect_move(game, party, replace(move, position=game.hi), now, PARAMS)
            elif action == "stall":
                game = claim_timeout(game, now, PARAMS)
            else:
                game = apply_bisect_move(game, party, bisect_move(lie, game), now, PARAMS)
        except SpecError as error:
            assert isinstance(error, DisputeError | WitnessIncomplete)
            assert game == before
            rejected += 1
            if rejected > 50:
                game = claim_timeout(game, deadline + 1, PARAMS)
    outcome = game.outcome
    assert outcome.winner == honest_side
    assert game.moves <= max_moves(tx_count)
    assert game.last_move_at <= start + 2 * PARAMS.clock_blocks
    assert outcome.winner_receives + outcome.burnt == bonds
    loser_bond = opening.challenger_bond if honest_side is Party.DEFENDER else PARAMS.defender_bond
    assert outcome.burnt == loser_bond * PARAMS.burn_share_bps // 10_000
    assert (outcome.reverted_height is not None) == (honest_side is Party.CHALLENGER)


@given(st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10_000))
def test_bond_split_conserves(loser: int, winner: int, bps: int) -> None:
    receives, burnt = compute_bond_split(loser, winner, bps)
    assert receives + burnt == loser + winner and 0 <= burnt <= loser and receives >= winner


@given(st.integers(0, 1 << 20))
def test_max_moves_is_logarithmic(n: int) -> None:
    steps = max(n, 1)  # SC-DSP-1: an empty block's one credit step
    assert max_moves(n) == 2 * (steps - 1).bit_length() + 1
    assert max_moves(n) <= 2 * steps.bit_length() + 1


@given(st.binary(max_size=300))
def test_move_decoders_raise_only_spec_errors(data: bytes) -> None:
    with contextlib.suppress(SpecError):
        assert encode_bisect_move(decode_bisect_move(data)) == data
    with contextlib.suppress(SpecError):
        assert encode_one_step_proof(decode_one_step_proof(data)) == data


def test_move_round_trip() -> None:
    move = BisectMove(3, fake(1), (fake(2), fake(3)))
    assert decode_bisect_move(encode_bisect_move(move)) == move
    blk, game = _at_one_step(3)
    proof = one_step_proof(blk, game)
    assert decode_one_step_proof(encode_one_step_proof(proof)) == proof


def test_equivocation_proof() -> None:
    secret = bls.key_gen(b"\x05" * 32)
    key = bls.sk_to_pk(secret)
    header = block(2).header
    other = replace(header, state_root=fake(1))
    first = Checkpoint(header, bls.sign(secret, compute_checkpoint_message(header)))
    second = Checkpoint(other, bls.sign(secret, compute_checkpoint_message(other)))
    assert check_equivocation_proof(first, second, key) == header.height
    with pytest.raises(DisputeNotFraud):
        check_equivocation_proof(first, first, key)
    with pytest.raises(DisputeNotFraud):
        check_equivocation_proof(first, replace(second, signature=first.signature), key)
    with pytest.raises(DisputeNotFraud):
        check_equivocation_proof(first, Checkpoint(replace(other, height=9), second.signature), key)


def test_escrow_overdraw_proof() -> None:
    entries = [
        OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"\x01" * 20, 500, b""),
        OutboxEntry(OutboxKind.MESSAGE, 4, b"\x02" * 20, 10**9, b"hi"),
        OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"\x03" * 20, 10**9, b""),
    ]
    leaves = [encode(OUTBOX_ENTRY_CODEC, entry) for entry in entries]
    header = replace(block(1).header, outbox_root=merkle_root(leaves))
    assert check_escrow_overdraw_proof(header, entries[2], 2, 3, inclusion_proof(leaves, 2), 10**6) == 5
    with pytest.raises(DisputeNotFraud):
        check_escrow_overdraw_proof(header, entries[0], 0, 3, inclusion_proof(leaves, 0), 10**6)
    with pytest.raises(DisputeNotFraud):
        check_escrow_overdraw_proof(header, entries[1], 1, 3, inclusion_proof(leaves, 1), 10**6)
    with pytest.raises(DisputeProofInvalid):
        check_escrow_overdraw_proof(header, entries[2], 1, 3, inclusion_proof(leaves, 1), 10**6)
