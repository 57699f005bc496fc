"""Equivocation and escrow-overdraw proofs in mainchain blocks (SC-DSP-8/9/23, spec/sidechain/proofs.py).

Hypothesis properties over :mod:`conformance.fraudchain` (real mainchain blocks, signed
checkpoints, the mainchain's own sidechain step): an honest federation is never provable whatever
checkpoints an adversary combines (any accepted one, headers it signs with other keys, signatures
swapped between headers) and whenever it posts them; a federation that signed a second header at a
height is always reverted from that height by a proof inside the window, with its quorum penalised;
a withdrawal is provable exactly when it is above the escrow at the proof's block. A revert moves
no value.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import creditschain as cc
from conformance import fraudchain as fc
from conformance import sidechainbuilder as sb
from reference.watcher import SidechainWatcher
from spec.crypto import bls
from spec.errors import (
    DecodeError,
    DisputeHeaderMismatch,
    DisputeNotFraud,
    DisputeProofInvalid,
    DisputeWindowClosed,
    SpecError,
)
from spec.ledger.transaction import TxOutput
from spec.masternode.quorum import QuorumType
from spec.presets import DEVNET
from spec.sidechain.games import Penalty
from spec.sidechain.header import Checkpoint, compute_checkpoint_message
from spec.sidechain.proofs import (
    EquivocationProof,
    check_equivocation_in_chain,
    decode_equivocation_proof,
    decode_overdraw_proof,
    encode_equivocation_proof,
    encode_overdraw_proof,
)
from spec.sidechain.registry import SidechainsState, get_sidechain
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains
from spec.sidechain.transactions import (
    SidechainMessage,
    decode_sidechain_message,
    encode_sidechain_message,
    match_sidechain_message,
)
from tests.hypothesis_profiles import examples

PRESET = DEVNET
CHAIN = fc.SPEC.sidechain_id
WINDOW_END = cc.CHECKPOINT_1_AT + fc.SPEC.challenge_period
OUTSIDER = bls.key_gen(b"\x77" * 32, b"not the federation")


@cache
def honest() -> fc.Chain:
    return fc.chain(PRESET)


@cache
def signed(height: int, tag: int, signer: str) -> Checkpoint:
    """A header at ``height`` (another state root, ``tag``) signed by ``signer``: the federation,
    the other quorum type's key or a key the chain never committed."""
    base = (honest().checkpoint_0, honest().checkpoint_1)[height].header
    if signer == "federation":
        return fc.forged(base, tag=tag)
    if signer == "pose":
        return fc.forged(base, QuorumType.POSE, tag)
    head = replace(base, state_root=bytes([tag]) * 32)
    return Checkpoint(head, bls.sign(OUTSIDER, compute_checkpoint_message(head)))


def _block(
    state: SidechainsState, message: SidechainMessage, height: int, before: tuple[TxOutput, ...] = ()
) -> SidechainBlock:
    outputs = [*([list(before)] if before else []), [sb.message_output(message, 0, PRESET)]]
    return apply_block_to_sidechains(state, sb.block(height, *outputs), height, sb.keys(), PRESET)


@st.composite
def adversary_checkpoints(draw: st.DrawFn) -> Checkpoint:
    """A checkpoint an adversary holds when the federation is honest: an accepted one, a header
    signed by a key other than the federation's, or an accepted header with another's signature."""
    chain = honest()
    accepted = (chain.checkpoint_0, chain.checkpoint_1)
    kind = draw(st.sampled_from(["accepted", "other_key", "swapped"]))
    height = draw(st.integers(0, 1))
    if kind == "accepted":
        return accepted[height]
    if kind == "other_key":
        return signed(height, draw(st.integers(0, 3)), draw(st.sampled_from(["pose", "outsider"])))
    return replace(accepted[height], signature=accepted[1 - height].signature)


@settings(max_examples=examples(40))
@given(
    first=adversary_checkpoints(),
    second=adversary_checkpoints(),
    at=st.integers(cc.CHECKPOINT_1_AT, WINDOW_END + 2),
)
def test_an_honest_federation_is_never_provable(first: Checkpoint, second: Checkpoint, at: int) -> None:
    state = honest().state
    with pytest.raises(SpecError):
        _block(state, EquivocationProof(first, second), at)


@settings(max_examples=examples(30))
@given(
    height=st.integers(0, 1),
    tag=st.integers(0xE1, 0xE3),
    swap=st.booleans(),
    at=st.integers(cc.CHECKPOINT_1_AT, WINDOW_END + 2),
)
def test_an_equivocating_federation_is_always_provable(height: int, tag: int, swap: bool, at: int) -> None:
    """The accepted checkpoint first: reverted from its height inside its window, its quorum
    penalised, no value moved; with the forged one first it is ``DSP_HEADER_MISMATCH``; after the
    window ``DSP_WINDOW_CLOSED`` (the checkpoint may already have paid)."""
    chain = honest()
    accepted = (chain.checkpoint_0, chain.checkpoint_1)[height]
    forged = signed(height, tag, "federation")
    proof = EquivocationProof(forged, accepted) if swap else EquivocationProof(accepted, forged)
    posted = (cc.CHECKPOINT_0_AT, cc.CHECKPOINT_1_AT)[height]
    if at >= posted + fc.SPEC.challenge_period:
        with pytest.raises(DisputeWindowClosed):
            _block(chain.state, proof, at)
        return
    if swap:
        with pytest.raises(DisputeHeaderMismatch):
            _block(chain.state, proof, at)
        return
    result = _block(chain.state, proof, at)
    after = get_sidechain(result.state, CHAIN)
    assert len(after.checkpoints) == height
    assert result.penalties == (Penalty(CHAIN, fc.SPEC.federation, posted, 0, b""),)
    assert after.escrow == get_sidechain(chain.state, CHAIN).escrow == fc.ESCROW


