"""Vectors of the libp2p part of the ``p2p`` flow (spec/p2p/libp2p.py, P2P-LP-1..8): protocol ids
and topic names, message ids, peer ids (one cross-checked against py-libp2p's ``ID.from_pubkey``),
operator peer records and their DHT entries, and gossip validation decisions with their codes
(accept, ignore and reject on every active topic, reserved and unknown topics, data that does not decode).

Keys come from :func:`conformance.seeded.seeded_bytes`; the compact block and transaction are the
p2p generator's synthetic ones, the signature share a real one of its four-member DKG.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.generators.p2p import quorum_messages, synthetic_block, synthetic_transaction
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.crypto import bls
from spec.crypto.ed25519 import SMALL_ORDER_ENCODINGS, public_key_from_seed
from spec.encoding import U64, ListOf, VarBytes, encode, varint_encode
from spec.errors import SpecError
from spec.hashing import HashDomain, tagged_hash
from spec.p2p.compact import make_compact_block
from spec.p2p.libp2p import (
    ADDRESSES_CODEC,
    OperatorPeerRecord,
    RequestKind,
    TopicKind,
    compute_peer_id,
    decode_gossip_data,
    encode_base58,
    encode_gossip_data,
    encode_operator_peer_record,
    encode_request_frame,
    make_operator_peer_record,
    operator_record_key,
    peer_id_text,
    topic_kind,
    topic_name,
)
from spec.p2p.messages import (
    NO_STOP_HASH,
    BlockMessage,
    Command,
    GetBlockTxn,
    GetData,
    GetHeaders,
    GetSnapshotManifests,
    Headers,
    InvItem,
    InvKind,
    SidechainTxMessage,
    TxMessage,
    Version,
    encode_payload,
)
from spec.presets import Preset

PY_LIBP2P_PEER_ID = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB"
"""``ID.from_pubkey(create_new_key_pair(bytes(range(32))).public_key).to_base58()`` in py-libp2p
0.8.1 (an independent implementation of the libp2p peer-id spec; tests/test_p2p_libp2p.py re-runs it)."""


def _case(
    handler: str,
    case: str,
    description: str,
    data: dict[str, JSON],
    error: str | None = None,
    known: JSON = None,
) -> CaseSpec:
    return CaseSpec(f"libp2p_{handler}", case, description, data, expect_error=error, known_output=known)


def node_public_key(label: str) -> bytes:
    """The Ed25519 public key of a seeded node key."""
    return public_key_from_seed(seeded_bytes(f"p2p/libp2p/node/{label}", 32))


def operator_secret(label: str) -> bytes:
    """A seeded BLS operator secret key."""
    return bls.key_gen(seeded_bytes(f"p2p/libp2p/operator/{label}", 32))


def _names(preset: Preset) -> Iterator[CaseSpec]:
    yield _case("protocol_names", "all", "P2P-LP-1/2/4: transport protocols, topics, request protocols", {})
    ban = preset.network.misbehaviour.ban_threshold
    yield _case(
        "gossip_score_params",
        "preset",
        "P2P-LP-7: the preset's gossipsub parameters, and P5 of a clean, a scored and a banned peer",
        {"misbehaviour_scores": [0, 40, ban]},
    )
    compact = topic_name(preset, TopicKind.COMPACT_BLOCK)
    yield _case("topic_kind", "compact_block", "P2P-LP-2: the compact block topic", {"topic": compact})
    other = "devnet" if preset.name != "devnet" else "mainnet"
    yield _case(
        "topic_kind",
        "other_network",
        "P2P-LP-2: the same topic of another network is not ours",
        {"topic": compact.replace(f"/{preset.name}/", f"/{other}/")},
        "P2P_UNKNOWN_TOPIC",
    )
    yield _case(
        "topic_kind",
        "eth_topic",
        "P2P-LP-2: a foreign topic",
        {"topic": "/eth2/beacon_block/ssz_snappy"},
        "P2P_UNKNOWN_TOPIC",
    )


def _message_ids(preset: Preset) -> Iterator[CaseSpec]:
    payload = encode_payload(make_compact_block(synthetic_block("libp2p", 2, preset), 5, [], preset), preset)
    for kind in (TopicKind.COMPACT_BLOCK, TopicKind.TRANSACTION):
        yield _case(
            "message_id",
            f"{kind.value}_topic",
            "P2P-LP-2: the id covers the topic: the same data on two topics has two ids",
            {"topic": topic_name(preset, kind), "data": payload.hex()},
        )
    yield _case(
        "message_id",
        "empty",
        "P2P-LP-2: empty data",
        {"topic": topic_name(preset, TopicKind.TRANSACTION), "data": ""},
    )
    yield _case(
        "message_id",
        "topic_65535_bytes",
        "P2P-LP-2: the longest topic a message id covers (65535 bytes, its u16 length prefix)",
        {"topic": "t" * 0xFFFF, "data": "00"},
    )
    yield _case(
        "message_id",
        "topic_65536_bytes",
        "P2P-LP-2: a topic of 65536 bytes does not fit the u16 length prefix",
        {"topic": "t" * 0x10000, "data": "00"},
        "DECODE_LENGTH_LIMIT",
    )


def _peer_ids() -> Iterator[CaseSpec]:
    reference_key = public_key_from_seed(bytes(range(32)))
    yield _case(
        "peer_id",
        "py_libp2p",
        "P2P-LP-3: matches py-libp2p's ID.from_pubkey for the key of seed 00..1f",
        {"public_key": reference_key.hex()},
        known={
            "protobuf": ("08011220" + reference_key.hex()),
            "peer_id": ("0024" + "08011220" + reference_key.hex()),
            "text": PY_LIBP2P_PEER_ID,
        },
    )
    for label in ("a", "b"):
        yield _case("peer_id", f"node_{label}", "P2P-LP-3", {"public_key": node_public_key(label).hex()})
    small = min(SMALL_ORDER_ENCODINGS)
    yield _case(
        "peer_id",
        "small_order_key",
        "P2P-LP-3: the key must be a valid Ed25519 public key",
        {"public_key": small.hex()},
        "ED25519_INVALID_PUBLIC_KEY",
    )
    good = compute_peer_id(node_public_key("a"))
    yield _case("decode_peer_id", "bytes", "P2P-LP-3", {"peer_id": good.hex()})
    yield _case("decode_peer_id", "text", "P2P-LP-3: base58btc text", {"text": peer_id_text(good)})
    bad_bytes = {
        "short": ("one byte missing", good[:-1]),
        "long": ("one byte more", good + b"\0"),
        "sha256_multihash": (
            "a sha2-256 multihash (RSA-style peer id) is not an Ed25519 identity",
            b"\x12\x20" + good[6:],
        ),
        "secp256k1_key": ("KeyType 2 (Secp256k1) in the protobuf", good[:3] + b"\x02" + good[4:]),
        "empty": ("no bytes", b""),
    }
    for name, (description, data) in bad_bytes.items():
        yield _case(
            "decode_peer_id", name, f"P2P-LP-3: {description}", {"peer_id": data.hex()}, "P2P_INVALID_PEER_ID"
        )
    yield _case(
        "decode_peer_id",
        "small_order_key",
        "P2P-LP-3: a well-formed id of an invalid key",
        {"peer_id": (good[:6] + small).hex()},
        "ED25519_INVALID_PUBLIC_KEY",
    )
    text = peer_id_text(good)
    yield _case(
        "decode_peer_id",
        "text_bad_digit",
        "P2P-LP-3: '0' is not a base58btc digit",
        {"text": "0" + text[1:]},
        "P2P_INVALID_PEER_ID",
    )
    yield _case(
        "decode_peer_id",
        "text_leading_one",
        "P2P-LP-3: a leading '1' is a zero byte: 39 bytes",
        {"text": "1" + text},
        "P2P_INVALID_PEER_ID",
    )
    yield _case(
        "decode_peer_id",
        "text_too_long",
        "P2P-LP-3: text above 64 characters",
        {"text": text + text[:13]},
        "P2P_INVALID_PEER_ID",
    )
    yield _case(
        "decode_peer_id",
        "text_of_short_id",
        "P2P-LP-3: base58 of 37 bytes",
        {"text": encode_base58(good[:-1])},
        "P2P_INVALID_PEER_ID",
    )


RECORD_ADDRESSES = (b"/dns/mn-one.example/tcp/9444", b"/ip4/127.0.0.1/tcp/9444")
"""P2P-LP-6: the addresses of the vectors' records (sorted)."""


