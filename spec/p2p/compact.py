"""Compact block relay, BIP152-like (protocol steps "P2P-CMPCT-1".."P2P-CMPCT-5").

* **P2P-CMPCT-1** short ids: ``key = H(COMPACT_SHORT_ID, block_hash || nonce u64)`` (BLAKE3
  derive_key), and a transaction's short id is the first 6 bytes of ``BLAKE3-keyed(key, wtxid)``.
  Keying by the block and a sender-chosen nonce means nobody can grind transactions whose short ids
  collide in every block (BIP152 uses SipHash for the same purpose).
* **P2P-CMPCT-2** a compact block carries the header, the votes, the nonce, the prefilled
  transactions (indexes strictly increasing, the first 0: the coinbase is always sent, it is never
  in a mempool) and the short ids of the other transactions in block order. The block has
  ``len(short_ids) + len(prefilled)`` transactions; a prefilled index beyond the last is
  ``P2P_COMPACT_BAD_INDEX``.
* **P2P-CMPCT-3** reconstruction fills each short-id slot with the mempool transaction of that short
  id. A slot stays *missing* when no mempool transaction has the id, when two mempool transactions
  share it (collision), or when the compact block repeats the id (the slot cannot be told apart).
* **P2P-CMPCT-4** the missing slots are fetched with ``GetBlockTxn(block_hash, indexes)`` and come back
  as ``BlockTxn(block_hash, transactions)`` in the same order; another block hash or another count
  is ``P2P_COMPACT_BLOCKTXN_MISMATCH``; a request for an index the block does not have is
  ``P2P_COMPACT_BAD_INDEX``.
* **P2P-CMPCT-5** a complete reconstruction is accepted only if the header's ``merkle_root`` and
  ``votes_root`` commit to it (BLK-2), so the result is the identical block; otherwise
  ``P2P_COMPACT_MERKLE_MISMATCH`` (not a sign of an invalid block: fetch the full block).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

import blake3

from spec.chain.block import Block, block_hash, max_block_transactions, transactions_root, votes_root
from spec.errors import CompactBadIndex, CompactBlockTxnMismatch, CompactMerkleMismatch
from spec.hashing import HashDomain, tagged_hash_many
from spec.ledger.transaction import Transaction, wtxid
from spec.p2p.messages import (
    SHORT_ID_BYTES,
    BlockTxn,
    CompactBlock,
    GetBlockTxn,
    PrefilledTransaction,
)
from spec.presets import Preset


def short_id_key(block_id: bytes, nonce: int) -> bytes:
    """P2P-CMPCT-1: the 32-byte short-id key of a block hash and nonce."""
    return tagged_hash_many(HashDomain.COMPACT_SHORT_ID, (block_id, nonce.to_bytes(8, "little")))


def short_id(key: bytes, transaction_wtxid: bytes) -> bytes:
    """P2P-CMPCT-1: the 6-byte short id of a wtxid under ``key``."""
    digest: bytes = blake3.blake3(transaction_wtxid, key=key).digest(length=SHORT_ID_BYTES)
    return digest


def make_compact_block(
    block: Block, nonce: int, prefilled_indexes: Iterable[int], preset: Preset
) -> CompactBlock:
    """P2P-CMPCT-2: the compact form of ``block``; the coinbase (index 0) is always prefilled.

    ``P2P_COMPACT_BAD_INDEX`` if a prefilled index is not a transaction position of the block.
    """
    count = len(block.transactions)
    chosen = sorted({0, *prefilled_indexes})
    if count == 0 or chosen[0] < 0 or chosen[-1] >= count:
        raise CompactBadIndex(f"prefilled indexes {chosen} for a block of {count} transactions")
    key = short_id_key(block_hash(block.header, preset), nonce)
    prefilled = set(chosen)
    return CompactBlock(
        header=block.header,
        votes=block.votes,
        nonce=nonce,
        short_ids=tuple(
            short_id(key, wtxid(tx, preset)) for i, tx in enumerate(block.transactions) if i not in prefilled
        ),
        prefilled=tuple(PrefilledTransaction(i, block.transactions[i]) for i in chosen),
    )


def transaction_count(compact: CompactBlock) -> int:
    """P2P-CMPCT-2: the number of transactions of the block ``compact`` stands for."""
    return len(compact.short_ids) + len(compact.prefilled)


def check_compact_block(compact: CompactBlock, preset: Preset) -> None:
    """P2P-CMPCT-2: prefilled indexes strictly increase from 0 and stay below the transaction count."""
    count = transaction_count(compact)
    indexes = [item.index for item in compact.prefilled]
    if count > max_block_transactions(preset):
        raise CompactBadIndex(f"{count} transactions exceed a block's maximum")
    if not indexes or indexes[0] != 0:
        raise CompactBadIndex("the coinbase (index 0) is not prefilled")
    if any(b <= a for a, b in pairwise(indexes)) or indexes[-1] >= count:
        raise CompactBadIndex(f"prefilled indexes {indexes} for a block of {count} transactions")


@dataclass(frozen=True)
class PartialBlock:
    """P2P-CMPCT-3: a compact block with the transactions found so far (``None``: missing)."""

    compact: CompactBlock
    block_hash: bytes
    slots: tuple[Transaction | None, ...]
    block: Block | None
    """The reconstructed block once no slot is missing (checked by P2P-CMPCT-5)."""

    @property
    def missing(self) -> tuple[int, ...]:
        """The block positions still missing, ascending."""
        return tuple(i for i, tx in enumerate(self.slots) if tx is None)


def _complete(compact: CompactBlock, slots: tuple[Transaction | None, ...], preset: Preset) -> Block | None:
    """P2P-CMPCT-5: the block of the slots if none is missing and the header's roots commit to it."""
    transactions = tuple(tx for tx in slots if tx is not None)
    if len(transactions) != len(slots):
        return None
    if transactions_root(transactions, preset) != compact.header.merkle_root:
        raise CompactMerkleMismatch("the reconstructed transactions do not match merkle_root")
    if votes_root(compact.votes, preset) != compact.header.votes_root:
        raise CompactMerkleMismatch("the votes do not match votes_root")
    return Block(compact.header, compact.votes, transactions)


