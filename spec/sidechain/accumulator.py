"""The per-sidechain input accumulator and the wrong-credits proof (rules SC-DSP-20, SC-DSP-21,
fork ``sidechains``). Normative text, table and diagram: docs/disputes.md.

A checkpoint's header commits to its block's credits (``credits_root``, SC-HDR-1); the dispute game
(SC-DSP-1..7) holds the federation to executing *those* credits, but not to committing the right
ones. These two rules let anyone prove on the mainchain that a block's credits are not the inputs
of its cursor range (SC-HDR-5, SCB-2): a deposit credited twice, never, out of order, or with
another recipient or amount.

* **SC-DSP-20 input accumulator** every sidechain record (SC-REG-3) keeps a hash chain over the
  inputs the mainchain hands it, in the order the mainchain applies them (SC-BLK-1/2: height, then
  ``position``, the per-block rank shared by deposits, relays and bounces; that is SCB-2's
  ``(mainchain_height, position, kind)`` order, since one position holds one input).
  ``acc_0 = 32 zero bytes`` and ``acc_{k+1} = tagged_hash(SIDECHAIN_INPUTS, acc_k ||
  encode(BlockCredit(recipient, amount)))`` for the ``k``-th input (:func:`compute_input_accumulator`;
  the encoding is the leaf of ``credits_root``, so credited and refunded inputs alike). After each
  mainchain block that handed the sidechain at least one input, the record gains an
  :class:`~spec.sidechain.registry.InputMark` ``(height, count, accumulator)``: the inputs so far and
  the chain's value (:func:`record_inputs`). The value at a cursor ``c`` is the mark of the greatest
  height ``<= c`` (``(0, 0, acc_0)`` if none, :func:`get_input_mark`): the inputs with
  ``mainchain_height <= c``. The marks are committed state (SC-STATE-1 kind ``0x18``).
* **SC-DSP-21 credits proof** (non-interactive) a :class:`CreditsProof` names a checkpoint's header
  and lists the inputs of its cursor range ``(p, c]`` (``p`` the parent checkpoint's cursor, 0 for
  the checkpoint at height 0; ``c`` its own). Checked in this order, at mainchain height ``now``:
  sidechain registered (``SC_UNKNOWN_SIDECHAIN``); checkpoint accepted and window open (SC-DSP-11:
  ``SC_UNKNOWN_CHECKPOINT``, ``DSP_WINDOW_CLOSED``); the header hashes to the accepted header hash
  (``DSP_HEADER_MISMATCH``); the list has ``count(c) - count(p)`` inputs and folds ``acc(p)`` to
  ``acc(c)`` (``DSP_INPUTS_MISMATCH``); the credits root of the list *without its voided slots*
  (the messages refunded to their source, SC-MSG-5 / SC-HDR-6: slot ``(r, q)`` is the list's entry
  ``count(r - 1) + q - count(p)``, :func:`get_voided_indexes`) differs from the header's
  ``credits_root`` (``DSP_NOT_FRAUD`` otherwise): a block that credits a refunded message is
  provably wrong. A valid proof reverts the checkpoint at that
  height and every later one with the federation penalised (SC-DSP-12/13). The list is at most
  ``dispute.max_opening_credits`` long (the opening's bound, SC-DSP-14).
* **SC-DSP-22 on the mainchain** a proof travels as sidechain message kind 8 (SC-TX-0, an output of
  value 0, SC-TX-1) and is checked at the block's height; a valid one is settled in the block
  transition like a game the defender lost (:func:`apply_credits_proof`, the games' own
  ``settle_revert``): the checkpoint and every later one reverted, the open games over them
  cancelled with their bonds payable in full, the quorum in charge at its posting penalised (the
  block's ``penalties``, SC-DSP-17).

Whether an input is credited or refunded depends on the sidechain's state (SCB-2); the proof does
not decide it: it proves the list, whose ``BlockCredit`` leaves are the same either way, and the
game's step from ``r_0`` (SC-DSP-5) holds the federation to crediting or refunding each of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from spec.encoding import ListOf, Struct, VarBytes, decode, encode
from spec.errors import DisputeHeaderMismatch, DisputeInputsMismatch, DisputeNotFraud
from spec.hashing import HashDomain, tagged_hash
from spec.merkle import merkle_root
from spec.presets import Preset
from spec.sidechain.games import Penalty, settle_proof
from spec.sidechain.header import (
    BLOCK_CREDIT_CODEC,
    SIDECHAIN_HEADER_CODEC,
    BlockCredit,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_header_hash,
    is_voided,
)
from spec.sidechain.registry import EMPTY_ACCUMULATOR as EMPTY_ACCUMULATOR
from spec.sidechain.registry import NO_MARK as NO_MARK
from spec.sidechain.registry import InputMark, SidechainRecord, SidechainsState, get_sidechain
from spec.sidechain.registry import find_mark_index as find_mark_index
from spec.sidechain.registry import get_input_mark as get_input_mark
from spec.sidechain.settlement import check_dispute_window


def fold_input_leaves(accumulator: bytes, leaves: Sequence[bytes]) -> bytes:
    """SC-DSP-20: ``accumulator`` after folding in the encoded credits ``leaves`` in order."""
    for leaf in leaves:
        accumulator = tagged_hash(HashDomain.SIDECHAIN_INPUTS, accumulator + leaf)
    return accumulator


def credit_leaves(credits: Sequence[BlockCredit]) -> list[bytes]:
    """SC-HDR-1 / SC-DSP-20: the encoded credits: the leaves of ``credits_root`` and the
    accumulator's steps."""
    return [encode(BLOCK_CREDIT_CODEC, credit) for credit in credits]


