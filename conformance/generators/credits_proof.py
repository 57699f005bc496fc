"""Vectors of the wrong-credits proof (flow ``peg``, handler ``credits_proof``; SC-DSP-20/21,
spec/sidechain/accumulator.py).

The mainchain blocks of :mod:`conformance.creditschain` (three deposits at heights 11 and 13, two
checkpoints) then one proof: a checkpoint whose ``credits_root`` leaves a deposit out, credits one
twice, reorders them, changes an amount or recipient, or credits none is reverted; a checkpoint 0
whose cursor covers a deposit it does not credit too. Invalid cases name each SC-DSP-21 code, a
malformed proof its ``DECODE_*`` code, and one breaks two rules at once to pin their order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from conformance import creditschain as cc
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from conformance.handlers.sidechain import spec_json
from conformance.model import JSON, CaseSpec
from spec.encoding import Varint, encode
from spec.ledger.transaction import Transaction, TxOutput, encode_transaction
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof, encode_credits_proof
from spec.sidechain.header import BlockCredit, compute_credits_root, encode_sidechain_header

FORK = "sidechains"
PROOF_AT = 20
"""A mainchain height inside checkpoint 1's window (posted at 16, challenge period 40)."""


def _data(preset: Preset, chain: cc.Chain, proof: bytes, height: int = PROOF_AT) -> dict[str, JSON]:
    blocks: list[JSON] = []
    for block_height, outputs in chain.blocks:
        transactions: tuple[Transaction, ...] = sb.block(block_height, *outputs)
        blocks.append(
            {
                "height": block_height,
                "transactions": [encode_transaction(t, preset).hex() for t in transactions],
            }
        )
    return {
        "sidechains": [spec_json(s) for s in (sb.SPEC_A, sb.SPEC_B, cc.SPEC)],
        "activation_height": gc.ACTIVATION,
        "keys": {str(t): sb.federation_public(t).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)},
        "blocks": blocks,
        "proof": proof.hex(),
        "height": height,
    }


def _case(case: str, description: str, data: dict[str, JSON], error: str | None = None) -> CaseSpec:
    return CaseSpec("credits_proof", case, description, data, expect_error=error, fork=FORK)


def _in_block(
    preset: Preset, chain: cc.Chain, proof: CreditsProof, height: int = PROOF_AT, value: int = 0
) -> dict[str, JSON]:
    """``apply_blocks`` over the chain's blocks then one block carrying ``proof`` (SC-DSP-22)."""
    data = _data(preset, chain, b"")
    del data["proof"], data["height"]
    proof_block = sb.block(height, [sb.message_output(proof, value, preset)])
    blocks = data["blocks"]
    assert isinstance(blocks, list)
    blocks.append(
        {"height": height, "transactions": [encode_transaction(t, preset).hex() for t in proof_block]}
    )
    return data


def _block_case(case: str, description: str, data: dict[str, JSON], error: str | None = None) -> CaseSpec:
    return CaseSpec("apply_blocks", case, description, data, expect_error=error, fork=FORK)


