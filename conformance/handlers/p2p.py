"""Handlers of the ``p2p`` flow (spec/p2p/): frames, locators and header sync, compact blocks,
Kademlia and misbehaviour scoring.

JSON shapes (besides the general conventions of docs/vector-format.md):

* a frame, a payload, a header, a block or a transaction is its canonical encoding in hex;
* a decoded message is ``{"command": <Command name>, "message": {...}}`` where headers are
  reduced to their block hash, blocks to ``{"block_hash", "votes" (count), "wtxids"}``,
  transactions to ``{"txid", "wtxid"}`` (every field of the message is otherwise listed, see
  :func:`message_json` and docs/p2p.md); the quorum messages (P2P-5) have the JSON forms of the
  ``dkg`` flow (:mod:`conformance.handlers.dkg`), a commitment signature (FIN-5) that of the
  ``masternode`` flow (:func:`conformance.handlers.masternode.commitment_signature_json`), PoSe
  challenges and responses (POSE-5/6) too (``challenge_json``, ``response_json``); a sidechain
  block (P2P-SC-1) is ``{"sidechain_id", "height", "header_hash", "transactions"}`` and a sidechain
  transaction (P2P-SC-2) ``{"sidechain_id", "transaction"}``;
* a node address is ``{"node_id", "host", "port"}``;
* a cumulative work is 32-byte big-endian hex.
"""

from __future__ import annotations

from conformance.handlers.chain import big_to_hex
from conformance.handlers.dkg import certificate_to_json, message_to_json, signature_share_to_json
from conformance.handlers.masternode import challenge_json, commitment_signature_json, response_json
from conformance.handlers.p2p_libp2p import HANDLERS as LIBP2P_HANDLERS
from conformance.jsonio import (
    field,
    from_hex,
    hex_field,
    hex_list_field,
    int_field,
    int_list_field,
    str_field,
    to_hex,
)
from conformance.jsonio import object_list_field as _objects
from conformance.model import JSON, BadInput, Handler
from spec.chain.block import Block, BlockHeader, block_hash, decode_block, decode_header, encode_block
from spec.chain.forkchoice import FinalityCertificate
from spec.chain.snapshot_finality import (
    check_snapshot_finality,
    commits_full_state,
    snapshot_finality_key,
)
from spec.ledger.state_snapshot import StateSnapshotManifest
from spec.ledger.transaction import Transaction, decode_transaction, txid, wtxid
from spec.masternode.challenge import PoSeChallenge, PoSeResponse
from spec.masternode.dkg import Complaint, Contribution, Justification
from spec.masternode.finality import CommitmentSignature
from spec.masternode.signing import SignatureShare
from spec.p2p.compact import (
    fill_missing,
    make_compact_block,
    missing_request,
    reconstruct,
    serve_block_txn,
    short_id,
    short_id_key,
)
from spec.p2p.kademlia import (
    Lookup,
    bucket_index,
    closest,
    empty_table,
    head_to_ping,
    insert,
    lookup_done,
    lookup_result,
    next_queries,
    record_answer,
    record_failure,
    remove,
    start_lookup,
)
from spec.p2p.messages import (
    BlockMessage,
    BlockTxn,
    Command,
    CompactBlock,
    FindNode,
    GetBlockTxn,
    GetData,
    GetHeaders,
    GetSidechainBlocks,
    GetSnapshotChunk,
    GetSnapshotManifests,
    Headers,
    Inv,
    InvItem,
    Message,
    NodeAddress,
    NotFound,
    Ping,
    Pong,
    SidechainBlockMessage,
    SidechainTxMessage,
    SnapshotChunkMessage,
    SnapshotManifests,
    TxMessage,
    Verack,
    Version,
    command_of,
    decode_frame,
    decode_payload,
    decode_prefix,
    encode_frame,
    encode_payload,
    frame_length_from_prefix,
    skipped_payload_length,
)
from spec.p2p.peers import NO_SCORES, Violation, check_version, is_handshake_violation, record
from spec.p2p.sync import (
    EMPTY_HEADER_CHAIN,
    HeaderChain,
    block_locator,
    connect_headers,
    header_state,
    headers_after,
    is_body_served,
    locate_fork,
    locator_heights,
    parent_known,
)
from spec.presets import Preset
from spec.sidechain.header import compute_header_hash


