"""Handlers of the libp2p part of the ``p2p`` flow (spec/p2p/libp2p.py, P2P-LP-1..8).

JSON shapes: bytes are hex; a topic or protocol id is its string; a gossip validation is
``{"decision": "accept"|"ignore"|"reject", "violation": <Violation value> | null, "code": <code> | null}``
where ``code`` is the error that decided it (the decoder's, or the ``check_error`` the vector
names for the checks that need chain state).
"""

from __future__ import annotations

from conformance.jsonio import field, hex_field, hex_list_field, int_field, str_field
from conformance.model import JSON, BadInput, Handler
from spec.errors import SpecError
from spec.ledger.transaction import OutPoint
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus
from spec.p2p.libp2p import (
    MAX_RECORD_ADDRESS_BYTES,
    MAX_RECORD_ADDRESSES,
    TRANSPORT_PROTOCOLS,
    OperatorPeerRecord,
    RequestKind,
    TopicKind,
    check_operator_peer_record,
    check_operator_record_entry,
    compute_app_specific_score,
    compute_gossip_score_params,
    compute_gossip_validation,
    compute_message_id,
    compute_peer_id,
    compute_public_key_protobuf,
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
    request_protocol_id,
    select_operator_peer_record,
    topic_kind,
    topic_name,
)
from spec.p2p.messages import command_of, decode_frame, encode_payload
from spec.p2p.peers import is_newer_command
from spec.presets import Preset


