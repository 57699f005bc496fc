"""Fuzz harnesses of the P2P flow (spec/p2p/), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`P2PInvariantViolation`. :data:`P2P_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`p2p_seeds` gives their seed corpora.

Invariants checked:

* ``p2p_decode_frame``: byte 0 picks a command (every command is reachable), the rest is its
  payload, framed with the right magic, length and checksum so that the payload decoder is
  reached. Only ``DECODE_*`` (including the ``P2P_*`` frame codes, which are decode errors) may
  reject; an accepted frame re-encodes to exactly itself (ENC-2, P2P-2) and names its command.
* ``p2p_decode_raw_frame``: the input as a whole frame (wrong magic, lengths, checksums); only
  ``DecodeError`` rejects; the 13-byte prefix check agrees with the full decode; accepted frames
  re-encode to themselves; every rejection maps to a misbehaviour kind (P2P-SCORE-3).
* ``p2p_compact_reconstruct``: the input is XORed over a genuine CompactBlock payload, decoded and
  reconstructed against a fixed mempool, and the missing transactions are served from the genuine
  block. Only ``SpecError`` may escape; a reconstructed block is always committed by its header
  (P2P-CMPCT-5): same transactions root and votes root; the unmutated compact block gives the
  genuine block.
* ``p2p_kademlia``: the input is a sequence of 33-byte operations (flags, id) applied to a routing
  table; after each operation the table invariants hold (at most k nodes and k replacements per
  bucket, every node in its bucket, no id twice, never the own id) and ``closest`` agrees with a
  brute-force sort.
* ``p2p_libp2p_peer_id``: the input as peer id bytes and as base58 text (latin-1); only
  ``SpecError`` rejects; an accepted id is the P2P-LP-3 id of the key it names, and an accepted text
  is the canonical text of its bytes.
* ``p2p_libp2p_operator_record``: the input as an operator peer record (P2P-LP-6) and as the value of
  its DHT entry (P2P-LP-8); only ``SpecError`` rejects; an accepted record re-encodes to itself, a
  list without its key refuses it with ``P2P_OPERATOR_NOT_REGISTERED``, the DHT validator under its
  own key decides as the record check does, the selector keeps the first of equal sequences, and
  every ``/ip6/`` address it lists is Python's RFC 5952 text of itself, never IPv4-mapped.
* ``p2p_libp2p_gossip``: byte 0 picks a topic kind, the rest is gossip data (P2P-LP-2); only
  ``SpecError`` rejects; accepted data re-encodes to itself on the same topic, and the decision
  (P2P-LP-5) is ``reject`` exactly when the data does not decode.
* ``p2p_snapshot_finality``: SNAP-9 on the input as a finality certificate (136 bytes, FORK-3's
  encoding) followed by the value of the finality quorum record in the snapshot's items (none:
  the committed record of the seeded fixture, conformance/snapshotfinality.py). Only ``SpecError``
  rejects; an accepted certificate names a chain block at or above the snapshot and verifies under
  the key the items commit.
* ``p2p_libp2p_request``: byte 0 picks a request protocol and side, the rest is one frame
  (P2P-LP-4); only ``SpecError`` rejects; an accepted frame re-encodes to itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache
from itertools import compress, repeat
from operator import attrgetter, ne

from conformance.generators.p2p import p2p_chain, sample_messages
from conformance.handlers.p2p_libp2p import active_masternodes
from conformance.snapshotfinality import finality_fixture, other_secret
from spec.chain.block import Block, encode_block, transactions_root, votes_root
from spec.chain.commitment import quorum_key
from spec.chain.forkchoice import (
    decode_finality_certificate,
    encode_finality_certificate,
    verify_finality_certificate,
)
from spec.chain.snapshot_finality import check_snapshot_finality, snapshot_finality_key
from spec.crypto import bls
from spec.crypto.ed25519 import public_key_from_seed
from spec.errors import DecodeError, MessageTooLarge, SpecError, UnknownCommand
from spec.ledger.transaction import Transaction, wtxid
from spec.p2p.compact import fill_missing, make_compact_block, missing_request, reconstruct, serve_block_txn
from spec.p2p.kademlia import (
    Bucket,
    RoutingTable,
    bucket_index,
    closest,
    distance,
    empty_table,
    insert,
    remove,
    table_nodes,
)
from spec.p2p.libp2p import (
    QUORUM_COMMANDS,
    REQUEST_COMMANDS,
    GossipDecision,
    RequestKind,
    TopicKind,
    check_operator_peer_record,
    check_operator_record_entry,
    compute_gossip_validation,
    compute_peer_id,
    decode_gossip_data,
    decode_operator_peer_record,
    decode_peer_id,
    decode_peer_id_text,
    decode_request,
    decode_response,
    encode_gossip_data,
    encode_operator_peer_record,
    encode_request_frame,
    make_operator_peer_record,
    operator_record_key,
    peer_id_text,
    select_operator_peer_record,
)
from spec.p2p.messages import (
    Command,
    CompactBlock,
    GetSidechainBlocks,
    NodeAddress,
    checksum,
    command_of,
    decode_frame,
    decode_payload,
    decode_prefix,
    encode_frame,
    encode_payload,
    skipped_payload_length,
)
from spec.p2p.peers import frame_violation
from spec.presets import DEVNET

PRESET = DEVNET
COMMANDS = tuple(Command)
OPERATION_BYTES = 33


class P2PInvariantViolation(AssertionError):
    """A P2P decoder or rule accepted or rejected an input in a way its rules forbid."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise P2PInvariantViolation(message)


