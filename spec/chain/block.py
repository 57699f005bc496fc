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
from spec.hashing import HashDomain, domain_hasher, tagged_hash
from spec.ledger.transaction import (
    _MEMO_PRESET,
    COINBASE_INDEX,
    NULL_TXID,
    TRANSACTION_VERSION,
    OutPoint,
    Transaction,
    codecs,
    is_coinbase,
    strip_encoded_scripts,
    txid,
    wtxid,
)
from spec.ledger.validation import check_transaction
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
    (:func:`compute_checked_ids`; issue 14). It never raises a protocol
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


def compute_checked_ids(
    transactions: tuple[Transaction, ...], preset: Preset
) -> tuple[list[bytes], list[bytes]] | None:
    """TX-1..6 of every transaction, BLK-3's coinbase position (the first transaction, and only
    it, is a coinbase) and every txid and wtxid (TXF-2, TXF-3), in one pass over a block's
    transactions: ``(txids, wtxids)`` in block order when every transaction passes, ``None`` when
    any check fails (the caller then runs the readable steps, which raise the error code).

    Readable form: ``check_transaction`` for each, ``is_coinbase`` of each, ``txid`` and ``wtxid``
    of each. For a transaction with one input whose TXF-1 bytes are known (decoded, or encoded
    once: its codec memo), TX-1..6 are read off its fields and bytes (one input is never a
    duplicate, and is the null outpoint exactly when the transaction is a coinbase, so TX-5 and
    TX-6 hold), the script-free encoding is the encoding with the script_sig cut out and its
    length byte written ``0x00``, and both ids are hashed on one keyed hasher per domain, reset
    between transactions; the memos ``check_transaction``, ``txid``, ``wtxid``, the script-free
    encoding and ``is_coinbase`` read are written in line (issue 14: per transaction, four calls of
    ``is_coinbase``' kind, two hasher copies and four memo writes). Every other transaction takes
    the readable functions. ``tests/test_fast_paths.py`` checks the answer, the ids and the memos
    equal the readable steps'.
    """
    codec = codecs(preset).transaction
    ledger = preset.ledger
    max_items, max_bytes, max_money = (
        ledger.max_inputs_plus_outputs,
        ledger.max_transaction_bytes,
        ledger.max_money,
    )
    id_hasher = domain_hasher(HashDomain.TRANSACTION_ID).copy()
    witness_hasher = domain_hasher(HashDomain.WITNESS_TRANSACTION_ID).copy()
    id_update, id_digest, id_reset = id_hasher.update, id_hasher.digest, id_hasher.reset
    witness_update, witness_digest, witness_reset = (
        witness_hasher.update,
        witness_hasher.digest,
        witness_hasher.reset,
    )
    txids: list[bytes] = []
    wtxids: list[bytes] = []
    first = True  # BLK-3: a coinbase here, and nowhere after
    for tx in transactions:
        kept = tx.__dict__
        memo = kept.get("_rusty_encoding")
        inputs = tx.inputs
        if memo is None or memo[0] is not codec or len(inputs) != 1 or _MEMO_PRESET in kept:
            try:  # the readable functions (their memos answer a transaction already checked)
                check_transaction(tx, preset)
                if is_coinbase(tx) is not first:
                    return None
                txids.append(txid(tx, preset))
                wtxids.append(wtxid(tx, preset))
            except SpecError:
                return None
            first = False
            continue
        encoded: bytes = memo[1]
        outputs = tx.outputs
        if (
            tx.version != TRANSACTION_VERSION
            or not outputs
            or 1 + len(outputs) > max_items
            or len(encoded) > max_bytes
        ):
            return None
        total = 0
        for output in outputs:
            value = output.value
            if value > max_money:
                return None
            total += value
            if total > max_money:
                return None
        tx_input = inputs[0]
        spent = tx_input.previous_output
        coinbase = spent.__class__ is OutPoint and spent.index == COINBASE_INDEX and spent.txid == NULL_TXID
        if coinbase is not first:
            return None
        first = False
        length = len(tx_input.script_sig)
        if length == 0:  # already the empty script
            stripped = encoded
        elif length < 0x80:  # version (4), input count (1), outpoint (36), then the script's length byte
            stripped = b"".join((encoded[:41], b"\x00", encoded[42 + length :]))
        else:
            stripped = strip_encoded_scripts(tx, encoded)
        id_update(stripped)
        tx_id: bytes = id_digest()
        id_reset()
        witness_update(encoded)
        witness_id: bytes = witness_digest()
        witness_reset()
        # the memos of check_transaction, txid, _stripped_encoding and wtxid, as _remember keeps
        # them (one store each: a dict.update of the five cost several times as much, issue 14)
        kept[_MEMO_PRESET] = preset
        kept["_checked"] = True
        kept["_txid"] = tx_id
        kept["_stripped_encoding"] = stripped
        kept["_wtxid"] = witness_id
        kept["_coinbase"] = coinbase  # is_coinbase's answer (no preset)
        txids.append(tx_id)
        wtxids.append(witness_id)
    return txids, wtxids


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
