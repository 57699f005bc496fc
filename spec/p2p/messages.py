"""P2P framing and messages (protocol steps "P2P-1".."P2P-3").

* **P2P-1** a frame is ``magic(4) | command u8 | payload_length u32 | checksum(4) | payload``, the
  first 13 bytes being the *prefix*. ``magic`` is the preset's ``network.magic``; ``command`` is a
  :class:`Command` (one byte, not an ASCII name); ``checksum`` is the first 4 bytes of
  ``H(P2P_MESSAGE, payload)``. A frame is decoded in this order, the first failure naming the error:

  1. the prefix is complete (``DECODE_TRUNCATED``);
  2. the magic is this network's (``P2P_WRONG_MAGIC``);
  3. the command is known (``P2P_UNKNOWN_COMMAND``);
  4. ``payload_length <= max_message_bytes`` (``P2P_MESSAGE_TOO_LARGE``), checked on the prefix
     alone, before a single payload byte is read;
  5. exactly ``payload_length`` bytes follow (``DECODE_TRUNCATED`` / ``DECODE_TRAILING_BYTES``);
  6. the checksum matches (``P2P_BAD_CHECKSUM``);
  7. the payload is the canonical encoding of the command's message (ENC-1..4: ``DECODE_*``).

  Steps 1-4 are :func:`decode_prefix`, so a stream reader learns from the 13-byte prefix how many
  bytes to read next (:func:`frame_length_from_prefix`) and never buffers an oversized payload.
* **P2P-2** payloads are the canonical encodings (spec/encoding.py) of the message dataclasses
  below, with every list bounded by a preset limit; ``encode(decode(b)) == b`` for every accepted
  frame. Headers, blocks and transactions use the chain and ledger codecs.
* **P2P-3** an increasing index list (``GetBlockTxn.indexes``, ``CompactBlock.prefilled``) is sent
  differentially, as BIP152: ``i_0, i_1 - i_0 - 1, i_2 - i_1 - 1, ...`` as varints. Decoding
  rejects an index at or above its limit (the largest transaction count of a block) with
  ``P2P_INDEX_OVERFLOW``; the encoding is canonical because every list of varints decodes to a
  strictly increasing list and back.
* **P2P-4** inventory items name a transaction by its **wtxid** (which covers its signatures, so a
  re-signed copy is a different item) and a block by its block hash.
* **P2P-5** quorum traffic travels as its own messages with the masternode flow's encodings: the
  DKG messages (DKG-3..7: ``DkgContribution``, ``DkgComplaint``, ``DkgJustification``, contribution
  lists bounded by ``quorum.max_members``), signature shares (SIGN-2), finality certificates
  (FORK-3, FIN-4), members' signatures of a quorum commitment (FIN-5) and PoSe liveness challenges
  and responses (POSE-5/6, spec/masternode/challenge.py). They are flooded: a node forwards each one
  it accepted, once.
* **P2P-SC** sidechains (docs/sidechains.md, docs/node.md): ``SidechainBlockMessage`` carries a
  sidechain block in ``BLOCK_CODEC`` (SC-HDR-1/4, P2P-SC-1) and ``SidechainTxMessage`` a sidechain
  id and one transaction's bytes (P2P-SC-2, at most ``max_message_bytes``); both are flooded once.
  Federation checkpoint signature shares travel as ``SignatureShare`` (SIGN-2) with the message
  ``compute_checkpoint_message(header)`` (SC-HDR-3). ``GetSidechainBlocks(sidechain_id,
  from_height, count)`` (P2P-SC-3) asks a peer for the sidechain blocks at heights
  ``from_height .. from_height + count - 1`` of its chain, ``1 <= count <= max_blocks_per_request``
  (``DECODE_LENGTH_LIMIT`` otherwise); the peer answers with one ``SidechainBlockMessage`` per block
  it has, in height order, to the asker only (none: silence).
* **P2P-SNAP** state snapshots for fast sync (SNAP-5..8, spec/ledger/state_snapshot.py):
  ``GetSnapshotManifests(max_height)`` asks which snapshots a peer serves at heights up to
  ``max_height``; ``SnapshotManifests`` answers with at most :data:`MAX_SNAPSHOT_MANIFESTS`
  manifests, newest first (none: an empty list), each followed by a finality certificate of its
  block or of a descendant (:class:`CertifiedManifest`, ``manifest (124 bytes) || certificate
  (136 bytes)``; the receiver checks it with SNAP-9, spec/chain/snapshot_finality.py, once the
  snapshot's items are verified); ``GetSnapshotChunk(block_hash, chunk_root, index)``
  asks for one chunk of the snapshot with that manifest; ``SnapshotChunk`` answers with the chunk's
  bytes and its inclusion proof (at most ``MAX_CHUNK_PROOF`` hashes), or with an empty chunk and
  proof when the peer no longer has it. A node serves only snapshots of blocks of its best chain at
  or below its finalized block, for which it holds a certificate that passes SNAP-9.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any, TypeAlias

from spec.chain.block import Block, BlockHeader, TicketVote, block_codecs, max_block_transactions
from spec.chain.forkchoice import FINALITY_CERTIFICATE_CODEC, FinalityCertificate
from spec.encoding import (
    BYTES32,
    U8,
    U16,
    U32,
    U64,
    Codec,
    FixedBytes,
    ListOf,
    Mapped,
    Reader,
    Struct,
    VarBytes,
    Varint,
    decode,
    encode,
    read_length_prefix,
    varint_encode,
    varint_read,
)
from spec.errors import (
    BadChecksum,
    DifferentialIndexOverflow,
    EncodeError,
    InvalidEnumTag,
    LengthLimitExceeded,
    MessageTooLarge,
    TrailingBytes,
    TruncatedInput,
    UnknownCommand,
    WrongMagic,
)
from spec.hashing import HashDomain, tagged_hash
from spec.ledger.state_snapshot import MAX_CHUNK_PROOF, STATE_MANIFEST_CODEC, StateSnapshotManifest
from spec.ledger.transaction import Transaction, codecs
from spec.masternode.challenge import (
    POSE_CHALLENGE_CODEC,
    POSE_RESPONSE_CODEC,
    PoSeChallenge,
    PoSeResponse,
)
from spec.masternode.dkg import (
    COMPLAINT_CODEC,
    JUSTIFICATION_CODEC,
    Complaint,
    Contribution,
    Justification,
    contribution_codec,
)
from spec.masternode.finality import COMMITMENT_SIGNATURE_CODEC, CommitmentSignature
from spec.masternode.signing import SIGNATURE_SHARE_CODEC, SignatureShare
from spec.presets import Preset
from spec.sidechain.chain import BLOCK_CODEC as SIDECHAIN_BLOCK_CODEC
from spec.sidechain.chain import SidechainBlock

MAGIC_BYTES = 4
CHECKSUM_BYTES = 4
PREFIX_BYTES = MAGIC_BYTES + 1 + 4 + CHECKSUM_BYTES
"""P2P-1: magic, command, payload length and checksum: 13 bytes."""
SHORT_ID_BYTES = 6
"""P2P-CMPCT-1: the length of a compact block short id."""
MAX_HOST_BYTES = 255
"""The longest host a NodeAddress may carry (an IPv4 or IPv6 address, or a DNS name)."""
SERVICE_FULL_NODE = 1
"""Version.services bit: the node serves headers, blocks and compact blocks."""
SERVICE_PRUNED = 2
"""Version.services bit (P2P-PRUNE-1): the node serves headers and compact blocks, but the bodies
of only its recent best-chain blocks (at least ``network.pruned_serve_blocks`` below its tip); it is
sent without :data:`SERVICE_FULL_NODE`."""
MAX_SNAPSHOT_MANIFESTS = 4
"""P2P-SNAP: manifests in one SnapshotManifests answer, at most."""
NO_STOP_HASH = bytes(32)
"""GetHeaders.stop_hash meaning "no stop": send up to the message limit."""


class Command(IntEnum):
    """P2P-1: the command byte of a frame."""

    VERSION = 0x00
    VERACK = 0x01
    PING = 0x02
    PONG = 0x03
    GET_HEADERS = 0x10
    HEADERS = 0x11
    INV = 0x20
    GET_DATA = 0x21
    NOT_FOUND = 0x22
    BLOCK = 0x23
    TX = 0x24
    COMPACT_BLOCK = 0x30
    GET_BLOCK_TXN = 0x31
    BLOCK_TXN = 0x32
    FIND_NODE = 0x40
    NODES = 0x41
    DKG_CONTRIBUTION = 0x50
    DKG_COMPLAINT = 0x51
    DKG_JUSTIFICATION = 0x52
    SIGNATURE_SHARE = 0x53
    FINALITY_CERTIFICATE = 0x54
    COMMITMENT_SIGNATURE = 0x55
    POSE_CHALLENGE = 0x56
    POSE_RESPONSE = 0x57
    GET_SNAPSHOT_MANIFESTS = 0x60
    SNAPSHOT_MANIFESTS = 0x61
    GET_SNAPSHOT_CHUNK = 0x62
    SNAPSHOT_CHUNK = 0x63
    SIDECHAIN_BLOCK = 0x70
    SIDECHAIN_TX = 0x71
    GET_SIDECHAIN_BLOCKS = 0x72


class InvKind(IntEnum):
    """P2P-4: what an inventory item names."""

    TX = 1
    BLOCK = 2


# --------------------------------------------------------------------------------------------
# Messages (P2P-2)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """P2P-HS: the first message of each side. ``listen_port`` is the port the sender accepts
    connections on (0: none), so that the receiver can tell others how to reach it; ``nonce`` is
    random per connection and detects connections to oneself."""

    protocol_version: int
    services: int
    node_id: bytes
    listen_port: int
    best_height: int
    nonce: int
    user_agent: bytes


@dataclass(frozen=True)
class Verack:
    """P2P-HS: acknowledges the peer's Version (empty payload)."""