def frame_of(command: Command, payload: bytes) -> bytes:
    """A frame carrying ``payload`` under ``command`` with a correct prefix."""
    return (
        PRESET.network.magic
        + bytes([command])
        + len(payload).to_bytes(4, "little")
        + checksum(payload)
        + payload
    )


def fuzz_decode_frame(data: bytes) -> None:
    """P2P-1/2: every command's payload decoder, reached through a well-formed prefix."""
    if not data:
        return
    command = COMMANDS[data[0] % len(COMMANDS)]
    frame = frame_of(command, data[1:])
    try:
        message = decode_frame(frame, PRESET)
    except DecodeError:
        return
    _require(command_of(message) == command, "a frame decoded to another command's message")
    _require(encode_frame(message, PRESET) == frame, "ENC-2: a decoded frame re-encodes differently")


def fuzz_decode_raw_frame(data: bytes) -> None:
    """P2P-1: a whole frame; the prefix verdict agrees with the frame verdict."""
    try:
        prefix = decode_prefix(data[:13], PRESET)
    except DecodeError as error:
        frame_violation(error)
        if isinstance(error, UnknownCommand):  # P2P-SCORE-2: skipped by its length, within the bound
            try:
                skipped = skipped_payload_length(data[:13], PRESET)
            except MessageTooLarge:
                skipped = None
            announced = int.from_bytes(data[5:9], "little")
            _require(skipped in (announced, None), "the skipped length is not the announced length")
            _require((skipped is None) == (announced > PRESET.network.max_message_bytes), "bound")
        try:
            decode_frame(data, PRESET)
        except DecodeError as again:
            _require(type(again) is type(error), "decode_frame and decode_prefix disagree on the prefix")
            return
        raise P2PInvariantViolation("decode_frame accepted a frame whose prefix is rejected") from None
    try:
        message = decode_frame(data, PRESET)
    except DecodeError as error:
        frame_violation(error)
        return
    _require(command_of(message) == prefix.command, "the prefix and the message disagree on the command")
    _require(encode_frame(message, PRESET) == data, "ENC-2: a decoded frame re-encodes differently")


@cache
def _compact_scenario() -> tuple[Block, bytes, dict[bytes, Transaction]]:
    chain = p2p_chain()
    block = chain.payment_block
    compact = make_compact_block(block, 77, [2], PRESET)
    pool = [*block.transactions[1:2], *block.transactions[3:], *chain.spare]
    return block, encode_payload(compact, PRESET), {wtxid(tx, PRESET): tx for tx in pool}


