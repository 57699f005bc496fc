"""Vectors of the equivocation and escrow-overdraw proofs in mainchain blocks (flow ``peg``, handler
``apply_blocks``; SC-DSP-8/9/23, spec/sidechain/proofs.py).

The mainchain blocks of :mod:`conformance.fraudchain` (deposits of 2,100,000 atoms, checkpoints 0
and 1, checkpoint 1's outbox a withdrawal and a message), then one block carrying the proof. Valid
cases revert a checkpoint and name its federation in the block's ``penalties``; invalid ones name
every code of each rule, and pairs of broken rules pin the order of the checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from conformance import creditschain as cc
from conformance import fraudchain as fc
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from conformance.handlers.sidechain import spec_json
from conformance.model import JSON, CaseSpec
from spec.ledger.transaction import TxOutput, encode_transaction
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.games import BondClaim, compute_winner_reward
from spec.sidechain.proofs import EquivocationProof
from spec.sidechain.transactions import SidechainMessage

FORK = "sidechains"
CLOSED_AT = cc.CHECKPOINT_1_AT + fc.SPEC.challenge_period
"""The first height after checkpoint 1's window."""


def _data(
    preset: Preset,
    chain: fc.Chain,
    message: SidechainMessage,
    height: int = fc.PROOF_AT,
    value: int = 0,
    before: Sequence[TxOutput] = (),
) -> dict[str, JSON]:
    """``apply_blocks`` over ``chain``'s blocks then one block at ``height``: a transaction with the
    outputs ``before`` (if any), then one carrying ``message``."""
    heights = [
        *chain.blocks,
        (height, (*([before] if before else []), [sb.message_output(message, value, preset)])),
    ]
    return {
        "sidechains": [spec_json(s) for s in (sb.SPEC_A, sb.SPEC_B, fc.SPEC)],
        "activation_height": gc.ACTIVATION,
        "keys": {str(t): sb.federation_public(t).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)},
        "blocks": [
            {
                "height": block_height,
                "transactions": [
                    encode_transaction(t, preset).hex() for t in sb.block(block_height, *outputs)
                ],
            }
            for block_height, outputs in heights
        ],
    }


def _case(case: str, description: str, data: dict[str, JSON], error: str | None = None) -> CaseSpec:
    return CaseSpec("apply_blocks", case, description, data, expect_error=error, fork=FORK)


