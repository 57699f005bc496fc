"""Checkpoints on the mainchain (protocol steps "SC-CP-1..8", fork ``sidechains``).

A checkpoint (SC-HDR-3, spec/sidechain/header.py) is posted in a sidechain message output
(SC-TX-0 kind 1) and validated against the sidechain's record and the federation's group key,
in this order. Normative text: docs/sidechains.md.

* **SC-CP-0** the header's sidechain is registered (``SC_UNKNOWN_SIDECHAIN``).
* **SC-CP-1** its height is the latest accepted checkpoint's height + 1, or 0 for the first
  (``SC_CHECKPOINT_HEIGHT``). With SC-CP-6 this makes one checkpoint per height: a second one at a
  height, in the same block or later, is ``SC_CHECKPOINT_HEIGHT``.
* **SC-CP-2** its parent is the latest accepted checkpoint's ``header_hash`` (SC-HDR-2), or 32 zero
  bytes for the first (``SC_CHECKPOINT_PARENT``).
* **SC-CP-3** its ``deposit_cursor`` is at least the latest one's (``SC_CURSOR_REGRESSED``; 0 for the
  first) and at most ``h - peg_in_depth`` for the mainchain block at height ``h`` that carries it
  (:func:`max_deposit_cursor`, ``SC_CURSOR_TOO_RECENT``): a sidechain credits only deposits buried
  ``peg_in_depth`` blocks deep, so a reorganisation shallower than that cannot un-credit one.
* **SC-CP-7** (checked after SC-CP-3) no voided input of the sidechain (SC-MSG-5) has
  ``relay_height <= deposit_cursor < refund_height`` (:func:`check_cursor_after_refunds`,
  ``SC_CURSOR_BEFORE_REFUND``): a block with that cursor takes the refunded message's slot but not
  its refund, so it would credit a message its source got back (SC-HDR-6). A later cursor (at or
  above the refund height) leaves the message out.
* **SC-CP-8** (checked after SC-CP-7) the cursor range ``(previous cursor, deposit_cursor]`` holds
  at most ``dispute.max_opening_credits`` inputs (:func:`check_cursor_inputs`, ``count(c) -
  count(p)`` of the input marks, SC-DSP-20; ``SC_CURSOR_RANGE_TOO_LARGE``): the most one credits
  proof lists (SC-DSP-21), so every accepted range can be proven wrong. A federation advances a
  longer backlog in several checkpoints; one mainchain height never needs more (SC-BLK-7) and a
  refund never makes a gap that needs more (SC-MSG-6), so the cursor can always advance.
* **SC-CP-4** the federation's committed group key for the block (:func:`federation_keys`: the
  finality or PoSe quorum key the chain committed, FIN-5..7) exists (``SC_NO_FEDERATION_KEY``) and
  verifies the signature over ``compute_checkpoint_message(header)`` (BLS-VERIFY,
  ``SC_BAD_CHECKPOINT_SIGNATURE``; a malformed signature is that code too).
* **SC-CP-5** two checkpoints of one sidechain at one height with different header hashes, both
  verifying under one federation key, are equivocation evidence (:func:`check_equivocation`;
  ``SC_NOT_EQUIVOCATION`` otherwise). Punishing it (slashing the federation) is the fraud-proof issue's.
* **SC-CP-6** an accepted checkpoint is recorded (height, header hash, cursor, outbox root, posted
  height ``h``); when its cursor reaches a pending message's relay height, it acknowledges that
  message, held until it is settled (SC-MSG-3, spec/sidechain/messages.py): the message stays
  pending until then, so a revert (SC-DSP-12) can undo the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from spec.crypto import bls
from spec.errors import (
    CheckpointBadSignature,
    CheckpointCursorBeforeRefund,
    CheckpointCursorRegressed,
    CheckpointCursorTooRecent,
    CheckpointHeight,
    CheckpointParent,
    CheckpointRangeTooLarge,
    CryptoError,
    FederationKeyMissing,
    NotEquivocation,
)
from spec.masternode.finality import QuorumRegistry, committed_finality_key, committed_pose_key
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.header import (
    Checkpoint,
    compute_checkpoint_message,
    compute_header_hash,
    is_cursor_before_refund,
)
from spec.sidechain.registry import (
    CheckpointRecord,
    SidechainRecord,
    SidechainsState,
    count_range_inputs,
    get_sidechain,
    with_record,
)

GENESIS_PARENT = bytes(32)
"""SC-CP-2: the parent of a sidechain's first checkpoint."""

FederationKeys = Mapping[int, bytes]
"""SC-CP-4: quorum type -> the group public key the chain committed for the block being validated."""


def federation_keys(quorums: QuorumRegistry, height: int, preset: Preset) -> dict[int, bytes]:
    """SC-CP-4: the committed group keys in charge at mainchain height ``height`` (FIN-5..7)."""
    keys: dict[int, bytes] = {}
    finality = committed_finality_key(quorums, height, preset)
    if finality is not None:
        keys[QuorumType.FINALITY] = finality
    pose = committed_pose_key(quorums, height, preset)
    if pose is not None:
        keys[QuorumType.POSE] = pose
    return keys


