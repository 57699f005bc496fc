"""Vectors of the refund/re-credit rules (flow ``peg``; SC-MSG-5, SC-HDR-6, SC-CP-7, SC-DSP-21 with
voided slots; spec/sidechain/messages.py, checkpoint.py, accumulator.py).

Sidechain A's checkpoint 0 (posted at 14) carries a message of 250 to sidechain B, relayed at 17
after a deposit to B in the same block (the message is B's slot ``(17, 1)``); B posts no
checkpoint before the timeout, so the message is refunded at 21 and its slot voided. A late
checkpoint of B whose cursor takes the slot before the refund (cursor 17..20) is
``SC_CURSOR_BEFORE_REFUND``; one at the refund height or later (21) or below the relay (16) is
accepted. The same after a revert: B's checkpoint 0 acknowledges the message, a game reverts it,
the message is refunded, and the replacement checkpoint may not credit it again. Two vectors break
two rules at once (SC-CP-3 before SC-CP-7, SC-CP-7 before SC-CP-4), and the credits proof over B's
range treats the voided slot as "must not be credited".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from conformance import sidechainbuilder as sb
from conformance.handlers.sidechain import spec_json
from conformance.model import JSON, CaseSpec
from spec.ledger.transaction import Transaction, TxOutput, encode_transaction
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof, encode_credits_proof, input_credits
from spec.sidechain.header import (
    BlockCredit,
    Checkpoint,
    Deposit,
    InboundMessage,
    compute_credits_root,
    compute_header_hash,
)

FORK = "sidechains"
Blocks = list[tuple[int, Sequence[Sequence[TxOutput]]]]

OUTBOX_A = [sb.message(sb.CHAIN_B, 250)]
CHECKPOINT_A = sb.genesis_checkpoint(sb.SPEC_A, 12, OUTBOX_A)
RELAY_AT, REFUND_AT, LATE_AT = 17, 21, 23
"""The message is relayed at 17, refunded at 21 (timeout 4); a late checkpoint of B is posted at 23."""
RELAY = sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX_A, 0))
REFUND = sb.refund_output(sb.CHAIN_A, 0, 0)


def _prefix() -> Blocks:
    return [
        (12, [[sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(sb.CHAIN_B, 50)]]),
        (14, [[sb.message_output(CHECKPOINT_A)]]),
        (RELAY_AT, [[sb.deposit_output(sb.CHAIN_B, 30)], [RELAY]]),
    ]


def _refunded() -> Blocks:
    return [*_prefix(), (REFUND_AT, [[REFUND]])]


def _data(
    preset: Preset, blocks: Blocks, reverts: dict[int, tuple[int, int]] | None = None
) -> dict[str, JSON]:
    """``apply_blocks`` data; ``reverts``: block height -> (B's reverted checkpoint, opening height)."""
    out: list[JSON] = []
    for height, txs in blocks:
        transactions: tuple[Transaction, ...] = sb.block(height, *txs)
        item: dict[str, JSON] = {
            "height": height,
            "transactions": [encode_transaction(t, preset).hex() for t in transactions],
        }
        if reverts and height in reverts:
            disputed, opened_at = reverts[height]
            item["revert"] = {
                "sidechain_id": sb.CHAIN_B,
                "height": disputed,
                "opened_at": opened_at,
                "winner": 1,
            }
        out.append(item)
    return {
        "sidechains": [spec_json(s) for s in (sb.SPEC_A, sb.SPEC_B)],
        "activation_height": sb.ACTIVATION,
        "keys": {str(t): sb.federation_public(t).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)},
        "blocks": out,
    }


def _case(case: str, description: str, data: dict[str, JSON], error: str | None = None) -> CaseSpec:
    return CaseSpec("apply_blocks", case, description, data, expect_error=error, fork=FORK)


def _b_checkpoint(
    cursor: int, credits: Sequence[BlockCredit] = (), quorum: int = sb.SPEC_B.federation
) -> Checkpoint:
    head = replace(sb.header(sb.SPEC_B, 0, bytes(32), cursor), credits_root=compute_credits_root(credits))
    return sb.sign(head, quorum)


