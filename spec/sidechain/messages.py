"""Cross-chain messages through the mainchain (protocol steps "SC-MSG-1..6", fork ``sidechains``).

A sidechain's outbox MESSAGE entry (VM-5, ``target_chain`` = destination sidechain) reaches its
destination through the mainchain. Normative text and sequence diagram: docs/sidechains.md.

* **SC-MSG-1 relay** a relay (SC-TX-0 kind 3) proves a MESSAGE entry (``SC_WRONG_ENTRY_KIND``)
  against a *matured* checkpoint of its source (SC-PEG-3: ``SC_UNKNOWN_CHECKPOINT``,
  ``SC_CHALLENGE_PERIOD``; while an open game could revert it ``SC_UNDER_DISPUTE``, SC-DSP-19;
  ``MERKLE_*``); its target is a registered sidechain other than the source
  (``SC_BAD_DESTINATION``). The amount moves from the source escrow (``SC_ESCROW_UNDERFLOW``) to the
  destination escrow (``SC_ESCROW_LIMIT``) and the destination receives an
  :class:`~spec.sidechain.header.InboundMessage` at the relaying block's height (position as
  SC-PEG-2), whose ``sender`` is the entry's ``sender`` (VM-5: the account that emitted it, attested
  by the checkpoint's outbox root like every other field of the entry).
* **SC-MSG-2 exactly once** the message ``(source_chain, checkpoint_height, leaf_index)`` is not in
  the delivered-message set (``SC_MESSAGE_DELIVERED``) and joins it.
* **SC-MSG-3 acknowledgement, held until settled** a relayed message is *acknowledged* by the
  first accepted checkpoint of its destination whose ``deposit_cursor`` reaches the relay height
  (:func:`get_acknowledging_checkpoint`; SC-CP-6): by SC-HDR-5 that sidechain block consumed the
  message (a destination that rejects it sends the value back in a message of its own, as any
  other transfer). The acknowledgement is held until that checkpoint is *settled*: matured
  (SC-PEG-3) and no open dispute game of the destination disputes a height at or below it
  (SC-DSP-19, :func:`is_acknowledgement_settled`). Until then the message stays pending and is not
  refundable (``SC_MESSAGE_ACKNOWLEDGED``); if a game reverts the checkpoint (SC-DSP-12) the message
  is unacknowledged again, times out and is refunded like one never acknowledged, so a reverted
  checkpoint never acknowledged a message for good. Once settled (no game can then revert it:
  every window at or below it has closed), the block transition removes the message from the
  pending set, after the timeouts of SC-DSP-16 and before the block's messages (SC-BLK-4,
  :func:`settle_acknowledgements`).
* **SC-MSG-4 timeout and refund** a refund (kind 4) names a pending message
  (``SC_MESSAGE_NOT_PENDING``) that no standing destination checkpoint acknowledges
  (SC-MSG-3, ``SC_MESSAGE_ACKNOWLEDGED``) and whose destination's ``message_timeout`` has passed:
  ``h >= relay_height + message_timeout`` (:func:`is_timed_out`, ``SC_MESSAGE_NOT_TIMED_OUT``). The
  amount moves back from the destination escrow (``SC_ESCROW_UNDERFLOW``) to the source escrow
  (``SC_ESCROW_LIMIT``), the message stops being pending, and the source receives a bounce: an
  ``InboundMessage`` with ``source_chain`` = its own id, the original ``source_height`` and
  ``source_index``, an empty ``sender`` and payload, and ``recipient`` = the entry's ``sender``
  (kept in the pending message, SC-STATE-1 item ``0x14``), so the source credits the account that
  emitted the entry (SCB-2).
* **SC-MSG-5 a refund voids the message on its destination** the refund of a message relayed at
  ``relay_height`` into slot ``position`` of its destination's inputs, in the block at height
  ``f``, appends :class:`~spec.sidechain.header.VoidedInput` ``(relay_height, position, f)`` to the
  destination's record (committed, SC-STATE-1 kind ``0x19``). From then on the destination may not
  credit it: a block whose cursor range holds the slot leaves the message out once its cursor
  reaches ``f`` (SC-HDR-6, SCB-2), a checkpoint whose cursor is in ``[relay_height, f)`` is
  ``SC_CURSOR_BEFORE_REFUND`` (SC-CP-7), and a checkpoint whose ``credits_root`` credits it anyway
  is wrong by SC-DSP-21's proof, which leaves the voided slots out. The refund itself needs no
  standing checkpoint to acknowledge the message (SC-MSG-3), i.e. every standing cursor is below
  ``relay_height``. So a message is credited on its destination or refunded to its source, never
  both, whatever the order of reverts, refunds and late checkpoints.
* **SC-MSG-6 a refund leaves the destination able to pass it** (checked last) the destination's
  inputs after its latest cursor ``p`` (0 before its first checkpoint) up to the block before the
  refund, ``count(f - 1) - count(p)`` (SC-DSP-20), are at most ``dispute.max_opening_credits -
  sidechains.max_block_inputs`` (:func:`check_refund_range`, ``SC_REFUND_RANGE_TOO_LARGE``). A
  void forbids cursors in ``[relay_height, f)`` (SC-CP-7), so the destination's next cursor must
  jump from below the relay height to ``f`` or above; with the refund block's own inputs (at most
  ``max_block_inputs``, SC-BLK-7) that jump holds at most ``max_opening_credits`` inputs, which
  SC-CP-8 accepts. A message refused so waits until its destination checkpoints past it
  (acknowledged and credited there) or a later checkpoint brings the destination's cursor close
  enough for the refund (docs/disputes.md, SC-DSP-24).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace

from spec.errors import (
    BadMessageDestination,
    MessageAcknowledged,
    MessageDelivered,
    MessageNotPending,
    MessageNotTimedOut,
    RefundRangeTooLarge,
    SidechainUnknown,
    WrongEntryKind,
)
from spec.presets import Preset
from spec.sidechain.header import InboundMessage, VoidedInput
from spec.sidechain.peg import (
    MAINCHAIN_ID,
    check_outbox_proof,
    credit_escrow,
    debit_escrow,
    is_matured,
    matured_checkpoint,
)
from spec.sidechain.registry import (
    CheckpointRecord,
    PendingMessage,
    SidechainRecord,
    SidechainsState,
    count_range_inputs,
    get_sidechain,
    with_record,
)
from spec.sidechain.settlement import check_not_under_dispute, is_under_dispute
from spec.sidechain.transactions import RefundClaim, RelayMessage
from spec.vm.interface import OutboxKind


def is_timed_out(relay_height: int, message_timeout: int, height: int) -> bool:
    """SC-MSG-4: a message relayed at ``relay_height`` may be refunded in the block at ``height``."""
    return height >= relay_height + message_timeout


def get_acknowledging_checkpoint(record: SidechainRecord, relay_height: int) -> CheckpointRecord | None:
    """SC-MSG-3: the first accepted checkpoint of ``record`` whose cursor reaches ``relay_height``
    (cursors never decrease, SC-CP-3), ``None`` while none does."""
    index = bisect_left(record.checkpoints, relay_height, key=lambda checkpoint: checkpoint.deposit_cursor)
    return record.checkpoints[index] if index < len(record.checkpoints) else None


def is_acknowledgement_settled(
    posted_height: int, challenge_period: int, height: int, under_dispute: bool
) -> bool:
    """SC-MSG-3: is an acknowledgement by a checkpoint posted at ``posted_height`` final in the
    block at ``height``: matured (SC-PEG-3) and no open game could revert it (SC-DSP-19)?"""
    return is_matured(posted_height, challenge_period, height) and not under_dispute


def is_acknowledged_for_good(state: SidechainsState, message: PendingMessage, height: int) -> bool:
    """SC-MSG-3: does a settled checkpoint of ``message``'s destination acknowledge it at ``height``?"""
    record = get_sidechain(state, message.destination)
    checkpoint = get_acknowledging_checkpoint(record, message.relay_height)
    return checkpoint is not None and is_acknowledgement_settled(
        checkpoint.posted_height,
        record.spec.challenge_period,
        height,
        is_under_dispute(state, message.destination, checkpoint.height),
    )