def compute_input_accumulator(accumulator: bytes, credits: Sequence[BlockCredit]) -> bytes:
    """SC-DSP-20: ``accumulator`` after folding in ``credits`` in order."""
    return fold_input_leaves(accumulator, credit_leaves(credits))


def input_credits(inputs: Sequence[Deposit | InboundMessage]) -> tuple[BlockCredit, ...]:
    """SC-DSP-20: the ``BlockCredit`` of each input (what ``credits_root`` and the accumulator hold)."""
    return tuple(BlockCredit(item.recipient, item.amount) for item in inputs)


def record_inputs(record: SidechainRecord, height: int, credits: Sequence[BlockCredit]) -> SidechainRecord:
    """SC-DSP-20: ``record`` after the mainchain block at ``height`` handed it ``credits`` in order
    (unchanged without any; a second call at one height extends that height's mark)."""
    if not credits:
        return record
    marks = record.input_marks
    last = marks[-1] if marks else NO_MARK
    if marks and last.height == height:
        marks = marks[:-1]
    mark = InputMark(height, last.count + len(credits), compute_input_accumulator(last.accumulator, credits))
    return replace(record, input_marks=(*marks, mark))


def get_parent_cursor(record: SidechainRecord, height: int) -> int:
    """SC-DSP-21: where the cursor range of the accepted checkpoint at ``height`` starts: its
    parent's cursor, 0 at height 0."""
    return record.checkpoints[height - 1].deposit_cursor if height > 0 else 0


def get_range_marks(record: SidechainRecord, height: int) -> tuple[InputMark, InputMark]:
    """SC-DSP-21: the marks at the parent's cursor (0 at height 0) and at the cursor of the
    accepted checkpoint at ``height`` (which must exist)."""
    parent_cursor = get_parent_cursor(record, height)
    cursor = record.checkpoints[height].deposit_cursor
    return get_input_mark(record.input_marks, parent_cursor), get_input_mark(record.input_marks, cursor)


