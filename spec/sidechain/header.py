"""Sidechain block headers and the checkpoints that carry them to the mainchain (SC-HDR-1..4).

The formats here are shared by both sides of a sidechain: its own block transition (which builds
headers) and the mainchain (which validates checkpoints, pays withdrawals against their outbox
root and settles disputes over their trace root). Normative text: docs/sidechains.md.

* **SC-HDR-1** a header commits to its sidechain, height, parent header hash, timestamp, the Merkle
  root (spec/merkle.py) of its transactions' encodings (``tx_root``) and their number
  (``tx_count``, which a Merkle root does not fix, MERKLE-5), the VM state root after the block
  (``state_root``, docs/vm.md VM-1), the Merkle root of the state roots after each of its
  transactions in order (``trace_root``, the claims a dispute bisects; the empty root for a block
  without transactions), the mainchain height up to which deposits are credited
  (``deposit_cursor``), the Merkle root of its *credits* (``credits_root``: the encoded
  :class:`BlockCredit` ``(recipient, amount)`` of every input SC-HDR-5 gives the block, credited or
  refunded, in crediting order; :func:`compute_credits_root`) and the Merkle root of the encoded
  outbox entries the block emitted (``outbox_root``, spec/vm/interface.py VM-5). ``tx_count`` and
  ``credits_root`` bind a dispute opening's statement of the block (SC-DSP-2).
* **SC-HDR-2** ``header_hash = tagged_hash(SIDECHAIN_HEADER, encode(header))``.
* **SC-HDR-3** a checkpoint is a header plus the federation's threshold BLS signature over
  ``checkpoint_message = tagged_hash(SIDECHAIN_CHECKPOINT, header_hash)``.
* **SC-HDR-4** encodings are canonical (spec/encoding.py): ``encode(decode(b)) == b``.
* **SC-HDR-5** what the mainchain hands a sidechain: a :class:`Deposit` (a peg-in output moved into
  the sidechain's escrow at mainchain height ``mainchain_height``) and an :class:`InboundMessage`
  (an outbox entry of another sidechain, proven on the mainchain and relayed there at
  ``mainchain_height``). A sidechain block whose ``deposit_cursor`` moves from ``a`` to ``b`` takes,
  in order, every deposit and inbound message with ``a < mainchain_height <= b`` (sorted by
  ``(mainchain_height, position)``); ``b`` is at most the mainchain tip minus the sidechain's
  peg-in depth.
* **SC-HDR-6** a :class:`VoidedInput` ``(relay_height, position, refund_height)`` names the slot
  ``(mainchain_height, position)`` of an inbound message that the mainchain refunded to its source
  at ``refund_height`` (SC-MSG-5). A block moving the cursor from ``a`` to ``b`` leaves out the
  message of a voided slot in its range (``a < relay_height <= b``) with ``refund_height <= b``
  (:func:`is_voided`): it is neither credited nor refunded there, and its credit is not in the
  block's ``credits_root``. A checkpoint whose cursor ``b`` has ``relay_height <= b < refund_height``
  would credit a refunded message: the mainchain rejects it (SC-CP-7, :func:`is_cursor_before_refund`);
  a producer picks the highest cursor the mainchain accepts (:func:`get_cursor_after_refunds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spec.encoding import FixedBytes, Struct, VarBytes, Varint, decode, encode
from spec.hashing import HashDomain, tagged_hash
from spec.merkle import merkle_root

HASH = FixedBytes(32)
BLS_SIGNATURE = FixedBytes(96)


@dataclass(frozen=True)
class SidechainHeader:
    """SC-HDR-1: one sidechain block's header."""

    sidechain_id: int
    height: int
    parent: bytes
    timestamp: int
    tx_root: bytes
    tx_count: int
    state_root: bytes
    trace_root: bytes
    deposit_cursor: int
    credits_root: bytes
    outbox_root: bytes


@dataclass(frozen=True)
class BlockCredit:
    """SC-HDR-1: one input a block credits before its transactions (a deposit or inbound message)."""

    recipient: bytes
    amount: int


BLOCK_CREDIT_CODEC: Struct[BlockCredit] = Struct(
    BlockCredit, (("recipient", VarBytes(64)), ("amount", Varint()))
)


def compute_credits_root(credits: Sequence[BlockCredit]) -> bytes:
    """SC-HDR-1: the Merkle root of the encoded credits, in crediting order (``credits_root``)."""
    return merkle_root([encode(BLOCK_CREDIT_CODEC, credit) for credit in credits])


@dataclass(frozen=True)
class Checkpoint:
    """SC-HDR-3: a sidechain header signed by its federation, posted on the mainchain."""

    header: SidechainHeader
    signature: bytes


