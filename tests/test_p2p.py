"""P2P properties (docs/p2p.md): framing, locators and header sync, compact blocks, Kademlia, scores.

* every message of every command survives ``decode_frame(encode_frame(m)) == m`` and every accepted
  frame re-encodes to itself; arbitrary bytes are refused only with a ``SpecError``;
* locators start at the tip, end at genesis, strictly decrease and have O(log n) entries; the fork
  point found from a peer's locator on random forks is the highest common block the locator lists
  (the true fork point within ten blocks of the peer's tip, and never further below it than the
  peer's tip is above it); a header sync between two chains converges on the better one;
* compact-block reconstruction gives the original block for any mempool that holds the block's
  transactions (plus anything else), even with colliding short ids, and misses exactly the
  transactions the mempool lacks;
* ``closest`` equals a brute-force sort, the routing table keeps its invariants under any
  sequence of inserts and removals, and a simulated lookup finds the k closest nodes;
* misbehaviour scores only grow and disconnect exactly at the threshold or on fatal violations.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import resources
from typing import Any
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conformance.generate import generate_files
from conformance.generators.p2p import (
    p2p_chain,
    quorum_messages,
    sample_messages,
    synthetic_block,
    synthetic_transaction,
)
from conformance.handlers.p2p import HANDLERS
from conformance.model import BadInput
from conformance.outcome import run_handler
from fuzz.p2p_harnesses import P2P_HARNESSES, check_table, p2p_seeds
from spec.chain.block import Block, BlockHeader, TicketVote, block_hash, encode_block
from spec.chain.forkchoice import FinalityCertificate
from spec.errors import (
    ALL_ERROR_CODES,
    BadChecksum,
    CompactMerkleMismatch,
    DecodeError,
    InvalidPreset,
    LengthLimitExceeded,
    MessageTooLarge,
    NoCommonBlock,
    SpecError,
    UnknownCommand,
    WrongMagic,
    WrongPreviousBlock,
)
from spec.ledger.state_snapshot import MAX_CHUNK_PROOF, StateSnapshotManifest
from spec.ledger.transaction import OutPoint, Transaction, TxInput, TxOutput, wtxid
from spec.masternode.challenge import PoSeChallenge, PoSeResponse
from spec.masternode.dkg import Complaint, Contribution, Justification
from spec.masternode.finality import CommitmentSignature, QuorumRecord, check_commitment_signature
from spec.masternode.signing import SignatureShare
from spec.p2p import compact as compact_module
from spec.p2p.compact import (
    fill_missing,
    make_compact_block,
    missing_request,
    reconstruct,
    serve_block_txn,
)
from spec.p2p.kademlia import (
    bucket_index,
    closest,
    distance,
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
    table_nodes,
)
from spec.p2p.messages import (
    MAX_SNAPSHOT_MANIFESTS,
    MESSAGE_TYPES,
    PREFIX_BYTES,
    BlockMessage,
    BlockTxn,
    CertifiedManifest,
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
    InvKind,
    Message,
    NodeAddress,
    Nodes,
    NotFound,
    Ping,
    Pong,
    PrefilledTransaction,
    SidechainBlockMessage,
    SidechainTxMessage,
    SnapshotChunkMessage,
    SnapshotManifests,
    TxMessage,
    Verack,
    Version,
    checksum,
    command_of,
    decode_frame,
    decode_prefix,
    encode_frame,
    encode_payload,
    frame_length_from_prefix,
    skipped_payload_length,
)
from spec.p2p.peers import (
    NO_SCORES,
    STREAM_FATAL,
    Violation,
    check_version,
    frame_violation,
    is_handshake_violation,
    is_newer_command,
    record,
    violation_score,
)
from spec.p2p.sync import (
    EMPTY_HEADER_CHAIN,
    block_locator,
    chain_hashes,
    connect_headers,
    headers_after,
    locate_fork,
    locator_heights,
    parent_known,
)
from spec.presets import DEVNET, MAINNET, parse_preset
from spec.sidechain.chain import SidechainBlock
from spec.sidechain.header import SidechainHeader
from tests.hypothesis_profiles import examples

PRESET = DEVNET
U16 = st.integers(0, 2**16 - 1)
U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)
HASH = st.binary(min_size=32, max_size=32)
SIGNATURE = st.binary(min_size=96, max_size=96)
SCRIPT = st.binary(max_size=40)


# --------------------------------------------------------------------------------------------
# Strategies: one per message type
# --------------------------------------------------------------------------------------------

transactions = st.builds(
    Transaction,
    U32,
    st.lists(st.builds(TxInput, st.builds(OutPoint, HASH, U32), SCRIPT, U32), min_size=1, max_size=3).map(
        tuple
    ),
    st.lists(st.builds(TxOutput, U64, SCRIPT), min_size=1, max_size=3).map(tuple),
    U32,
)
headers = st.builds(BlockHeader, U32, U64, HASH, HASH, HASH, HASH, U64, U32, U64)
votes = st.builds(TicketVote, HASH, U32, HASH, st.integers(0, 255), st.binary(min_size=64, max_size=64))
blocks = st.builds(
    Block,
    headers,
    st.lists(votes, max_size=PRESET.tickets.voters_per_block).map(tuple),
    st.lists(transactions, max_size=3).map(tuple),
)
inv_items = st.lists(st.builds(InvItem, st.sampled_from(InvKind), HASH), max_size=4).map(tuple)
indexes = st.lists(st.integers(0, 500), max_size=6, unique=True).map(lambda xs: tuple(sorted(xs)))
node_addresses = st.builds(NodeAddress, HASH, st.binary(max_size=20), U16)


@st.composite
def compact_blocks(draw: st.DrawFn) -> CompactBlock:
    positions = draw(indexes)
    return CompactBlock(
        draw(headers),
        draw(st.lists(votes, max_size=2).map(tuple)),
        draw(U64),
        tuple(draw(st.lists(st.binary(min_size=6, max_size=6), max_size=5))),
        tuple(PrefilledTransaction(i, draw(transactions)) for i in positions),
    )


MESSAGE_STRATEGIES: dict[Command, st.SearchStrategy[Any]] = {
    Command.VERSION: st.builds(Version, U32, U64, HASH, U16, U64, U64, st.binary(max_size=256)),
    Command.VERACK: st.just(Verack()),
    Command.PING: st.builds(Ping, U64),
    Command.PONG: st.builds(Pong, U64),
    Command.GET_HEADERS: st.builds(GetHeaders, st.lists(HASH, max_size=5).map(tuple), HASH),
    Command.HEADERS: st.builds(Headers, st.lists(headers, max_size=3).map(tuple)),
    Command.INV: st.builds(Inv, inv_items),
    Command.GET_DATA: st.builds(GetData, inv_items),
    Command.NOT_FOUND: st.builds(NotFound, inv_items),
    Command.BLOCK: st.builds(BlockMessage, blocks),
    Command.TX: st.builds(TxMessage, transactions),
    Command.COMPACT_BLOCK: compact_blocks(),
    Command.GET_BLOCK_TXN: st.builds(GetBlockTxn, HASH, indexes),
    Command.BLOCK_TXN: st.builds(BlockTxn, HASH, st.lists(transactions, max_size=3).map(tuple)),
    Command.FIND_NODE: st.builds(FindNode, HASH),
    Command.NODES: st.builds(Nodes, st.lists(node_addresses, max_size=4).map(tuple)),
    Command.DKG_CONTRIBUTION: st.builds(
        Contribution,
        HASH,
        U16,
        st.lists(st.binary(min_size=48, max_size=48), max_size=PRESET.quorum.max_members).map(tuple),
        st.lists(st.binary(min_size=96, max_size=96), max_size=PRESET.quorum.max_members).map(tuple),
        SIGNATURE,
    ),
    Command.DKG_COMPLAINT: st.builds(Complaint, HASH, U16, U16, SIGNATURE),
    Command.DKG_JUSTIFICATION: st.builds(Justification, HASH, U16, U16, HASH, SIGNATURE),
    Command.SIGNATURE_SHARE: st.builds(SignatureShare, HASH, HASH, U16, SIGNATURE),
    Command.FINALITY_CERTIFICATE: st.builds(FinalityCertificate, U64, HASH, SIGNATURE),
    Command.COMMITMENT_SIGNATURE: st.builds(
        CommitmentSignature, U64, HASH, st.binary(min_size=48, max_size=48), HASH, U16, SIGNATURE
    ),
    Command.POSE_CHALLENGE: st.builds(
        PoSeChallenge, U64, U16, st.builds(OutPoint, HASH, U32), HASH, SIGNATURE
    ),
    Command.POSE_RESPONSE: st.builds(PoSeResponse, HASH, SIGNATURE),
    Command.GET_SNAPSHOT_MANIFESTS: st.builds(GetSnapshotManifests, U64),
    Command.SNAPSHOT_MANIFESTS: st.builds(
        SnapshotManifests,
        st.lists(
            st.builds(
                CertifiedManifest,
                st.builds(StateSnapshotManifest, HASH, U64, HASH, U64, U32, HASH),
                st.builds(FinalityCertificate, U64, HASH, SIGNATURE),
            ),
            max_size=MAX_SNAPSHOT_MANIFESTS,
        ).map(tuple),
    ),
    Command.GET_SNAPSHOT_CHUNK: st.builds(GetSnapshotChunk, HASH, HASH, U32),
    Command.SNAPSHOT_CHUNK: st.builds(
        SnapshotChunkMessage,
        HASH,
        HASH,
        U32,
        st.binary(max_size=300),
        st.lists(HASH, max_size=MAX_CHUNK_PROOF).map(tuple),
    ),
    Command.SIDECHAIN_BLOCK: st.builds(
        SidechainBlockMessage,
        st.builds(
            SidechainBlock,
            st.builds(SidechainHeader, U64, U64, HASH, U64, HASH, U64, HASH, HASH, U64, HASH, HASH),
            st.lists(st.binary(max_size=200), max_size=3).map(tuple),
        ),
    ),
    Command.SIDECHAIN_TX: st.builds(SidechainTxMessage, U64, st.binary(max_size=300)),
    Command.GET_SIDECHAIN_BLOCKS: st.builds(
        GetSidechainBlocks,
        U64,
        U64,
        st.integers(1, PRESET.sidechains.max_blocks_per_request),
    ),
}


def test_every_command_has_a_strategy_and_a_sample() -> None:
    assert set(MESSAGE_STRATEGIES) == set(Command) == set(MESSAGE_TYPES)
    assert {command_of(m) for _, m in sample_messages(PRESET)} == set(Command)


def test_sample_commitment_signature_is_a_member_signature() -> None:
    """The COMMITMENT_SIGNATURE sample is a real operator-key signature of its quorum's commitment."""
    quorum = quorum_messages(PRESET)
    session = quorum.finished.quorum.session
    record = QuorumRecord(
        session.start_height, bytes(32), session.session_id, session.members, session.threshold
    )
    signed = quorum.commitment_signature
    assert signed.group_public_key == quorum.finished.group_public_key
    check_commitment_signature(record, signed)