def _operator_records(preset: Preset) -> Iterator[CaseSpec]:
    secret = operator_secret("one")
    operator = bls.sk_to_pk(secret)
    other_key = bls.sk_to_pk(operator_secret("two"))
    active: list[JSON] = [other_key.hex(), operator.hex()]
    peer_id = compute_peer_id(node_public_key("a"))
    record = make_operator_peer_record(secret, peer_id, RECORD_ADDRESSES, 3, preset)
    encoded = encode_operator_peer_record(record)

    def unsigned(**changes: object) -> bytes:
        fields: dict[str, object] = {
            "operator_public_key": record.operator_public_key,
            "peer_id": peer_id,
            "addresses": record.addresses,
            "sequence": 3,
            "signature": record.signature,
        }
        fields.update(changes)
        return encode_operator_peer_record(OperatorPeerRecord(**fields))  # type: ignore[arg-type]

    def case(
        name: str, description: str, data: bytes, error: str | None = None, keys: list[JSON] = active
    ) -> CaseSpec:
        return _case(
            "operator_peer_record",
            name,
            f"P2P-LP-6: {description}",
            {"record": data.hex(), "active_operator_keys": keys},
            error,
        )

    yield case("valid", "signed by an active masternode's operator key", encoded)
    yield case(
        "single_address",
        "one address",
        encode_operator_peer_record(
            make_operator_peer_record(secret, peer_id, (b"/ip4/10.0.0.1/tcp/1",), 0, preset)
        ),
    )
    label_63 = "m" * 62 + "1"
    every_character = "abcdefghijklmnopqrstuvwxyz-0123456789"  # all 37 label characters
    edge_addresses = (
        f"/dns/{label_63}.example/tcp/65535".encode(),
        b"/dns/m.x/tcp/2",
        f"/dns/{every_character}/tcp/1".encode(),
        b"/ip4/0.0.0.0/tcp/9",
    )
    yield case(
        "edge_addresses",
        "a 63-character DNS label, a label of every allowed character, one-character labels, port 65535, "
        "octets 0",
        encode_operator_peer_record(make_operator_peer_record(secret, peer_id, edge_addresses, 1, preset)),
    )
    ip6_addresses = (b"/ip4/10.0.0.1/tcp/1", b"/ip6/2001:db8::1:0:0:1/tcp/9444", b"/ip6/::1/tcp/65535")
    yield case(
        "ip6_addresses",
        "RFC 5952 IPv6 addresses beside an IPv4 one (the first of two equal zero runs compressed)",
        encode_operator_peer_record(make_operator_peer_record(secret, peer_id, ip6_addresses, 2, preset)),
    )
    yield case(
        "ip6_edges",
        "the unspecified IPv6 address, eight groups without a zero run, one zero group not compressed",
        encode_operator_peer_record(
            make_operator_peer_record(
                secret,
                peer_id,
                (b"/ip6/2001:db8:0:1:1:1:1:1/tcp/1", b"/ip6/::/tcp/9", b"/ip6/fe80:ffff:1:2:3:4:5:6/tcp/2"),
                2,
                preset,
            )
        ),
    )
    yield case(
        "not_registered",
        "the operator key is no active masternode's (checked before the signature)",
        encoded,
        "P2P_OPERATOR_NOT_REGISTERED",
        [other_key.hex()],
    )
    yield case("empty_list", "no masternode is active", encoded, "P2P_OPERATOR_NOT_REGISTERED", [])
    other_peer = compute_peer_id(node_public_key("b"))
    yield case(
        "other_peer_id",
        "the signature of one peer id does not cover another",
        unsigned(peer_id=other_peer),
        "P2P_OPERATOR_RECORD_SIGNATURE",
    )
    yield case(
        "other_sequence", "the sequence is signed", unsigned(sequence=4), "P2P_OPERATOR_RECORD_SIGNATURE"
    )
    yield case(
        "other_addresses",
        "the addresses are signed",
        unsigned(addresses=(b"/ip4/127.0.0.1/tcp/9445",)),
        "P2P_OPERATOR_RECORD_SIGNATURE",
    )
    yield case(
        "other_operator",
        "another active operator's key",
        unsigned(operator_public_key=other_key),
        "P2P_OPERATOR_RECORD_SIGNATURE",
    )
    other_magic = bytes(4) if preset.network.magic != bytes(4) else b"\xff" * 4
    replayed = tagged_hash(
        HashDomain.OPERATOR_PEER_RECORD,
        other_magic + operator + peer_id + encode(ADDRESSES_CODEC, record.addresses) + encode(U64, 3),
    )
    yield case(
        "other_network",
        "a record signed for another network magic",
        unsigned(signature=bls.sign(secret, replayed)),
        "P2P_OPERATOR_RECORD_SIGNATURE",
    )
    yield case(
        "signature_not_on_curve",
        "the signature bytes are no G2 point",
        unsigned(signature=b"\x80" + bytes(94) + b"\x01"),
        "BLS_INVALID_SIGNATURE",
    )
    yield case("truncated", "one byte short", encoded[:-1], "DECODE_TRUNCATED")
    yield case("trailing", "one byte more", encoded + b"\0", "DECODE_TRAILING_BYTES")
    yield case(
        "bad_peer_id",
        "a peer id that is not an Ed25519 identity multihash",
        encoded[:48] + b"\x12" + encoded[49:],
        "P2P_INVALID_PEER_ID",
    )
    yield case(
        "identity_operator_key",
        "the operator key is the G1 identity (an active masternode's key in this list)",
        b"\xc0" + bytes(47) + encoded[48:],
        "BLS_INVALID_PUBLIC_KEY",
        [(b"\xc0" + bytes(47)).hex()],
    )
    too_many = tuple(f"/ip4/10.0.0.{i}/tcp/1".encode() for i in range(5))
    yield case(
        "five_addresses",
        "more than 4 addresses",
        encoded[:86]
        + encode(ListOf(VarBytes(200), 5), too_many)
        + encoded[86 + len(encode(ADDRESSES_CODEC, record.addresses)) :],
        "DECODE_LENGTH_LIMIT",
    )
    bad_addresses: list[tuple[str, str, tuple[bytes, ...]]] = [
        ("no_address", "an empty address list", ()),
        ("unsorted", "addresses not ascending", tuple(reversed(RECORD_ADDRESSES))),
        ("repeated", "one address twice", (RECORD_ADDRESSES[1], RECORD_ADDRESSES[1])),
        ("leading_zero_octet", "an octet with a leading zero", (b"/ip4/127.0.0.01/tcp/9444",)),
        ("octet_too_big", "an octet above 255", (b"/ip4/256.0.0.1/tcp/9444",)),
        ("three_octets", "three octets", (b"/ip4/127.0.1/tcp/9444",)),
        ("port_zero", "port 0", (b"/ip4/127.0.0.1/tcp/0",)),
        ("port_too_big", "port 65536", (b"/ip4/127.0.0.1/tcp/65536",)),
        ("port_leading_zero", "a port with a leading zero", (b"/ip4/127.0.0.1/tcp/09444",)),
        ("udp", "not tcp", (b"/ip4/127.0.0.1/udp/9444",)),
        ("unsupported_protocol", "an unsupported protocol", (b"/dns4/mn.example/tcp/9444",)),
        ("ip6_upper_case", "upper-case IPv6 hex digits", (b"/ip6/2001:DB8::1/tcp/1",)),
        ("ip6_leading_zero", "an IPv6 group with a leading zero", (b"/ip6/2001:db8::01/tcp/1",)),
        ("ip6_not_compressed", "IPv6 zero groups not compressed", (b"/ip6/2001:db8:0:0:0:0:0:1/tcp/1",)),
        ("ip6_one_group_compressed", "`::` for one zero group", (b"/ip6/2001:db8::1:1:1:1:1/tcp/1",)),
        ("ip6_shorter_run", "`::` for the shorter zero run", (b"/ip6/2001::1:0:0:0:1/tcp/1",)),
        (
            "ip6_second_equal_run",
            "`::` for the second of two equal zero runs",
            (b"/ip6/2001:db8:0:0:1::1/tcp/1",),
        ),
        ("ip6_ipv4_mapped", "an IPv4-mapped IPv6 address (written /ip4/)", (b"/ip6/::ffff:7f00:1/tcp/1",)),
        ("ip6_dotted", "a dotted IPv4 suffix", (b"/ip6/::ffff:127.0.0.1/tcp/1",)),
        ("ip6_zone", "an IPv6 zone", (b"/ip6/fe80::1%eth0/tcp/1",)),
        ("ip6_two_double_colons", "`::` twice", (b"/ip6/1::2::3/tcp/1",)),
        ("ip6_nine_groups", "nine IPv6 groups", (b"/ip6/1:2:3:4:5:6:7:8:9/tcp/1",)),
        ("ip6_seven_groups", "seven IPv6 groups without `::`", (b"/ip6/1:2:3:4:5:6:7/tcp/1",)),
        ("ip6_five_digits", "an IPv6 group of five digits", (b"/ip6/2001:db8::10000/tcp/1",)),
        ("with_peer_id", "a /p2p/ suffix (the peer id is the record's)", (b"/ip4/127.0.0.1/tcp/9444/p2p/x",)),
        ("dns_upper_case", "an upper-case DNS name", (b"/dns/MN.example/tcp/1",)),
        ("dns_hyphen", "a DNS label starting with a hyphen", (b"/dns/-mn.example/tcp/1",)),
        ("dns_empty_label", "an empty DNS label", (b"/dns/mn..example/tcp/1",)),
        ("dns_label_64", "a 64-character DNS label", (f"/dns/{'m' * 64}/tcp/1".encode(),)),
        ("dns_underscore", "a character outside the label set", (b"/dns/mn_1/tcp/1",)),
        ("port_not_decimal", "a port with a letter", (b"/ip4/127.0.0.1/tcp/9a",)),
        ("octet_not_decimal", "an octet with a sign", (b"/ip4/+1.0.0.1/tcp/9",)),
        ("port_empty", "an empty port", (b"/ip4/127.0.0.1/tcp/",)),
        ("octet_empty", "an empty octet", (b"/ip4/127..0.1/tcp/9",)),
        ("port_upper_letter", "a port with an upper-case letter", (b"/ip4/127.0.0.1/tcp/9A",)),
        ("dns_trailing_hyphen", "a DNS label ending with a hyphen", (b"/dns/mn-.example/tcp/1",)),
        ("not_ascii", "a non-ASCII byte", (b"/dns/mn\xff/tcp/1",)),
    ]
    for name, description, addresses in bad_addresses:
        yield case(
            f"address_{name}",
            f"{description}",
            unsigned(addresses=addresses),
            "P2P_INVALID_RECORD_ADDRESS",
        )