def generate_credits_proofs(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-20..22: the ``credits_proof`` vectors and the proofs in mainchain blocks for ``preset``."""
    yield from _block_cases(preset)
    yield from _range_cases(preset)

    def encoded(proof: CreditsProof) -> bytes:
        return encode_credits_proof(proof, preset)

    for name, wrong in cc.WRONG_CREDITS.items():
        chain = cc.chain(preset, wrong)
        yield _case(
            name,
            f"SC-DSP-21: checkpoint 1 commits a wrong credits list ({name.replace('_', ' ')}); the "
            "accumulator's three inputs prove it: checkpoint 1 reverted",
            _data(preset, chain, encoded(cc.proof(chain.checkpoint_1))),
        )
    early = cc.chain(preset, cursor_0=11)
    first_inputs = cc.INPUTS[:2]
    yield _case(
        "first_checkpoint_never_credits",
        "SC-DSP-21: checkpoint 0 (range (0, 11], parent cursor 0) commits no credits although two "
        "deposits at height 11 are in its range: checkpoint 0 and 1 reverted",
        _data(preset, early, encoded(cc.proof(early.checkpoint_0, first_inputs))),
    )
    lying = cc.chain(preset, cc.WRONG_CREDITS["never_credited"])
    honest = cc.chain(preset)
    yield _case(
        "window_last_height",
        "SC-DSP-11/21: a proof at the last height of the window (posted 16, period 40: 55)",
        _data(
            preset,
            lying,
            encoded(cc.proof(lying.checkpoint_1)),
            cc.CHECKPOINT_1_AT + cc.SPEC.challenge_period - 1,
        ),
    )
    invalid: list[tuple[str, str, cc.Chain, bytes, int, str]] = [
        (
            "honest_checkpoint",
            "SC-DSP-21: the checkpoint's credits root is its range's: no fraud",
            honest,
            encoded(cc.proof(honest.checkpoint_1)),
            PROOF_AT,
            "DSP_NOT_FRAUD",
        ),
        (
            "honest_empty_range",
            "SC-DSP-21: checkpoint 0's range (0, 0] holds no input and it commits none: no fraud",
            honest,
            encoded(cc.proof(honest.checkpoint_0, ())),
            PROOF_AT,
            "DSP_NOT_FRAUD",
        ),
        (
            "inputs_too_few",
            "SC-DSP-21: the prover lists two inputs where the accumulator holds three",
            lying,
            encoded(cc.proof(lying.checkpoint_1, cc.INPUTS[:2])),
            PROOF_AT,
            "DSP_INPUTS_MISMATCH",
        ),
        (
            "inputs_not_accumulated",
            "SC-DSP-21: three inputs, but not the three the accumulator folded (the lying list "
            "with a third input)",
            lying,
            encoded(cc.proof(lying.checkpoint_1, cc.WRONG_CREDITS["out_of_order"])),
            PROOF_AT,
            "DSP_INPUTS_MISMATCH",
        ),
        (
            "inputs_of_another_range",
            "SC-DSP-21: checkpoint 0's range is empty: the three inputs of checkpoint 1's range are not its",
            lying,
            encoded(cc.proof(lying.checkpoint_0)),
            PROOF_AT,
            "DSP_INPUTS_MISMATCH",
        ),
        (
            "header_not_accepted",
            "SC-DSP-21: a header the mainchain did not accept at that height",
            lying,
            encoded(
                cc.proof(replace(lying.checkpoint_1, header=replace(lying.checkpoint_1.header, timestamp=1)))
            ),
            PROOF_AT,
            "DSP_HEADER_MISMATCH",
        ),
        (
            "header_and_inputs_wrong",
            "SC-DSP-21 order: a header that is not the accepted one and inputs that are not the "
            "range's: the header is checked first",
            lying,
            encoded(
                cc.proof(
                    replace(lying.checkpoint_1, header=replace(lying.checkpoint_1.header, timestamp=1)),
                    cc.INPUTS[:1],
                )
            ),
            PROOF_AT,
            "DSP_HEADER_MISMATCH",
        ),
        (
            "window_closed",
            "SC-DSP-11/21: a proof at posted height + challenge period (56) comes too late",
            lying,
            encoded(cc.proof(lying.checkpoint_1)),
            cc.CHECKPOINT_1_AT + cc.SPEC.challenge_period,
            "DSP_WINDOW_CLOSED",
        ),
        (
            "window_closed_and_honest",
            "SC-DSP-21 order: an honest checkpoint after its window: the window is checked first",
            honest,
            encoded(cc.proof(honest.checkpoint_1)),
            cc.CHECKPOINT_1_AT + cc.SPEC.challenge_period,
            "DSP_WINDOW_CLOSED",
        ),
        (
            "before_posting",
            "SC-DSP-11/21: a proof at a height before the checkpoint was posted (15 < 16)",
            lying,
            encoded(cc.proof(lying.checkpoint_1)),
            cc.CHECKPOINT_1_AT - 1,
            "DSP_WINDOW_CLOSED",
        ),
        (
            "unknown_checkpoint",
            "SC-DSP-21: a header at sidechain height 2, which the mainchain has not accepted",
            lying,
            encoded(
                cc.proof(replace(lying.checkpoint_1, header=replace(lying.checkpoint_1.header, height=2)))
            ),
            PROOF_AT,
            "SC_UNKNOWN_CHECKPOINT",
        ),
        (
            "unknown_sidechain",
            "SC-DSP-21: a header of sidechain 9, which is not registered",
            lying,
            encoded(
                cc.proof(
                    replace(lying.checkpoint_1, header=replace(lying.checkpoint_1.header, sidechain_id=9))
                )
            ),
            PROOF_AT,
            "SC_UNKNOWN_SIDECHAIN",
        ),
    ]
    for name, description, chain, proof, height, error in invalid:
        yield _case(name, description, _data(preset, chain, proof, height), error)
    good = encoded(cc.proof(lying.checkpoint_1))
    # a count one above the bound (no items follow: the count alone is refused)
    long_list = encode_sidechain_header(lying.checkpoint_1.header) + encode(
        Varint(), preset.dispute.max_opening_credits + 1
    )
    malformed: list[tuple[str, str, bytes, str]] = [
        ("proof_truncated", "SC-DSP-21: the proof's last byte cut off", good[:-1], "DECODE_TRUNCATED"),
        ("proof_trailing_byte", "SC-DSP-21: a byte after the proof", good + b"\x00", "DECODE_TRAILING_BYTES"),
        (
            "proof_too_many_inputs",
            "SC-DSP-21: a count of inputs above max_opening_credits",
            long_list,
            "DECODE_LENGTH_LIMIT",
        ),
    ]
    for name, description, proof_bytes, error in malformed:
        yield _case(name, description, _data(preset, lying, proof_bytes), error)


def _range_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-20/21 beyond the first range: a second range (its start mark is the parent's, not
    zero), a deposit at mainchain height 1 (the first range starts at cursor 0, not 1), and a
    mark extended at one height (the mempool's successive transactions, ``apply_transaction``)."""
    honest_0 = cc.chain(preset, cc.INPUTS[2:3], cursor_0=11, credits_0=cc.INPUTS[:2])
    lying_1 = cc.chain(preset, (), cursor_0=11, credits_0=cc.INPUTS[:2])
    yield _case(
        "second_range_never_credited",
        "SC-DSP-21: checkpoint 0 credits the two deposits of (0, 11]; checkpoint 1 credits none "
        "of (11, 13]: the proof lists the one deposit between the marks at 11 and 13",
        _data(preset, lying_1, encode_credits_proof(cc.proof(lying_1.checkpoint_1, cc.INPUTS[2:]), preset)),
    )
    yield _case(
        "second_range_honest",
        "SC-DSP-21: both ranges credited right: no fraud in the second",
        _data(preset, honest_0, encode_credits_proof(cc.proof(honest_0.checkpoint_1, cc.INPUTS[2:]), preset)),
        "DSP_NOT_FRAUD",
    )
    yield _case(
        "second_range_with_first_inputs",
        "SC-DSP-21: the inputs of both ranges listed against the second: not its range's",
        _data(preset, lying_1, encode_credits_proof(cc.proof(lying_1.checkpoint_1), preset)),
        "DSP_INPUTS_MISMATCH",
    )
    early = CreditsProof(
        replace(sb.header(cc.SPEC, 0, bytes(32), 1), credits_root=compute_credits_root(())), ()
    )
    signed = sb.sign(early.header, cc.SPEC.federation)
    deposit = BlockCredit(cc.RECIPIENTS[0], 4_000)
    blocks: list[JSON] = [
        {
            "height": height,
            "transactions": [encode_transaction(t, preset).hex() for t in sb.block(height, *outputs)],
        }
        for height, outputs in (
            (1, [[sb.deposit_output(cc.SPEC.sidechain_id, deposit.amount, deposit.recipient)]]),
            (4, [[sb.message_output(signed, 0, preset)]]),
        )
    ]
    yield _case(
        "deposit_at_height_one",
        "SC-DSP-21: a sidechain registered at height 1 is handed a deposit there; checkpoint 0 "
        "(cursor 1) credits nothing: its range (0, 1] holds the deposit",
        {
            "sidechains": [spec_json(cc.SPEC)],
            "activation_height": 1,
            "keys": {str(t): sb.federation_public(t).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)},
            "blocks": blocks,
            "proof": encode_credits_proof(replace(early, inputs=(deposit,)), preset).hex(),
            "height": 5,
        },
    )
    three = cc.chain(preset)
    data = _data(preset, three, b"")
    del data["proof"]
    more = [sb.deposit_output(cc.SPEC.sidechain_id, 11, cc.RECIPIENTS[1])]
    listed = data["blocks"]
    assert isinstance(listed, list)
    listed.append(
        {"height": 17, "transactions": [encode_transaction(t, preset).hex() for t in sb.block(17, more)]}
    )
    data["transaction"] = encode_transaction(sb.tx(17, 9, more), preset).hex()
    data["height"] = 17
    yield CaseSpec(
        "apply_transaction",
        "input_mark_extended_at_one_height",
        "SC-DSP-20: a deposit in a transaction checked at the height of the last block, which "
        "already handed the sidechain a deposit: that height's mark is extended (three marks: 11, "
        "13, 17), not doubled",
        data,
        fork=FORK,
    )