def _b_inputs(preset: Preset, blocks: Blocks) -> tuple[BlockCredit, ...]:
    """SC-DSP-20: every input the blocks handed B, in accumulator order."""
    steps = [sb.Step(height, sb.block(height, *txs)) for height, txs in blocks]
    items: list[Deposit | InboundMessage] = []
    for result in sb.run(sb.initial(), steps, preset):
        both: list[Deposit | InboundMessage] = [*result.deposits, *result.inbound]
        mine = [i for i in both if i.sidechain_id == sb.CHAIN_B]
        items.extend(sorted(mine, key=lambda i: i.position))
    return input_credits(items)


def generate_cursor_cases() -> Iterator[CaseSpec]:
    """SC-HDR-6 / SC-CP-7: the producer's highest acceptable cursor (flow ``sidechain``)."""
    cases: list[tuple[str, str, list[list[int]], int]] = [
        ("no_voids", "no voided slot: the cursor itself", [], 30),
        ("below_relay", "a cursor below the relay height is kept", [[17, 1, 21]], 16),
        ("at_refund", "a cursor at the refund height is kept", [[17, 1, 21]], 21),
        ("at_relay", "a cursor at the relay height drops below it", [[17, 1, 21]], 17),
        ("before_refund", "a cursor one below the refund drops below the relay", [[17, 1, 21]], 20),
        (
            "chained",
            "dropping below one slot's relay lands in another's window: below both",
            [[25, 0, 31], [17, 1, 27]],
            28,
        ),
        (
            "chained_listed_first",
            "the slot whose window the cursor lands in is listed before the one it dropped below",
            [[17, 1, 27], [25, 0, 31]],
            28,
        ),
        (
            "two_windows_apart",
            "the second slot's window does not hold the cursor",
            [[17, 1, 21], [25, 0, 31]],
            23,
        ),
    ]
    for name, description, voids, cursor in cases:
        yield CaseSpec(
            "cursor_after_refunds",
            name,
            f"SC-HDR-6 / SC-CP-7: {description}",
            {"voids": voids, "cursor": cursor},
            fork=FORK,
        )


def generate_refund_voids(preset: Preset) -> Iterator[CaseSpec]:
    """SC-MSG-5, SC-CP-7, SC-DSP-21 (voided slots): the ``apply_blocks`` and ``credits_proof`` vectors."""
    yield from _late_checkpoint_cases(preset)
    yield from _revert_cases(preset)
    yield from _credits_proof_cases(preset)


