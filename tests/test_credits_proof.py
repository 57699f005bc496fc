"""The input accumulator and the wrong-credits proof (SC-DSP-20/21, spec/sidechain/accumulator.py).

Unit cases over :mod:`conformance.creditschain` (real mainchain blocks, signed checkpoints) and
hypothesis properties over random deposit schedules applied by the mainchain's own sidechain step:
an honest checkpoint can never be proven wrong this way, a wrong credits list always can, and the
accumulator's value at any cursor is the fold of exactly the inputs up to it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import creditschain as cc
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from spec.errors import (
    DecodeError,
    DisputeHeaderMismatch,
    DisputeInputsMismatch,
    DisputeNotFraud,
    DisputeWindowClosed,
    SpecError,
)
from spec.presets import DEVNET
from spec.sidechain.accumulator import (
    EMPTY_ACCUMULATOR,
    NO_MARK,
    CreditsProof,
    check_credits_proof,
    compute_input_accumulator,
    decode_credits_proof,
    encode_credits_proof,
    find_mark_index,
    get_input_mark,
    record_inputs,
)
from spec.sidechain.header import BlockCredit, compute_credits_root, compute_header_hash
from spec.sidechain.items import sidechain_items, sidechains_from_items
from spec.sidechain.registry import CheckpointRecord, SidechainsState, get_sidechain, with_record
from spec.sidechain.settlement import revert_checkpoints
from spec.sidechain.state import apply_block_to_sidechains
from tests.hypothesis_profiles import examples

PRESET = DEVNET
CHAIN = cc.SPEC.sidechain_id


@pytest.mark.parametrize("name", sorted(cc.WRONG_CREDITS))
def test_a_wrong_credits_list_reverts_its_checkpoint(name: str) -> None:
    chain = cc.chain(PRESET, cc.WRONG_CREDITS[name])
    assert check_credits_proof(chain.state, cc.proof(chain.checkpoint_1), 20) == 1
    after = revert_checkpoints(chain.state, CHAIN, 1)
    assert len(get_sidechain(after, CHAIN).checkpoints) == 1


def test_an_honest_checkpoint_is_not_fraud_and_bad_proofs_fail_with_their_code() -> None:
    honest = cc.chain(PRESET)
    with pytest.raises(DisputeNotFraud):
        check_credits_proof(honest.state, cc.proof(honest.checkpoint_1), 20)
    with pytest.raises(DisputeNotFraud):
        check_credits_proof(honest.state, cc.proof(honest.checkpoint_0, ()), 20)
    lying = cc.chain(PRESET, cc.WRONG_CREDITS["never_credited"])
    with pytest.raises(DisputeInputsMismatch):
        check_credits_proof(lying.state, cc.proof(lying.checkpoint_1, cc.INPUTS[::-1]), 20)
    with pytest.raises(DisputeInputsMismatch):
        check_credits_proof(lying.state, cc.proof(lying.checkpoint_1, cc.INPUTS[:2]), 20)
    forged = replace(lying.checkpoint_1.header, timestamp=7)
    with pytest.raises(DisputeHeaderMismatch):
        check_credits_proof(lying.state, CreditsProof(forged, cc.INPUTS), 20)
    period = cc.SPEC.challenge_period
    with pytest.raises(DisputeWindowClosed):
        check_credits_proof(lying.state, cc.proof(lying.checkpoint_1), cc.CHECKPOINT_1_AT + period)
    last = cc.CHECKPOINT_1_AT + period - 1
    assert check_credits_proof(lying.state, cc.proof(lying.checkpoint_1), last) == 1


def test_the_proof_round_trips_and_its_decoder_raises_only_decode_codes() -> None:
    chain = cc.chain(PRESET, cc.WRONG_CREDITS["credited_twice"])
    proof = cc.proof(chain.checkpoint_1)
    data = encode_credits_proof(proof, PRESET)
    assert decode_credits_proof(data, PRESET) == proof
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            decode_credits_proof(data[:cut], PRESET)


def test_marks_at_one_height_extend_and_the_lookup_picks_the_greatest_height_below() -> None:
    record = gc.initial(cc.SPEC).chains[CHAIN]
    a, b, c = (BlockCredit(bytes([i]) * 32, i) for i in (1, 2, 3))
    once = record_inputs(record, 5, (a, b, c))
    twice = record_inputs(record_inputs(record, 5, (a,)), 5, (b, c))
    assert once == twice and len(once.input_marks) == 1
    assert record_inputs(once, 6, ()) == once
    later = record_inputs(once, 9, (a,))
    assert get_input_mark(later.input_marks, 4) == NO_MARK
    assert get_input_mark(later.input_marks, 5).count == 3
    assert get_input_mark(later.input_marks, 8).count == 3
    assert get_input_mark(later.input_marks, 9).count == 4
    assert get_input_mark(later.input_marks, 10**9).accumulator == compute_input_accumulator(
        EMPTY_ACCUMULATOR, (a, b, c, a)
    )
    assert [find_mark_index([5, 9], x) for x in (0, 5, 6, 9, 10)] == [-1, 0, 0, 1, 1]


def test_the_committed_items_hold_the_marks() -> None:
    chain = cc.chain(PRESET)
    items = sidechain_items(chain.state)
    assert {key[0] for key in items} >= {0x18}
    decoded = sidechains_from_items(items)
    assert decoded.chains[CHAIN].input_marks == chain.state.chains[CHAIN].input_marks


# ------------------------------------------------------------------------------------------ properties

credit = st.builds(
    BlockCredit, st.sampled_from([b"\xb1" * 32, b"\xb2" * 32, b"\xb3" * 20]), st.integers(1, 5)
)
schedule = st.dictionaries(st.integers(11, 40), st.lists(credit, min_size=1, max_size=3), max_size=8)


def _deposit_state(deposits: dict[int, list[BlockCredit]]) -> SidechainsState:
    """The mainchain's own sidechain step over one block per height with deposits."""
    state = gc.initial(cc.SPEC)
    for height in sorted(deposits):
        outputs = [sb.deposit_output(CHAIN, c.amount, c.recipient) for c in deposits[height]]
        state = apply_block_to_sidechains(state, sb.block(height, outputs), height, sb.keys(), PRESET).state
    return state