def fuzz_compact_reconstruct(data: bytes) -> None:
    """P2P-CMPCT-2..5 on a mutated compact block; any block produced is committed by its header."""
    block, genuine, mempool = _compact_scenario()
    raw = bytearray(genuine)
    for position, byte in enumerate(data[: len(raw)]):
        raw[position] ^= byte
    payload = bytes(raw) + data[len(raw) :]
    try:
        compact = decode_payload(Command.COMPACT_BLOCK, payload, PRESET)
        if not isinstance(compact, CompactBlock):
            raise P2PInvariantViolation("the CompactBlock codec decoded something else")
        partial = reconstruct(compact, mempool, PRESET)
        result = partial.block
        if result is None:
            response = serve_block_txn(block, missing_request(partial), PRESET)
            result = fill_missing(partial, response, PRESET)
    except SpecError:
        _require(payload != genuine, "the genuine compact block was rejected")
        return
    _require(result.header == compact.header, "the reconstructed block has another header")
    _require(
        transactions_root(result.transactions, PRESET) == result.header.merkle_root
        and votes_root(result.votes, PRESET) == result.header.votes_root,
        "P2P-CMPCT-5: a reconstructed block is not committed by its header",
    )
    if payload == genuine:
        _require(encode_block(result, PRESET) == encode_block(block, PRESET), "the genuine block changed")


def _own_id() -> bytes:
    return bytes(range(32))


_EMPTY_BUCKET = Bucket()


def check_table(table: RoutingTable) -> None:
    """P2P-KAD-1/2: the routing-table invariants, every bucket.

    The empty buckets (most of the 256) are skipped in C (``compress`` over ``map(ne, ...)``)
    rather than by a loop of instrumented harness code; every non-empty bucket is checked.
    """
    buckets = table.buckets
    for index in compress(range(len(buckets)), map(ne, buckets, repeat(_EMPTY_BUCKET))):
        check_bucket(table, index)


def _model_bucket(own: bytes, node_id: bytes) -> int:
    """P2P-KAD-1 written out independently: ``id_bits - bitlength(own XOR id)``."""
    return 8 * len(own) - (int.from_bytes(own, "big") ^ int.from_bytes(node_id, "big")).bit_length()


def check_bucket(table: RoutingTable, index: int) -> None:
    """P2P-KAD-1/2 for one bucket: at most k nodes and k replacements, each in this bucket, once."""
    k = PRESET.network.kademlia_k
    bucket = table.buckets[index]
    _require(len(bucket.nodes) <= k and len(bucket.replacements) <= k, "a bucket holds more than k")
    ids = [node.node_id for node in (*bucket.nodes, *bucket.replacements)]
    _require(len(set(ids)) == len(ids), "a node id is stored twice")
    for node_id in ids:
        _require(node_id != table.own_id, "the own id is stored")
        _require(bucket_index(table.own_id, node_id, PRESET) == index, "a node is in the wrong bucket")
        _require(_model_bucket(table.own_id, node_id) == index, "bucket_index disagrees with the model")


_ID = attrgetter("node_id")


def _ids(nodes: tuple[NodeAddress, ...]) -> tuple[bytes, ...]:
    return tuple(map(_ID, nodes))


def _check_step(before: RoutingTable, after: RoutingTable, node_id: bytes, inserted: bool) -> None:
    """One operation changes only the bucket of its id, keeps the invariants there, and does what it says.

    Incremental, with set operations (the previous step checked the rest): the bucket now holds
    at most k nodes and k replacements, no id twice, never the own id, and only ids it held before
    or the operation's own id -- so every id is still in its right bucket.
    """
    if node_id == before.own_id:
        _require(after == before, "an operation on the own id changed the table")
        return
    index = _model_bucket(before.own_id, node_id)
    _require(bucket_index(before.own_id, node_id, PRESET) == index, "bucket_index disagrees with the model")
    # Tuple comparison in C (identity first): every other bucket is untouched.
    _require(
        after.buckets[:index] == before.buckets[:index]
        and after.buckets[index + 1 :] == before.buckets[index + 1 :],
        "an operation changed another bucket",
    )
    k = PRESET.network.kademlia_k
    old, new = before.buckets[index], after.buckets[index]
    nodes, replacements = _ids(new.nodes), _ids(new.replacements)
    _require(len(nodes) <= k and len(replacements) <= k, "a bucket holds more than k")
    stored = set(nodes + replacements)
    _require(len(stored) == len(nodes) + len(replacements), "a node id is stored twice")
    _require(
        stored <= {node_id, *_ids(old.nodes), *_ids(old.replacements)}, "a node came from another bucket"
    )
    _require(before.own_id not in stored, "the own id is stored")
    if inserted:
        _require(node_id in stored, "an inserted node is neither in its bucket nor a replacement")
    else:
        _require(node_id not in stored, "a removed node is still stored")