@dataclass(frozen=True)
class Ping:
    """Liveness probe; answered by a Pong with the same nonce."""

    nonce: int


@dataclass(frozen=True)
class Pong:
    """The answer to a Ping."""

    nonce: int


@dataclass(frozen=True)
class GetHeaders:
    """P2P-SYNC-1: headers after the first locator hash on the receiver's best chain, up to and
    including ``stop_hash`` (:data:`NO_STOP_HASH`: up to ``max_headers_per_message``)."""

    locator: tuple[bytes, ...]
    stop_hash: bytes


@dataclass(frozen=True)
class Headers:
    """P2P-SYNC-1: consecutive headers of the sender's best chain."""

    headers: tuple[BlockHeader, ...]


@dataclass(frozen=True)
class InvItem:
    """P2P-4: a transaction (by wtxid) or a block (by hash)."""

    kind: InvKind
    hash: bytes


@dataclass(frozen=True)
class Inv:
    """Announces items the sender has."""

    items: tuple[InvItem, ...]


@dataclass(frozen=True)
class GetData:
    """Requests announced items; answered by Tx / Block messages and one NotFound for the rest."""

    items: tuple[InvItem, ...]


@dataclass(frozen=True)
class NotFound:
    """The requested items the sender does not have."""

    items: tuple[InvItem, ...]