def _record_entries(preset: Preset) -> Iterator[CaseSpec]:
    """P2P-LP-8: DHT keys, the namespace validator and the selector."""
    secret = operator_secret("one")
    operator = bls.sk_to_pk(secret)
    other_key = bls.sk_to_pk(operator_secret("two"))
    active: list[JSON] = [operator.hex(), other_key.hex()]
    peer_id = compute_peer_id(node_public_key("a"))
    older = encode_operator_peer_record(
        make_operator_peer_record(secret, peer_id, RECORD_ADDRESSES, 3, preset)
    )
    newer = encode_operator_peer_record(
        make_operator_peer_record(secret, peer_id, (b"/ip4/127.0.0.1/tcp/9555",), 4, preset)
    )
    key = operator_record_key(operator, preset)
    for label, public_key in (("one", operator), ("two", other_key)):
        yield _case(
            "operator_record_key",
            label,
            f"P2P-LP-8: the DHT key of operator {label}",
            {"operator_public_key": public_key.hex()},
        )

    def entry(
        name: str, description: str, entry_key: bytes, value: bytes, error: str | None = None
    ) -> CaseSpec:
        data: dict[str, JSON] = {"key": entry_key.hex(), "value": value.hex(), "active_operator_keys": active}
        return _case("operator_record_entry", name, f"P2P-LP-8: {description}", data, error)

    yield entry("valid", "a record under its operator's key", key, newer)
    yield entry(
        "other_operator_key",
        "a record under another operator's key",
        operator_record_key(other_key, preset),
        newer,
        "P2P_OPERATOR_RECORD_KEY",
    )
    other_network = (b"/rusty-operator/other-" + operator.hex().encode()) if preset.name != "other" else b"/x"
    yield entry(
        "other_network_key", "a key of another network", other_network, newer, "P2P_OPERATOR_RECORD_KEY"
    )
    yield entry("undecodable_value", "a value that is no record", key, newer[:-1], "DECODE_TRUNCATED")
    for name, records, description in (
        ("higher_second", [older, newer], "the higher sequence wins"),
        ("higher_first", [newer, older], "the higher sequence wins, wherever it is"),
        ("equal", [older, older], "the first of equal sequences"),
        ("none", [], "no record"),
    ):
        yield _case(
            "select_operator_peer_record",
            name,
            f"P2P-LP-8: {description}",
            {"records": [r.hex() for r in records]},
        )