@pytest.mark.parametrize("command", list(Command), ids=lambda c: c.name)
@settings(max_examples=examples(25))
@given(data=st.data())
def test_frame_round_trip(command: Command, data: st.DataObject) -> None:
    message: Message = data.draw(MESSAGE_STRATEGIES[command])
    frame = encode_frame(message, PRESET)
    assert frame[:4] == PRESET.network.magic and frame[4] == command
    assert frame_length_from_prefix(frame[:PREFIX_BYTES], PRESET) == len(frame) - PREFIX_BYTES
    assert decode_frame(frame, PRESET) == message
    assert encode_frame(decode_frame(frame, PRESET), PRESET) == frame


@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_spec_errors(data: bytes) -> None:
    try:
        message = decode_frame(data, PRESET)
    except DecodeError as error:
        frame_violation(error)
        return
    assert encode_frame(message, PRESET) == data


@given(st.sampled_from(list(Command)), st.binary(max_size=400))
def test_arbitrary_payloads_only_decode_errors(command: Command, payload: bytes) -> None:
    frame = PRESET.network.magic + bytes([command]) + len(payload).to_bytes(4, "little") + checksum(payload)
    try:
        message = decode_frame(frame + payload, PRESET)
    except DecodeError:
        return
    assert command_of(message) == command
    assert encode_payload(message, PRESET) == payload