def reconstruct(compact: CompactBlock, mempool: Mapping[bytes, Transaction], preset: Preset) -> PartialBlock:
    """P2P-CMPCT-3/5: fill ``compact`` from ``mempool`` (transactions keyed by their wtxid).

    The result's ``block`` is the block when nothing is missing, else ``None`` and ``missing``
    lists the positions to request (:func:`missing_request`).
    """
    check_compact_block(compact, preset)
    block_id = block_hash(compact.header, preset)
    key = short_id_key(block_id, compact.nonce)
    candidates: dict[bytes, Transaction | None] = {}
    for transaction_wtxid, tx in mempool.items():
        sid = short_id(key, transaction_wtxid)
        candidates[sid] = None if sid in candidates else tx
    repeated = {sid for sid, times in Counter(compact.short_ids).items() if times > 1}
    slots: list[Transaction | None] = [None] * transaction_count(compact)
    for item in compact.prefilled:
        slots[item.index] = item.transaction
    ids = iter(compact.short_ids)
    for position, slot in enumerate(slots):
        if slot is None:
            sid = next(ids)
            slots[position] = None if sid in repeated else candidates.get(sid)
    filled = tuple(slots)
    return PartialBlock(compact, block_id, filled, _complete(compact, filled, preset))


def missing_request(partial: PartialBlock) -> GetBlockTxn:
    """P2P-CMPCT-4: the request for the missing transactions of ``partial``."""
    return GetBlockTxn(partial.block_hash, partial.missing)


def fill_missing(partial: PartialBlock, response: BlockTxn, preset: Preset) -> Block:
    """P2P-CMPCT-4/5: the block of ``partial`` completed with ``response`` (the answer to its request)."""
    missing = partial.missing
    if response.block_hash != partial.block_hash:
        raise CompactBlockTxnMismatch("the response names another block")
    if len(response.transactions) != len(missing):
        raise CompactBlockTxnMismatch(f"{len(response.transactions)} transactions for {len(missing)} missing")
    slots = list(partial.slots)
    for position, tx in zip(missing, response.transactions, strict=True):
        slots[position] = tx
    block = _complete(partial.compact, tuple(slots), preset)
    if block is None:  # pragma: no cover - every missing slot was just filled
        raise CompactBlockTxnMismatch("transactions still missing")
    return block


def serve_block_txn(block: Block, request: GetBlockTxn, preset: Preset) -> BlockTxn:
    """P2P-CMPCT-4: the answer to ``request`` for ``block`` (the block the request names)."""
    if request.block_hash != block_hash(block.header, preset):
        raise CompactBlockTxnMismatch("the request names another block")
    if any(not 0 <= i < len(block.transactions) for i in request.indexes):
        raise CompactBadIndex(f"requested indexes beyond the block's {len(block.transactions)} transactions")
    return BlockTxn(request.block_hash, tuple(block.transactions[i] for i in request.indexes))