def _validations(preset: Preset) -> Iterator[CaseSpec]:
    compact = make_compact_block(synthetic_block("libp2p/gossip", 3, preset), 9, [], preset)
    tx = TxMessage(synthetic_transaction("libp2p/gossip"))
    share_kind, share = encode_gossip_data(quorum_messages(preset).signature_share, preset)
    assert share_kind is TopicKind.QUORUM
    _, compact_data = encode_gossip_data(compact, preset)
    _, tx_data = encode_gossip_data(tx, preset)
    sidechain_tx = bytes((Command.SIDECHAIN_TX,)) + encode_payload(SidechainTxMessage(1, b"\x01\x02"), preset)
    rows: list[tuple[str, TopicKind, bytes, str | None, str]] = [
        ("compact_accept", TopicKind.COMPACT_BLOCK, compact_data, None, "every check passed"),
        (
            "compact_unknown_parent",
            TopicKind.COMPACT_BLOCK,
            compact_data,
            "HDR_WRONG_PARENT",
            "the receiver may be behind",
        ),
        ("compact_future", TopicKind.COMPACT_BLOCK, compact_data, "HDR_TIME_TOO_FAR_AHEAD", "clocks differ"),
        ("compact_bad_index", TopicKind.COMPACT_BLOCK, compact_data, "P2P_COMPACT_BAD_INDEX", "P2P-CMPCT-2"),
        (
            "compact_bad_merkle",
            TopicKind.COMPACT_BLOCK,
            compact_data,
            "BLK_BAD_MERKLE_ROOT",
            "a consensus failure",
        ),
        (
            "compact_bad_pow",
            TopicKind.COMPACT_BLOCK,
            compact_data,
            "POW_HASH_ABOVE_TARGET",
            "a consensus failure",
        ),
        ("compact_noncanonical", TopicKind.COMPACT_BLOCK, compact_data + b"\0", None, "trailing bytes"),
        ("compact_truncated", TopicKind.COMPACT_BLOCK, compact_data[:10], None, "truncated"),
        ("tx_accept", TopicKind.TRANSACTION, tx_data, None, "every check passed"),
        ("tx_missing_input", TopicKind.TRANSACTION, tx_data, "TX_MISSING_INPUT", "an orphan: a race"),
        ("tx_mempool_full", TopicKind.TRANSACTION, tx_data, "MEMPOOL_FULL", "local policy"),
        ("tx_fee_too_low", TopicKind.TRANSACTION, tx_data, "MEMPOOL_FEE_TOO_LOW", "local policy"),
        ("tx_bad_script", TopicKind.TRANSACTION, tx_data, "SCRIPT_VERIFY_FAILED", "a consensus failure"),
        ("tx_duplicate_input", TopicKind.TRANSACTION, tx_data, "TX_DUPLICATE_INPUT", "a consensus failure"),
        ("tx_empty", TopicKind.TRANSACTION, b"", None, "no bytes"),
        ("quorum_accept", TopicKind.QUORUM, share, None, "a signature share that verifies"),
        (
            "quorum_wrong_session",
            TopicKind.QUORUM,
            share,
            "SIGN_WRONG_SESSION",
            "P2P-SCORE-4: an honest race",
        ),
        ("quorum_dkg_phase", TopicKind.QUORUM, share, "DKG_WRONG_PHASE", "P2P-SCORE-4: early or late"),
        ("quorum_bad_share", TopicKind.QUORUM, share, "THRESHOLD_INVALID_SHARE", "P2P-SCORE-4: forged"),
        ("quorum_bad_dkg_signature", TopicKind.QUORUM, share, "DKG_BAD_SIGNATURE", "P2P-SCORE-4: forged"),
        (
            "quorum_block_command",
            TopicKind.QUORUM,
            bytes((Command.BLOCK,)) + share[1:],
            None,
            "a Block is not quorum traffic",
        ),
        ("quorum_empty", TopicKind.QUORUM, b"", None, "no command byte"),
        (
            "quorum_oversized_list",
            TopicKind.QUORUM,
            share[:1] + b"\xff" * 12,
            None,
            "garbage after the command",
        ),
        (
            "quorum_too_many_commitments",
            TopicKind.QUORUM,
            bytes([Command.DKG_CONTRIBUTION])
            + bytes(32)
            + (1).to_bytes(2, "little")
            + varint_encode(preset.quorum.max_members + 1),
            None,
            "a contribution announcing quorum.max_members + 1 commitments (DECODE_LENGTH_LIMIT)",
        ),
        ("vote_reserved", TopicKind.VOTE, tx_data, None, "the vote topic has no payload yet"),
        ("sidechain_tx_accept", TopicKind.SIDECHAIN, sidechain_tx, None, "a sidechain transaction"),
        (
            "sidechain_tx_invalid_here",
            TopicKind.SIDECHAIN,
            sidechain_tx,
            "SCRIPT_VERIFY_FAILED",
            "invalid on the receiver's sidechain tip: ignored, never scored",
        ),
        (
            "sidechain_quorum_command",
            TopicKind.SIDECHAIN,
            share,
            None,
            "a quorum message is not sidechain traffic",
        ),
        ("sidechain_empty", TopicKind.SIDECHAIN, b"", None, "no command byte"),
    ]
    for name, kind, data, check_error, description in rows:
        yield _case(
            "gossip_validation",
            name,
            f"P2P-LP-5: {description}",
            {"topic": topic_name(preset, kind), "data": data.hex(), "check_error": check_error},
        )
    limit = preset.network.max_message_bytes
    if limit <= 1 << 22:  # 4 MiB on devnet; the mainnet preset's 32 MiB would weigh 64 MiB of hex
        for name, size, description in (
            (
                "gossip_at_max_message_bytes",
                limit,
                "exactly max_message_bytes: the length passes, the command fails",
            ),
            (
                "gossip_over_max_message_bytes",
                limit + 1,
                "one byte above max_message_bytes: refused by its length first",
            ),
        ):
            yield _case(
                "gossip_validation",
                name,
                f"P2P-LP-2: quorum gossip of command byte 0xff, {description}",
                {
                    "topic": topic_name(preset, TopicKind.QUORUM),
                    "data": (b"\xff" * size).hex(),
                    "check_error": None,
                },
            )
    yield _case(
        "gossip_validation",
        "unknown_topic",
        "P2P-LP-2: not a topic of this network",
        {"topic": "/rusty/other/compact_block/1", "data": compact_data.hex(), "check_error": None},
        "P2P_UNKNOWN_TOPIC",
    )