def test_frame_errors_in_order() -> None:
    frame = encode_frame(Ping(1), PRESET)
    with pytest.raises(WrongMagic):
        decode_frame(MAINNET.network.magic + frame[4:], PRESET)
    with pytest.raises(UnknownCommand):
        decode_frame(frame[:4] + b"\x99" + frame[5:], PRESET)
    huge = frame[:5] + (PRESET.network.max_message_bytes + 1).to_bytes(4, "little") + frame[9:13]
    with pytest.raises(MessageTooLarge):
        decode_prefix(huge, PRESET)
    with pytest.raises(MessageTooLarge):  # checked on the prefix: no payload needed
        decode_frame(huge, PRESET)
    with pytest.raises(BadChecksum):
        decode_frame(frame[:9] + bytes(4) + frame[13:], PRESET)
    assert frame_violation(WrongMagic()) in STREAM_FATAL
    assert frame_violation(LengthLimitExceeded()) == Violation.TOO_MANY_ITEMS


@given(st.integers(0, 255), st.binary(max_size=300), st.integers(1, 4))
def test_an_unknown_command_is_skipped_by_its_length(command: int, payload: bytes, frames: int) -> None:
    """P2P-SCORE-2: after a frame with an unknown command, skipping ``skipped_payload_length`` bytes
    leaves the stream at the next frame boundary (whatever the payload), so the next frame decodes."""
    assume(command not in {c.value for c in Command})
    unknown = PRESET.network.magic + bytes([command]) + len(payload).to_bytes(4, "little") + bytes(4)
    stream = (unknown + payload) * frames + encode_frame(Ping(7), PRESET)
    for _ in range(frames):
        with pytest.raises(UnknownCommand):
            frame_length_from_prefix(stream[:PREFIX_BYTES], PRESET)
        stream = stream[PREFIX_BYTES + skipped_payload_length(stream[:PREFIX_BYTES], PRESET) :]
    assert decode_frame(stream, PRESET) == Ping(7)