@settings(max_examples=examples(25))
@given(
    withdrawn=st.integers(1, 2 * fc.ESCROW),
    top_up=st.integers(0, fc.ESCROW),
    index=st.integers(0, 1),
    at=st.integers(cc.CHECKPOINT_1_AT, WINDOW_END - 1),
)
def test_a_withdrawal_is_provable_exactly_above_the_escrow(
    withdrawn: int, top_up: int, index: int, at: int
) -> None:
    """SC-DSP-9 at the proof's block: a deposit earlier in the block counts; a message entry is
    never an overdraw; a valid proof reverts checkpoint 1 and moves no value."""
    chain = fc.chain(PRESET, withdrawn)
    before = (sb.deposit_output(CHAIN, top_up),) if top_up else ()
    escrow = fc.ESCROW + top_up
    if index == 1 or withdrawn <= escrow:
        with pytest.raises(DisputeNotFraud):
            _block(chain.state, fc.overdraw(chain, index), at, before)
        return
    result = _block(chain.state, fc.overdraw(chain, index), at, before)
    after = get_sidechain(result.state, CHAIN)
    assert len(after.checkpoints) == 1 and after.escrow == escrow
    assert result.penalties == (Penalty(CHAIN, fc.SPEC.federation, cc.CHECKPOINT_1_AT, 0, b""),)


def test_an_overdraw_proof_must_fold_to_the_recorded_outbox_root() -> None:
    chain = fc.chain(PRESET, fc.ESCROW + 1)
    proof = fc.overdraw(chain)
    for bad in (replace(proof, leaf_index=1), replace(proof, proof=()), replace(proof, leaf_count=3)):
        with pytest.raises(DisputeProofInvalid):
            _block(chain.state, bad, fc.PROOF_AT)


def test_the_key_is_the_one_that_accepted_the_checkpoint() -> None:
    """SC-DSP-8: the signatures are checked under the federation key committed at the checkpoint's
    posted height (``keys_at``), not the block's: after a rotation to the PoSe quorum's key the
    proof still convicts the quorum that signed."""
    chain = honest()
    proof = fc.equivocation(chain.checkpoint_1)
    rotated = {fc.SPEC.federation: sb.federation_public(QuorumType.POSE)}

    def keys_at(height: int) -> dict[int, bytes]:
        return sb.keys() if height <= cc.CHECKPOINT_1_AT else rotated

    assert check_equivocation_in_chain(chain.state, proof, fc.PROOF_AT, keys_at) == 1
    block = sb.block(fc.PROOF_AT, [sb.message_output(proof, 0, PRESET)])
    result = apply_block_to_sidechains(chain.state, block, fc.PROOF_AT, rotated, PRESET, (), keys_at)
    assert len(get_sidechain(result.state, CHAIN).checkpoints) == 1
    with pytest.raises(DisputeNotFraud):  # the block's keys alone: the rotated key signed nothing
        apply_block_to_sidechains(chain.state, block, fc.PROOF_AT, rotated, PRESET)
    with pytest.raises(DisputeNotFraud):
        check_equivocation_in_chain(chain.state, proof, fc.PROOF_AT, lambda _height: {})


def test_the_proofs_round_trip_as_sidechain_messages() -> None:
    chain = fc.chain(PRESET, fc.ESCROW + 1)
    equivocation, overdraw = fc.equivocation(chain.checkpoint_1), fc.overdraw(chain)
    assert decode_equivocation_proof(encode_equivocation_proof(equivocation, PRESET), PRESET) == equivocation
    assert decode_overdraw_proof(encode_overdraw_proof(overdraw, PRESET), PRESET) == overdraw
    for message, kind in ((equivocation, 9), (overdraw, 10)):
        payload = encode_sidechain_message(message, PRESET)
        assert payload[4] == kind
        assert decode_sidechain_message(payload, PRESET) == message
        with pytest.raises(DecodeError):
            decode_sidechain_message(payload + b"\x00", PRESET)