def _inputs(deposits: dict[int, list[BlockCredit]], low: int, high: int) -> tuple[BlockCredit, ...]:
    return tuple(c for h in sorted(deposits) if low < h <= high for c in deposits[h])


def _with_checkpoints(
    state: SidechainsState, cursors: list[int], credits: list[tuple[BlockCredit, ...]], posted: int
) -> tuple[SidechainsState, list[CreditsProof]]:
    """Checkpoints 0..k with the given cursors and committed credits (SC-CP-6 records, posted at
    ``posted``; the proof never reads a signature) and the proof of each with its true inputs."""
    record = get_sidechain(state, CHAIN)
    parent, records, headers = bytes(32), [], []
    for height, (cursor, listed) in enumerate(zip(cursors, credits, strict=True)):
        head = replace(sb.header(cc.SPEC, height, parent, cursor), credits_root=compute_credits_root(listed))
        parent = compute_header_hash(head)
        records.append(CheckpointRecord(height, parent, cursor, head.outbox_root, posted))
        headers.append(head)
    state = with_record(state, replace(record, checkpoints=tuple(records)))
    return state, [CreditsProof(h, ()) for h in headers]


@settings(max_examples=examples(40), deadline=None)
@given(schedule, st.lists(st.integers(0, 45), min_size=1, max_size=4), st.data())
def test_honest_checkpoints_are_never_proven_wrong_and_wrong_lists_always_are(
    deposits: dict[int, list[BlockCredit]], raw_cursors: list[int], data: st.DataObject
) -> None:
    cursors = sorted(raw_cursors)
    state = _deposit_state(deposits)
    bounds = list(zip([0, *cursors[:-1]], cursors, strict=True))
    true_lists = [_inputs(deposits, low, high) for low, high in bounds]
    # which checkpoints lie, and how: drop, duplicate, swap, change or add an input
    lies: list[tuple[BlockCredit, ...]] = []
    for listed in true_lists:
        how = data.draw(st.sampled_from(["honest", "drop", "twice", "swap", "amount", "extra"]))
        wrong = listed
        if how == "drop" and listed:
            i = data.draw(st.integers(0, len(listed) - 1))
            wrong = listed[:i] + listed[i + 1 :]
        elif how == "twice" and listed:
            i = data.draw(st.integers(0, len(listed) - 1))
            wrong = listed[: i + 1] + listed[i:]
        elif how == "swap" and len(set(listed)) > 1:
            i, j = next((i, j) for i in range(len(listed)) for j in range(i) if listed[i] != listed[j])
            swapped = list(listed)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            wrong = tuple(swapped)
        elif how == "amount" and listed:
            wrong = (replace(listed[0], amount=listed[0].amount + 1), *listed[1:])
        elif how == "extra":
            wrong = (*listed, data.draw(credit))
        lies.append(wrong)
    posted = max([*cursors, 45]) + 1
    state, proofs = _with_checkpoints(state, cursors, lies, posted)
    for height, (listed, committed) in enumerate(zip(true_lists, lies, strict=True)):
        proof = replace(proofs[height], inputs=listed)
        if committed == listed:
            with pytest.raises(DisputeNotFraud):
                check_credits_proof(state, proof, posted)
        else:
            assert check_credits_proof(state, proof, posted) == height
        # no other list is ever accepted as the range's inputs
        other = data.draw(st.lists(credit, max_size=4).map(tuple))
        if other != listed:
            with pytest.raises(SpecError) as raised:
                check_credits_proof(state, replace(proof, inputs=other), posted)
            assert raised.value.code == "DSP_INPUTS_MISMATCH"