def _late_checkpoint_cases(preset: Preset) -> Iterator[CaseSpec]:
    refunded = _refunded()
    yield _case(
        "refund_voids_message",
        "SC-MSG-5: the message relayed into B's slot (17, 1) is refunded at 21: B's record lists the "
        "voided slot (relay 17, position 1, refund 21) and its escrow gives the 250 back to A",
        _data(preset, refunded),
    )
    outbox_two = [*OUTBOX_A, sb.message(sb.CHAIN_B, 60)]
    second: Blocks = [
        (12, [[sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(sb.CHAIN_B, 50)]]),
        (14, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12, outbox_two))]]),
        (
            RELAY_AT,
            [
                [sb.deposit_output(sb.CHAIN_B, 30)],
                [sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, outbox_two, 0))],
            ],
        ),
        (18, [[sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, outbox_two, 1))]]),
        (22, [[sb.refund_output(sb.CHAIN_A, 0, 1)]]),
        (23, [[sb.refund_output(sb.CHAIN_A, 0, 0)]]),
    ]
    yield _case(
        "two_refunds_voids_in_slot_order",
        "SC-MSG-5: the message relayed at 18 (slot (18, 0)) is refunded at 22, the one relayed at 17 "
        "(slot (17, 1)) at 23: B's voided slots are listed in slot order",
        _data(preset, second),
    )
    for cursor in (RELAY_AT, REFUND_AT - 1):
        yield _case(
            f"late_checkpoint_cursor_{cursor}_before_refund",
            f"SC-CP-7: B's first checkpoint, posted at 23 with cursor {cursor}, takes the refunded "
            "message's slot (relayed at 17) but not its refund (at 21): it would credit a message A "
            "got back",
            _data(preset, [*refunded, (LATE_AT, [[sb.message_output(_b_checkpoint(cursor))]])]),
            "SC_CURSOR_BEFORE_REFUND",
        )
    yield _case(
        "late_checkpoint_cursor_at_refund",
        "SC-CP-7 / SC-HDR-6: B's first checkpoint with cursor 21 (the refund's height) takes the slot "
        "and the refund: its block leaves the message out; accepted",
        _data(preset, [*refunded, (LATE_AT, [[sb.message_output(_b_checkpoint(REFUND_AT))]])]),
    )
    yield _case(
        "late_checkpoint_cursor_below_relay",
        "SC-CP-7: B's first checkpoint with cursor 16 does not reach the refunded message's slot: accepted",
        _data(preset, [*refunded, (LATE_AT, [[sb.message_output(_b_checkpoint(RELAY_AT - 1))]])]),
    )
    yield _case(
        "late_checkpoint_too_recent_and_before_refund",
        "SC-CP-3 before SC-CP-7: in the refund's own block (21, after the refund) a checkpoint with "
        "cursor 20 is above 21 - depth 2 and before the refund: SC_CURSOR_TOO_RECENT",
        _data(preset, [*_prefix(), (REFUND_AT, [[REFUND], [sb.message_output(_b_checkpoint(20))]])]),
        "SC_CURSOR_TOO_RECENT",
    )
    yield _case(
        "late_checkpoint_before_refund_bad_signature",
        "SC-CP-7 before SC-CP-4: a checkpoint with cursor 17 signed by the wrong quorum's key: "
        "SC_CURSOR_BEFORE_REFUND",
        _data(
            preset,
            [*refunded, (LATE_AT, [[sb.message_output(_b_checkpoint(RELAY_AT, (), QuorumType.FINALITY))]])],
        ),
        "SC_CURSOR_BEFORE_REFUND",
    )
    yield _case(
        "checkpoint_then_refund_same_block",
        "SC-MSG-3 before SC-MSG-5: B's checkpoint (cursor 19) in the block of the refund, before it, "
        "acknowledges the message: the refund is SC_MESSAGE_ACKNOWLEDGED",
        _data(preset, [*_prefix(), (REFUND_AT, [[sb.message_output(_b_checkpoint(19))], [REFUND]])]),
        "SC_MESSAGE_ACKNOWLEDGED",
    )


def _revert_cases(preset: Preset) -> Iterator[CaseSpec]:
    acknowledged = [*_prefix(), (19, [[sb.message_output(_b_checkpoint(RELAY_AT))]])]
    reverted = [*acknowledged, (20, []), (REFUND_AT, [[REFUND]])]
    reverts = {20: (0, 19)}
    yield _case(
        "revert_then_refund_voids",
        "SC-MSG-3/5 with SC-DSP-12: B's checkpoint 0 (cursor 17, posted 19) acknowledged the message; "
        "a game reverts it at 20; the message is refunded at 21 and its slot voided",
        _data(preset, reverted, reverts),
    )
    yield _case(
        "revert_refund_replacement_recredits",
        "SC-CP-7: the replacement checkpoint 0 with the reverted one's cursor 17 would credit the "
        "refunded message again: SC_CURSOR_BEFORE_REFUND (the re-credit gap of issue 16)",
        _data(preset, [*reverted, (LATE_AT, [[sb.message_output(_b_checkpoint(RELAY_AT))]])], reverts),
        "SC_CURSOR_BEFORE_REFUND",
    )
    yield _case(
        "revert_refund_replacement_after_refund",
        "SC-CP-7: a replacement checkpoint 0 with cursor 21 leaves the voided message out: accepted",
        _data(preset, [*reverted, (LATE_AT, [[sb.message_output(_b_checkpoint(REFUND_AT))]])], reverts),
    )