@dataclass(frozen=True)
class BlockMessage:
    """A full block."""

    block: Block


@dataclass(frozen=True)
class TxMessage:
    """A transaction for the mempool."""

    transaction: Transaction


@dataclass(frozen=True)
class PrefilledTransaction:
    """P2P-CMPCT-2: a transaction sent in full inside a compact block, at block position ``index``."""

    index: int
    transaction: Transaction


@dataclass(frozen=True)
class CompactBlock:
    """P2P-CMPCT: a block as its header, its votes, a nonce keying the short ids, the short ids of
    the transactions not sent in full (in block order) and the prefilled transactions."""

    header: BlockHeader
    votes: tuple[TicketVote, ...]
    nonce: int
    short_ids: tuple[bytes, ...]
    prefilled: tuple[PrefilledTransaction, ...]


@dataclass(frozen=True)
class GetBlockTxn:
    """P2P-CMPCT-4: requests the transactions at ``indexes`` (strictly increasing) of a block."""

    block_hash: bytes
    indexes: tuple[int, ...]


@dataclass(frozen=True)
class BlockTxn:
    """P2P-CMPCT-4: the requested transactions, in the order of the request."""

    block_hash: bytes
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True)
class FindNode:
    """P2P-KAD-4: asks for the sender's ``kademlia_k`` closest known nodes to ``target``."""

    target: bytes


