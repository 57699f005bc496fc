"""Block and header formats, block hash, and the stateless block checks (protocol steps "HDR-*", "BLK-*").

* **HDR-0** a header is ``version u32 | height u64 | previous_block_hash bytes32 | merkle_root
  bytes32 | votes_root bytes32 | state_root bytes32 | timestamp u64 | bits u32 | nonce u64``
  (188 bytes). ``block_hash = H(BLOCK_HEADER, encode(header))``; it is also the proof-of-work hash
  (spec/chain/pow.py). Unlike upstream's 98-byte header, ours commits to the ticket votes
  (``votes_root``) so the block hash covers everything the block carries.
* **BLK-0** a block is ``header | votes list | transactions list``.
* **BLK-1** the encoded block is at most ``max_block_bytes``.
* **BLK-2** ``merkle_root`` is the binary Merkle root (spec/merkle.py) of the transactions' wtxids
  in block order, and no two transactions share a txid; ``votes_root`` is the Merkle root of the
  encoded votes.
* **BLK-3** the first transaction, and only it, is a coinbase, and its lock_time is the height.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from spec.encoding import BYTES32, U8, U32, U64, FixedBytes, ListOf, MemoStruct, Struct, decode, encode
from spec.errors import (
    BadCoinbaseHeight,
    BadMerkleRoot,
    BlockTooLarge,
    DuplicateTransaction,
    MissingCoinbase,
    SpecError,
    UnsupportedBlockVersion,
)
from spec.hashing import HashDomain, tagged_hash
from spec.ledger.transaction import Transaction, codecs, is_coinbase, txid, wtxid
from spec.ledger.validation import check_transaction, compute_checked_ids
from spec.merkle import merkle_root
from spec.presets import Preset

BLOCK_VERSION = 1
VOTE_SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class BlockHeader:
    """HDR-0."""

    version: int
    height: int
    previous_block_hash: bytes
    merkle_root: bytes
    votes_root: bytes
    state_root: bytes
    timestamp: int
    bits: int
    nonce: int


@dataclass(frozen=True)
class TicketVote:
    """POS-3: a selected ticket's vote on the block's parent (``vote`` 0 = approve, 1 = reject)."""

    ticket_txid: bytes
    ticket_index: int
    parent_hash: bytes
    vote: int
    signature: bytes


@dataclass(frozen=True)
class Block:
    """BLK-0."""

    header: BlockHeader
    votes: tuple[TicketVote, ...]
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True)
class BlockCodecs:
    """The codecs of HDR-0 and BLK-0 under one preset."""

    header: Struct[BlockHeader]
    vote: Struct[TicketVote]
    block: Struct[Block]


def max_block_transactions(preset: Preset) -> int:
    """BLK-0: the bound on a block's transaction list (no transaction encodes to fewer than 8 bytes)."""
    return preset.chain.max_block_bytes // 8


@cache
def block_codecs(preset: Preset) -> BlockCodecs:
    """HDR-0/BLK-0 codecs; list lengths are bounded by what fits in ``max_block_bytes``."""
    header = Struct(
        BlockHeader,
        [
            ("version", U32),
            ("height", U64),
            ("previous_block_hash", BYTES32),
            ("merkle_root", BYTES32),
            ("votes_root", BYTES32),
            ("state_root", BYTES32),
            ("timestamp", U64),
            ("bits", U32),
            ("nonce", U64),
        ],
    )
    vote = Struct(
        TicketVote,
        [
            ("ticket_txid", BYTES32),
            ("ticket_index", U32),
            ("parent_hash", BYTES32),
            ("vote", U8),
            ("signature", FixedBytes(VOTE_SIGNATURE_BYTES)),
        ],
    )
    max_items = max_block_transactions(preset)
    block = MemoStruct(
        Block,
        [
            ("header", header),
            ("votes", ListOf(vote, preset.tickets.voters_per_block)),
            ("transactions", ListOf(codecs(preset).transaction, max_items)),
        ],
    )
    return BlockCodecs(header, vote, block)


def encode_header(header: BlockHeader, preset: Preset) -> bytes:
    """HDR-0: the canonical header bytes."""
    return encode(block_codecs(preset).header, header)


def decode_header(data: bytes, preset: Preset) -> BlockHeader:
    """HDR-0: decode a header (``DECODE_*`` for non-canonical input)."""
    return decode(block_codecs(preset).header, data)