def _other_chain_game(preset: Preset) -> CaseSpec:
    """SC-DSP-22 with a game open over another sidechain: a credits proof against sidechain 1's
    checkpoint 0 (its placeholder ``credits_root`` is not the root of its range's one deposit)
    reverts it and cancels no game of sidechain 3 (``settle_revert`` cancels only the games of the
    reverted sidechain at or above the reverted height)."""
    sc = gc.scenario(1, preset, federation_lies_at=(0,))
    genesis_a = sb.genesis_checkpoint(sb.SPEC_A, 11)
    deposit = BlockCredit(cc.RECIPIENTS[0], 6_000)
    opening = gc.opening(sc, bond=preset.dispute.min_challenger_bond, preset=preset)
    heights: list[tuple[int, Sequence[Sequence[TxOutput]]]] = [
        (11, [[sb.deposit_output(sb.CHAIN_A, deposit.amount, deposit.recipient)]]),
        *gc.checkpoint_blocks(sc),
        (14, [[sb.message_output(genesis_a, 0, preset)], [opening]]),
        (15, [[sb.message_output(CreditsProof(genesis_a.header, (deposit,)), 0, preset)]]),
    ]
    blocks: list[JSON] = [
        {
            "height": height,
            "transactions": [encode_transaction(t, preset).hex() for t in sb.block(height, *outputs)],
        }
        for height, outputs in heights
    ]
    return _block_case(
        "credits_proof_keeps_other_chains_games",
        "SC-DSP-22: a credits proof reverts sidechain 1's checkpoint 0 while a game over sidechain "
        "3's checkpoint 1 runs: that game stays open",
        {
            "sidechains": [spec_json(s) for s in (sb.SPEC_A, sb.SPEC_B, gc.SPEC_G)],
            "activation_height": gc.ACTIVATION,
            "keys": {str(t): sb.federation_public(t).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)},
            "blocks": blocks,
        },
    )