def max_deposit_cursor(mainchain_height: int, peg_in_depth: int) -> int:
    """SC-CP-3: the highest deposit cursor a checkpoint in the block at ``mainchain_height`` may carry.

    Negative while the chain is shorter than the depth (no cursor is then acceptable beyond the
    first checkpoint's 0, and 0 only once ``mainchain_height >= peg_in_depth``).
    """
    return mainchain_height - peg_in_depth


def check_cursor_after_refunds(record: SidechainRecord, cursor: int) -> None:
    """SC-CP-7: raise ``SC_CURSOR_BEFORE_REFUND`` if a checkpoint of ``record`` with ``cursor``
    would take a refunded message's slot before its refund (SC-HDR-6)."""
    for void in record.voids:
        if is_cursor_before_refund(void.relay_height, void.refund_height, cursor):
            raise CheckpointCursorBeforeRefund(
                f"cursor {cursor} takes the message relayed at {void.relay_height} (slot {void.position}) "
                f"but not its refund at {void.refund_height}"
            )


def check_cursor_inputs(record: SidechainRecord, previous_cursor: int, cursor: int, max_inputs: int) -> None:
    """SC-CP-8: raise ``SC_CURSOR_RANGE_TOO_LARGE`` if the cursor range ``(previous_cursor, cursor]``
    of ``record`` holds more than ``max_inputs`` inputs (one credits proof's bound, SC-DSP-21)."""
    count = count_range_inputs(record.input_marks, previous_cursor, cursor)
    if count > max_inputs:
        raise CheckpointRangeTooLarge(
            f"cursor range ({previous_cursor}, {cursor}] holds {count} inputs, above {max_inputs}"
        )


def is_signed_by(checkpoint: Checkpoint, public_key: bytes) -> bool:
    """SC-CP-4: does the checkpoint's signature verify under ``public_key``? (Malformed: no.)"""
    try:
        return bls.verify(public_key, compute_checkpoint_message(checkpoint.header), checkpoint.signature)
    except CryptoError:
        return False


def check_checkpoint(
    record: SidechainRecord,
    checkpoint: Checkpoint,
    keys: FederationKeys,
    mainchain_height: int,
    preset: Preset,
) -> None:
    """SC-CP-1..4, SC-CP-7, SC-CP-8: raise unless ``checkpoint`` extends ``record`` in the block at
    ``mainchain_height``."""
    header = checkpoint.header
    latest = record.latest
    expected_height = 0 if latest is None else latest.height + 1
    if header.height != expected_height:
        raise CheckpointHeight(f"checkpoint at height {header.height}, expected {expected_height}")
    expected_parent = GENESIS_PARENT if latest is None else latest.header_hash
    if header.parent != expected_parent:
        raise CheckpointParent("the parent is not the latest checkpoint's header")
    previous_cursor = 0 if latest is None else latest.deposit_cursor
    if header.deposit_cursor < previous_cursor:
        raise CheckpointCursorRegressed(f"cursor {header.deposit_cursor} below {previous_cursor}")
    if header.deposit_cursor > max_deposit_cursor(mainchain_height, record.spec.peg_in_depth):
        raise CheckpointCursorTooRecent(
            f"cursor {header.deposit_cursor} above {mainchain_height} - {record.spec.peg_in_depth}"
        )
    check_cursor_after_refunds(record, header.deposit_cursor)
    check_cursor_inputs(record, previous_cursor, header.deposit_cursor, preset.dispute.max_opening_credits)
    key = keys.get(record.spec.federation)
    if key is None:
        raise FederationKeyMissing(f"no committed key for quorum type {record.spec.federation}")
    if not is_signed_by(checkpoint, key):
        raise CheckpointBadSignature("the checkpoint is not signed by the federation's key")


def apply_checkpoint(
    state: SidechainsState,
    checkpoint: Checkpoint,
    keys: FederationKeys,
    mainchain_height: int,
    preset: Preset,
) -> SidechainsState:
    """SC-CP-0..8: validate ``checkpoint`` and record it (its acknowledgements are held, SC-MSG-3)."""
    header = checkpoint.header
    record = get_sidechain(state, header.sidechain_id)
    check_checkpoint(record, checkpoint, keys, mainchain_height, preset)
    accepted = CheckpointRecord(
        header.height,
        compute_header_hash(header),
        header.deposit_cursor,
        header.outbox_root,
        mainchain_height,
    )
    return with_record(state, replace(record, checkpoints=(*record.checkpoints, accepted)))


def check_equivocation(first: Checkpoint, second: Checkpoint, public_key: bytes) -> None:
    """SC-CP-5: return iff the two checkpoints prove the federation of ``public_key`` equivocated."""
    a, b = first.header, second.header
    if a.sidechain_id != b.sidechain_id or a.height != b.height:
        raise NotEquivocation("the checkpoints are for different sidechains or heights")
    if compute_header_hash(a) == compute_header_hash(b):
        raise NotEquivocation("the checkpoints sign the same header")
    if not (is_signed_by(first, public_key) and is_signed_by(second, public_key)):
        raise NotEquivocation("a checkpoint is not signed by the federation's key")
