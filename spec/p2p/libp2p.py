"""The P2P protocol as libp2p protocols (protocol steps "P2P-LP-1".."P2P-LP-8", docs/p2p.md).

The messages stay those of :mod:`spec.p2p.messages` (their payload encodings, P2P-2); libp2p
replaces the framing (P2P-1), the handshake and the flood relay:

* **P2P-LP-1** the transport stack is TCP, Noise (``/noise``, XX handshake) and a multiplexer
  (``/yamux/1.0.0``, else ``/mplex/6.7.0``), with identify (``/ipfs/id/1.0.0``), ping
  (``/ipfs/ping/1.0.0``) and gossipsub (``/meshsub/1.1.0``). Our own protocol ids are
  ``/rusty/<network>/<name>/<version>`` with ``<network>`` the preset's name
  (:func:`protocol_id`), so two networks never negotiate each other's protocols.
* **P2P-LP-2** gossipsub topics: ``/rusty/<network>/<kind>/1`` for each :class:`TopicKind`
  (:func:`topic_name`). A message's data is the canonical payload of its kind
  (:func:`decode_gossip_data`): a CompactBlock payload, a TxMessage payload, or for the quorum
  topic the command byte of a P2P-5 quorum message (or PoSe challenge / response) followed by its
  payload, for the sidechain topic the command byte of a P2P-SC message (SidechainBlock,
  SidechainTx) followed by its payload. ``vote`` is a reserved name (its payload comes with its
  flow): data on it is ``P2P_UNKNOWN_TOPIC``. The message id is the first :data:`MESSAGE_ID_BYTES` bytes of
  ``H(GOSSIP_MESSAGE_ID, len(topic) u16 ‖ topic ‖ data)`` (:func:`compute_message_id`): it depends on
  the content only (not on the publishing peer or its sequence number), so a message relayed by two
  peers is one message. Messages are published with gossipsub's default signing policy (each signed
  by its origin's peer key); the id does not depend on the signature, ``from`` or ``seqno``.
* **P2P-LP-3** a peer id is the libp2p identity multihash of the node's Ed25519 public key in the
  libp2p ``PublicKey`` protobuf: ``0x00 0x24 ‖ 0x08 0x01 0x12 0x20 ‖ key`` (38 bytes; the text form
  is its base58btc, ``12D3KooW…``). Scores and bans are keyed by the peer id, hence by the key.
  :func:`decode_peer_id` accepts exactly that form (``P2P_INVALID_PEER_ID``) with a valid key
  (``ED25519_INVALID_PUBLIC_KEY``).
* **P2P-LP-4** request-response protocols (:class:`RequestKind`): one stream per request, the
  request then the response, each as ``uvarint length ‖ payload`` with the P2P-2 payload of
  GetHeaders → Headers (``headers``), GetData → Block… (``blocks``: one frame per served block up
  to the end of the stream, :data:`MULTI_RESPONSE_KINDS`; an item left out is not found),
  GetBlockTxn → BlockTxn (``block_txn``), GetSnapshotManifests → SnapshotManifests
  (``snapshot_manifests``), GetSnapshotChunk → SnapshotChunk (``snapshot_chunk``) and Version →
  Version (``status``: the handshake's Version, exchanged once per new connection so each side
  knows the other's services and height, as Ethereum's Status), and a length at most
  ``network.max_message_bytes`` (:func:`decode_request`, :func:`decode_response`: the length is
  a minimal unsigned LEB128 varint, which is libp2p's unsigned-varint).
* **P2P-LP-5** gossip validation (:func:`compute_gossip_validation`) maps the outcome of the
  existing rules on a message to gossipsub's ``accept`` / ``ignore`` / ``reject`` and, for a reject,
  to the :class:`spec.p2p.peers.Violation` the peer is scored with. ``accept``: no error; the message
  is delivered and forwarded. ``ignore``: an error an honest peer can cause (the receiver is behind,
  its clock or mempool differ, a quorum message is early, late or for another session); not
  forwarded, no penalty. ``reject``: anything else; not forwarded, the sender is penalised. A decode
  error is ``malformed_message`` (``too_many_items`` for ``DECODE_LENGTH_LIMIT``); otherwise the
  topic's violation. Only accepted messages are forwarded.
* **P2P-LP-6** a masternode operator publishes an :class:`OperatorPeerRecord`: its BLS operator key,
  its peer id, 1 to 4 addresses it listens on (canonical ``/ip4/A.B.C.D/tcp/PORT``,
  ``/ip6/ADDRESS/tcp/PORT`` (RFC 5952) or ``/dns/NAME/tcp/PORT`` text, strictly ascending:
  ``P2P_INVALID_RECORD_ADDRESS``), a sequence number (a higher one replaces a lower one) and a
  BLS signature of ``H(OPERATOR_PEER_RECORD, magic ‖ operator_key ‖ peer_id ‖ list<bytes>
  addresses ‖ sequence u64)``, so quorum members find each other.
  :func:`check_operator_peer_record` checks it against the receiver's masternode list: the operator
  key must be an ACTIVE masternode's (``P2P_OPERATOR_NOT_REGISTERED``), then the signature
  (``BLS_INVALID_PUBLIC_KEY``, ``BLS_INVALID_SIGNATURE``, ``P2P_OPERATOR_RECORD_SIGNATURE``).
* **P2P-LP-8** records live in the Kademlia DHT in libp2p's record format (PutValue / GetValue) under
  ``/rusty-operator/<network>-<hex operator key>`` (:func:`operator_record_key`); the namespace's
  validator is :func:`check_operator_record_entry` (the key must be the record's own,
  ``P2P_OPERATOR_RECORD_KEY``, then P2P-LP-6) and its selector :func:`select_operator_peer_record`
  (highest sequence, the first of equal ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise

from spec.crypto import bls
from spec.crypto.ed25519 import decode_public_key as decode_ed25519_public_key
from spec.encoding import U64, FixedBytes, ListOf, Struct, VarBytes, decode, encode
from spec.errors import (
    BadOperatorRecordSignature,
    InvalidPeerId,
    InvalidRecordAddress,
    LengthLimitExceeded,
    OperatorNotRegistered,
    OperatorRecordKeyMismatch,
    TruncatedInput,
    UnknownCommand,
    UnknownTopic,
)
from spec.hashing import HashDomain, tagged_hash
from spec.masternode.registry import MasternodeList, MasternodeStatus
from spec.p2p.messages import (
    Command,
    CompactBlock,
    Message,
    TxMessage,
    command_of,
    decode_payload,
    encode_payload,
)
from spec.p2p.peers import Violation
from spec.presets import Preset

PROTOCOL_PREFIX = "/rusty"
"""P2P-LP-1: the first component of every Rusty Coin protocol id and topic."""
TRANSPORT_PROTOCOLS: tuple[str, ...] = (
    "/noise",
    "/yamux/1.0.0",
    "/mplex/6.7.0",
    "/ipfs/id/1.0.0",
    "/ipfs/ping/1.0.0",
    "/meshsub/1.1.0",
)
"""P2P-LP-1: the libp2p protocols a node speaks besides its own (security, muxers, identify, ping,
gossipsub)."""
MESSAGE_ID_BYTES = 20
"""P2P-LP-2: the length of a gossip message id (as Ethereum's consensus layer)."""
ED25519_KEY_TYPE = 1
"""P2P-LP-3: ``KeyType.Ed25519`` in libp2p's ``PublicKey`` protobuf."""
PUBLIC_KEY_PROTOBUF_PREFIX = bytes((0x08, ED25519_KEY_TYPE, 0x12, 0x20))
"""P2P-LP-3: protobuf field 1 (``Type``, varint) = Ed25519, field 2 (``Data``, bytes) of length 32."""
IDENTITY_MULTIHASH_PREFIX = bytes((0x00, len(PUBLIC_KEY_PROTOBUF_PREFIX) + 32))
"""P2P-LP-3: multihash code 0x00 (identity) and the digest length (36)."""
PEER_ID_BYTES = len(IDENTITY_MULTIHASH_PREFIX) + len(PUBLIC_KEY_PROTOBUF_PREFIX) + 32
"""P2P-LP-3: every peer id of an Ed25519 key is 38 bytes."""
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
"""P2P-LP-3: the base58btc alphabet of a peer id's text form."""
MAX_PEER_ID_TEXT = 64
"""P2P-LP-3: no peer id text is longer (38 bytes are 52 base58 digits)."""


class TopicKind(Enum):
    """P2P-LP-2: the gossip topics; the value is the topic's name component."""

    COMPACT_BLOCK = "compact_block"
    TRANSACTION = "transaction"
    QUORUM = "quorum"
    VOTE = "vote"
    SIDECHAIN = "sidechain"


RESERVED_TOPICS: frozenset[TopicKind] = frozenset({TopicKind.VOTE})
"""P2P-LP-2: topics with a name but no payload yet (a node does not subscribe to them)."""

QUORUM_COMMANDS: frozenset[Command] = frozenset(
    {
        Command.DKG_CONTRIBUTION,
        Command.DKG_COMPLAINT,
        Command.DKG_JUSTIFICATION,
        Command.SIGNATURE_SHARE,
        Command.FINALITY_CERTIFICATE,
        Command.COMMITMENT_SIGNATURE,
        Command.POSE_CHALLENGE,
        Command.POSE_RESPONSE,
    }
)
"""P2P-LP-2: the P2P-5 messages carried on the quorum topic (with the PoSe liveness challenges and
responses, which the node hands to the quorum side too)."""

SIDECHAIN_COMMANDS: frozenset[Command] = frozenset({Command.SIDECHAIN_BLOCK, Command.SIDECHAIN_TX})
"""P2P-LP-2: the P2P-SC messages carried on the sidechain topic."""

UNSCORED_TOPICS: frozenset[TopicKind] = frozenset({TopicKind.SIDECHAIN})
"""P2P-LP-5: topics whose well-formed messages are never a peer's fault (P2P-SC relay scores no
peer: a sidechain block or transaction may be invalid only on the receiver's sidechain tip): any
error other than a decode error is ``ignore``."""

_COMMAND_TOPIC: dict[Command, TopicKind] = {
    **{command: TopicKind.QUORUM for command in QUORUM_COMMANDS},
    **{command: TopicKind.SIDECHAIN for command in SIDECHAIN_COMMANDS},
}


class RequestKind(Enum):
    """P2P-LP-4: the request-response protocols; the value is the protocol's name component."""

    HEADERS = "headers"
    BLOCKS = "blocks"
    BLOCK_TXN = "block_txn"
    SNAPSHOT_CHUNK = "snapshot_chunk"
    STATUS = "status"
    SNAPSHOT_MANIFESTS = "snapshot_manifests"


REQUEST_COMMANDS: dict[RequestKind, tuple[Command, Command]] = {
    RequestKind.HEADERS: (Command.GET_HEADERS, Command.HEADERS),
    RequestKind.BLOCKS: (Command.GET_DATA, Command.BLOCK),
    RequestKind.BLOCK_TXN: (Command.GET_BLOCK_TXN, Command.BLOCK_TXN),
    RequestKind.SNAPSHOT_CHUNK: (Command.GET_SNAPSHOT_CHUNK, Command.SNAPSHOT_CHUNK),
    RequestKind.STATUS: (Command.VERSION, Command.VERSION),
    RequestKind.SNAPSHOT_MANIFESTS: (Command.GET_SNAPSHOT_MANIFESTS, Command.SNAPSHOT_MANIFESTS),
}
"""P2P-LP-4: the request and response message of each request-response protocol."""

MULTI_RESPONSE_KINDS: frozenset[RequestKind] = frozenset({RequestKind.BLOCKS})
"""P2P-LP-4: protocols answered by zero or more response frames up to the end of the stream (the
``blocks`` protocol: one Block frame per requested block the responder serves, in request order;
an item it does not serve is left out, which the requester reads as NotFound). Every other
protocol is answered by exactly one frame."""


class GossipDecision(Enum):
    """P2P-LP-5: gossipsub's validation results."""

    ACCEPT = "accept"
    IGNORE = "ignore"
    REJECT = "reject"


@dataclass(frozen=True)
class GossipValidation:
    """P2P-LP-5: the decision on one gossip message and, for a reject, the violation to score."""

    decision: GossipDecision
    violation: Violation | None


IGNORE_CODES: dict[TopicKind, frozenset[str]] = {
    TopicKind.COMPACT_BLOCK: frozenset(
        {
            "HDR_WRONG_PARENT",
            "HDR_TIME_TOO_FAR_AHEAD",
        }
    ),
    TopicKind.TRANSACTION: frozenset(
        {
            "TX_MISSING_INPUT",
            "TX_IMMATURE_COINBASE_SPEND",
            "TX_NOT_FINAL",
            "TX_RELATIVE_LOCK_NOT_MET",
            "MEMPOOL_REJECTED",
            "MEMPOOL_DUPLICATE",
            "MEMPOOL_FEE_TOO_LOW",
            "MEMPOOL_DUST",
            "MEMPOOL_REPLACEMENT_REJECTED",
            "MEMPOOL_FULL",
        }
    ),
    TopicKind.QUORUM: frozenset(
        {
            "DKG_WRONG_PHASE",
            "DKG_WRONG_SESSION",
            "DKG_UNKNOWN_MEMBER",
            "DKG_UNSOLICITED_JUSTIFICATION",
            "SIGN_INVALID_SESSION",
            "SIGN_WRONG_SESSION",
            "SIGN_UNKNOWN_SIGNER",
            "SIGN_DUPLICATE_SHARE",
            "MN_UNKNOWN_QUORUM",
            "MN_WRONG_QUORUM_SESSION",
            "MN_COMMITMENT_OUT_OF_WINDOW",
        }
    ),
}
"""P2P-LP-5: per topic, the error codes an honest peer can cause (the receiver is behind or ahead,
its clock or mempool differ, a quorum message races its session: P2P-SCORE-4)."""

TOPIC_VIOLATION: dict[TopicKind, Violation] = {
    TopicKind.COMPACT_BLOCK: Violation.INVALID_COMPACT_BLOCK,
    TopicKind.TRANSACTION: Violation.INVALID_TRANSACTION,
    TopicKind.QUORUM: Violation.INVALID_QUORUM_MESSAGE,
}
"""P2P-LP-5: the violation of a rejected, well-formed message of each topic."""

DECODE_CODE_PREFIXES = ("DECODE_", "P2P_INDEX_OVERFLOW", "P2P_UNKNOWN_COMMAND", "P2P_UNKNOWN_TOPIC")
"""P2P-LP-5: codes of data that is not the canonical payload of its topic."""


def protocol_id(preset: Preset, name: str, version: int) -> str:
    """P2P-LP-1: ``/rusty/<network>/<name>/<version>``."""
    return f"{PROTOCOL_PREFIX}/{preset.name}/{name}/{version}"


def topic_name(preset: Preset, kind: TopicKind) -> str:
    """P2P-LP-2: the gossipsub topic of ``kind`` on this network."""
    return protocol_id(preset, kind.value, 1)


def request_protocol_id(preset: Preset, kind: RequestKind) -> str:
    """P2P-LP-4: the request-response protocol id of ``kind`` (``/rusty/<network>/req/<kind>/1``)."""
    return protocol_id(preset, f"req/{kind.value}", 1)


def encode_request_frame(message: Message, preset: Preset) -> bytes:
    """P2P-LP-4: ``uvarint length ‖ payload`` of a request or response message."""
    return encode(VarBytes(preset.network.max_message_bytes), encode_payload(message, preset))


def _decode_frame_as(kind: RequestKind, frame: bytes, preset: Preset, side: int) -> Message:
    commands = REQUEST_COMMANDS[kind]
    payload = decode(VarBytes(preset.network.max_message_bytes), frame)
    return decode_payload(commands[side], payload, preset)


def decode_request(kind: RequestKind, frame: bytes, preset: Preset) -> Message:
    """P2P-LP-4: the request message of one frame on protocol ``kind``; raise ``DECODE_*``."""
    return _decode_frame_as(kind, frame, preset, 0)


def decode_response(kind: RequestKind, frame: bytes, preset: Preset) -> Message:
    """P2P-LP-4: the response message of one frame on protocol ``kind`` (one of several for
    :data:`MULTI_RESPONSE_KINDS`); raise ``DECODE_*``."""
    return _decode_frame_as(kind, frame, preset, 1)


def topic_kind(preset: Preset, topic: str) -> TopicKind:
    """P2P-LP-2: the kind of a topic of this network; raise ``P2P_UNKNOWN_TOPIC``."""
    for kind in TopicKind:
        if topic_name(preset, kind) == topic:
            return kind
    raise UnknownTopic(f"{topic[:80]!r} is not a topic of {preset.name}")


def compute_message_id(topic: str, data: bytes) -> bytes:
    """P2P-LP-2: the gossip message id of ``data`` published on ``topic``."""
    topic_bytes = topic.encode()
    if len(topic_bytes) > 0xFFFF:
        raise LengthLimitExceeded("topic longer than 65535 bytes")
    prefix = len(topic_bytes).to_bytes(2, "little") + topic_bytes
    return tagged_hash(HashDomain.GOSSIP_MESSAGE_ID, prefix + data)[:MESSAGE_ID_BYTES]


def encode_gossip_data(message: Message, preset: Preset) -> tuple[TopicKind, bytes]:
    """P2P-LP-2: the topic and data a message is published with (inverse of :func:`decode_gossip_data`)."""
    if isinstance(message, CompactBlock):
        return TopicKind.COMPACT_BLOCK, encode_payload(message, preset)
    if isinstance(message, TxMessage):
        return TopicKind.TRANSACTION, encode_payload(message, preset)
    command = command_of(message)
    kind = _COMMAND_TOPIC.get(command)
    if kind is None:
        raise UnknownCommand(f"{command.name} is not gossiped")
    return kind, bytes((command,)) + encode_payload(message, preset)


_COMMAND_VALUES = frozenset(int(c) for c in Command)


def decode_gossip_data(kind: TopicKind, data: bytes, preset: Preset) -> Message:
    """P2P-LP-2: the message of gossip ``data`` on a topic of ``kind``; raise a DECODE_*/P2P_* code."""
    if len(data) > preset.network.max_message_bytes:
        raise LengthLimitExceeded(f"gossip data of {len(data)} bytes above max_message_bytes")
    if kind is TopicKind.COMPACT_BLOCK:
        return decode_payload(Command.COMPACT_BLOCK, data, preset)
    if kind is TopicKind.TRANSACTION:
        return decode_payload(Command.TX, data, preset)
    if kind is TopicKind.QUORUM or kind is TopicKind.SIDECHAIN:
        if not data:
            raise TruncatedInput(f"{kind.value} gossip without a command byte")
        if data[0] not in _COMMAND_VALUES or _COMMAND_TOPIC.get(Command(data[0])) is not kind:
            raise UnknownCommand(f"command byte {data[0]:#04x} is not a {kind.value} message")
        return decode_payload(Command(data[0]), data[1:], preset)
    raise UnknownTopic(f"topic {kind.value} is reserved: it has no payload yet")


def is_decode_code(code: str) -> bool:
    """P2P-LP-5: whether ``code`` says the data is not the canonical payload of its topic."""
    return code.startswith(DECODE_CODE_PREFIXES)


def compute_gossip_validation(kind: TopicKind, code: str | None) -> GossipValidation:
    """P2P-LP-5: the gossipsub decision on a message of topic ``kind`` whose checks ended with the
    error ``code`` (``None``: every check passed)."""
    if code is None:
        return GossipValidation(GossipDecision.ACCEPT, None)
    if is_decode_code(code):
        violation = Violation.TOO_MANY_ITEMS if code == "DECODE_LENGTH_LIMIT" else Violation.MALFORMED_MESSAGE
        return GossipValidation(GossipDecision.REJECT, violation)
    if kind in RESERVED_TOPICS:
        return GossipValidation(GossipDecision.REJECT, Violation.MALFORMED_MESSAGE)
    if kind in UNSCORED_TOPICS or code in IGNORE_CODES[kind]:
        return GossipValidation(GossipDecision.IGNORE, None)
    return GossipValidation(GossipDecision.REJECT, TOPIC_VIOLATION[kind])


# --------------------------------------------------------------------------------------------
# Peer ids (P2P-LP-3)
# --------------------------------------------------------------------------------------------


def compute_public_key_protobuf(public_key: bytes) -> bytes:
    """P2P-LP-3: libp2p's deterministic ``PublicKey`` protobuf of an Ed25519 public key."""
    decode_ed25519_public_key(public_key)
    return PUBLIC_KEY_PROTOBUF_PREFIX + public_key


def compute_peer_id(public_key: bytes) -> bytes:
    """P2P-LP-3: the peer id (identity multihash of the key protobuf) of an Ed25519 public key."""
    return IDENTITY_MULTIHASH_PREFIX + compute_public_key_protobuf(public_key)


def decode_peer_id(data: bytes) -> bytes:
    """P2P-LP-3: the Ed25519 public key of a peer id; raise ``P2P_INVALID_PEER_ID`` or
    ``ED25519_INVALID_PUBLIC_KEY``."""
    prefix = IDENTITY_MULTIHASH_PREFIX + PUBLIC_KEY_PROTOBUF_PREFIX
    if len(data) != PEER_ID_BYTES:
        raise InvalidPeerId(f"peer id is {len(data)} bytes, not {PEER_ID_BYTES}")
    if data[: len(prefix)] != prefix:
        raise InvalidPeerId("not the identity multihash of an Ed25519 PublicKey protobuf")
    public_key = data[len(prefix) :]
    decode_ed25519_public_key(public_key)
    return public_key


def encode_base58(data: bytes) -> str:
    """P2P-LP-3: base58btc (each leading zero byte is a ``1``)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    value = int.from_bytes(data, "big")
    digits: list[str] = []
    while value:
        value, remainder = divmod(value, 58)
        digits.append(BASE58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def decode_base58(text: str) -> bytes:
    """P2P-LP-3: the bytes of base58btc ``text`` (every base58 string is canonical); raise
    ``P2P_INVALID_PEER_ID`` for a character outside the alphabet or an over-long text."""
    if len(text) > MAX_PEER_ID_TEXT:
        raise InvalidPeerId(f"peer id text of {len(text)} characters")
    value = 0
    for char in text:
        index = BASE58_ALPHABET.find(char)
        if index < 0:
            raise InvalidPeerId(f"{char!r} is not a base58btc digit")
        value = value * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes(zeros) + body


def peer_id_text(peer_id: bytes) -> str:
    """P2P-LP-3: the text form of a peer id."""
    return encode_base58(peer_id)


def decode_peer_id_text(text: str) -> bytes:
    """P2P-LP-3: the peer id bytes of a text form; raise ``P2P_INVALID_PEER_ID`` / ``ED25519_*``."""
    peer_id = decode_base58(text)
    decode_peer_id(peer_id)
    return peer_id


# --------------------------------------------------------------------------------------------
# Operator peer records (P2P-LP-6) and their DHT entries (P2P-LP-8)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorPeerRecord:
    """P2P-LP-6: a masternode operator's signed binding of its BLS operator key to a peer id and the
    addresses it listens on."""

    operator_public_key: bytes
    peer_id: bytes
    addresses: tuple[bytes, ...]
    sequence: int
    signature: bytes


MAX_RECORD_ADDRESSES = 4
"""P2P-LP-6: a record lists 1 to 4 addresses."""
MAX_RECORD_ADDRESS_BYTES = 128
"""P2P-LP-6: an address's text is at most 128 bytes (``/dns/`` + a 253-byte name does not fit:
names are at most 103 bytes here)."""
MAX_PORT = 65_535
"""P2P-LP-6: the largest TCP port of an address (0 is no listening port)."""

ADDRESSES_CODEC: ListOf[bytes] = ListOf(VarBytes(MAX_RECORD_ADDRESS_BYTES), MAX_RECORD_ADDRESSES)
"""P2P-LP-6: the address list of a record, as encoded and as signed."""

OPERATOR_PEER_RECORD_CODEC: Struct[OperatorPeerRecord] = Struct(
    OperatorPeerRecord,
    (
        ("operator_public_key", FixedBytes(48)),
        ("peer_id", FixedBytes(PEER_ID_BYTES)),
        ("addresses", ADDRESSES_CODEC),
        ("sequence", U64),
        ("signature", FixedBytes(96)),
    ),
)
"""P2P-LP-6: ``operator_public_key(48) ‖ peer_id(38) ‖ list<bytes> addresses ‖ sequence u64 ‖
signature(96)``."""

_DNS_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _is_decimal(text: str, low: int, high: int) -> bool:
    """Canonical decimal text (ASCII digits, no leading zero) of an integer in ``[low, high]``."""
    if not text or len(text) > 5 or not all("0" <= c <= "9" for c in text):
        return False
    if len(text) > 1 and text[0] == "0":
        return False
    return low <= int(text) <= high


def _is_dns_name(name: str) -> bool:
    labels = name.split(".")
    return all(
        0 < len(label) <= 63
        and set(label) <= _DNS_CHARACTERS
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )


_HEX_DIGITS = frozenset("0123456789abcdef")
IPV6_GROUPS = 8
"""P2P-LP-6: an IPv6 address is eight 16-bit groups."""


def _ipv6_groups(text: str) -> list[int] | None:
    """The eight groups of IPv6 hex text (``::`` at most once; 1..4 hex digits a group), or None."""
    halves = text.split("::")
    if len(halves) > 2:
        return None
    parts = [half.split(":") if half else [] for half in halves]
    if any(not group or len(group) > 4 or not set(group) <= _HEX_DIGITS for half in parts for group in half):
        return None
    count = sum(len(half) for half in parts)
    if len(parts) == 1:
        groups = parts[0] if count == IPV6_GROUPS else None
    else:
        groups = parts[0] + ["0"] * (IPV6_GROUPS - count) + parts[1] if count < IPV6_GROUPS else None
    return None if groups is None else [int(group, 16) for group in groups]


def compute_ipv6_text(groups: Sequence[int]) -> str:
    """P2P-LP-6: the RFC 5952 text of eight 16-bit groups: lowercase hex without leading zeros, the
    longest run of two or more zero groups (the first of equal runs) replaced by ``::``."""
    best_start, best_length, start = -1, 1, -1
    for index, group in enumerate([*groups, 1]):
        if group == 0 and start < 0:
            start = index
        elif group != 0 and start >= 0:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = -1
    text = [format(group, "x") for group in groups]
    if best_start < 0:
        return ":".join(text)
    return ":".join(text[:best_start]) + "::" + ":".join(text[best_start + best_length :])


def is_canonical_ipv6(text: str) -> bool:
    """P2P-LP-6: whether ``text`` is an IPv6 address in its RFC 5952 canonical text (lowercase hex,
    no leading zeros, ``::`` for the longest run of two or more zero groups, the first of equal
    runs, never for one group), not an IPv4-mapped address (``::ffff:0:0/96``: written ``/ip4/``),
    without a dotted IPv4 suffix or a zone."""
    groups = _ipv6_groups(text)
    if groups is None or groups[:6] == [0, 0, 0, 0, 0, 0xFFFF]:
        return False
    return compute_ipv6_text(groups) == text


def check_record_address(address: bytes) -> None:
    """P2P-LP-6: raise ``P2P_INVALID_RECORD_ADDRESS`` unless ``address`` is the canonical text of
    ``/ip4/A.B.C.D/tcp/PORT`` (decimal octets 0..255, port 1..65535, no leading zeros),
    ``/ip6/ADDRESS/tcp/PORT`` (RFC 5952 text: :func:`is_canonical_ipv6`) or ``/dns/NAME/tcp/PORT``
    (lowercase letter-digit-hyphen labels of 1..63 characters, none starting or ending with a
    hyphen)."""
    if not address.isascii():
        raise InvalidRecordAddress("an address is ASCII text")
    parts = address.decode("ascii").split("/")
    if len(parts) != 5 or parts[0] != "" or parts[3] != "tcp" or not _is_decimal(parts[4], 1, MAX_PORT):
        raise InvalidRecordAddress(f"{address[:40]!r} is not /<ip4|ip6|dns>/<host>/tcp/<port>")
    protocol, host = parts[1], parts[2]
    if protocol == "ip4":
        octets = host.split(".")
        if len(octets) != 4 or not all(_is_decimal(octet, 0, 255) for octet in octets):
            raise InvalidRecordAddress(f"{host[:40]!r} is not a canonical dotted IPv4 address")
    elif protocol == "ip6":
        if not is_canonical_ipv6(host):
            raise InvalidRecordAddress(f"{host[:40]!r} is not a canonical (RFC 5952) IPv6 address")
    elif protocol == "dns":
        if not _is_dns_name(host):
            raise InvalidRecordAddress(f"{host[:40]!r} is not a lowercase DNS name")
    else:
        raise InvalidRecordAddress(f"{protocol[:20]!r} is not ip4, ip6 or dns")


def check_record_addresses(addresses: tuple[bytes, ...]) -> None:
    """P2P-LP-6: 1 to :data:`MAX_RECORD_ADDRESSES` addresses, each valid, strictly ascending (bytewise);
    raise ``P2P_INVALID_RECORD_ADDRESS``."""
    if not addresses:
        raise InvalidRecordAddress("a record lists at least one address")
    for address in addresses:
        check_record_address(address)
    if any(a >= b for a, b in pairwise(addresses)):
        raise InvalidRecordAddress("addresses are strictly ascending")


def encode_operator_peer_record(record: OperatorPeerRecord) -> bytes:
    """P2P-LP-6: the canonical encoding of a record."""
    return encode(OPERATOR_PEER_RECORD_CODEC, record)


def decode_operator_peer_record(data: bytes) -> OperatorPeerRecord:
    """P2P-LP-6: the record of ``data``; raise a ``DECODE_*`` code, ``P2P_INVALID_PEER_ID``,
    ``ED25519_INVALID_PUBLIC_KEY`` or ``P2P_INVALID_RECORD_ADDRESS``."""
    record = decode(OPERATOR_PEER_RECORD_CODEC, data)
    decode_peer_id(record.peer_id)
    check_record_addresses(record.addresses)
    return record


def operator_record_message(
    operator_public_key: bytes, peer_id: bytes, addresses: tuple[bytes, ...], sequence: int, preset: Preset
) -> bytes:
    """P2P-LP-6: the 32-byte message the operator key signs: ``H(OPERATOR_PEER_RECORD, magic ‖
    operator_public_key ‖ peer_id ‖ list<bytes> addresses ‖ sequence u64)``."""
    return tagged_hash(
        HashDomain.OPERATOR_PEER_RECORD,
        preset.network.magic
        + operator_public_key
        + peer_id
        + encode(ADDRESSES_CODEC, addresses)
        + encode(U64, sequence),
    )


def make_operator_peer_record(
    operator_secret_key: bytes, peer_id: bytes, addresses: tuple[bytes, ...], sequence: int, preset: Preset
) -> OperatorPeerRecord:
    """P2P-LP-6: the record signed by ``operator_secret_key`` (``addresses`` sorted; raise
    ``P2P_INVALID_RECORD_ADDRESS`` if they are not valid)."""
    ordered = tuple(sorted(addresses))
    check_record_addresses(ordered)
    public_key = bls.sk_to_pk(operator_secret_key)
    message = operator_record_message(public_key, peer_id, ordered, sequence, preset)
    return OperatorPeerRecord(public_key, peer_id, ordered, sequence, bls.sign(operator_secret_key, message))


def check_operator_record_signature(record: OperatorPeerRecord, preset: Preset) -> None:
    """P2P-LP-6: raise unless the record's signature binds its peer id, addresses and sequence to
    its operator key (``BLS_INVALID_PUBLIC_KEY``, ``BLS_INVALID_SIGNATURE``,
    ``P2P_OPERATOR_RECORD_SIGNATURE``)."""
    decode_peer_id(record.peer_id)
    check_record_addresses(record.addresses)
    message = operator_record_message(
        record.operator_public_key, record.peer_id, record.addresses, record.sequence, preset
    )
    if not bls.verify(record.operator_public_key, message, record.signature):
        raise BadOperatorRecordSignature("the operator key did not sign this peer id, addresses and sequence")


def is_active_operator(masternodes: MasternodeList, operator_public_key: bytes) -> bool:
    """P2P-LP-6: whether ``operator_public_key`` is the operator key of an ACTIVE masternode."""
    return any(
        entry.operator_public_key == operator_public_key and entry.status is MasternodeStatus.ACTIVE
        for entry in masternodes.entries.values()
    )


def check_operator_peer_record(
    record: OperatorPeerRecord, masternodes: MasternodeList, preset: Preset
) -> None:
    """P2P-LP-6: raise unless the record is well formed, its operator key is that of an ACTIVE
    masternode of ``masternodes`` (``P2P_OPERATOR_NOT_REGISTERED``, checked before the signature:
    an unregistered key costs no pairing) and its signature verifies
    (:func:`check_operator_record_signature`)."""
    decode_peer_id(record.peer_id)
    check_record_addresses(record.addresses)
    if not is_active_operator(masternodes, record.operator_public_key):
        raise OperatorNotRegistered("the operator key is not an active masternode's")
    check_operator_record_signature(record, preset)


OPERATOR_RECORD_NAMESPACE = "rusty-operator"
"""P2P-LP-8: the DHT record namespace of operator peer records (one per network: the key names it)."""


def operator_record_key(operator_public_key: bytes, preset: Preset) -> bytes:
    """P2P-LP-8: the DHT key of an operator's record: ``/rusty-operator/<network>-<hex operator key>``
    (ASCII; libp2p's namespaced validators dispatch on the first path component)."""
    return f"/{OPERATOR_RECORD_NAMESPACE}/{preset.name}-{operator_public_key.hex()}".encode()


def check_operator_record_entry(
    key: bytes, value: bytes, masternodes: MasternodeList, preset: Preset
) -> OperatorPeerRecord:
    """P2P-LP-8: the DHT validator: ``value`` decodes to a record (P2P-LP-6) stored under its own
    operator key's :func:`operator_record_key` (else ``P2P_OPERATOR_RECORD_KEY``), which passes
    :func:`check_operator_peer_record`; return the record."""
    record = decode_operator_peer_record(value)
    if key != operator_record_key(record.operator_public_key, preset):
        raise OperatorRecordKeyMismatch("the record is not stored under its operator key")
    check_operator_peer_record(record, masternodes, preset)
    return record


def select_operator_peer_record(records: Sequence[OperatorPeerRecord]) -> int:
    """P2P-LP-8: libp2p's ``Select``: the index of the record with the highest sequence (the first of
    equal ones), so a higher sequence replaces a lower one; -1 for no record."""
    best = -1
    for index, record in enumerate(records):
        if best < 0 or record.sequence > records[best].sequence:
            best = index
    return best


# --------------------------------------------------------------------------------------------
# Gossipsub v1.1 scoring (P2P-LP-7)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GossipScoreParams:
    """P2P-LP-7: the gossipsub v1.1 parameters of a network, signed and per heartbeat.

    ``decay`` multiplies every score counter once per heartbeat, so a counter falls to
    ``decay_to_zero`` of its value in ``score_decay_seconds`` (Ethereum's ``score_parameter_decay``).
    """

    mesh_degree: int
    mesh_degree_low: int
    mesh_degree_high: int
    heartbeat_seconds: float
    max_messages_per_topic_per_second: int
    decay: float
    app_score_weight: float
    invalid_message_weight: float
    gossip_threshold: float
    publish_threshold: float
    graylist_threshold: float
    accept_px_threshold: float


def compute_gossip_score_params(preset: Preset) -> GossipScoreParams:
    """P2P-LP-7: the preset's ``[network.gossipsub]`` table as gossipsub parameters: penalties and
    the gossip, publish and graylist thresholds negative, the decay per heartbeat
    ``decay_to_zero ** (heartbeat / score_decay_seconds)``."""
    params = preset.network.gossipsub
    heartbeat = params.heartbeat_ms / 1000
    decay_to_zero = params.decay_to_zero_permille / 1000
    return GossipScoreParams(
        mesh_degree=params.mesh_degree,
        mesh_degree_low=params.mesh_degree_low,
        mesh_degree_high=params.mesh_degree_high,
        heartbeat_seconds=heartbeat,
        max_messages_per_topic_per_second=params.max_messages_per_topic_per_second,
        decay=decay_to_zero ** (heartbeat / params.score_decay_seconds),
        app_score_weight=float(params.app_score_weight),
        invalid_message_weight=-float(params.invalid_message_weight),
        gossip_threshold=-float(params.gossip_threshold),
        publish_threshold=-float(params.publish_threshold),
        graylist_threshold=-float(params.graylist_threshold),
        accept_px_threshold=float(params.accept_px_threshold),
    )


def compute_app_specific_score(misbehaviour_score: int) -> float:
    """P2P-LP-7: gossipsub's application-specific score (P5, before its weight) of a peer whose
    P2P-SCORE-1 misbehaviour score is ``misbehaviour_score``: its negation, so a peer at the ban
    threshold is at the graylist threshold (``app_score_weight`` 1)."""
    return float(-misbehaviour_score)