def _bool_field(data: dict[str, JSON], name: str) -> bool:
    value = field(data, name)
    if not isinstance(value, bool):
        raise BadInput(f"{name} must be a boolean")
    return value


def _int_list(data: dict[str, JSON], name: str) -> list[int]:
    return int_list_field(data, name)


def _block_json(block: Block, preset: Preset) -> dict[str, JSON]:
    return {
        "block_hash": to_hex(block_hash(block.header, preset)),
        "votes": len(block.votes),
        "wtxids": [to_hex(wtxid(tx, preset)) for tx in block.transactions],
    }


def _tx_json(tx: Transaction, preset: Preset) -> dict[str, JSON]:
    return {"txid": to_hex(txid(tx, preset)), "wtxid": to_hex(wtxid(tx, preset))}


def _items_json(items: tuple[InvItem, ...]) -> list[JSON]:
    return [{"kind": item.kind.name, "hash": to_hex(item.hash)} for item in items]


def node_json(node: NodeAddress) -> dict[str, JSON]:
    """A node address as JSON."""
    return {"node_id": to_hex(node.node_id), "host": to_hex(node.host), "port": node.port}


def parse_node(item: dict[str, JSON]) -> NodeAddress:
    """A node address from JSON."""
    port = int_field(item, "port")
    if not 0 <= port <= 0xFFFF:
        raise BadInput("port must fit 16 bits")
    return NodeAddress(hex_field(item, "node_id"), hex_field(item, "host"), port)


def manifest_json(manifest: StateSnapshotManifest) -> dict[str, JSON]:
    """SNAP-6: the JSON form of a state snapshot manifest."""
    return {
        "block_hash": to_hex(manifest.block_hash),
        "height": manifest.height,
        "state_root": to_hex(manifest.state_root),
        "item_count": manifest.item_count,
        "chunk_count": manifest.chunk_count,
        "chunk_root": to_hex(manifest.chunk_root),
    }