def fuzz_kademlia(data: bytes) -> None:
    """P2P-KAD-2..4: table invariants after every operation, and closest() against brute force.

    Each operation is checked where it acts (its bucket, against an independent bucket model; the
    255 other buckets compared as a whole), so a long operation sequence costs little per step; the
    whole table is checked once at the end.
    """
    own = _own_id()
    own_value = int.from_bytes(own, "big")
    table = empty_table(own, PRESET)
    for start in range(0, len(data) - OPERATION_BYTES + 1, OPERATION_BYTES):
        flags = data[start]
        raw = data[start + 1 : start + OPERATION_BYTES]
        # Flag bit 2 keeps the id close to our own (deep buckets), else it is taken as is.
        node_id = (own_value ^ int.from_bytes(raw, "big")).to_bytes(32, "big") if flags & 4 else raw
        before = table
        if flags & 1:
            table = remove(table, node_id, PRESET)
        else:
            table = insert(table, NodeAddress(node_id, b"", flags), bool(flags & 2), PRESET)
        _check_step(before, table, node_id, not flags & 1)
    check_table(table)
    target = data[-32:] if len(data) >= 32 else bytes(32)
    expected = sorted(table_nodes(table), key=lambda n: (distance(n.node_id, target), n.node_id))
    _require(list(closest(table, target, 25, PRESET)) == expected[:25], "closest() disagrees with a sort")


def fuzz_libp2p_peer_id(data: bytes) -> None:
    """P2P-LP-3: peer id bytes and text decode only to the canonical form of a valid key."""
    try:
        public_key = decode_peer_id(data)
    except SpecError:
        pass
    else:
        _require(compute_peer_id(public_key) == data, "an accepted peer id is not the id of its key")
    text = data.decode("latin-1")
    try:
        peer_id = decode_peer_id_text(text)
    except SpecError:
        return
    _require(peer_id_text(peer_id) == text, "an accepted peer id text is not canonical")


def fuzz_libp2p_operator_record(data: bytes) -> None:
    """P2P-LP-6/8: decoding and checking a record and its DHT entry; an accepted record re-encodes to
    itself, is refused (``P2P_OPERATOR_NOT_REGISTERED``) by a list without its key, and the DHT
    validator under its own key agrees with the record check."""
    try:
        record = decode_operator_peer_record(data)
    except SpecError:
        return
    _require(encode_operator_peer_record(record) == data, "an operator record does not re-encode to itself")
    for address in record.addresses:  # P2P-LP-6: an accepted ip6 address is RFC 5952 text
        if address.startswith(b"/ip6/"):
            host = address.split(b"/")[2].decode()
            parsed = ipaddress.IPv6Address(host)
            _require(host == parsed.compressed and not parsed.ipv4_mapped, f"ip6 {host!r} is not canonical")
    try:
        check_operator_peer_record(record, active_masternodes([]), PRESET)
    except SpecError as error:
        _require(
            error.code == "P2P_OPERATOR_NOT_REGISTERED", f"unregistered record refused with {error.code}"
        )
    else:
        _require(False, "a record of an unregistered operator key was accepted")
    registered = active_masternodes([record.operator_public_key])
    try:
        check_operator_peer_record(record, registered, PRESET)
        direct: str | None = None
    except SpecError as error:
        direct = error.code
    key = operator_record_key(record.operator_public_key, PRESET)
    try:
        check_operator_record_entry(key, data, registered, PRESET)
        entry: str | None = None
    except SpecError as error:
        entry = error.code
    _require(direct == entry, f"the DHT validator says {entry}, the record check {direct}")
    _require(select_operator_peer_record([record, record]) == 0, "equal sequences select the first")