def test_skipping_keeps_the_length_bound_and_magic() -> None:
    huge = PRESET.network.magic + b"\x99" + (PRESET.network.max_message_bytes + 1).to_bytes(4, "little")
    with pytest.raises(MessageTooLarge):
        skipped_payload_length(huge + bytes(4), PRESET)
    with pytest.raises(WrongMagic):
        skipped_payload_length(MAINNET.network.magic + huge[4:] + bytes(4), PRESET)
    with pytest.raises(DecodeError):
        skipped_payload_length(huge, PRESET)  # a short prefix


def test_unknown_commands_of_a_newer_version_are_no_violation() -> None:
    own = PRESET.network.protocol_version
    assert is_newer_command(own + 1, PRESET)
    assert not is_newer_command(own, PRESET) and not is_newer_command(None, PRESET)


def test_oversized_payload_cannot_be_framed() -> None:
    small = replace(PRESET, network=replace(PRESET.network, max_message_bytes=100))
    with pytest.raises(SpecError):
        encode_frame(Headers(tuple(h for h in p2p_chain().headers[:2])), small)


def test_network_preset_invariants() -> None:
    text = resources.files("spec.presets").joinpath("devnet.toml").read_text(encoding="utf-8")
    parse_preset(text)
    for old, new in (
        ("max_message_bytes = 4194304", "max_message_bytes = 4000"),
        ("min_protocol_version = 1", "min_protocol_version = 2"),
        ("node_id_bits = 256", "node_id_bits = 250"),
        ("kademlia_alpha = 3", "kademlia_alpha = 30"),
        ("ban_threshold = 100", "ban_threshold = 0"),
        ("[network.misbehaviour]", "[network.misbehaving]"),
    ):
        assert old in text
        with pytest.raises(InvalidPreset):
            parse_preset(text.replace(old, new))


# --------------------------------------------------------------------------------------------
# Locators and header sync
# --------------------------------------------------------------------------------------------


@given(st.integers(0, 2**64))
def test_locator_heights_shape(tip: int) -> None:
    heights = locator_heights(tip)
    assert heights[0] == tip and heights[-1] == 0
    assert all(a > b for a, b in itertools.pairwise(heights))
    assert len(heights) <= 12 + tip.bit_length()
    assert heights[: min(11, tip + 1)] == tuple(range(tip, tip - min(11, tip + 1), -1))


