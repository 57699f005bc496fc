"""Pruning the sidechains' input marks and voided slots (protocol step "SC-DSP-24", fork
``sidechains``). Normative text, table and diagram: docs/disputes.md.

The input marks (SC-DSP-20, SC-STATE-1 kind ``0x18``) gain one item per sidechain and mainchain
height with inputs, the voided slots (SC-MSG-5, kind ``0x19``) one per refund; without pruning the
mainchain state grows with them forever. Both are read only for cursors a later rule can still
name, and the lowest such cursor is known:

* the **settled cursor** of a sidechain at mainchain height ``h`` is the cursor of its newest
  checkpoint that is settled at ``h`` (SC-MSG-3's :func:`~spec.sidechain.messages.
  is_acknowledgement_settled`: matured, ``h >= posted_height + challenge_period``, and no open game
  disputes a height at or below it); none before the first such checkpoint
  (:func:`get_settled_cursor`). Posted heights grow with the checkpoint height and a game at or
  below a checkpoint is at or below every later one, so the settled checkpoints are a prefix of the
  record. A settled checkpoint is never reverted: every revert (SC-DSP-12) starts at a checkpoint
  whose window is open (SC-DSP-8/9/21/23) or whose game is open (SC-DSP-17), and a settled
  checkpoint and every one below it have neither (their windows closed at or before its own, and
  no game can open after a window). So every later checkpoint has a parent cursor at or above the
  settled cursor ``F``, every later credits proof names a range ``(p, c]`` with ``p >= F`` (older
  ones fail ``DSP_WINDOW_CLOSED`` before reading a mark), SC-CP-8 and SC-MSG-6 read the counts at
  the latest cursor (``>= F``) and above, and SC-DSP-21 reads the mark at ``relay_height - 1`` of a
  kept slot only.
* **SC-DSP-24** at the end of each block (SC-BLK-8, after SC-BLK-6 recorded its inputs), for each
  sidechain with a settled cursor ``F``: the marks below the greatest mark at or below ``F`` are
  removed (that one is the value at every cursor from ``F`` up to the next mark, so every value
  at a cursor ``>= F`` is unchanged, :func:`prune_marks`), and the voided slots with
  ``relay_height <= F`` are removed (:func:`prune_voids`): every range a later rule reads starts
  at or above ``F``, so such a slot is outside it, and SC-CP-7 never fires for it (the settled
  checkpoint itself, accepted with its cursor ``F >= relay_height``, was accepted after the refund
  with ``F >= refund_height``, or before it and then the refund was ``SC_MESSAGE_ACKNOWLEDGED``).

After the step a sidechain keeps at most one mark at or below ``F`` plus one per mainchain height
in ``(F, h]`` that handed it inputs, and only the voided slots relayed above ``F``: what the open
windows, the open games and the cursor ranges not yet checkpointed can still read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from spec.sidechain.header import VoidedInput
from spec.sidechain.messages import is_acknowledgement_settled
from spec.sidechain.registry import (
    InputMark,
    SidechainRecord,
    SidechainsState,
    find_mark_index,
    get_sidechain,
    with_record,
)
from spec.sidechain.settlement import is_under_dispute


def get_settled_cursor(state: SidechainsState, sidechain_id: int, height: int) -> int | None:
    """SC-DSP-24: the cursor of the newest checkpoint of ``sidechain_id`` settled at mainchain
    ``height`` (matured, no open game at or below it), ``None`` if none is."""
    record = get_sidechain(state, sidechain_id)
    for checkpoint in reversed(record.checkpoints):
        if is_acknowledgement_settled(
            checkpoint.posted_height,
            record.spec.challenge_period,
            height,
            is_under_dispute(state, sidechain_id, checkpoint.height),
        ):
            return checkpoint.deposit_cursor
    return None


def prune_marks(marks: Sequence[InputMark], cursor: int) -> tuple[InputMark, ...]:
    """SC-DSP-24: ``marks`` from the greatest one at or below ``cursor`` on (all of them if none is):
    the value at every cursor ``>= cursor`` (``get_input_mark``) is unchanged."""
    index = find_mark_index([mark.height for mark in marks], cursor)
    return tuple(marks[max(index, 0) :])


def prune_voids(voids: Sequence[VoidedInput], cursor: int) -> tuple[VoidedInput, ...]:
    """SC-DSP-24: the voided slots relayed above ``cursor`` (the others lie below every range a
    later rule reads)."""
    return tuple(void for void in voids if void.relay_height > cursor)


def prune_record(record: SidechainRecord, cursor: int) -> SidechainRecord:
    """SC-DSP-24: ``record`` without the marks and voided slots below its settled ``cursor``."""
    marks = prune_marks(record.input_marks, cursor)
    voids = prune_voids(record.voids, cursor)
    if len(marks) == len(record.input_marks) and len(voids) == len(record.voids):
        return record
    return replace(record, input_marks=marks, voids=voids)


def prune_sidechains(state: SidechainsState, height: int) -> SidechainsState:
    """SC-DSP-24 (SC-BLK-8): ``state`` at the end of the block at ``height`` with every sidechain's
    marks and voided slots below its settled cursor removed."""
    for sidechain_id in sorted(state.chains):
        cursor = get_settled_cursor(state, sidechain_id, height)
        if cursor is None:
            continue
        record = state.chains[sidechain_id]
        pruned = prune_record(record, cursor)
        if pruned is not record:
            state = with_record(state, pruned)
    return state