def generate_fraud_proofs(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-8/9/23: the proofs of kinds 9 and 10 in mainchain blocks for ``preset``."""
    yield from _equivocation_cases(preset)
    yield from _rotation_cases(preset)
    yield from _overdraw_cases(preset)
    yield from _reward_cases(preset)


def _reward_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-25: a proof names its prover's payout script and takes the next game id; the
    mainchain's slashing (``slashed``) makes a reward payable under that id, claimed by a kind 7
    claim in a later block."""
    honest = fc.chain(preset)
    fraud = fc.chain(preset, fc.ESCROW + 1)
    collateral = preset.masternodes.collateral
    params = preset.dispute
    equivocation = replace(fc.equivocation(honest.checkpoint_1), payout_script=sb.ALICE)
    overdraw = replace(fc.overdraw(fraud), payout_script=sb.ALICE)

    def claimed(
        chain: fc.Chain, proof: SidechainMessage, slashed: list[list[int]], claim: Sequence[TxOutput]
    ) -> dict[str, JSON]:
        data = _data(preset, chain, proof)
        blocks = data["blocks"]
        assert isinstance(blocks, list)
        blocks[-1]["slashed"] = slashed
        if claim:
            outputs = sb.block(fc.PROOF_AT + 1, claim)
            blocks.append(
                {
                    "height": fc.PROOF_AT + 1,
                    "transactions": [encode_transaction(t, preset).hex() for t in outputs],
                }
            )
        return data

    def pay(amount: int, game_id: int = 0) -> list[TxOutput]:
        return [sb.message_output(BondClaim(game_id), 0, preset), TxOutput(amount, sb.ALICE)]

    three, _ = compute_winner_reward([collateral] * 3, params.winner_reward, params.burn_share_bps)
    small, _ = compute_winner_reward([collateral, 7, collateral], params.winner_reward, params.burn_share_bps)
    cases: list[tuple[str, str, dict[str, JSON], str | None]] = [
        (
            "reward_equivocation_proof_claimed",
            "SC-DSP-25: an equivocation proof naming Alice's script takes game id 0; its penalty "
            "slashed three collaterals, so min(winner_reward, collateral) less burn_share_bps is "
            "payable to Alice and claimed in the next block",
            claimed(honest, equivocation, [[collateral] * 3], pay(three)),
            None,
        ),
        (
            "reward_overdraw_proof_capped_by_smallest_collateral",
            "SC-DSP-25: an overdraw proof's penalty slashed collaterals of which one is 7 atoms: the "
            "reward is capped by the smallest (7 less its burnt share, rounded up), so no slashed "
            "member gains more than it lost",
            claimed(fraud, overdraw, [[collateral, 7, collateral]], pay(small)),
            None,
        ),
        (
            "reward_nothing_paid_or_burnt_when_nobody_slashed",
            "SC-DSP-25: the penalty slashed nobody: the reward is 0 paid, 0 burnt, no payable bond "
            "(the proof still took game id 0)",
            claimed(honest, equivocation, [[]], []),
            None,
        ),
        (
            "reward_none_when_nobody_slashed",
            "SC-DSP-25: the penalty slashed nobody (every member already slashed or without a "
            "masternode): nothing is payable under the proof's game id",
            claimed(honest, equivocation, [[]], pay(1)),
            "DSP_UNKNOWN_GAME",
        ),
        (
            "reward_claimed_with_a_wrong_amount",
            "SC-DSP-25/18: the claim's output pays one atom more than the reward",
            claimed(honest, equivocation, [[collateral] * 3], pay(three + 1)),
            "SC_BAD_PAYOUT",
        ),
        (
            "reward_claimed_under_another_id",
            "SC-DSP-25/18: the proof took game id 0; id 1 names no payable bond",
            claimed(honest, equivocation, [[collateral] * 3], pay(three, 1)),
            "DSP_UNKNOWN_GAME",
        ),
    ]
    longer = replace(
        preset, dispute=replace(params, max_payout_script_bytes=params.max_payout_script_bytes + 1)
    )
    same = EquivocationProof(
        honest.checkpoint_0, honest.checkpoint_0, bytes(params.max_payout_script_bytes + 1)
    )
    overlong = _data(preset, honest, replace(same, payout_script=b""))
    block = sb.block(fc.PROOF_AT, [sb.message_output(same, 0, longer)])
    overlong["blocks"][-1]["transactions"] = [encode_transaction(t, preset).hex() for t in block]  # type: ignore[index]
    cases.append(
        (
            "reward_payout_script_too_long_before_not_fraud",
            "SC-DSP-25 then SC-DSP-8: a payout script one byte above max_payout_script_bytes in a "
            "proof pairing checkpoint 0 with itself (no equivocation): the decoding error comes first",
            overlong,
            "DECODE_LENGTH_LIMIT",
        )
    )
    for case, description, data, error in cases:
        yield _case(case, description, data, error)


ROTATED_AT = 18
"""A mainchain height after checkpoint 1's posting (16) from which the finality federation's
committed key is another (the PoSe quorum's key stands in for the next quorum's)."""


def _rotation_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-8: the key is the one that accepted the checkpoint (at its posting), not the block's."""
    honest = fc.chain(preset)
    rotated = {
        str(t): sb.federation_public(QuorumType.POSE).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)
    }
    for case, description, quorum_type, error in (
        (
            "equivocation_proof_key_at_posting",
            "SC-DSP-8: the federation key rotated at 18; a second header signed under the key that "
            "accepted checkpoint 1 at 16 still proves it: reverted",
            None,
            None,
        ),
        (
            "equivocation_proof_signed_by_the_next_key",
            "SC-DSP-8: the federation key rotated at 18; a second header signed under the new key "
            "(the block's) is no equivocation of the quorum that signed checkpoint 1",
            QuorumType.POSE,
            "DSP_NOT_FRAUD",
        ),
    ):
        data = _data(preset, honest, fc.equivocation(honest.checkpoint_1, quorum_type))
        data["key_history"] = [{"from": ROTATED_AT, "keys": rotated}]
        yield _case(case, description, data, error)