def fuzz_libp2p_gossip(data: bytes) -> None:
    """P2P-LP-2/5: gossip data of every topic; canonical on acceptance, rejected iff undecodable."""
    if not data:
        return
    kinds = list(TopicKind)
    kind = kinds[data[0] % len(kinds)]
    body = data[1:]
    try:
        message = decode_gossip_data(kind, body, PRESET)
    except SpecError as error:
        decision = compute_gossip_validation(kind, error.code).decision
        _require(decision is GossipDecision.REJECT, f"undecodable gossip data is not rejected: {error.code}")
        return
    _require(encode_gossip_data(message, PRESET) == (kind, body), "gossip data does not re-encode to itself")
    _require(
        compute_gossip_validation(kind, None).decision is GossipDecision.ACCEPT, "valid data not accepted"
    )


def fuzz_libp2p_request(data: bytes) -> None:
    """P2P-LP-4: one request or response frame of every protocol; canonical on acceptance."""
    if not data:
        return
    kinds = list(RequestKind)
    kind = kinds[(data[0] >> 1) % len(kinds)]
    decoder = decode_response if data[0] & 1 else decode_request
    try:
        message = decoder(kind, data[1:], PRESET)
    except SpecError:
        return
    _require(
        encode_request_frame(message, PRESET) == data[1:], "a request frame does not re-encode to itself"
    )


def fuzz_snapshot_finality(data: bytes) -> None:
    """SNAP-9: a certificate and a quorum record value against the seeded fixture."""
    fixture = finality_fixture(PRESET)
    try:
        certificate = decode_finality_certificate(data[:136])
    except SpecError:
        return
    rest = data[136:]
    items = {quorum_key(False, fixture.record.base_height): rest} if rest else fixture.items()
    try:
        check_snapshot_finality(fixture.manifest, certificate, fixture.hashes, items, PRESET)
    except SpecError:
        return
    _require(
        fixture.height <= certificate.height < len(fixture.hashes)
        and fixture.hashes[certificate.height] == certificate.block_hash,
        "an accepted certificate is not for a chain block at or above the snapshot",
    )
    key = snapshot_finality_key(items, certificate.height, PRESET)
    _require(verify_finality_certificate(certificate, key), "an accepted certificate does not verify")


def fuzz_get_sidechain_blocks(data: bytes) -> None:
    """P2P-SC-3: the GetSidechainBlocks payload decoder: an accepted request asks for
    ``1..max_blocks_per_request`` blocks and re-encodes to its bytes; anything else is a DecodeError."""
    try:
        message = decode_payload(Command.GET_SIDECHAIN_BLOCKS, data, PRESET)
    except DecodeError:
        return
    _require(isinstance(message, GetSidechainBlocks), "the payload decoded to another message")
    assert isinstance(message, GetSidechainBlocks)
    limit = PRESET.sidechains.max_blocks_per_request
    _require(1 <= message.count <= limit, "P2P-SC-3: an accepted request asks for 0 or too many blocks")
    _require(encode_payload(message, PRESET) == data, "ENC-2: a decoded request re-encodes differently")


P2P_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "p2p_get_sidechain_blocks": fuzz_get_sidechain_blocks,
    "p2p_decode_frame": fuzz_decode_frame,
    "p2p_decode_raw_frame": fuzz_decode_raw_frame,
    "p2p_compact_reconstruct": fuzz_compact_reconstruct,
    "p2p_kademlia": fuzz_kademlia,
    "p2p_libp2p_peer_id": fuzz_libp2p_peer_id,
    "p2p_libp2p_operator_record": fuzz_libp2p_operator_record,
    "p2p_libp2p_gossip": fuzz_libp2p_gossip,
    "p2p_libp2p_request": fuzz_libp2p_request,
    "p2p_snapshot_finality": fuzz_snapshot_finality,
}