def message_json(message: Message, preset: Preset) -> dict[str, JSON]:
    """P2P-2: the JSON form of a decoded message (see the module docstring)."""
    if isinstance(message, Version):
        return {
            "protocol_version": message.protocol_version,
            "services": message.services,
            "node_id": to_hex(message.node_id),
            "listen_port": message.listen_port,
            "best_height": message.best_height,
            "nonce": message.nonce,
            "user_agent": to_hex(message.user_agent),
        }
    if isinstance(message, Verack):
        return {}
    if isinstance(message, Ping | Pong):
        return {"nonce": message.nonce}
    if isinstance(message, GetHeaders):
        return {"locator": [to_hex(h) for h in message.locator], "stop_hash": to_hex(message.stop_hash)}
    if isinstance(message, Headers):
        return {"headers": [to_hex(block_hash(h, preset)) for h in message.headers]}
    if isinstance(message, Inv | GetData | NotFound):
        return {"items": _items_json(message.items)}
    if isinstance(message, BlockMessage):
        return _block_json(message.block, preset)
    if isinstance(message, TxMessage):
        return _tx_json(message.transaction, preset)
    if isinstance(message, CompactBlock):
        return {
            "block_hash": to_hex(block_hash(message.header, preset)),
            "votes": len(message.votes),
            "nonce": message.nonce,
            "short_ids": [to_hex(s) for s in message.short_ids],
            "prefilled": [
                {"index": p.index, "wtxid": to_hex(wtxid(p.transaction, preset))} for p in message.prefilled
            ],
        }
    if isinstance(message, GetBlockTxn):
        return {"block_hash": to_hex(message.block_hash), "indexes": list(message.indexes)}
    if isinstance(message, BlockTxn):
        return {
            "block_hash": to_hex(message.block_hash),
            "wtxids": [to_hex(wtxid(tx, preset)) for tx in message.transactions],
        }
    if isinstance(message, FindNode):
        return {"target": to_hex(message.target)}
    if isinstance(message, Contribution | Complaint | Justification):
        return message_to_json(message)
    if isinstance(message, SignatureShare):
        return signature_share_to_json(message)
    if isinstance(message, FinalityCertificate):
        return certificate_to_json(message)
    if isinstance(message, CommitmentSignature):
        return commitment_signature_json(message)
    if isinstance(message, PoSeChallenge):
        return challenge_json(message)
    if isinstance(message, PoSeResponse):
        return response_json(message)
    if isinstance(message, GetSnapshotManifests):
        return {"max_height": message.max_height}
    if isinstance(message, SnapshotManifests):
        return {
            "manifests": [
                {**manifest_json(m.manifest), "certificate": certificate_to_json(m.certificate)}
                for m in message.manifests
            ]
        }
    if isinstance(message, GetSnapshotChunk):
        return {
            "block_hash": to_hex(message.block_hash),
            "chunk_root": to_hex(message.chunk_root),
            "index": message.index,
        }
    if isinstance(message, SnapshotChunkMessage):
        return {
            "block_hash": to_hex(message.block_hash),
            "chunk_root": to_hex(message.chunk_root),
            "index": message.index,
            "chunk": to_hex(message.chunk),
            "proof": [to_hex(p) for p in message.proof],
        }
    if isinstance(message, SidechainBlockMessage):
        header = message.block.header
        return {
            "sidechain_id": header.sidechain_id,
            "height": header.height,
            "header_hash": to_hex(compute_header_hash(header)),
            "transactions": [to_hex(tx) for tx in message.block.transactions],
        }
    if isinstance(message, SidechainTxMessage):
        return {"sidechain_id": message.sidechain_id, "transaction": to_hex(message.transaction)}
    if isinstance(message, GetSidechainBlocks):
        return {
            "sidechain_id": message.sidechain_id,
            "from_height": message.from_height,
            "count": message.count,
        }
    return {"nodes": [node_json(n) for n in message.nodes]}


# --------------------------------------------------------------------------------------------
# Frames (P2P-1..4)
# --------------------------------------------------------------------------------------------