def _equivocation_cases(preset: Preset) -> Iterator[CaseSpec]:
    honest = fc.chain(preset)
    one, zero = honest.checkpoint_1, honest.checkpoint_0
    cases: list[tuple[str, str, SidechainMessage, int, int, str | None]] = [
        (
            "equivocation_proof_reverts",
            "SC-DSP-8/23: checkpoint 1 and a second header at height 1 signed by its federation: "
            "checkpoint 1 reverted in the block, its federation in the block's penalties",
            fc.equivocation(one),
            fc.PROOF_AT,
            0,
            None,
        ),
        (
            "equivocation_proof_reverts_from_zero",
            "SC-DSP-8/23: an equivocation at height 0: checkpoints 0 and 1 reverted",
            fc.equivocation(zero),
            fc.PROOF_AT,
            0,
            None,
        ),
        (
            "equivocation_proof_window_last_height",
            "SC-DSP-8/11: the proof in the last block of checkpoint 1's window reverts it",
            fc.equivocation(one),
            CLOSED_AT - 1,
            0,
            None,
        ),
        (
            "equivocation_proof_same_header",
            "SC-DSP-8: the accepted checkpoint twice is no equivocation",
            EquivocationProof(one, one),
            fc.PROOF_AT,
            0,
            "DSP_NOT_FRAUD",
        ),
        (
            "equivocation_proof_other_federation",
            "SC-DSP-8: the second header signed by another quorum's key (the PoSe quorum's), not the "
            "one that accepted checkpoint 1",
            fc.equivocation(one, QuorumType.POSE),
            fc.PROOF_AT,
            0,
            "DSP_NOT_FRAUD",
        ),
        (
            "equivocation_proof_bad_first_signature",
            "SC-DSP-8: the accepted header with another header's signature",
            EquivocationProof(replace(one, signature=zero.signature), fc.forged(one.header)),
            fc.PROOF_AT,
            0,
            "DSP_NOT_FRAUD",
        ),
        (
            "equivocation_proof_other_height",
            "SC-DSP-8: the second checkpoint is at height 0, the first at 1",
            EquivocationProof(one, zero),
            fc.PROOF_AT,
            0,
            "DSP_NOT_FRAUD",
        ),
        (
            "equivocation_proof_other_sidechain",
            "SC-DSP-8: the second checkpoint is of sidechain 1 at height 1",
            EquivocationProof(one, fc.forged(replace(one.header, sidechain_id=sb.CHAIN_A))),
            fc.PROOF_AT,
            0,
            "DSP_NOT_FRAUD",
        ),
        (
            "equivocation_proof_first_not_accepted",
            "SC-DSP-8: the first checkpoint is the forged one, not the accepted header",
            EquivocationProof(fc.forged(one.header), one),
            fc.PROOF_AT,
            0,
            "DSP_HEADER_MISMATCH",
        ),
        (
            "equivocation_proof_window_closed",
            "SC-DSP-8/11: the proof in the first block after checkpoint 1's window",
            fc.equivocation(one),
            CLOSED_AT,
            0,
            "DSP_WINDOW_CLOSED",
        ),
        (
            "equivocation_proof_unknown_checkpoint",
            "SC-DSP-8: no checkpoint accepted at height 2",
            fc.equivocation(sb.sign(replace(one.header, height=2), fc.SPEC.federation)),
            fc.PROOF_AT,
            0,
            "SC_UNKNOWN_CHECKPOINT",
        ),
        (
            "equivocation_proof_unknown_sidechain",
            "SC-DSP-8: sidechain 9 is not registered",
            fc.equivocation(sb.sign(replace(one.header, sidechain_id=9), fc.SPEC.federation)),
            fc.PROOF_AT,
            0,
            "SC_UNKNOWN_SIDECHAIN",
        ),
        (
            "equivocation_proof_with_value",
            "SC-TX-1: an equivocation proof output carries 0 atoms",
            fc.equivocation(one),
            fc.PROOF_AT,
            1,
            "SC_BAD_MESSAGE_OUTPUT",
        ),
        (
            "equivocation_proof_not_accepted_and_same_header",
            "SC-DSP-8 order: a forged first checkpoint twice breaks the header check and is no "
            "equivocation; the header check comes first",
            EquivocationProof(fc.forged(one.header), fc.forged(one.header)),
            fc.PROOF_AT,
            0,
            "DSP_HEADER_MISMATCH",
        ),
        (
            "equivocation_proof_window_closed_and_not_accepted",
            "SC-DSP-8 order: after the window, with the first checkpoint not the accepted one: the "
            "window comes first",
            EquivocationProof(fc.forged(one.header), one),
            CLOSED_AT,
            0,
            "DSP_WINDOW_CLOSED",
        ),
    ]
    for case, description, message, height, value, error in cases:
        yield _case(case, description, _data(preset, honest, message, height, value), error)