@dataclass(frozen=True)
class NodeAddress:
    """A node id with the host and port it listens on (the host's bytes are the node's business:
    4 bytes IPv4, 16 bytes IPv6, otherwise an ASCII DNS name)."""

    node_id: bytes
    host: bytes
    port: int


@dataclass(frozen=True)
class Nodes:
    """P2P-KAD-4: the answer to FindNode, closest first."""

    nodes: tuple[NodeAddress, ...]


@dataclass(frozen=True)
class GetSnapshotManifests:
    """P2P-SNAP: which state snapshots the receiver serves at heights up to ``max_height``."""

    max_height: int


@dataclass(frozen=True)
class CertifiedManifest:
    """P2P-SNAP: a snapshot's manifest (SNAP-6) and the finality certificate (FORK-3) of its block or
    of a descendant that the receiver checks it with (SNAP-9)."""

    manifest: StateSnapshotManifest
    certificate: FinalityCertificate


@dataclass(frozen=True)
class SnapshotManifests:
    """P2P-SNAP: the manifests of the snapshots the sender serves, each with its finality
    certificate (newest first; may be empty)."""

    manifests: tuple[CertifiedManifest, ...]


@dataclass(frozen=True)
class GetSnapshotChunk:
    """P2P-SNAP: chunk ``index`` of the snapshot of ``block_hash`` whose manifest has ``chunk_root``."""

    block_hash: bytes
    chunk_root: bytes
    index: int


@dataclass(frozen=True)
class SnapshotChunkMessage:
    """P2P-SNAP: the answer to GetSnapshotChunk: the encoded chunk (SNAP-5) and its inclusion proof
    (SNAP-7); an empty ``chunk`` means the sender does not have it."""

    block_hash: bytes
    chunk_root: bytes
    index: int
    chunk: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class SidechainBlockMessage:
    """P2P-SC-1: a sidechain block (SC-HDR-1, its canonical encoding ``BLOCK_CODEC`` of
    spec/sidechain/chain.py), flooded once by every node that accepted it (SCB-1..5)."""

    block: SidechainBlock


@dataclass(frozen=True)
class SidechainTxMessage:
    """P2P-SC-2: a sidechain transaction for sidechain ``sidechain_id`` (bytes in the encoding of
    that sidechain's VM kind, at most ``max_message_bytes``), flooded once by every node that
    accepted it into its sidechain pool."""

    sidechain_id: int
    transaction: bytes


@dataclass(frozen=True)
class GetSidechainBlocks:
    """P2P-SC-3: ask for the sidechain blocks at ``from_height .. from_height + count - 1`` of
    sidechain ``sidechain_id`` (``1 <= count <= max_blocks_per_request``); the answer is one
    :class:`SidechainBlockMessage` per block the peer has, to the asker only."""

    sidechain_id: int
    from_height: int
    count: int


Message: TypeAlias = (
    Version
    | Verack
    | Ping
    | Pong
    | GetHeaders
    | Headers
    | Inv
    | GetData
    | NotFound
    | BlockMessage
    | TxMessage
    | CompactBlock
    | GetBlockTxn
    | BlockTxn
    | FindNode
    | Nodes
    | Contribution
    | Complaint
    | Justification
    | SignatureShare
    | FinalityCertificate
    | CommitmentSignature
    | PoSeChallenge
    | PoSeResponse
    | GetSnapshotManifests
    | SnapshotManifests
    | GetSnapshotChunk
    | SnapshotChunkMessage
    | SidechainBlockMessage
    | SidechainTxMessage
    | GetSidechainBlocks
)
"""Every P2P message."""