def _credits_proof_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-21 over B's range (0, 21]: inputs [deposit 50, deposit 30, message 250]; the message
    (slot (17, 1), list index 2) is voided, so the honest credits are the two deposits."""
    inputs = _b_inputs(preset, _refunded())
    assert len(inputs) == 3 and inputs[2].amount == 250
    honest = inputs[:2]
    proof_at = LATE_AT + 1

    def data(credits: Sequence[BlockCredit]) -> dict[str, JSON]:
        checkpoint = _b_checkpoint(REFUND_AT, credits)
        blocks = [*_refunded(), (LATE_AT, [[sb.message_output(checkpoint)]])]
        proof = CreditsProof(checkpoint.header, inputs)
        return {
            **_data(preset, blocks),
            "proof": encode_credits_proof(proof, preset).hex(),
            "height": proof_at,
        }

    yield CaseSpec(
        "credits_proof",
        "voided_message_credited",
        "SC-DSP-21 with SC-HDR-6: B's checkpoint 0 (cursor 21) credits the message refunded at 21 "
        "(its credits root holds all three inputs): the proof of the range's three inputs, without "
        "the voided one, shows the fraud: checkpoint 0 reverted",
        data(inputs),
        fork=FORK,
    )
    yield CaseSpec(
        "credits_proof",
        "voided_message_left_out",
        "SC-DSP-21 with SC-HDR-6: B's checkpoint 0 credits the two deposits and leaves the refunded "
        "message out, as SCB-2 requires: DSP_NOT_FRAUD",
        data(honest),
        expect_error="DSP_NOT_FRAUD",
        fork=FORK,
    )
    yield from _second_range_cases(preset)
    yield CaseSpec(
        "credits_proof",
        "voided_message_only_credited",
        "SC-DSP-21: B's checkpoint 0 credits the deposit of 30 and the refunded message but not the "
        "deposit of 50: wrong (a voided slot other than the message's would be index 0)",
        data((inputs[1], inputs[2])),
        fork=FORK,
    )


def _second_range_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-21 over B's second range (12, 21]: B's checkpoint 0 (cursor 12, posted at 15) took the
    deposit of 50; then a deposit of 5 at 16, a deposit of 30 and the message at 17 (slot (17, 1)),
    refunded at 21: the voided entry is ``count(16) + 1 - count(12) = 2`` of the range's list."""
    b_0 = _b_checkpoint(12, [BlockCredit(sb.BOB_ON_SIDECHAIN, 50)])
    blocks: Blocks = [
        (12, [[sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(sb.CHAIN_B, 50)]]),
        (14, [[sb.message_output(CHECKPOINT_A)]]),
        (15, [[sb.message_output(b_0)]]),
        (16, [[sb.deposit_output(sb.CHAIN_B, 5)]]),
        (RELAY_AT, [[sb.deposit_output(sb.CHAIN_B, 30)], [RELAY]]),
        (REFUND_AT, [[REFUND]]),
    ]
    inputs = _b_inputs(preset, blocks)[1:]
    assert [credit.amount for credit in inputs] == [5, 30, 250]
    for name, credits, error, description in (
        ("voided_message_credited_second_range", inputs, None, "credits the refunded message: reverted"),
        ("voided_message_left_out_second_range", inputs[:2], "DSP_NOT_FRAUD", "leaves it out: no fraud"),
    ):
        head = replace(
            sb.header(sb.SPEC_B, 1, compute_header_hash(b_0.header), REFUND_AT),
            credits_root=compute_credits_root(credits),
        )
        posted = [*blocks, (LATE_AT, [[sb.message_output(sb.sign(head, sb.SPEC_B.federation))]])]
        proof = CreditsProof(head, inputs)
        yield CaseSpec(
            "credits_proof",
            name,
            f"SC-DSP-21 with SC-HDR-6 over B's second range (12, 21] (inputs 5, 30 and the message "
            f"refunded at 21, list index 2): B's checkpoint 1 {description}",
            {
                **_data(preset, posted),
                "proof": encode_credits_proof(proof, preset).hex(),
                "height": LATE_AT + 1,
            },
            expect_error=error,
            fork=FORK,
        )