def _overdraw_cases(preset: Preset) -> Iterator[CaseSpec]:
    fraud = fc.chain(preset, fc.ESCROW + 1)
    exact = fc.chain(preset, fc.ESCROW)
    honest = fc.chain(preset)
    proof = fc.overdraw(fraud)
    top_up = [sb.deposit_output(fc.SPEC.sidechain_id, 1)]
    cases: list[tuple[str, str, fc.Chain, SidechainMessage, int, int, Sequence[TxOutput], str | None]] = [
        (
            "overdraw_proof_reverts",
            "SC-DSP-9/23: checkpoint 1 withdraws one atom more than the escrow: reverted in the "
            "block, its federation in the block's penalties",
            fraud,
            proof,
            fc.PROOF_AT,
            0,
            (),
            None,
        ),
        (
            "overdraw_proof_window_last_height",
            "SC-DSP-9/11: the proof in the last block of checkpoint 1's window reverts it",
            fraud,
            proof,
            CLOSED_AT - 1,
            0,
            (),
            None,
        ),
        (
            "overdraw_proof_escrow_exact",
            "SC-DSP-9: a withdrawal of exactly the escrow is no overdraw",
            exact,
            fc.overdraw(exact),
            fc.PROOF_AT,
            0,
            (),
            "DSP_NOT_FRAUD",
        ),
        (
            "overdraw_proof_within_escrow",
            "SC-DSP-9: a withdrawal within the escrow",
            honest,
            fc.overdraw(honest),
            fc.PROOF_AT,
            0,
            (),
            "DSP_NOT_FRAUD",
        ),
        (
            "overdraw_proof_escrow_topped_up",
            "SC-DSP-9: the escrow is read when the proof is applied: a deposit of one atom earlier in "
            "the block covers the withdrawal",
            fraud,
            proof,
            fc.PROOF_AT,
            0,
            top_up,
            "DSP_NOT_FRAUD",
        ),
        (
            "overdraw_proof_message_entry",
            "SC-DSP-9: a message entry above the escrow is no withdrawal",
            fraud,
            fc.overdraw(fraud, 1),
            fc.PROOF_AT,
            0,
            (),
            "DSP_NOT_FRAUD",
        ),
        (
            "overdraw_proof_bad_proof",
            "SC-DSP-9: the withdrawal claimed at leaf 1 does not fold to the recorded outbox root",
            fraud,
            replace(proof, leaf_index=1),
            fc.PROOF_AT,
            0,
            (),
            "DSP_PROOF_INVALID",
        ),
        (
            "overdraw_proof_short_proof",
            "SC-DSP-9: a proof without its sibling hash",
            fraud,
            replace(proof, proof=()),
            fc.PROOF_AT,
            0,
            (),
            "DSP_PROOF_INVALID",
        ),
        (
            "overdraw_proof_other_checkpoint",
            "SC-DSP-9: the withdrawal proven against checkpoint 0's outbox root (empty)",
            fraud,
            replace(proof, checkpoint_height=0),
            fc.PROOF_AT,
            0,
            (),
            "DSP_PROOF_INVALID",
        ),
        (
            "overdraw_proof_window_closed",
            "SC-DSP-9/11: the proof in the first block after checkpoint 1's window",
            fraud,
            proof,
            CLOSED_AT,
            0,
            (),
            "DSP_WINDOW_CLOSED",
        ),
        (
            "overdraw_proof_unknown_checkpoint",
            "SC-DSP-9: no checkpoint accepted at height 2",
            fraud,
            replace(proof, checkpoint_height=2),
            fc.PROOF_AT,
            0,
            (),
            "SC_UNKNOWN_CHECKPOINT",
        ),
        (
            "overdraw_proof_unknown_sidechain",
            "SC-DSP-9: sidechain 9 is not registered",
            fraud,
            replace(proof, sidechain_id=9),
            fc.PROOF_AT,
            0,
            (),
            "SC_UNKNOWN_SIDECHAIN",
        ),
        (
            "overdraw_proof_with_value",
            "SC-TX-1: an overdraw proof output carries 0 atoms",
            fraud,
            proof,
            fc.PROOF_AT,
            5,
            (),
            "SC_BAD_MESSAGE_OUTPUT",
        ),
        (
            "overdraw_proof_bad_proof_and_within_escrow",
            "SC-DSP-9 order: a withdrawal within the escrow with a proof that does not fold: the "
            "proof is checked first",
            honest,
            replace(fc.overdraw(honest), leaf_index=1),
            fc.PROOF_AT,
            0,
            (),
            "DSP_PROOF_INVALID",
        ),
        (
            "overdraw_proof_window_closed_and_bad_proof",
            "SC-DSP-9 order: after the window, with a proof that does not fold: the window first",
            fraud,
            replace(proof, leaf_index=1),
            CLOSED_AT,
            0,
            (),
            "DSP_WINDOW_CLOSED",
        ),
    ]
    for case, description, chain, message, height, value, before, error in cases:
        yield _case(case, description, _data(preset, chain, message, height, value, before), error)