def settle_acknowledgements(state: SidechainsState, height: int) -> SidechainsState:
    """SC-MSG-3 (SC-BLK-4): the state without the pending messages acknowledged for good at ``height``."""
    pending = {
        key: message
        for key, message in state.pending_messages.items()
        if not is_acknowledged_for_good(state, message, height)
    }
    if len(pending) == len(state.pending_messages):
        return state
    return replace(state, pending_messages=pending)


def check_not_acknowledged(state: SidechainsState, message: PendingMessage) -> None:
    """SC-MSG-3: raise ``SC_MESSAGE_ACKNOWLEDGED`` while a standing checkpoint of the destination
    acknowledges ``message`` (its acknowledgement held until that checkpoint is settled)."""
    checkpoint = get_acknowledging_checkpoint(get_sidechain(state, message.destination), message.relay_height)
    if checkpoint is not None:
        raise MessageAcknowledged(
            f"message {message.key} is acknowledged by checkpoint {checkpoint.height} of sidechain "
            f"{message.destination}, not yet settled"
        )


def apply_relay(
    state: SidechainsState, relay: RelayMessage, height: int, position: int
) -> tuple[SidechainsState, InboundMessage]:
    """SC-MSG-1/2: validate ``relay`` in the block at ``height``; the state and the inbound message."""
    outbox = relay.outbox
    source = get_sidechain(state, outbox.sidechain_id)
    checkpoint = matured_checkpoint(source, outbox.checkpoint_height, height)
    check_not_under_dispute(state, outbox.sidechain_id, outbox.checkpoint_height)
    entry = outbox.entry
    if entry.kind != OutboxKind.MESSAGE:
        raise WrongEntryKind("a relay proves a MESSAGE entry")
    destination_id = entry.target_chain
    if destination_id in (MAINCHAIN_ID, outbox.sidechain_id) or destination_id not in state.chains:
        raise BadMessageDestination(f"message to chain {destination_id}")
    check_outbox_proof(outbox, checkpoint)
    key = (outbox.sidechain_id, outbox.checkpoint_height, outbox.leaf_index)
    if key in state.delivered_messages:
        raise MessageDelivered(f"message {key} was relayed")
    state = with_record(state, debit_escrow(source, entry.amount))
    state = with_record(state, credit_escrow(get_sidechain(state, destination_id), entry.amount))
    pending = PendingMessage(key, destination_id, entry.amount, height, entry.sender, position)
    state = replace(
        state,
        delivered_messages=state.delivered_messages | {key},
        pending_messages={**state.pending_messages, key: pending},
    )
    inbound = InboundMessage(
        destination_id,
        height,
        position,
        key[0],
        key[1],
        key[2],
        entry.sender,
        entry.recipient,
        entry.amount,
        entry.payload,
    )
    return state, inbound