def handle_decode_frame(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-1/2: ``{"frame"}`` -> ``{"command", "message"}`` or the frame's error code."""
    message = decode_frame(hex_field(data, "frame"), preset)
    return {"command": command_of(message).name, "message": message_json(message, preset)}


def handle_encode_frame(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-1/2: ``{"frame"}`` -> ``{"frame"}``: the frame decoded and encoded again (the canonical
    encoding of the message, equal to the input for every frame that decodes), or the frame's
    error code."""
    return {"frame": to_hex(encode_frame(decode_frame(hex_field(data, "frame"), preset), preset))}


def handle_frame_prefix(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-1 steps 1-4: ``{"prefix"}`` (13 bytes) -> ``{"command", "payload_length"}``."""
    raw = hex_field(data, "prefix")
    command = decode_prefix(raw, preset).command
    # The payload length as the streaming reader takes it from the same prefix (P2P-1).
    return {"command": command.name, "payload_length": frame_length_from_prefix(raw, preset)}


def handle_skipped_payload_length(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SCORE-2: ``{"prefix"}`` (13 bytes, an unknown command) -> ``{"payload_length"}`` to skip."""
    return {"payload_length": skipped_payload_length(hex_field(data, "prefix"), preset)}


def handle_check_version(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-HS: ``{"version"}`` (a Version payload), ``"own_nonce"`` -> ``{"ok": true}`` or a code."""
    version = decode_payload(Command.VERSION, hex_field(data, "version"), preset)
    if not isinstance(version, Version):  # pragma: no cover - the VERSION codec decodes a Version
        raise BadInput("not a Version")
    check_version(version, int_field(data, "own_nonce"), preset)
    return {"ok": True}


def handle_handshake_violation(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-HS: ``{"received_version", "received_verack"`` (booleans), ``"command"`` (a command name,
    e.g. ``"VERSION"``)``}`` -> ``{"violation"}``: whether receiving ``command`` now breaks the
    handshake order (a second VERSION, a VERACK before VERSION or twice, anything else before both)."""
    name = str_field(data, "command")
    if name not in Command.__members__:
        raise BadInput(f"unknown command {name!r}")
    violation = is_handshake_violation(
        _bool_field(data, "received_version"), _bool_field(data, "received_verack"), Command[name]
    )
    return {"violation": violation}


# --------------------------------------------------------------------------------------------
# Locators and header sync (P2P-LOC, P2P-SYNC-1..3)
# --------------------------------------------------------------------------------------------


def handle_locator_heights(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LOC: ``{"tip_height"}`` -> ``{"heights"}``."""
    tip = int_field(data, "tip_height")
    if tip < 0:
        raise BadInput("tip_height must be non-negative")
    return {"heights": list(locator_heights(tip))}


def handle_is_body_served(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-PRUNE-1: ``{"services", "peer_height", "height"}`` -> ``{"served"}``."""
    services, peer_height = int_field(data, "services"), int_field(data, "peer_height")
    if services < 0 or services >= 2**64 or peer_height < 0:
        raise BadInput("services is a u64 and peer_height non-negative")
    return {"served": is_body_served(services, peer_height, int_field(data, "height"), preset)}


def handle_block_locator(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-LOC: ``{"chain"}`` (hashes by height) -> ``{"locator"}``."""
    return {"locator": [to_hex(h) for h in block_locator(hex_list_field(data, "chain"))]}


def handle_locate_fork(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SYNC-1: ``{"locator", "chain"}`` -> ``{"height"}`` or ``P2P_NO_COMMON_BLOCK``."""
    return {"height": locate_fork(hex_list_field(data, "locator"), hex_list_field(data, "chain"))}


def _headers(data: dict[str, JSON], name: str, preset: Preset) -> list[BlockHeader]:
    return [decode_header(raw, preset) for raw in hex_list_field(data, name)]


def handle_headers_after(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SYNC-2: ``{"chain" (headers), "locator", "stop_hash", "max_count"}`` -> ``{"headers"}``
    (their hashes)."""
    chain = _headers(data, "chain", preset)
    answer = headers_after(
        chain,
        hex_list_field(data, "locator"),
        hex_field(data, "stop_hash"),
        int_field(data, "max_count"),
        preset,
    )
    return {"headers": [to_hex(block_hash(h, preset)) for h in answer]}


def _connected(data: dict[str, JSON], preset: Preset) -> HeaderChain:
    """The ``chain`` headers connected to the empty header chain at ``now``."""
    headers = _headers(data, "chain", preset)
    return connect_headers(EMPTY_HEADER_CHAIN, headers, int_field(data, "now"), preset)


def handle_header_state(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SYNC-3: ``{"chain" (headers, connected from nothing), "now", "height"}`` -> ``{"height",
    "tip_hash" (hex or null), "bits", "timestamps", "cumulative_work"}``: what the header-only state
    after block ``height`` of the chain holds (``height`` -1: before genesis; above the tip: the tip),
    the state ``check_header`` judges the next header on."""
    chain = connect_headers(
        EMPTY_HEADER_CHAIN, _headers(data, "chain", preset), int_field(data, "now"), preset
    )
    state = header_state(chain, int_field(data, "height"), preset)
    return {
        "height": state.height,
        "tip_hash": None if state.height < 0 else to_hex(state.tip_hash),
        "bits": state.bits,
        "timestamps": len(state.timestamps),
        "cumulative_work": big_to_hex(state.cumulative_work),
    }


def handle_parent_known(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SYNC-3: ``{"chain" (headers, connected from nothing), "now", "header"}`` -> ``{"known"}``:
    whether the header's parent is on the chain at the height below it (a genesis header: always)."""
    chain = connect_headers(
        EMPTY_HEADER_CHAIN, _headers(data, "chain", preset), int_field(data, "now"), preset
    )
    return {"known": parent_known(chain, decode_header(hex_field(data, "header"), preset))}


def handle_connect_headers(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SYNC-3: ``{"chain", "headers", "now"}`` -> ``{"height", "tip_hash", "cumulative_work"}``.

    ``chain`` is connected to the empty header chain first, then ``headers`` to the result.
    """
    now = int_field(data, "now")
    known = connect_headers(EMPTY_HEADER_CHAIN, _headers(data, "chain", preset), now, preset)
    after = connect_headers(known, _headers(data, "headers", preset), now, preset)
    return {
        "height": after.height,
        "tip_hash": to_hex(after.hashes[-1]) if after.hashes else None,
        "cumulative_work": big_to_hex(after.cumulative_work),
    }


# --------------------------------------------------------------------------------------------
# Compact blocks (P2P-CMPCT-1..5)
# --------------------------------------------------------------------------------------------


def handle_short_id(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-CMPCT-1: ``{"block_hash", "nonce", "wtxid"}`` -> ``{"short_id"}``."""
    key = short_id_key(hex_field(data, "block_hash"), int_field(data, "nonce"))
    return {"short_id": to_hex(short_id(key, hex_field(data, "wtxid")))}


def handle_make_compact_block(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-CMPCT-2: ``{"block", "nonce", "prefilled"}`` -> ``{"compact"}`` (a CompactBlock payload)."""
    block = decode_block(hex_field(data, "block"), preset)
    compact = make_compact_block(block, int_field(data, "nonce"), _int_list(data, "prefilled"), preset)
    return {"compact": to_hex(encode_payload(compact, preset))}


def handle_reconstruct(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-CMPCT-3..5: ``{"compact", "mempool" (transactions), "block_txn" (payload or null)}`` ->
    ``{"missing", "request" (the GET_BLOCK_TXN payload asking for them), "block" (hex or null)}``;
    with ``block_txn`` the missing transactions are filled."""
    compact = decode_payload(Command.COMPACT_BLOCK, hex_field(data, "compact"), preset)
    if not isinstance(compact, CompactBlock):  # pragma: no cover - the codec decodes a CompactBlock
        raise BadInput("not a CompactBlock")
    pool = [decode_transaction(raw, preset) for raw in hex_list_field(data, "mempool")]
    partial = reconstruct(compact, {wtxid(tx, preset): tx for tx in pool}, preset)
    block = partial.block
    raw_response = field(data, "block_txn")
    if raw_response is not None:
        response = decode_payload(Command.BLOCK_TXN, from_hex(raw_response, "block_txn"), preset)
        if not isinstance(response, BlockTxn):  # pragma: no cover - the codec decodes a BlockTxn
            raise BadInput("not a BlockTxn")
        block = fill_missing(partial, response, preset)
    return {
        "missing": list(partial.missing),
        "request": to_hex(encode_payload(missing_request(partial), preset)),
        "block": None if block is None else to_hex(encode_block(block, preset)),
    }


def handle_serve_block_txn(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-CMPCT-4: ``{"block", "request" (GetBlockTxn payload)}`` -> ``{"response"}`` (BlockTxn payload)."""
    block = decode_block(hex_field(data, "block"), preset)
    request = decode_payload(Command.GET_BLOCK_TXN, hex_field(data, "request"), preset)
    if not isinstance(request, GetBlockTxn):  # pragma: no cover - the codec decodes a GetBlockTxn
        raise BadInput("not a GetBlockTxn")
    return {"response": to_hex(encode_payload(serve_block_txn(block, request, preset), preset))}


# --------------------------------------------------------------------------------------------
# Kademlia (P2P-KAD-1..4)
# --------------------------------------------------------------------------------------------


def handle_bucket_index(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-KAD-1: ``{"own_id", "node_id"}`` -> ``{"index"}`` or ``P2P_INVALID_NODE_ID``."""
    return {"index": bucket_index(hex_field(data, "own_id"), hex_field(data, "node_id"), preset)}


def _ids(nodes: tuple[NodeAddress, ...]) -> list[JSON]:
    return [to_hex(n.node_id) for n in nodes]


def handle_kademlia_lookup(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-KAD-4: an iterative lookup of ``target`` from a table holding ``nodes``.

    ``{"own_id", "nodes": [node], "target", "events": [event]}``; the table is the empty table of
    ``own_id`` after inserting ``nodes`` in order (head alive). An event is ``{"query": in_flight}``
    (choose the next nodes to query), ``{"answer": node_id, "nodes": [node]}`` or
    ``{"failure": node_id}``. Output: ``{"start": [id], "steps": [{"queried": [id] (query events
    only, else null), "shortlist": [id], "done": bool}], "result": [id]}``.
    """
    table = empty_table(hex_field(data, "own_id"), preset)
    for raw in _objects(data, "nodes"):
        table = insert(table, parse_node(raw), True, preset)
    lookup: Lookup = start_lookup(table, hex_field(data, "target"), preset)
    start = _ids(lookup.shortlist)
    steps: list[JSON] = []
    for event in _objects(data, "events"):
        chosen: list[JSON] | None = None
        if "query" in event:
            lookup, queried = next_queries(lookup, int_field(event, "query"), preset)
            chosen = _ids(queried)
        elif "answer" in event:
            heard = [parse_node(n) for n in _objects(event, "nodes")]
            lookup = record_answer(lookup, hex_field(event, "answer"), heard, preset)
        else:
            lookup = record_failure(lookup, hex_field(event, "failure"))
        steps.append({"queried": chosen, "shortlist": _ids(lookup.shortlist), "done": lookup_done(lookup)})
    return {"start": start, "steps": steps, "result": _ids(lookup_result(lookup))}


def handle_kademlia_sequence(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-KAD-2/3: apply ``operations`` to an empty table of ``own_id``.

    An operation is ``{"insert": node, "head_alive": bool}`` or ``{"remove": node_id}``. Output:
    ``{"pings": [node_id or null per operation], "buckets": [{"index", "nodes", "replacements"}]}``
    (non-empty buckets only; ``pings`` is :func:`head_to_ping` before each insert).
    """
    table = empty_table(hex_field(data, "own_id"), preset)
    pings: list[JSON] = []
    for operation in _objects(data, "operations"):
        if "insert" in operation:
            raw = operation["insert"]
            if not isinstance(raw, dict):
                raise BadInput("insert must be a node object")
            contact = parse_node(raw)
            head = head_to_ping(table, contact, preset)
            pings.append(None if head is None else to_hex(head.node_id))
            table = insert(table, contact, _bool_field(operation, "head_alive"), preset)
        else:
            pings.append(None)
            table = remove(table, hex_field(operation, "remove"), preset)
    buckets: list[JSON] = [
        {
            "index": index,
            "nodes": [to_hex(n.node_id) for n in bucket.nodes],
            "replacements": [to_hex(n.node_id) for n in bucket.replacements],
        }
        for index, bucket in enumerate(table.buckets)
        if bucket.nodes or bucket.replacements
    ]
    return {"pings": pings, "buckets": buckets}


def handle_closest(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-KAD-2/4: insert ``contacts`` in order (every pinged head answers), then ``closest``.

    ``{"own_id", "contacts", "target", "count"}`` -> ``{"nodes"}`` (ids, closest first).
    """
    table = empty_table(hex_field(data, "own_id"), preset)
    for item in _objects(data, "contacts"):
        table = insert(table, parse_node(item), True, preset)
    nodes = closest(table, hex_field(data, "target"), int_field(data, "count"), preset)
    return {"nodes": [to_hex(n.node_id) for n in nodes]}


# --------------------------------------------------------------------------------------------
# Misbehaviour (P2P-SCORE-1/2)
# --------------------------------------------------------------------------------------------


def parse_manifest(raw: JSON) -> StateSnapshotManifest:
    """SNAP-6: a state snapshot manifest from its JSON form (:func:`manifest_json`)."""
    if not isinstance(raw, dict):
        raise BadInput("a manifest must be an object")
    return StateSnapshotManifest(
        hex_field(raw, "block_hash"),
        int_field(raw, "height"),
        hex_field(raw, "state_root"),
        int_field(raw, "item_count"),
        int_field(raw, "chunk_count"),
        hex_field(raw, "chunk_root"),
    )


def parse_certificate(raw: JSON) -> FinalityCertificate:
    """FORK-3: a finality certificate from ``{"height", "block_hash", "signature"}``."""
    if not isinstance(raw, dict):
        raise BadInput("a certificate must be an object")
    return FinalityCertificate(
        int_field(raw, "height"), hex_field(raw, "block_hash"), hex_field(raw, "signature")
    )


def _snapshot_items(data: dict[str, JSON]) -> dict[bytes, bytes]:
    raw_items = field(data, "items")
    if not isinstance(raw_items, list):
        raise BadInput("items must be a list of [key, value] pairs")
    items: dict[bytes, bytes] = {}
    for pair in raw_items:
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadInput("an item is a [key, value] pair of hex strings")
        items[from_hex(pair[0], "key")] = from_hex(pair[1], "value")
    return items


def handle_commits_full_state(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-9: ``{"items"}`` ([key, value] hex pairs: a snapshot's verified items) ->
    ``{"full_state"}``: whether they are a full state (the four STATE-2 singletons present), whose
    finality SNAP-9 checks, rather than a UTXO snapshot's (STATE-1), which the node replays."""
    del preset
    return {"full_state": commits_full_state(_snapshot_items(data))}


def handle_check_snapshot_finality(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SNAP-9: ``{"manifest", "certificate", "hashes" (the header chain's block hashes by height),
    "items" ([key, value] hex pairs: the snapshot's verified items)}`` -> ``{"finality_key"}`` (the
    committed key the certificate verified under) or a rejection."""
    manifest = parse_manifest(field(data, "manifest"))
    certificate = parse_certificate(field(data, "certificate"))
    items = _snapshot_items(data)
    hashes = hex_list_field(data, "hashes")
    check_snapshot_finality(manifest, certificate, hashes, items, preset)
    return {"finality_key": to_hex(snapshot_finality_key(items, certificate.height, preset))}


def handle_score_sequence(preset: Preset, data: dict[str, JSON]) -> JSON:
    """P2P-SCORE-1/2: ``{"events": [{"peer", "violation"}]}`` ->
    ``{"verdicts": [{"score", "disconnect"}]}`` (one per event)."""
    scores = NO_SCORES
    verdicts: list[JSON] = []
    for event in _objects(data, "events"):
        peer = str_field(event, "peer")
        try:
            violation = Violation(str_field(event, "violation"))
        except ValueError:
            raise BadInput("unknown violation") from None
        scores, disconnect = record(scores, peer, violation, preset)
        verdicts.append({"score": scores.by_peer[peer], "disconnect": disconnect})
    return {"verdicts": verdicts}


HANDLERS: dict[str, Handler] = {
    "decode_frame": handle_decode_frame,
    "frame_prefix": handle_frame_prefix,
    "skipped_payload_length": handle_skipped_payload_length,
    "check_version": handle_check_version,
    "handshake_violation": handle_handshake_violation,
    "locator_heights": handle_locator_heights,
    "block_locator": handle_block_locator,
    "is_body_served": handle_is_body_served,
    "locate_fork": handle_locate_fork,
    "headers_after": handle_headers_after,
    "connect_headers": handle_connect_headers,
    "header_state": handle_header_state,
    "parent_known": handle_parent_known,
    "short_id": handle_short_id,
    "make_compact_block": handle_make_compact_block,
    "reconstruct": handle_reconstruct,
    "serve_block_txn": handle_serve_block_txn,
    "bucket_index": handle_bucket_index,
    "kademlia_sequence": handle_kademlia_sequence,
    "kademlia_lookup": handle_kademlia_lookup,
    "encode_frame": handle_encode_frame,
    "closest": handle_closest,
    "score_sequence": handle_score_sequence,
    "check_snapshot_finality": handle_check_snapshot_finality,
    "commits_full_state": handle_commits_full_state,
    **LIBP2P_HANDLERS,
}