MESSAGE_TYPES: dict[Command, type[Any]] = {
    Command.VERSION: Version,
    Command.VERACK: Verack,
    Command.PING: Ping,
    Command.PONG: Pong,
    Command.GET_HEADERS: GetHeaders,
    Command.HEADERS: Headers,
    Command.INV: Inv,
    Command.GET_DATA: GetData,
    Command.NOT_FOUND: NotFound,
    Command.BLOCK: BlockMessage,
    Command.TX: TxMessage,
    Command.COMPACT_BLOCK: CompactBlock,
    Command.GET_BLOCK_TXN: GetBlockTxn,
    Command.BLOCK_TXN: BlockTxn,
    Command.FIND_NODE: FindNode,
    Command.NODES: Nodes,
    Command.DKG_CONTRIBUTION: Contribution,
    Command.DKG_COMPLAINT: Complaint,
    Command.DKG_JUSTIFICATION: Justification,
    Command.SIGNATURE_SHARE: SignatureShare,
    Command.FINALITY_CERTIFICATE: FinalityCertificate,
    Command.COMMITMENT_SIGNATURE: CommitmentSignature,
    Command.POSE_CHALLENGE: PoSeChallenge,
    Command.POSE_RESPONSE: PoSeResponse,
    Command.GET_SNAPSHOT_MANIFESTS: GetSnapshotManifests,
    Command.SNAPSHOT_MANIFESTS: SnapshotManifests,
    Command.GET_SNAPSHOT_CHUNK: GetSnapshotChunk,
    Command.SNAPSHOT_CHUNK: SnapshotChunkMessage,
    Command.SIDECHAIN_BLOCK: SidechainBlockMessage,
    Command.SIDECHAIN_TX: SidechainTxMessage,
    Command.GET_SIDECHAIN_BLOCKS: GetSidechainBlocks,
}
"""P2P-1: the message type of each command."""

_COMMAND_OF: dict[type[Any], Command] = {cls: command for command, cls in MESSAGE_TYPES.items()}


CERTIFIED_MANIFEST_CODEC: Struct[CertifiedManifest] = Struct(
    CertifiedManifest, [("manifest", STATE_MANIFEST_CODEC), ("certificate", FINALITY_CERTIFICATE_CODEC)]
)
"""P2P-SNAP: ``manifest (SNAP-6, 124 bytes) || certificate (FORK-3, 136 bytes)``."""


def command_of(message: Message) -> Command:
    """P2P-1: the command byte of ``message``."""
    return _COMMAND_OF[type(message)]


# --------------------------------------------------------------------------------------------
# Differential index lists (P2P-3)
# --------------------------------------------------------------------------------------------


def differential_encode(indexes: Sequence[int]) -> tuple[int, ...]:
    """P2P-3: ``i_0, i_1 - i_0 - 1, ...``; raise ``ENCODE_OUT_OF_RANGE`` unless strictly increasing from 0."""
    out: list[int] = []
    previous = -1
    for index in indexes:
        if index <= previous:
            raise EncodeError(f"index {index} does not follow {previous} (indexes must increase)")
        out.append(index - previous - 1)
        previous = index
    return tuple(out)


def differential_decode(differences: Sequence[int], limit: int) -> tuple[int, ...]:
    """P2P-3: the indexes of ``differences`` (non-negative); ``P2P_INDEX_OVERFLOW`` at or above ``limit``."""
    out: list[int] = []
    previous = -1
    for difference in differences:
        previous = _next_index(previous, difference, limit)
        out.append(previous)
    return tuple(out)


def _next_index(previous: int, difference: int, limit: int) -> int:
    index = previous + 1 + difference
    if index >= limit:
        raise DifferentialIndexOverflow(f"index {index} is not below {limit}")
    return index


def _check_limit(indexes: Sequence[int], limit: int, max_count: int) -> None:
    if len(indexes) > max_count:
        raise EncodeError(f"{len(indexes)} indexes exceed the maximum {max_count}")
    if indexes and indexes[-1] >= limit:
        raise EncodeError(f"index {indexes[-1]} is not below {limit}")


class DifferentialIndexes(Codec[tuple[int, ...]]):
    """P2P-3: a varint count (at most ``max_count``), then the differences as varints."""

    def __init__(self, max_count: int, limit: int) -> None:
        self.max_count = max_count
        self.limit = limit

    def write(self, value: tuple[int, ...], out: bytearray) -> None:
        differences = differential_encode(value)
        _check_limit(value, self.limit, self.max_count)
        out += varint_encode(len(value))
        for difference in differences:
            out += varint_encode(difference)

    def read(self, reader: Reader) -> tuple[int, ...]:
        count = read_length_prefix(reader, self.max_count)
        if count > reader.remaining:
            raise TruncatedInput(f"{count} indexes need at least {count} bytes")
        return differential_decode([varint_read(reader) for _ in range(count)], self.limit)