SIDECHAIN_HEADER_CODEC: Struct[SidechainHeader] = Struct(
    SidechainHeader,
    (
        ("sidechain_id", Varint()),
        ("height", Varint()),
        ("parent", HASH),
        ("timestamp", Varint()),
        ("tx_root", HASH),
        ("tx_count", Varint()),
        ("state_root", HASH),
        ("trace_root", HASH),
        ("deposit_cursor", Varint()),
        ("credits_root", HASH),
        ("outbox_root", HASH),
    ),
)
CHECKPOINT_CODEC: Struct[Checkpoint] = Struct(
    Checkpoint, (("header", SIDECHAIN_HEADER_CODEC), ("signature", BLS_SIGNATURE))
)


def encode_sidechain_header(header: SidechainHeader) -> bytes:
    """SC-HDR-4: the canonical encoding of ``header``."""
    return encode(SIDECHAIN_HEADER_CODEC, header)


def decode_sidechain_header(data: bytes) -> SidechainHeader:
    """SC-HDR-4: the header encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(SIDECHAIN_HEADER_CODEC, data)


def encode_checkpoint(checkpoint: Checkpoint) -> bytes:
    """SC-HDR-4: the canonical encoding of ``checkpoint``."""
    return encode(CHECKPOINT_CODEC, checkpoint)


def decode_checkpoint(data: bytes) -> Checkpoint:
    """SC-HDR-4: the checkpoint encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(CHECKPOINT_CODEC, data)


def compute_header_hash(header: SidechainHeader) -> bytes:
    """SC-HDR-2: the hash that names a sidechain block."""
    return tagged_hash(HashDomain.SIDECHAIN_HEADER, encode_sidechain_header(header))


def compute_checkpoint_message(header: SidechainHeader) -> bytes:
    """SC-HDR-3: the 32 bytes the federation threshold-signs for ``header``."""
    return tagged_hash(HashDomain.SIDECHAIN_CHECKPOINT, compute_header_hash(header))


@dataclass(frozen=True)
class Deposit:
    """SC-HDR-5: a peg-in, credited once on the sidechain to ``recipient``."""

    sidechain_id: int
    mainchain_height: int
    position: int
    txid: bytes
    output_index: int
    recipient: bytes
    amount: int


@dataclass(frozen=True)
class InboundMessage:
    """SC-HDR-5: a message from sidechain ``source_chain``'s outbox, relayed on the mainchain."""

    sidechain_id: int
    mainchain_height: int
    position: int
    source_chain: int
    source_height: int
    source_index: int
    sender: bytes
    recipient: bytes
    amount: int
    payload: bytes


DEPOSIT_CODEC: Struct[Deposit] = Struct(
    Deposit,
    (
        ("sidechain_id", Varint()),
        ("mainchain_height", Varint()),
        ("position", Varint()),
        ("txid", HASH),
        ("output_index", Varint()),
        ("recipient", VarBytes(64)),
        ("amount", Varint()),
    ),
)
INBOUND_MESSAGE_CODEC: Struct[InboundMessage] = Struct(
    InboundMessage,
    (
        ("sidechain_id", Varint()),
        ("mainchain_height", Varint()),
        ("position", Varint()),
        ("source_chain", Varint()),
        ("source_height", Varint()),
        ("source_index", Varint()),
        ("sender", VarBytes(64)),
        ("recipient", VarBytes(64)),
        ("amount", Varint()),
        ("payload", VarBytes(1 << 16)),
    ),
)


@dataclass(frozen=True)
class VoidedInput:
    """SC-HDR-6: the slot of an inbound message refunded to its source at ``refund_height`` (SC-MSG-5)."""

    relay_height: int
    position: int
    refund_height: int


def is_voided(void: VoidedInput, cursor: int) -> bool:
    """SC-HDR-6: does a block with ``cursor`` leave out the message of ``void``'s slot if its range
    holds it (the refund is at or below the cursor)?"""
    return void.refund_height <= cursor


def is_cursor_before_refund(relay_height: int, refund_height: int, cursor: int) -> bool:
    """SC-HDR-6 / SC-CP-7: would a block with ``cursor`` take a message relayed at ``relay_height``
    before its refund at ``refund_height`` became an input (so credit a refunded message)?"""
    return relay_height <= cursor < refund_height


def get_cursor_after_refunds(voids: Sequence[VoidedInput], cursor: int) -> int:
    """SC-HDR-6 / SC-CP-7 (SCB-6, the producer's side): the highest cursor ``<= cursor`` that no
    voided slot has in ``[relay_height, refund_height)``, so the block's checkpoint is not
    ``SC_CURSOR_BEFORE_REFUND``. Never below the parent's cursor: a standing cursor is below the
    relay height of every slot refunded after it (SC-MSG-3)."""
    lowered = True
    while lowered:
        lowered = False
        for void in voids:
            if is_cursor_before_refund(void.relay_height, void.refund_height, cursor):
                cursor = void.relay_height - 1
                lowered = True
    return cursor