def handle_protocol_names(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-1/2/4: ``{}`` -> ``{"transport", "topics", "requests"}`` (by kind name)."""
    return {
        "transport": list(TRANSPORT_PROTOCOLS),
        "topics": {kind.value: topic_name(preset, kind) for kind in TopicKind},
        "requests": {kind.value: request_protocol_id(preset, kind) for kind in RequestKind},
    }


def handle_topic_kind(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-2: ``{"topic"}`` -> ``{"kind"}`` or ``P2P_UNKNOWN_TOPIC``."""
    return {"kind": topic_kind(preset, str_field(data, "topic")).value}


def handle_message_id(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-2: ``{"topic", "data"}`` -> ``{"message_id"}``."""
    return {"message_id": compute_message_id(str_field(data, "topic"), hex_field(data, "data")).hex()}


def handle_peer_id(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-3: ``{"public_key"}`` (Ed25519) -> ``{"protobuf", "peer_id", "text"}`` or ``ED25519_*``."""
    public_key = hex_field(data, "public_key")
    peer_id = compute_peer_id(public_key)
    return {
        "protobuf": compute_public_key_protobuf(public_key).hex(),
        "peer_id": peer_id.hex(),
        "text": peer_id_text(peer_id),
    }


def handle_decode_peer_id(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-3: ``{"peer_id"}`` (bytes) or ``{"text"}`` -> ``{"public_key", "text"}`` or
    ``P2P_INVALID_PEER_ID`` / ``ED25519_INVALID_PUBLIC_KEY``."""
    text = "text" in data
    peer_id = decode_peer_id_text(str_field(data, "text")) if text else hex_field(data, "peer_id")
    public_key = decode_peer_id(peer_id)
    return {"public_key": public_key.hex(), "text": peer_id_text(peer_id)}


def active_masternodes(operator_keys: list[bytes]) -> MasternodeList:
    """A masternode list whose ACTIVE entries have ``operator_keys`` (the other fields do not take
    part in P2P-LP-6; collaterals are ``(bytes32(i), 0)``)."""
    entries = {
        OutPoint(index.to_bytes(32, "big"), 0): MasternodeEntry(
            OutPoint(index.to_bytes(32, "big"), 0),
            key,
            bytes(32),
            b"",
            bytes(16),
            0,
            MasternodeStatus.ACTIVE,
            0,
            0,
            None,
            None,
        )
        for index, key in enumerate(operator_keys)
    }
    return MasternodeList(entries)


def _record_json(record: OperatorPeerRecord) -> JSON:
    return {
        "operator_public_key": record.operator_public_key.hex(),
        "peer_id": peer_id_text(record.peer_id),
        "addresses": [address.decode("ascii") for address in record.addresses],
        "sequence": record.sequence,
    }


def handle_operator_peer_record(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-6: ``{"record", "active_operator_keys"}`` (the record's bytes; the operator keys of the
    ACTIVE masternodes of the receiver's list) -> ``{"operator_public_key", "peer_id", "addresses",
    "sequence"}`` once decoded and checked, or the first error code."""
    record = decode_operator_peer_record(hex_field(data, "record"))
    check_operator_peer_record(
        record, active_masternodes(hex_list_field(data, "active_operator_keys")), preset
    )
    return _record_json(record)


def handle_operator_record_entry(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-8: ``{"key", "value", "active_operator_keys"}`` (a DHT record's key and value) -> the
    record as :func:`handle_operator_peer_record` returns it, or the first error code
    (``P2P_OPERATOR_RECORD_KEY`` for a record under another key)."""
    masternodes = active_masternodes(hex_list_field(data, "active_operator_keys"))
    record = check_operator_record_entry(
        hex_field(data, "key"), hex_field(data, "value"), masternodes, preset
    )
    return _record_json(record)


def handle_operator_record_key(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-8: ``{"operator_public_key"}`` -> ``{"key"}`` (the DHT key, hex of its ASCII bytes)."""
    key = hex_field(data, "operator_public_key")
    if len(key) != 48:
        raise BadInput("operator_public_key is 48 bytes")
    return {"key": operator_record_key(key, preset).hex()}


def handle_select_operator_peer_record(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-8: ``{"records"}`` (encodings) -> ``{"index"}`` of the one the DHT keeps (-1: none)."""
    records = [decode_operator_peer_record(value) for value in hex_list_field(data, "records")]
    return {"index": select_operator_peer_record(records)}


def handle_gossip_validation(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-2/5: ``{"topic", "data", "check_error"}`` -> the validation (see the module docstring).
    The data is decoded on the topic; if it decodes, ``check_error`` (a code or null) is the outcome
    of the node's checks on the message. The decoded message's command is returned when it decodes."""
    kind = topic_kind(preset, str_field(data, "topic"))
    check_error = field(data, "check_error")
    if check_error is not None and not isinstance(check_error, str):
        raise BadInput("check_error must be a code or null")
    command: str | None = None
    try:
        message = decode_gossip_data(kind, hex_field(data, "data"), preset)
        command = command_of(message).name
        code = check_error
    except SpecError as error:
        code = error.code
    validation = compute_gossip_validation(kind, code)
    return {
        "command": command,
        "decision": validation.decision.value,
        "violation": None if validation.violation is None else validation.violation.value,
        "code": code,
    }


def handle_request_frame(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-4: ``{"kind" (RequestKind value), "side": "request"|"response", "frame"}`` ->
    ``{"command", "payload"}`` (the re-encoded payload) or the first error code."""
    try:
        kind = RequestKind(str_field(data, "kind"))
    except ValueError:
        raise BadInput("unknown request kind") from None
    side = str_field(data, "side")
    if side not in ("request", "response"):
        raise BadInput("side must be request or response")
    decoder = decode_request if side == "request" else decode_response
    message = decoder(kind, hex_field(data, "frame"), preset)
    return {"command": command_of(message).name, "payload": encode_payload(message, preset).hex()}


def handle_gossip_reencode(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-2 (publishing side): ``{"topic", "data"}`` -> the ``topic`` and ``data`` the decoded
    message is published with (``encode_gossip_data``): a canonical message comes back unchanged;
    the decoder's error code otherwise."""
    kind = topic_kind(preset, str_field(data, "topic"))
    message = decode_gossip_data(kind, hex_field(data, "data"), preset)
    out_kind, out = encode_gossip_data(message, preset)
    return {"topic": topic_name(preset, out_kind), "data": out.hex()}


def handle_request_reencode(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-4 (sending side): ``{"kind", "side", "frame"}`` -> the ``frame`` the decoded message
    is sent as (``encode_request_frame``); the decoder's error code otherwise."""
    try:
        kind = RequestKind(str_field(data, "kind"))
    except ValueError:
        raise BadInput("unknown request kind") from None
    side = str_field(data, "side")
    if side not in ("request", "response"):
        raise BadInput("side must be request or response")
    decoder = decode_request if side == "request" else decode_response
    message = decoder(kind, hex_field(data, "frame"), preset)
    return {"frame": encode_request_frame(message, preset).hex()}


def handle_make_operator_peer_record(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-6 (signing side): ``{"operator_secret_key", "peer_id"`` (bytes), ``"addresses"``
    (strings), ``"sequence"}`` -> the signed ``record`` (its encoding) and its
    ``operator_public_key``; ``BLS_INVALID_SECRET_KEY`` or ``P2P_INVALID_RECORD_ADDRESS``."""
    peer_id = hex_field(data, "peer_id")
    sequence = int_field(data, "sequence")
    addresses = field(data, "addresses")
    if len(peer_id) != 38 or not 0 <= sequence < 2**64:
        raise BadInput("peer_id is 38 bytes, sequence a u64")
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise BadInput("addresses is a list of strings")
    encoded = tuple(str(a).encode() for a in addresses)
    if len(encoded) > MAX_RECORD_ADDRESSES or any(len(a) > MAX_RECORD_ADDRESS_BYTES for a in encoded):
        raise BadInput("at most 4 addresses of at most 128 bytes")
    record = make_operator_peer_record(
        hex_field(data, "operator_secret_key"), peer_id, encoded, sequence, preset
    )
    return {
        "record": encode_operator_peer_record(record).hex(),
        "operator_public_key": record.operator_public_key.hex(),
    }


def handle_gossip_data(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-2: ``{"frame"}`` (a P2P-1 frame of the message) -> ``{"topic_kind", "data"}``: the topic
    kind and the gossip data the message is published with; ``P2P_UNKNOWN_COMMAND`` for a message
    that is not gossiped (the frame's own code if it does not decode)."""
    kind, payload = encode_gossip_data(decode_frame(hex_field(data, "frame"), preset), preset)
    return {"topic_kind": kind.value, "data": payload.hex()}


def handle_encode_request(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-4: ``{"frame"}`` (a P2P-1 frame of the message) -> ``{"request_frame"}``: the
    request-response frame (``uvarint length ‖ payload``) that carries the message."""
    message = decode_frame(hex_field(data, "frame"), preset)
    return {"request_frame": encode_request_frame(message, preset).hex()}


def handle_is_newer_command(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SCORE-3: ``{"peer_protocol_version"}`` (int, or null before the peer's Version) ->
    ``{"newer"}``: an unknown command from this peer belongs to a newer protocol (not a violation)."""
    version = field(data, "peer_protocol_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise BadInput("peer_protocol_version must be an integer or null")
    return {"newer": is_newer_command(version, preset)}


def handle_gossip_score_params(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LP-7: ``{"misbehaviour_scores": [int]}`` -> ``{"params": {...}, "app_scores": [int]}``.

    Vectors hold no floats: the weights and thresholds are integral and given as integers, the
    heartbeat in milliseconds, the per-heartbeat ``decay`` as a decimal string of 12 places (a
    ``pow`` may differ in its last bits elsewhere)."""
    raw = field(data, "misbehaviour_scores")
    if not isinstance(raw, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in raw
    ):
        raise BadInput("misbehaviour_scores must be a list of non-negative integers")
    params = compute_gossip_score_params(preset)
    return {
        "params": {
            "mesh_degree": params.mesh_degree,
            "mesh_degree_low": params.mesh_degree_low,
            "mesh_degree_high": params.mesh_degree_high,
            "heartbeat_ms": round(params.heartbeat_seconds * 1000),
            "max_messages_per_topic_per_second": params.max_messages_per_topic_per_second,
            "decay": f"{params.decay:.12f}",
            "app_score_weight": int(params.app_score_weight),
            "invalid_message_weight": int(params.invalid_message_weight),
            "gossip_threshold": int(params.gossip_threshold),
            "publish_threshold": int(params.publish_threshold),
            "graylist_threshold": int(params.graylist_threshold),
            "accept_px_threshold": int(params.accept_px_threshold),
        },
        "app_scores": [int(compute_app_specific_score(int(v))) for v in raw if isinstance(v, int)],
    }


HANDLERS: dict[str, Handler] = {
    "libp2p_protocol_names": handle_protocol_names,
    "libp2p_topic_kind": handle_topic_kind,
    "libp2p_message_id": handle_message_id,
    "libp2p_peer_id": handle_peer_id,
    "libp2p_decode_peer_id": handle_decode_peer_id,
    "libp2p_operator_peer_record": handle_operator_peer_record,
    "libp2p_operator_record_entry": handle_operator_record_entry,
    "libp2p_operator_record_key": handle_operator_record_key,
    "libp2p_select_operator_peer_record": handle_select_operator_peer_record,
    "libp2p_gossip_validation": handle_gossip_validation,
    "libp2p_request_frame": handle_request_frame,
    "libp2p_gossip_reencode": handle_gossip_reencode,
    "libp2p_request_reencode": handle_request_reencode,
    "libp2p_make_operator_peer_record": handle_make_operator_peer_record,
    "libp2p_gossip_data": handle_gossip_data,
    "libp2p_encode_request": handle_encode_request,
    "is_newer_command": handle_is_newer_command,
    "libp2p_gossip_score_params": handle_gossip_score_params,
}