class PrefilledList(Codec[tuple[PrefilledTransaction, ...]]):
    """P2P-3: a varint count, then per item the differential index (varint) and the transaction."""

    def __init__(self, transaction: Codec[Transaction], max_count: int, limit: int) -> None:
        self.transaction = transaction
        self.max_count = max_count
        self.limit = limit

    def write(self, value: tuple[PrefilledTransaction, ...], out: bytearray) -> None:
        indexes = [item.index for item in value]
        differences = differential_encode(indexes)
        _check_limit(indexes, self.limit, self.max_count)
        out += varint_encode(len(value))
        for difference, item in zip(differences, value, strict=True):
            out += varint_encode(difference)
            self.transaction.write(item.transaction, out)

    def read(self, reader: Reader) -> tuple[PrefilledTransaction, ...]:
        count = read_length_prefix(reader, self.max_count)
        if count * (1 + self.transaction.min_size) > reader.remaining:
            raise TruncatedInput(f"{count} prefilled transactions need more bytes")
        items: list[PrefilledTransaction] = []
        previous = -1
        for _ in range(count):
            previous = _next_index(previous, varint_read(reader), self.limit)
            items.append(PrefilledTransaction(previous, self.transaction.read(reader)))
        return tuple(items)


# --------------------------------------------------------------------------------------------
# Codecs (P2P-2)
# --------------------------------------------------------------------------------------------


def _inv_kind(tag: int) -> InvKind:
    try:
        return InvKind(tag)
    except ValueError:
        raise InvalidEnumTag(f"inventory kind {tag}") from None


def _block_count(limit: int) -> Callable[[int], int]:
    """P2P-SC-3: ``count`` of a GetSidechainBlocks is ``1..limit`` (``DECODE_LENGTH_LIMIT``)."""

    def check(count: int) -> int:
        if not 1 <= count <= limit:
            raise LengthLimitExceeded(f"GetSidechainBlocks count {count} is not in 1..{limit}")
        return count

    return check


def _block_count_out(limit: int) -> Callable[[int], int]:
    """P2P-SC-3 on the encoding side (``ENCODE_OUT_OF_RANGE``)."""

    def check(count: int) -> int:
        if not 1 <= count <= limit:
            raise EncodeError(f"GetSidechainBlocks count {count} is not in 1..{limit}")
        return count

    return check


