"""Message sizes of block relay, measured on real spec objects (P2P-CMPCT-1..5, P2P-2 framing).

A template block of ``transactions`` real transactions is built once; its full ``Block`` frame, its
``CompactBlock`` frame (spec ``make_compact_block``), a ``Headers`` announcement, a ``GetData``,
and the ``GetBlockTxn``/``BlockTxn`` round trip of a receiver missing ``missing`` transactions
(spec ``reconstruct`` on a mempool without them, ``missing_request``, ``serve_block_txn``,
``fill_missing``) are encoded with ``encode_frame``. The result is cached by its inputs: every
simulated block of that shape costs the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from spec.chain.block import Block, BlockHeader, block_hash, transactions_root, votes_root
from spec.ledger.transaction import OutPoint, Transaction, TxInput, TxOutput, wtxid
from spec.p2p.compact import fill_missing, make_compact_block, missing_request, reconstruct, serve_block_txn
from spec.p2p.messages import BlockMessage, GetData, Headers, InvItem, InvKind, encode_frame
from spec.presets import Preset, get_preset


@dataclass(frozen=True)
class RelaySizes:
    """Bytes on the wire (framed) of the messages that relay one block."""

    transactions: int
    block: int
    compact: int
    headers: int
    getdata: int
    getblocktxn: int
    blocktxn: int
    reconstructed: bool
    """The compact block reconstructed to the identical block (P2P-CMPCT-5 checked it)."""


def _transaction(i: int) -> Transaction:
    """A typical one-input two-output payment (~200 bytes encoded), distinct per ``i``."""
    txid = hashlib.sha256(b"rusty-sim-tx" + i.to_bytes(8, "little")).digest()
    script_sig = bytes([0x40]) + bytes(64) + bytes([0x20]) + txid  # a signature push and a key push
    lock = bytes([0x76, 0xA9, 0x20]) + txid + bytes([0x88, 0xAC])
    return Transaction(
        version=1,
        inputs=(TxInput(OutPoint(txid, i % 4), script_sig, 0xFFFFFFFF),),
        outputs=(TxOutput(100_000 + i, lock), TxOutput(5_000 + i, lock)),
        lock_time=0,
    )


def _coinbase(height: int) -> Transaction:
    null = OutPoint(bytes(32), 0xFFFFFFFF)
    return Transaction(
        version=1,
        inputs=(TxInput(null, height.to_bytes(8, "little"), 0xFFFFFFFF),),
        outputs=(TxOutput(50_000_000_000, bytes([0x51])),),
        lock_time=0,
    )


@cache
def template_block(transactions: int, preset_name: str) -> Block:
    """A block of ``transactions`` transactions (coinbase included) whose header commits to them."""
    preset = get_preset(preset_name)
    txs = (_coinbase(1), *(_transaction(i) for i in range(1, transactions)))
    header = BlockHeader(
        version=1,
        height=1,
        previous_block_hash=bytes(32),
        merkle_root=transactions_root(txs, preset),
        votes_root=votes_root((), preset),
        state_root=bytes(32),
        timestamp=preset.chain.genesis_timestamp + 150,
        bits=preset.chain.pow_limit_bits,
        nonce=0,
    )
    return Block(header, (), txs)


@cache
def relay_sizes(transactions: int, missing: int, preset_name: str) -> RelaySizes:
    """The framed sizes of relaying a ``transactions``-transaction block, full and compact."""
    preset: Preset = get_preset(preset_name)
    block = template_block(transactions, preset_name)
    compact = make_compact_block(block, nonce=7, prefilled_indexes=(), preset=preset)
    # The receiver's mempool lacks the last ``missing`` transactions.
    held = block.transactions[1 : len(block.transactions) - missing]
    mempool = {wtxid(tx, preset): tx for tx in held}
    partial = reconstruct(compact, mempool, preset)
    request = missing_request(partial)
    answer = serve_block_txn(block, request, preset)
    rebuilt = partial.block if partial.block is not None else fill_missing(partial, answer, preset)
    block_id = block_hash(block.header, preset)
    return RelaySizes(
        transactions=transactions,
        block=len(encode_frame(BlockMessage(block), preset)),
        compact=len(encode_frame(compact, preset)),
        headers=len(encode_frame(Headers((block.header,)), preset)),
        getdata=len(encode_frame(GetData((InvItem(InvKind.BLOCK, block_id),)), preset)),
        getblocktxn=len(encode_frame(request, preset)) if missing else 0,
        blocktxn=len(encode_frame(answer, preset)) if missing else 0,
        reconstructed=rebuilt == block,
    )