@settings(max_examples=examples(40), deadline=None)
@given(schedule, st.integers(0, 45))
def test_the_mark_at_a_cursor_folds_exactly_the_inputs_up_to_it(
    deposits: dict[int, list[BlockCredit]], cursor: int
) -> None:
    state = _deposit_state(deposits)
    mark = get_input_mark(get_sidechain(state, CHAIN).input_marks, cursor)
    upto = _inputs(deposits, 0, cursor)
    assert mark.count == len(upto)
    assert mark.accumulator == compute_input_accumulator(EMPTY_ACCUMULATOR, upto)
    assert sidechains_from_items(sidechain_items(state)) == state


def test_a_proof_in_a_mainchain_block_reverts_and_penalises() -> None:
    """SC-DSP-22: kind 8 in a block: the checkpoint reverted, the quorum in the block's penalties."""
    from spec.sidechain.transactions import match_sidechain_message, sidechain_message_script

    lying = cc.chain(PRESET, cc.WRONG_CREDITS["out_of_order"])
    proof = cc.proof(lying.checkpoint_1)
    assert match_sidechain_message(sidechain_message_script(proof, PRESET), PRESET) == proof
    block = sb.block(20, [sb.message_output(proof, 0, PRESET)])
    result = apply_block_to_sidechains(lying.state, block, 20, sb.keys(), PRESET)
    assert len(get_sidechain(result.state, CHAIN).checkpoints) == 1
    assert [(p.sidechain_id, p.posted_height) for p in result.penalties] == [(CHAIN, cc.CHECKPOINT_1_AT)]
    honest = cc.chain(PRESET)
    with pytest.raises(DisputeNotFraud):
        apply_block_to_sidechains(
            honest.state, sb.block(20, [sb.message_output(cc.proof(honest.checkpoint_1), 0, PRESET)]),
            20, sb.keys(), PRESET,
        )  # fmt: skip


def test_the_watcher_posts_a_credits_proof_once_and_never_against_an_honest_checkpoint() -> None:
    """reference/watcher.py: from the mainchain's inputs and checkpoint headers, the watcher posts a
    kind-8 proof against a checkpoint with wrong credits (accepted by the block transition), once."""
    from reference.watcher import SidechainWatcher
    from spec.sidechain.transactions import match_sidechain_message

    for credits, expected in ((cc.WRONG_CREDITS["never_credited"], 1), (cc.INPUTS, 0)):
        chain = cc.chain(PRESET, credits)
        watcher = SidechainWatcher(PRESET, sb.ALICE)
        state = gc.initial(cc.SPEC)
        for height, outputs in chain.blocks:
            transactions = sb.block(height, *outputs)
            result = apply_block_to_sidechains(state, transactions, height, sb.keys(), PRESET)
            state = result.state
            watcher.on_block(transactions)
            watcher.observe_inputs(height, (*result.deposits, *result.inbound))
        posts = watcher.on_tip(state, 20)
        assert len(posts) == expected
        assert watcher.on_tip(state, 20) == []
        for posted in posts:
            message = match_sidechain_message(posted[0].script_pubkey, PRESET)
            assert isinstance(message, CreditsProof) and message.inputs == cc.INPUTS
            block = sb.block(20, posted)
            after = apply_block_to_sidechains(state, block, 20, sb.keys(), PRESET)
            assert len(get_sidechain(after.state, CHAIN).checkpoints) == 1 and after.penalties