def encode_block(block: Block, preset: Preset) -> bytes:
    """BLK-0: the canonical block bytes."""
    return encode(block_codecs(preset).block, block)


def decode_block(data: bytes, preset: Preset) -> Block:
    """BLK-0: decode a block (``DECODE_*`` for non-canonical input)."""
    return decode(block_codecs(preset).block, data)


def block_hash(header: BlockHeader, preset: Preset) -> bytes:
    """HDR-0: the block hash, which is also its proof-of-work hash."""
    return tagged_hash(HashDomain.BLOCK_HEADER, encode_header(header, preset))


def encode_vote(vote: TicketVote, preset: Preset) -> bytes:
    """BLK-0: the canonical bytes of a vote."""
    return encode(block_codecs(preset).vote, vote)


def transactions_root(transactions: tuple[Transaction, ...], preset: Preset) -> bytes:
    """BLK-2: the Merkle root of the wtxids."""
    return merkle_root([wtxid(tx, preset) for tx in transactions])


def votes_root(votes: tuple[TicketVote, ...], preset: Preset) -> bytes:
    """BLK-2: the Merkle root of the encoded votes."""
    return merkle_root([encode_vote(v, preset) for v in votes])


def check_header_version(header: BlockHeader) -> None:
    """HDR-1: raise ``HDR_UNSUPPORTED_VERSION`` unless the header version is 1."""
    if header.version != BLOCK_VERSION:
        raise UnsupportedBlockVersion(f"version {header.version}")


def check_block_shape(block: Block, preset: Preset) -> None:
    """HDR-1, BLK-1..3 and TX-1..6 for every transaction: the checks that need no chain state.

    A block that passes them all is answered by :func:`is_well_shaped` (one pass over the
    transactions); any other runs :func:`check_block_shape_readable`, whose first failing rule
    raises (vectors pin the order)."""
    if not is_well_shaped(block, preset):
        check_block_shape_readable(block, preset)


def is_well_shaped(block: Block, preset: Preset) -> bool:
    """Whether :func:`check_block_shape_readable` passes on ``block``, with TX-1..6, BLK-3's
    coinbase position and the ids in one pass
    (:func:`~spec.ledger.validation.compute_checked_ids`; issue 14). It never raises a protocol
    error: a failure gives ``False`` and the readable steps name it. ``tests/test_fast_paths.py``
    checks both agree on valid blocks and on blocks breaking each rule."""
    header = block.header
    transactions = block.transactions
    if header.version != BLOCK_VERSION or not transactions or transactions[0].lock_time != header.height:
        return False
    try:
        if len(encode_block(block, preset)) > preset.chain.max_block_bytes:
            return False
        ids = compute_checked_ids(transactions, preset)
        if ids is None:
            return False
        txids, wtxids = ids
        return (
            len(set(txids)) == len(txids)
            and header.merkle_root == merkle_root(wtxids)
            and header.votes_root == votes_root(block.votes, preset)
        )
    except SpecError:
        return False


def check_block_shape_readable(block: Block, preset: Preset) -> None:
    """:func:`check_block_shape` as written, one rule after another."""
    header = block.header
    check_header_version(header)
    size = len(encode_block(block, preset))
    if size > preset.chain.max_block_bytes:
        raise BlockTooLarge(f"{size} bytes")
    if not block.transactions or not is_coinbase(block.transactions[0]):
        raise MissingCoinbase("the first transaction must be a coinbase")
    if any(is_coinbase(tx) for tx in block.transactions[1:]):
        raise MissingCoinbase("only the first transaction may be a coinbase")
    if block.transactions[0].lock_time != header.height:
        raise BadCoinbaseHeight(
            f"coinbase lock_time {block.transactions[0].lock_time}, height {header.height}"
        )
    for tx in block.transactions:
        check_transaction(tx, preset)
    ids = [txid(tx, preset) for tx in block.transactions]
    if len(set(ids)) != len(ids):
        raise DuplicateTransaction("two transactions share a txid")
    if header.merkle_root != transactions_root(block.transactions, preset):
        raise BadMerkleRoot("merkle_root does not commit to these transactions")
    if header.votes_root != votes_root(block.votes, preset):
        raise BadMerkleRoot("votes_root does not commit to these votes")