def check_refund_range(destination: SidechainRecord, height: int, preset: Preset) -> None:
    """SC-MSG-6: raise ``SC_REFUND_RANGE_TOO_LARGE`` if a refund voiding a slot of ``destination``
    in the block at ``height`` would leave its next cursor range (from its latest cursor to
    ``height`` at least, SC-CP-7) above the bound of SC-CP-8."""
    latest = destination.latest
    cursor = 0 if latest is None else latest.deposit_cursor
    count = count_range_inputs(destination.input_marks, cursor, height - 1)
    room = preset.dispute.max_opening_credits - preset.sidechains.max_block_inputs
    if count > room:
        raise RefundRangeTooLarge(
            f"sidechain {destination.spec.sidechain_id} holds {count} inputs after its cursor {cursor}, "
            f"above {room}: its next checkpoint could not pass the refund at {height}"
        )


def apply_refund(
    state: SidechainsState, refund: RefundClaim, height: int, position: int, preset: Preset
) -> tuple[SidechainsState, InboundMessage]:
    """SC-MSG-4..6: validate ``refund`` in the block at ``height``; the state (the message voided on
    its destination) and the bounce to the source."""
    key = (refund.source_chain, refund.source_height, refund.source_index)
    pending = state.pending_messages.get(key)
    if pending is None:
        raise MessageNotPending(f"message {key} is not pending")
    check_not_acknowledged(state, pending)
    destination = get_sidechain(state, pending.destination)
    if not is_timed_out(pending.relay_height, destination.spec.message_timeout, height):
        raise MessageNotTimedOut(
            f"relayed at {pending.relay_height}, refundable from "
            f"{pending.relay_height + destination.spec.message_timeout}"
        )
    if refund.source_chain not in state.chains:
        raise SidechainUnknown(f"no sidechain {refund.source_chain}")
    check_refund_range(destination, height, preset)
    void = VoidedInput(pending.relay_height, pending.position, height)
    voids = sorted((*destination.voids, void), key=lambda v: (v.relay_height, v.position))
    destination = replace(debit_escrow(destination, pending.amount), voids=tuple(voids))
    state = with_record(state, destination)
    state = with_record(state, credit_escrow(get_sidechain(state, refund.source_chain), pending.amount))
    state = replace(state, pending_messages={k: m for k, m in state.pending_messages.items() if k != key})
    bounce = InboundMessage(
        refund.source_chain,
        height,
        position,
        key[0],
        key[1],
        key[2],
        b"",
        pending.sender,
        pending.amount,
        b"",
    )
    return state, bounce