def get_voided_indexes(record: SidechainRecord, parent_cursor: int, cursor: int) -> frozenset[int]:
    """SC-DSP-21 (SC-HDR-6): the indexes, in the input list of the cursor range ``(parent_cursor,
    cursor]``, of the slots the block leaves out (messages refunded to their source, SC-MSG-5)."""
    start = get_input_mark(record.input_marks, parent_cursor).count
    # a slot outside the range gets an index outside the list (below 0 or at least its length)
    return frozenset(
        get_input_mark(record.input_marks, void.relay_height - 1).count + void.position - start
        for void in record.voids
        if is_voided(void, cursor)
    )


def is_range_inputs(start: InputMark, end: InputMark, leaves: Sequence[bytes]) -> bool:
    """SC-DSP-21: are the encoded credits ``leaves`` the inputs between the marks ``start`` and
    ``end``? The count is checked first, so a wrong-length list costs no hashing."""
    if len(leaves) != end.count - start.count:
        return False
    return fold_input_leaves(start.accumulator, leaves) == end.accumulator


@dataclass(frozen=True)
class CreditsProof:
    """SC-DSP-21: a checkpoint's header and the inputs of its cursor range, in SCB-2 order;
    SC-DSP-25: the prover's ``payout_script``."""

    header: SidechainHeader
    inputs: tuple[BlockCredit, ...]
    payout_script: bytes = b""


@cache
def credits_proof_codec(preset: Preset) -> Struct[CreditsProof]:
    """SC-DSP-21: the proof's canonical encoding (at most ``max_opening_credits`` inputs), then the
    payout script (SC-DSP-25, at most ``max_payout_script_bytes``)."""
    return Struct(
        CreditsProof,
        (
            ("header", SIDECHAIN_HEADER_CODEC),
            ("inputs", ListOf(BLOCK_CREDIT_CODEC, preset.dispute.max_opening_credits)),
            ("payout_script", VarBytes(preset.dispute.max_payout_script_bytes)),
        ),
    )


def encode_credits_proof(proof: CreditsProof, preset: Preset) -> bytes:
    """SC-DSP-21: the canonical encoding of ``proof``."""
    return encode(credits_proof_codec(preset), proof)


def decode_credits_proof(data: bytes, preset: Preset) -> CreditsProof:
    """SC-DSP-21: the proof encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(credits_proof_codec(preset), data)


def check_credits_proof(state: SidechainsState, proof: CreditsProof, now: int) -> int:
    """SC-DSP-21: the height to revert if ``proof``, posted at mainchain height ``now``, shows that
    the accepted checkpoint's ``credits_root`` is not the root of its cursor range's inputs."""
    header = proof.header
    record = get_sidechain(state, header.sidechain_id)
    check_dispute_window(state, header.sidechain_id, header.height, now)
    if compute_header_hash(header) != record.checkpoints[header.height].header_hash:
        raise DisputeHeaderMismatch(f"the header is not the accepted checkpoint {header.height}")
    start, end = get_range_marks(record, header.height)
    leaves = credit_leaves(proof.inputs)
    if not is_range_inputs(start, end, leaves):
        raise DisputeInputsMismatch(
            f"{len(proof.inputs)} inputs are not the {end.count - start.count} the accumulator holds "
            f"for the cursor range of checkpoint {header.height}"
        )
    voided = get_voided_indexes(record, get_parent_cursor(record, header.height), header.deposit_cursor)
    credited = [leaf for index, leaf in enumerate(leaves) if index not in voided]
    if merkle_root(credited) == header.credits_root:  # compute_credits_root of the credited inputs
        raise DisputeNotFraud("the checkpoint's credits root is its cursor range's")
    return header.height


def apply_credits_proof(
    state: SidechainsState, proof: CreditsProof, height: int
) -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """SC-DSP-22: the state after the credits proof in the block at ``height`` and the federation
    it penalises (SC-DSP-21 checks, then the games' settlement of a lost checkpoint)."""
    reverted = check_credits_proof(state, proof, height)
    return settle_proof(state, proof.header.sidechain_id, reverted, proof.payout_script)