def _request_frames(preset: Preset) -> Iterator[CaseSpec]:
    headers = Headers(tuple(synthetic_block(f"libp2p/req/{i}", 1, preset).header for i in range(2)))
    get_headers = GetHeaders((seeded_bytes("p2p/libp2p/locator", 32),), NO_STOP_HASH)
    get_txn = GetBlockTxn(seeded_bytes("p2p/libp2p/block", 32), (1, 2, 5))
    good = encode_request_frame(get_headers, preset)

    def case(
        name: str, kind: RequestKind, side: str, frame: bytes, description: str, error: str | None = None
    ) -> CaseSpec:
        data: dict[str, JSON] = {"kind": kind.value, "side": side, "frame": frame.hex()}
        return _case("request_frame", name, f"P2P-LP-4: {description}", data, error)

    yield case("get_headers", RequestKind.HEADERS, "request", good, "a GetHeaders request")
    yield case(
        "headers",
        RequestKind.HEADERS,
        "response",
        encode_request_frame(headers, preset),
        "a Headers response",
    )
    yield case(
        "get_block_txn",
        RequestKind.BLOCK_TXN,
        "request",
        encode_request_frame(get_txn, preset),
        "a GetBlockTxn request",
    )
    yield case(
        "truncated", RequestKind.HEADERS, "request", good[:-1], "one payload byte missing", "DECODE_TRUNCATED"
    )
    yield case(
        "trailing",
        RequestKind.HEADERS,
        "request",
        good + b"\0",
        "a byte after the frame",
        "DECODE_TRAILING_BYTES",
    )
    payload = good[1:]
    yield case(
        "overlong_length",
        RequestKind.HEADERS,
        "request",
        bytes([0x80 | len(payload), 0x00]) + payload,
        "the length varint is not minimal",
        "DECODE_NONCANONICAL_VARINT",
    )
    over = preset.network.max_message_bytes + 1
    yield case(
        "over_max_message_bytes",
        RequestKind.HEADERS,
        "request",
        varint_encode(over),
        "a length above max_message_bytes, refused before any payload byte",
        "DECODE_LENGTH_LIMIT",
    )
    get_data = GetData((InvItem(InvKind.BLOCK, seeded_bytes("p2p/libp2p/block", 32)),))
    yield case(
        "get_data",
        RequestKind.BLOCKS,
        "request",
        encode_request_frame(get_data, preset),
        "a GetData request on the blocks protocol",
    )
    yield case(
        "block",
        RequestKind.BLOCKS,
        "response",
        encode_request_frame(BlockMessage(synthetic_block("libp2p/req/0", 1, preset)), preset),
        "one Block frame of a blocks response",
    )
    yield case(
        "blocks_not_a_block",
        RequestKind.BLOCKS,
        "response",
        good,
        "a blocks response frame that is not a Block payload",
        "DECODE_TRUNCATED",
    )
    yield case(
        "get_snapshot_manifests",
        RequestKind.SNAPSHOT_MANIFESTS,
        "request",
        encode_request_frame(GetSnapshotManifests(7), preset),
        "a GetSnapshotManifests request",
    )
    yield case(
        "status",
        RequestKind.STATUS,
        "request",
        encode_request_frame(
            Version(
                preset.network.protocol_version,
                1,
                seeded_bytes("p2p/libp2p/node", preset.network.node_id_bits // 8),
                0,
                5,
                9,
                b"/t/",
            ),
            preset,
        ),
        "a status request (the handshake's Version)",
    )
    yield case("empty", RequestKind.BLOCK_TXN, "response", b"", "no bytes", "DECODE_TRUNCATED")


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """libp2p vectors for one preset; every gossip data that decodes and every valid request frame
    is also re-encoded (the publishing and sending side)."""
    for spec in (
        *_names(preset),
        *_message_ids(preset),
        *_peer_ids(),
        *_operator_records(preset),
        *_record_entries(preset),
        *_validations(preset),
        *_request_frames(preset),
        *_record_signing(preset),
        *_builders(preset),
    ):
        yield spec
        yield from _reencoded(spec, preset)


def _reencoded(spec: CaseSpec, preset: Preset) -> Iterator[CaseSpec]:
    if spec.handler == "libp2p_gossip_validation":
        topic, raw = str(spec.input["topic"]), bytes.fromhex(str(spec.input["data"]))
        try:
            decode_gossip_data(topic_kind(preset, topic), raw, preset)
        except SpecError:
            return
        data: dict[str, JSON] = {"topic": topic, "data": raw.hex()}
        yield CaseSpec("libp2p_gossip_reencode", spec.case, f"{spec.description} (re-encoded)", data)
    if spec.handler == "libp2p_request_frame" and spec.expect_error is None:
        yield CaseSpec("libp2p_request_reencode", spec.case, f"{spec.description} (re-encoded)", spec.input)


def _record_signing(preset: Preset) -> Iterator[CaseSpec]:
    """P2P-LP-6, signing side: records made from an operator secret key."""
    peer_id = compute_peer_id(node_public_key("a"))
    for name, label, sequence, addresses in (
        ("one_seq_3", "one", 3, list(RECORD_ADDRESSES)),
        ("two_seq_0", "two", 0, ["/ip4/10.0.0.2/tcp/1"]),
        ("one_seq_max_sorted", "one", 2**64 - 1, [a.decode() for a in reversed(RECORD_ADDRESSES)]),
    ):
        yield _case(
            "make_operator_peer_record",
            name,
            f"P2P-LP-6: operator {label} binds peer a to {len(addresses)} address(es) at sequence {sequence}",
            {
                "operator_secret_key": operator_secret(label).hex(),
                "peer_id": peer_id.hex(),
                "addresses": [a if isinstance(a, str) else a.decode() for a in addresses],
                "sequence": sequence,
            },
        )
    yield _case(
        "make_operator_peer_record",
        "zero_secret_key",
        "P2P-LP-6: a zero operator secret key",
        {
            "operator_secret_key": bytes(32).hex(),
            "peer_id": peer_id.hex(),
            "addresses": ["/ip4/10.0.0.2/tcp/1"],
            "sequence": 1,
        },
        "BLS_INVALID_SECRET_KEY",
    )
    yield _case(
        "make_operator_peer_record",
        "bad_address",
        "P2P-LP-6: an address that is not canonical",
        {
            "operator_secret_key": operator_secret("one").hex(),
            "peer_id": peer_id.hex(),
            "addresses": ["/ip4/10.0.0.02/tcp/1"],
            "sequence": 1,
        },
        "P2P_INVALID_RECORD_ADDRESS",
    )


def _builders(preset: Preset) -> Iterator[CaseSpec]:
    """The sending side: gossip data and request frames of messages, and P2P-SCORE-3's newer-protocol test."""
    from spec.p2p.messages import encode_frame

    compact = make_compact_block(synthetic_block("libp2p/gossip", 3, preset), 9, [], preset)
    tx = TxMessage(synthetic_transaction("libp2p/gossip"))
    quorum = quorum_messages(preset).signature_share
    headers = Headers(tuple(synthetic_block(f"libp2p/req/{i}", 1, preset).header for i in range(2)))
    get_txn = GetBlockTxn(seeded_bytes("p2p/libp2p/block", 32), (1, 2, 5))
    for name, message in (("compact_block", compact), ("transaction", tx), ("quorum", quorum)):
        yield _case(
            "gossip_data",
            name,
            "P2P-LP-2: the topic kind and data a message is published with",
            {"frame": encode_frame(message, preset).hex()},
        )
    yield _case(
        "gossip_data",
        "headers_not_gossiped",
        "P2P-LP-2: Headers travel by request, not by gossip",
        {"frame": encode_frame(headers, preset).hex()},
        "P2P_UNKNOWN_COMMAND",
    )
    for name, request in (("headers", headers), ("get_block_txn", get_txn)):
        yield _case(
            "encode_request",
            name,
            "P2P-LP-4: uvarint length then the payload",
            {"frame": encode_frame(request, preset).hex()},
        )
    version = preset.network.protocol_version
    for name, value in (("none", None), ("older", version - 1), ("same", version), ("newer", version + 1)):
        yield CaseSpec(
            "is_newer_command",
            name,
            "P2P-SCORE-3: an unknown command is a newer protocol's only from a peer announcing a newer one",
            {"peer_protocol_version": value},
        )