def test_fraud_proof_contract_wrappers_on_examples() -> None:
    """The wrappers of ``conformance/symbolic/fraud_proof_contracts.py`` (checked symbolically with
    their canary in ``tests/test_symbolic_suites.py``) on concrete examples."""
    from conformance.symbolic import fraud_proof_contracts as contracts

    assert contracts.overdraw_decision(0, 0, 11, 10) and not contracts.overdraw_decision(0, 0, 10, 10)
    assert not contracts.overdraw_decision(1, 0, 11, 10) and not contracts.overdraw_decision(0, 2, 11, 10)
    assert not contracts.honest_withdrawals([4, 6], 10) and contracts.honest_withdrawals([11], 10)
    assert contracts.proof_window(16, 40, 55) and not contracts.proof_window(16, 40, 56)
    assert not contracts.proof_window(16, 40, 15)


def _watcher(chain: fc.Chain) -> SidechainWatcher:
    """A watcher that read ``chain``'s mainchain blocks (the accepted checkpoints)."""
    watcher = SidechainWatcher(PRESET, sb.ALICE)
    for height, outputs in chain.blocks:
        watcher.on_block(sb.block(height, *outputs))
    return watcher


def _posted(posts: list[list[TxOutput]]) -> list[SidechainMessage | None]:
    return [match_sidechain_message(outputs[0].script_pubkey, PRESET) for outputs in posts]


def _keys(_height: int) -> dict[int, bytes]:
    return sb.keys()


def test_the_watcher_posts_an_equivocation_it_sees_once() -> None:
    """reference/watcher.py: a second header the federation signed at an accepted height (seen off
    the mainchain) makes the watcher post a kind-9 proof, once, which reverts the checkpoint; not
    without the keys at posting, not for an honest federation, not against a replacement of a
    checkpoint that was itself on the mainchain (already reverted and penalised)."""
    chain = honest()
    assert _watcher(chain).on_tip(chain.state, fc.PROOF_AT, _keys) == []
    watcher = _watcher(chain)
    forged = fc.forged(chain.checkpoint_1.header)
    watcher.observe_checkpoint(forged)
    assert watcher.on_tip(chain.state, fc.PROOF_AT) == []  # no keys: nothing it can check
    posts = watcher.on_tip(chain.state, fc.PROOF_AT, _keys)
    assert _posted(posts) == [EquivocationProof(chain.checkpoint_1, forged, sb.ALICE)]
    assert watcher.on_tip(chain.state, fc.PROOF_AT + 1, _keys) == []
    result = apply_block_to_sidechains(
        chain.state, sb.block(fc.PROOF_AT, *posts), fc.PROOF_AT, sb.keys(), PRESET
    )
    assert len(get_sidechain(result.state, CHAIN).checkpoints) == 1
    replaced = _watcher(chain)
    replaced.on_block(sb.block(fc.PROOF_AT, [sb.message_output(forged, 0, PRESET)]))  # was on chain
    assert replaced.on_tip(chain.state, fc.PROOF_AT, _keys) == []
    late = _watcher(chain)
    late.observe_checkpoint(forged)
    assert late.on_tip(chain.state, WINDOW_END, _keys) == []  # the window closed


def test_the_watcher_posts_an_overdraw_it_sees() -> None:
    """A checkpointed block's outbox with a withdrawal above the escrow: a kind-10 proof that
    reverts it; a withdrawal within the escrow: nothing."""
    fraud = fc.chain(PRESET, fc.ESCROW + 1)
    watcher = _watcher(fraud)
    watcher.observe_outbox(CHAIN, 1, fraud.outbox)
    posts = watcher.on_tip(fraud.state, fc.PROOF_AT, _keys)
    assert _posted(posts) == [replace(fc.overdraw(fraud), payout_script=sb.ALICE)]
    result = apply_block_to_sidechains(
        fraud.state, sb.block(fc.PROOF_AT, *posts), fc.PROOF_AT, sb.keys(), PRESET
    )
    assert len(get_sidechain(result.state, CHAIN).checkpoints) == 1
    chain = honest()
    watcher = _watcher(chain)
    watcher.observe_outbox(CHAIN, 1, chain.outbox)
    assert watcher.on_tip(chain.state, fc.PROOF_AT, _keys) == []


def test_the_watch_service_reports_a_revert_by_proof_only_for_a_proven_sidechain() -> None:
    """reference/watch_service.py: a connected block whose proof reverted checkpoint 1 is the event
    ``checkpoint_reverted_by_proof`` (with the height left), named by the block's own proof; the
    same drop without a proof in the block is not reported as one."""
    from reference.watch_service import WatchService

    chain = honest()
    proof = fc.equivocation(chain.checkpoint_1)
    block = sb.block(fc.PROOF_AT, [sb.message_output(proof, 0, PRESET)])
    after = apply_block_to_sidechains(chain.state, block, fc.PROOF_AT, sb.keys(), PRESET).state
    watch = WatchService(PRESET, sb.ALICE, lambda: None, lambda outputs: None)  # type: ignore[arg-type,return-value]
    proven = watch._proven(block)
    assert proven == frozenset({CHAIN})
    assert watch.describe(chain.state, after, fc.PROOF_AT, proven) == [
        (
            "checkpoint_reverted_by_proof",
            f"checkpoint h=1 of sidechain {CHAIN} reverted by a fraud proof (SC-DSP-8/9/21; with "
            "every later one; its federation penalised)",
        )
    ]
    assert watch.describe(chain.state, after, fc.PROOF_AT) == []