def _block_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-22: the proof as sidechain message kind 8 in a mainchain block (``apply_blocks``)."""
    yield _other_chain_game(preset)
    lying = cc.chain(preset, cc.WRONG_CREDITS["credited_twice"])
    honest = cc.chain(preset)
    yield _block_case(
        "credits_proof_reverts",
        "SC-DSP-22: a block carries a credits proof against checkpoint 1, which credited a deposit "
        "twice: checkpoint 1 reverted in the block, its federation in the block's penalties",
        _in_block(preset, lying, cc.proof(lying.checkpoint_1)),
    )
    rewarded = _in_block(preset, lying, replace(cc.proof(lying.checkpoint_1), payout_script=sb.ALICE))
    blocks = rewarded["blocks"]
    assert isinstance(blocks, list) and isinstance(blocks[-1], dict)
    blocks[-1]["slashed"] = [[preset.masternodes.collateral] * 2]
    yield _block_case(
        "credits_proof_reward_payable",
        "SC-DSP-22/25: the prover names Alice's payout script; the proof takes game id 0 and, its "
        "penalty having slashed two collaterals, the reward is payable to Alice under that id",
        rewarded,
    )
    yield _block_case(
        "credits_proof_reverts_from_zero",
        "SC-DSP-22: a credits proof against checkpoint 0 (cursor 11, no credits): checkpoints 0 "
        "and 1 reverted",
        _in_block(
            preset,
            cc.chain(preset, cursor_0=11),
            cc.proof(cc.chain(preset, cursor_0=11).checkpoint_0, cc.INPUTS[:2]),
        ),
    )
    yield _block_case(
        "credits_proof_honest",
        "SC-DSP-22: a credits proof against an honest checkpoint rejects the block",
        _in_block(preset, honest, cc.proof(honest.checkpoint_1)),
        "DSP_NOT_FRAUD",
    )
    yield _block_case(
        "credits_proof_with_value",
        "SC-TX-1: a credits proof output carries 0 atoms",
        _in_block(preset, lying, cc.proof(lying.checkpoint_1), value=1),
        "SC_BAD_MESSAGE_OUTPUT",
    )
    yield _block_case(
        "credits_proof_window_closed",
        "SC-DSP-22: a credits proof in a block after checkpoint 1's window",
        _in_block(preset, lying, cc.proof(lying.checkpoint_1), cc.CHECKPOINT_1_AT + cc.SPEC.challenge_period),
        "DSP_WINDOW_CLOSED",
    )