@given(st.integers(1, 3000))
def test_block_locator_contains_tip_and_genesis(length: int) -> None:
    chain = [i.to_bytes(32, "big") for i in range(length)]
    locator = block_locator(chain)
    assert locator[0] == chain[-1] and locator[-1] == chain[0]
    assert len(locator) <= PRESET.network.max_locator_hashes
    assert block_locator([]) == ()


@given(st.integers(1, 400), st.data())
def test_locate_fork_finds_true_fork(length: int, data: st.DataObject) -> None:
    fork = data.draw(st.integers(0, length - 1))
    extra = data.draw(st.integers(0, 300))
    main = [b"m" + i.to_bytes(31, "big") for i in range(length)]
    other = [*main[: fork + 1], *(b"o" + i.to_bytes(31, "big") for i in range(extra))]
    for peer, ours in ((other, main), (main, other)):
        tip = len(peer) - 1
        found = locate_fork(block_locator(peer), ours)
        # The highest common block the locator lists: the fork itself within ten blocks of the
        # peer's tip, and never more blocks below the fork than the peer is above it.
        assert found == max(h for h in locator_heights(tip) if h <= fork)
        assert found == fork or tip - fork > 10
        assert fork - found < max(1, tip - fork)


def test_locate_fork_without_common_block() -> None:
    with pytest.raises(NoCommonBlock):
        locate_fork([bytes(32)], [bytes([1]) * 32])
    with pytest.raises(NoCommonBlock):
        locate_fork([], [bytes(32)])


def test_header_chain_matches_full_validation() -> None:
    chain = p2p_chain()
    headers = chain.headers
    built = connect_headers(EMPTY_HEADER_CHAIN, headers, headers[-1].timestamp, PRESET)
    state = chain.builder.state
    assert built.hashes == chain_hashes(headers, PRESET)
    assert built.hashes[-1] == state.tip_hash and built.height == state.height
    assert built.cumulative_work == state.cumulative_work
    assert connect_headers(built, headers[5:9], headers[-1].timestamp, PRESET) is built
    assert parent_known(built, headers[12]) and not parent_known(EMPTY_HEADER_CHAIN, headers[12])
    with pytest.raises(WrongPreviousBlock):
        connect_headers(built, [headers[3], headers[5]], headers[-1].timestamp, PRESET)


def _sync(server: Sequence[BlockHeader], client: Sequence[BlockHeader], batch: int) -> list[bytes]:
    """Headers-first sync of ``client`` from ``server`` with GetHeaders/Headers round trips."""
    now = server[-1].timestamp
    known = connect_headers(EMPTY_HEADER_CHAIN, client, now, PRESET)
    for _ in range(100):
        answer = headers_after(server, block_locator(known.hashes), bytes(32), batch, PRESET)
        if not answer:
            break
        known = connect_headers(known, answer, now, PRESET)
    return list(known.hashes)


@pytest.mark.parametrize("batch", [1, 7, 2000])
def test_header_sync_converges(batch: int) -> None:
    chain = p2p_chain()
    main = chain.headers
    fork = [*main[:25], *(b.header for b in chain.fork)]
    assert _sync(main, main[:3], batch) == list(chain_hashes(main, PRESET))
    assert _sync(main, fork, batch) == list(chain_hashes(main, PRESET))
    assert _sync(fork, main[:10], batch) == list(chain_hashes(fork, PRESET))


# --------------------------------------------------------------------------------------------
# Compact blocks
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(40))
@given(st.integers(1, 30), st.data())
def test_compact_reconstruction(count: int, data: st.DataObject) -> None:
    block = synthetic_block(f"prop/{count}", count, PRESET)
    txs = block.transactions
    prefilled = data.draw(st.sets(st.integers(0, count)))
    known = data.draw(st.sets(st.integers(1, count)))
    extra = data.draw(st.integers(0, 5))
    mempool = {wtxid(txs[i], PRESET): txs[i] for i in known}
    mempool.update((wtxid(t, PRESET), t) for t in (synthetic_transaction(f"extra/{j}") for j in range(extra)))
    compact = make_compact_block(block, data.draw(U64), prefilled, PRESET)
    assert compact.prefilled[0].index == 0
    partial = reconstruct(compact, mempool, PRESET)
    assert partial.missing == tuple(i for i in range(1, count + 1) if i not in known and i not in prefilled)
    result = partial.block
    if result is None:
        result = fill_missing(partial, serve_block_txn(block, missing_request(partial), PRESET), PRESET)
    assert encode_block(result, PRESET) == encode_block(block, PRESET)