def p2p_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: one valid payload per command, whole frames, near misses, operation sequences."""
    messages = sample_messages(PRESET)
    by_command = {
        f"seed-{name}": bytes([COMMANDS.index(command_of(message))]) + encode_payload(message, PRESET)
        for name, message in messages
    }
    frames = {f"seed-{name}": encode_frame(message, PRESET) for name, message in messages[:6]}
    ping = encode_frame(messages[2][1], PRESET)
    frames["seed-bad-checksum"] = ping[:9] + bytes(4) + ping[13:]
    frames["seed-too-large"] = ping[:5] + b"\xff\xff\xff\xff" + ping[9:]
    peer_id = compute_peer_id(public_key_from_seed(bytes(range(32))))
    operator_record = encode_operator_peer_record(
        make_operator_peer_record(
            bls.key_gen(bytes(range(32))), peer_id, (b"/ip4/127.0.0.1/tcp/9444",), 1, PRESET
        )
    )
    operator_record_ip6 = encode_operator_peer_record(
        make_operator_peer_record(
            bls.key_gen(bytes(range(32))),
            peer_id,
            (b"/ip4/127.0.0.1/tcp/9444", b"/ip6/2001:db8::1/tcp/9444", b"/ip6/::1/tcp/9444"),
            1,
            PRESET,
        )
    )
    gossip_seeds = [
        (name, *encode_gossip_data(message, PRESET))
        for name, message in messages
        if command_of(message) in QUORUM_COMMANDS
        or command_of(message) in (Command.TX, Command.COMPACT_BLOCK)
    ]
    own = _own_id()
    inserts = b"".join(bytes([2 * (i % 2)]) + bytes([0x80 | i]) + own[1:] for i in range(24))
    close = b"".join(bytes([4]) + bytes(31) + bytes([i]) for i in range(1, 6))
    fixture = finality_fixture(PRESET)
    valid = encode_finality_certificate(fixture.certificate(fixture.height + 1))
    record = next(iter(fixture.items().values()))
    uncommitted = next(iter(fixture.items(fixture.uncommitted()).values()))
    return {
        "p2p_snapshot_finality": {
            "seed-valid": valid,
            "seed-valid-with-record": valid + record,
            "seed-uncommitted": valid + uncommitted,
            "seed-below": encode_finality_certificate(fixture.certificate(fixture.height - 1)),
            "seed-other-key": encode_finality_certificate(
                fixture.certificate(fixture.height, other_secret("fuzz"))
            ),
        },
        "p2p_decode_frame": by_command,
        "p2p_get_sidechain_blocks": {
            "seed-one": encode_payload(GetSidechainBlocks(1, 1, 1), PRESET),
            "seed-max": encode_payload(
                GetSidechainBlocks(65535, 1 << 40, PRESET.sidechains.max_blocks_per_request), PRESET
            ),
            "seed-zero-count": b"\x01\x01\x00",
        },
        "p2p_decode_raw_frame": frames,
        "p2p_compact_reconstruct": {
            "seed-unchanged": b"",
            "seed-flip-nonce": bytes(188 + 1) + b"\x01",
            "seed-flip-short-id": bytes(188 + 1 + 8 + 1) + b"\x01",
        },
        "p2p_libp2p_peer_id": {
            "seed-bytes": peer_id,
            "seed-text": peer_id_text(peer_id).encode(),
            "seed-secp256k1": peer_id[:3] + b"\x02" + peer_id[4:],
        },
        "p2p_libp2p_operator_record": {
            "seed-valid": operator_record,
            "seed-other-sequence": operator_record[:-97] + b"\x09" + operator_record[-96:],
            "seed-bad-address": operator_record.replace(b"127.0.0.1", b"127.0.001"),
            "seed-truncated": operator_record[:-1],
            "seed-ip6": operator_record_ip6,
            "seed-ip6-not-canonical": operator_record_ip6.replace(b"2001:db8::1", b"2001:db8::01"),
        },
        "p2p_libp2p_gossip": {
            f"seed-{name}": bytes([list(TopicKind).index(kind)]) + gossip
            for name, kind, gossip in gossip_seeds
        },
        "p2p_libp2p_request": {
            f"seed-{name}": bytes([2 * list(RequestKind).index(kind) + side])
            + encode_request_frame(message, PRESET)
            for name, message in messages
            for kind, commands in REQUEST_COMMANDS.items()
            for side in (0, 1)
            if command_of(message) == commands[side]
        },
        "p2p_kademlia": {
            "seed-full-bucket": inserts,
            "seed-close": close,
            "seed-remove": inserts + b"\x01" + bytes([0x80]) + own[1:],
        },
    }