@cache
def message_codecs(preset: Preset) -> dict[Command, Codec[Any]]:
    """P2P-2: the payload codec of every command under ``preset``'s limits."""
    network = preset.network
    chain = block_codecs(preset)
    transaction = codecs(preset).transaction
    max_transactions = max_block_transactions(preset)
    node_id = FixedBytes(network.node_id_bits // 8)
    inv_item = Struct(InvItem, [("kind", Mapped(U8, int, _inv_kind)), ("hash", BYTES32)])
    inv_items = ListOf(inv_item, network.max_inv_items)
    node_address = Struct(
        NodeAddress, [("node_id", node_id), ("host", VarBytes(MAX_HOST_BYTES)), ("port", U16)]
    )
    return {
        Command.VERSION: Struct(
            Version,
            [
                ("protocol_version", U32),
                ("services", U64),
                ("node_id", node_id),
                ("listen_port", U16),
                ("best_height", U64),
                ("nonce", U64),
                ("user_agent", VarBytes(network.max_user_agent_bytes)),
            ],
        ),
        Command.VERACK: Struct(Verack, []),
        Command.PING: Struct(Ping, [("nonce", U64)]),
        Command.PONG: Struct(Pong, [("nonce", U64)]),
        Command.GET_HEADERS: Struct(
            GetHeaders,
            [("locator", ListOf(BYTES32, network.max_locator_hashes)), ("stop_hash", BYTES32)],
        ),
        Command.HEADERS: Struct(
            Headers, [("headers", ListOf(chain.header, network.max_headers_per_message))]
        ),
        Command.INV: Struct(Inv, [("items", inv_items)]),
        Command.GET_DATA: Struct(GetData, [("items", inv_items)]),
        Command.NOT_FOUND: Struct(NotFound, [("items", inv_items)]),
        Command.BLOCK: Struct(BlockMessage, [("block", chain.block)]),
        Command.TX: Struct(TxMessage, [("transaction", transaction)]),
        Command.COMPACT_BLOCK: Struct(
            CompactBlock,
            [
                ("header", chain.header),
                ("votes", ListOf(chain.vote, preset.tickets.voters_per_block)),
                ("nonce", U64),
                ("short_ids", ListOf(FixedBytes(SHORT_ID_BYTES), max_transactions)),
                ("prefilled", PrefilledList(transaction, max_transactions, max_transactions)),
            ],
        ),
        Command.GET_BLOCK_TXN: Struct(
            GetBlockTxn,
            [("block_hash", BYTES32), ("indexes", DifferentialIndexes(max_transactions, max_transactions))],
        ),
        Command.BLOCK_TXN: Struct(
            BlockTxn, [("block_hash", BYTES32), ("transactions", ListOf(transaction, max_transactions))]
        ),
        Command.FIND_NODE: Struct(FindNode, [("target", node_id)]),
        Command.NODES: Struct(Nodes, [("nodes", ListOf(node_address, network.max_addr_items))]),
        Command.DKG_CONTRIBUTION: contribution_codec(preset.quorum.max_members),
        Command.DKG_COMPLAINT: COMPLAINT_CODEC,
        Command.DKG_JUSTIFICATION: JUSTIFICATION_CODEC,
        Command.SIGNATURE_SHARE: SIGNATURE_SHARE_CODEC,
        Command.FINALITY_CERTIFICATE: FINALITY_CERTIFICATE_CODEC,
        Command.COMMITMENT_SIGNATURE: COMMITMENT_SIGNATURE_CODEC,
        Command.POSE_CHALLENGE: POSE_CHALLENGE_CODEC,
        Command.POSE_RESPONSE: POSE_RESPONSE_CODEC,
        Command.GET_SNAPSHOT_MANIFESTS: Struct(GetSnapshotManifests, [("max_height", U64)]),
        Command.SNAPSHOT_MANIFESTS: Struct(
            SnapshotManifests, [("manifests", ListOf(CERTIFIED_MANIFEST_CODEC, MAX_SNAPSHOT_MANIFESTS))]
        ),
        Command.GET_SNAPSHOT_CHUNK: Struct(
            GetSnapshotChunk, [("block_hash", BYTES32), ("chunk_root", BYTES32), ("index", U32)]
        ),
        Command.SNAPSHOT_CHUNK: Struct(
            SnapshotChunkMessage,
            [
                ("block_hash", BYTES32),
                ("chunk_root", BYTES32),
                ("index", U32),
                ("chunk", VarBytes(network.max_message_bytes)),
                ("proof", ListOf(BYTES32, MAX_CHUNK_PROOF)),
            ],
        ),
        Command.SIDECHAIN_BLOCK: Struct(SidechainBlockMessage, [("block", SIDECHAIN_BLOCK_CODEC)]),
        Command.SIDECHAIN_TX: Struct(
            SidechainTxMessage,
            [("sidechain_id", Varint()), ("transaction", VarBytes(network.max_message_bytes))],
        ),
        Command.GET_SIDECHAIN_BLOCKS: Struct(
            GetSidechainBlocks,
            [
                ("sidechain_id", Varint()),
                ("from_height", Varint()),
                (
                    "count",
                    Mapped(
                        Varint(),
                        _block_count_out(preset.sidechains.max_blocks_per_request),
                        _block_count(preset.sidechains.max_blocks_per_request),
                    ),
                ),
            ],
        ),
    }


def encode_payload(message: Message, preset: Preset) -> bytes:
    """P2P-2: the canonical payload of ``message``."""
    codec: Codec[Message] = message_codecs(preset)[command_of(message)]
    return encode(codec, message)


def decode_payload(command: Command, payload: bytes, preset: Preset) -> Message:
    """P2P-2: the message ``command`` whose canonical payload is ``payload`` (``DECODE_*`` otherwise)."""
    codec: Codec[Message] = message_codecs(preset)[command]
    return decode(codec, payload)


# --------------------------------------------------------------------------------------------
# Frames (P2P-1)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FramePrefix:
    """P2P-1: the decoded 13-byte prefix of a frame."""

    command: Command
    payload_length: int
    checksum: bytes


def checksum(payload: bytes) -> bytes:
    """P2P-1: the first 4 bytes of ``H(P2P_MESSAGE, payload)``."""
    return tagged_hash(HashDomain.P2P_MESSAGE, payload)[:CHECKSUM_BYTES]


def encode_frame(message: Message, preset: Preset) -> bytes:
    """P2P-1: the frame carrying ``message`` (``ENCODE_OUT_OF_RANGE`` if the payload is too large)."""
    payload = encode_payload(message, preset)
    if len(payload) > preset.network.max_message_bytes:
        raise EncodeError(f"payload of {len(payload)} bytes exceeds max_message_bytes")
    return (
        preset.network.magic
        + bytes([command_of(message)])
        + len(payload).to_bytes(4, "little")
        + checksum(payload)
        + payload
    )


def decode_prefix(prefix: bytes, preset: Preset) -> FramePrefix:
    """P2P-1 steps 1-4 on exactly the 13-byte prefix: completeness, magic, command, length bound."""
    if len(prefix) < PREFIX_BYTES:
        raise TruncatedInput(f"a frame prefix is {PREFIX_BYTES} bytes, got {len(prefix)}")
    if len(prefix) > PREFIX_BYTES:
        raise TrailingBytes(f"a frame prefix is {PREFIX_BYTES} bytes, got {len(prefix)}")
    if prefix[:MAGIC_BYTES] != preset.network.magic:
        raise WrongMagic(f"magic {prefix[:MAGIC_BYTES].hex()}")
    try:
        command = Command(prefix[MAGIC_BYTES])
    except ValueError:
        raise UnknownCommand(f"command byte 0x{prefix[MAGIC_BYTES]:02x}") from None
    length = int.from_bytes(prefix[MAGIC_BYTES + 1 : MAGIC_BYTES + 5], "little")
    if length > preset.network.max_message_bytes:
        raise MessageTooLarge(f"payload length {length} exceeds {preset.network.max_message_bytes}")
    return FramePrefix(command, length, prefix[MAGIC_BYTES + 5 :])


def skipped_payload_length(prefix: bytes, preset: Preset) -> int:
    """P2P-1/P2P-SCORE-2: how many payload bytes a reader skips after a prefix whose only fault is an
    unknown command (``P2P_UNKNOWN_COMMAND``: a command of a newer protocol version, or garbage),
    so that the stream stays at a frame boundary. The length bound still holds: above
    ``max_message_bytes`` it raises ``P2P_MESSAGE_TOO_LARGE`` (stream-fatal), and a wrong magic
    raises ``P2P_WRONG_MAGIC``, as :func:`decode_prefix` would."""
    if len(prefix) < PREFIX_BYTES:
        raise TruncatedInput(f"a frame prefix is {PREFIX_BYTES} bytes, got {len(prefix)}")
    if len(prefix) > PREFIX_BYTES:
        raise TrailingBytes(f"a frame prefix is {PREFIX_BYTES} bytes, got {len(prefix)}")
    if prefix[:MAGIC_BYTES] != preset.network.magic:
        raise WrongMagic(f"magic {prefix[:MAGIC_BYTES].hex()}")
    length = int.from_bytes(prefix[MAGIC_BYTES + 1 : MAGIC_BYTES + 5], "little")
    if length > preset.network.max_message_bytes:
        raise MessageTooLarge(f"payload length {length} exceeds {preset.network.max_message_bytes}")
    return length


def frame_length_from_prefix(prefix: bytes, preset: Preset) -> int:
    """P2P-1: how many payload bytes follow the 13-byte ``prefix`` (raises as :func:`decode_prefix`)."""
    return decode_prefix(prefix, preset).payload_length


def decode_frame(data: bytes, preset: Preset) -> Message:
    """P2P-1: the message of exactly one frame; every failure is a ``DecodeError`` with a stable code."""
    prefix = decode_prefix(data[:PREFIX_BYTES], preset)
    payload = data[PREFIX_BYTES:]
    if len(payload) < prefix.payload_length:
        raise TruncatedInput(f"payload of {len(payload)} bytes, the prefix says {prefix.payload_length}")
    if len(payload) > prefix.payload_length:
        raise TrailingBytes(f"{len(payload) - prefix.payload_length} bytes after the frame")
    if checksum(payload) != prefix.checksum:
        raise BadChecksum(f"checksum {prefix.checksum.hex()}, payload hashes to {checksum(payload).hex()}")
    return decode_payload(prefix.command, payload, preset)