@settings(max_examples=examples(40))
@given(st.integers(30, 80), st.integers(0, 2**64 - 1), st.integers(0, 40))
def test_compact_collisions_never_give_a_wrong_block(count: int, nonce: int, extra: int) -> None:
    block = synthetic_block(f"collide/{count}", count, PRESET)
    original = compact_module.short_id
    with mock.patch.object(compact_module, "short_id", lambda k, w: original(k, w)[:1]):
        compact = make_compact_block(block, nonce, [], PRESET)
        pool = [*block.transactions[1:], *(synthetic_transaction(f"noise/{j}") for j in range(extra))]
        partial = reconstruct(compact, {wtxid(t, PRESET): t for t in pool}, PRESET)
        result = partial.block or fill_missing(
            partial, serve_block_txn(block, missing_request(partial), PRESET), PRESET
        )
    assert encode_block(result, PRESET) == encode_block(block, PRESET)


def test_compact_wrong_transaction_is_a_mismatch_not_a_block() -> None:
    block = synthetic_block("wrong", 3, PRESET)
    partial = reconstruct(make_compact_block(block, 1, [], PRESET), {}, PRESET)
    bad = BlockTxn(partial.block_hash, (block.transactions[1], block.transactions[3], block.transactions[2]))
    with pytest.raises(CompactMerkleMismatch):
        fill_missing(partial, bad, PRESET)


# --------------------------------------------------------------------------------------------
# Kademlia
# --------------------------------------------------------------------------------------------

OWN = bytes(range(32))


def _near(seed: int, depth: int) -> bytes:
    """An id sharing ``depth`` leading bits with OWN (so buckets beyond 0 fill too)."""
    gap = (seed % (1 << (255 - depth))) | (1 << (255 - depth))
    return (int.from_bytes(OWN, "big") ^ gap).to_bytes(32, "big")


operations = st.lists(
    st.tuples(st.booleans(), st.booleans(), st.integers(0, 2**256 - 1), st.integers(0, 3)), max_size=120
)


@settings(max_examples=examples(60))
@given(operations, HASH, st.integers(0, 50))
def test_routing_table_invariants_and_closest(
    ops: list[tuple[bool, bool, int, int]], target: bytes, count: int
) -> None:
    table = empty_table(OWN, PRESET)
    for is_remove, alive, seed, depth in ops:
        node_id = _near(seed, depth)
        before = table
        if is_remove:
            table = remove(table, node_id, PRESET)
        else:
            ping = head_to_ping(table, NodeAddress(node_id, b"", 1), PRESET)
            table = insert(table, NodeAddress(node_id, b"", 1), alive, PRESET)
            stored = {n.node_id for n in table_nodes(table)}
            assert node_id in stored or (ping is not None and alive)
            if ping is not None and not alive:
                assert ping.node_id not in stored
        check_table(table)
        assert len(table_nodes(table)) >= len(table_nodes(before)) - 1
    brute = sorted(table_nodes(table), key=lambda n: (distance(n.node_id, target), n.node_id))
    assert list(closest(table, target, count, PRESET)) == brute[:count]


def test_bucket_index_examples() -> None:
    assert bucket_index(OWN, bytes([OWN[0] ^ 0x80]) + OWN[1:], PRESET) == 0
    assert bucket_index(OWN, OWN[:31] + bytes([OWN[31] ^ 1]), PRESET) == 255
    with pytest.raises(SpecError):
        bucket_index(OWN, OWN, PRESET)


def _network(size: int) -> dict[bytes, NodeAddress]:
    return {
        node.node_id: node
        for node in (
            NodeAddress(int(i * 0x9E3779B97F4A7C15).to_bytes(32, "big"), b"", i) for i in range(1, size)
        )
    }


@pytest.mark.parametrize("seed", [3, 17, 99])
def test_lookup_finds_the_k_closest(seed: int) -> None:
    """P2P-KAD-4 liveness: with Kademlia tables (every node saw every other once, in a seeded order,
    full buckets keeping their old live nodes), a lookup finds the true k closest answering nodes."""
    nodes = _network(120)
    ids = sorted(nodes)
    tables = {}
    for node_id in ids:
        order = [other for other in ids if other != node_id]
        random.Random(seed).shuffle(order)
        table = empty_table(node_id, PRESET)
        for other in order:
            table = insert(table, nodes[other], True, PRESET)
        tables[node_id] = table
    target = (seed * 0x1234567890ABCDEF).to_bytes(32, "big")
    lookup = start_lookup(tables[ids[0]], target, PRESET)
    for _ in range(200):
        lookup, queries = next_queries(lookup, 0, PRESET)
        if not queries:
            break
        for node in queries:
            if node.port % 29 == 0:
                lookup = record_failure(lookup, node.node_id)
            else:
                answer = closest(tables[node.node_id], target, PRESET.network.kademlia_k, PRESET)
                lookup = record_answer(lookup, node.node_id, answer, PRESET)
    assert lookup_done(lookup)
    alive = [n for n in nodes.values() if n.port % 29 != 0 and n.node_id != ids[0]]
    expected = sorted(alive, key=lambda n: (distance(n.node_id, target), n.node_id))[
        : PRESET.network.kademlia_k
    ]
    assert lookup_result(lookup) == tuple(expected)


# --------------------------------------------------------------------------------------------
# Handshake and misbehaviour
# --------------------------------------------------------------------------------------------


def test_handshake_rules() -> None:
    version = Version(PRESET.network.protocol_version, 1, OWN, 0, 0, 5, b"")
    check_version(version, 6, PRESET)
    with pytest.raises(SpecError):
        check_version(version, 5, PRESET)
    with pytest.raises(SpecError):
        check_version(replace(version, protocol_version=0), 6, PRESET)
    assert not is_handshake_violation(False, False, Command.VERSION)
    assert is_handshake_violation(True, False, Command.VERSION)
    assert is_handshake_violation(False, False, Command.VERACK)
    assert not is_handshake_violation(True, False, Command.VERACK)
    assert is_handshake_violation(True, False, Command.PING)
    assert not is_handshake_violation(True, True, Command.PING)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(Violation)), max_size=30))
def test_scores_grow_and_disconnect_at_threshold(events: list[tuple[str, Violation]]) -> None:
    scores = NO_SCORES
    threshold = PRESET.network.misbehaviour.ban_threshold
    for peer, violation in events:
        before = scores.by_peer.get(peer, 0)
        scores, disconnect = record(scores, peer, violation, PRESET)
        after = scores.by_peer[peer]
        assert after == before + violation_score(violation, PRESET) > before
        assert disconnect == (after >= threshold or violation in STREAM_FATAL)


# --------------------------------------------------------------------------------------------
# Conformance vectors and fuzz harnesses
# --------------------------------------------------------------------------------------------


def test_vectors_cover_every_handler_and_p2p_code() -> None:
    files = generate_files(presets=["devnet"], flows=["p2p"])
    vectors = [json.loads(f.content) for f in files]
    assert {v["handler"] for v in vectors} == set(HANDLERS)
    codes = {v["error"] for v in vectors if v["error"]}
    p2p_codes = {c for c in ALL_ERROR_CODES if c.startswith("P2P_")}
    assert p2p_codes - codes == {"P2P_ERROR", "P2P_FRAME_ERROR", "P2P_COMPACT_ERROR"}


def test_handlers_reject_bad_json() -> None:
    with pytest.raises(BadInput):
        run_handler(HANDLERS["score_sequence"], PRESET, {"events": [{"peer": "a", "violation": "rude"}]})
    with pytest.raises(BadInput):
        run_handler(HANDLERS["locator_heights"], PRESET, {"tip_height": -1})


@pytest.mark.parametrize("name", sorted(P2P_HARNESSES))
def test_fuzz_harness_seeds(name: str) -> None:
    harness: Callable[[bytes], None] = P2P_HARNESSES[name]
    seeds = p2p_seeds()[name]
    assert len(seeds) >= 3
    for data in seeds.values():
        harness(data)


def test_sample_block_hashes_match_chain() -> None:
    chain = p2p_chain()
    assert block_hash(chain.payment_block.header, PRESET) == chain_hashes(chain.headers, PRESET)[8]
    assert len(chain.payment_block.transactions) == 5
