"""Snapshot fast sync over P2P (P2P-SNAP, SNAP-5..8; reference/snapshots.py, docs/node.md#snapshot-fast-sync).

In-process nodes on loopback: full nodes take snapshots every 10 blocks and serve those at or
below their finalized block; a new node with ``FastSync`` collects the headers, takes the
manifests that match them, fetches the chunks from several peers, scores a peer sending a bad
chunk and fetches that chunk elsewhere, and ends with exactly the committed items (the UTXO set)
of a replaying node at the snapshot's height; it then syncs the blocks as usual. A lying manifest
(the header's state root with a made-up chunk root) is caught at assembly and its announcers
scored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import reference.snapshots
from conformance.upgradechain import state_trie_chain
from reference.node import Node
from reference.p2p import P2PService, Peer
from reference.snapshots import FastSync
from reference.storage import replay
from spec.chain.block import Block, block_hash
from spec.chain.commitment import compute_state_items
from spec.chain.state import BlockContext
from spec.ledger.state_snapshot import make_state_snapshot, state_chunk_proof, utxo_state_items
from spec.p2p.messages import GetSnapshotChunk, Message, SnapshotChunkMessage, SnapshotManifests
from spec.p2p.peers import score_of
from spec.presets import DEVNET
from tests.test_reference_storage import _chain


@pytest.fixture(scope="module")
def chain() -> list[Block]:
    return _chain(48)


def _node_with(datadir: Path, chain: list[Block]) -> Node:
    Node.init(datadir, "devnet").close()
    node = Node(datadir)
    for block in chain:
        node.store.import_block(block, BlockContext(now=block.header.timestamp))
    return node


async def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def test_fast_sync_from_several_peers_with_a_bad_one(
    tmp_path: Path, chain: list[Block], monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = [block_hash(b.header, DEVNET) for b in chain]
    clock = chain[-1].header.timestamp + 60.0
    monkeypatch.setattr(time, "time", lambda: clock)
    servers = [_node_with(tmp_path / f"s{i}", chain) for i in range(4)]
    for server in servers:
        server.snapshots.finalized = lambda: hashes[35]  # no quorum in this test: finality is given
        assert [m.height for m in server.snapshots.servable(47)] == [30, 20]  # newest 3 kept: 40 > 35
    bad = servers[2]
    honest_answer = bad.snapshots.answer_chunk

    def corrupted(request: GetSnapshotChunk) -> SnapshotChunkMessage:
        answer = honest_answer(request)
        return replace(answer, chunk=answer.chunk[:-1] + bytes([answer.chunk[-1] ^ 1]))

    bad.snapshots.answer_chunk = corrupted  # type: ignore[method-assign]
    monkeypatch.setattr(reference.snapshots, "CHUNKS_IN_FLIGHT", 1)
    client = _node_with(tmp_path / "c", [])
    fast_sync = FastSync(DEVNET)

    async def scenario() -> None:
        services = [P2PService(s, 0) for s in servers]
        silent = services[3]  # announces the manifest, never answers a chunk request
        handle = silent._handle

        async def ignoring_chunk_requests(peer: Peer, message: Message) -> None:
            if not isinstance(message, GetSnapshotChunk):
                await handle(peer, message)

        silent._handle = ignoring_chunk_requests  # type: ignore[method-assign]
        c = P2PService(client, 0, fast_sync=fast_sync)
        c.chunk_timeout = 1.0
        for service in [*services, c]:
            await service.start()
        try:
            bad_key, silent_key = services[2].node_id.hex(), silent.node_id.hex()
            # one chunk in flight per peer, peers added one by one: the silent peer and the bad one
            # are each asked for a chunk before the honest ones are there
            await c.connect("127.0.0.1", silent.port)
            assert await _until(lambda: silent_key in fast_sync.in_flight.values(), 30)
            await c.connect("127.0.0.1", services[2].port)
            assert await _until(lambda: bad_key in fast_sync.excluded, 30)
            for service in services[:2]:
                await c.connect("127.0.0.1", service.port)
            assert await _until(lambda: fast_sync.done, 60), (fast_sync.candidates, fast_sync.chunks)
            assert fast_sync.bad_chunks == 1
            assert score_of(c.scores, bad_key) > 0
            assert silent_key in fast_sync.excluded  # timed out: its chunks went elsewhere, no score
            assert all(score_of(c.scores, s.node_id.hex()) == 0 for s in [*services[:2], silent])
            # then the blocks, as usual (the state beyond the UTXO set still comes from replaying them)
            assert await _until(lambda: client.store.state.tip_hash == hashes[-1], 60)
        finally:
            for service in [*services, c]:
                await service.stop()

    try:
        asyncio.run(scenario())
        manifest = fast_sync.manifest
        assert manifest is not None and manifest.height == 30 and manifest.block_hash == hashes[30]
        assert manifest.chunk_count >= 3  # fetched from several peers
        replayed = replay(chain[:31], DEVNET)
        assert fast_sync.items == utxo_state_items(replayed.utxos, DEVNET)
        assert manifest.state_root == chain[30].header.state_root
        kept = client.snapshots.fast_synced()
        assert kept is not None and kept == (manifest, fast_sync.items)
        assert client.store.state == replay(chain, DEVNET)
    finally:
        for node in [*servers, client]:
            node.close()


def test_a_lying_chunk_root_is_caught_at_assembly_and_its_announcers_scored(chain: list[Block]) -> None:
    """The client state machine alone: two liars announce a manifest with the header's state root and
    the chunk root of other items; it is chosen (more peers), assembly fails (SNAP-8), both liars
    are scored, and the honest manifest is fetched next."""
    hashes = [block_hash(b.header, DEVNET) for b in chain]
    state = replay(chain[:31], DEVNET)
    items = utxo_state_items(state.utxos, DEVNET)
    honest, chunks = make_state_snapshot(items, hashes[30], 30, DEVNET)
    forged_items = {**items, b"\xff" * 36: b"minted"}
    lie, lie_chunks = make_state_snapshot(forged_items, hashes[30], 30, DEVNET)
    lie = replace(lie, state_root=honest.state_root)
    fast_sync = FastSync(DEVNET)
    fast_sync.set_header_chain([b.header for b in chain], hashes)
    assert fast_sync.on_manifests("liar1", SnapshotManifests((lie,))).punish == ()
    assert fast_sync.on_manifests("liar2", SnapshotManifests((lie,))).punish == ()
    assert fast_sync.on_manifests("honest", SnapshotManifests((honest,))).punish == ()
    bogus = replace(honest, state_root=bytes(32))
    assert fast_sync.on_manifests("wrong", SnapshotManifests((bogus,))).punish == ("wrong",)  # SNAP-6
    ready = {"liar1": None, "liar2": None, "honest": None}
    verdicts = []
    for source, snapshot in ((lie_chunks, lie), (chunks, honest)):
        while not fast_sync.done and fast_sync.choose() == snapshot:
            for peer, request in fast_sync.requests(ready):
                answer = SnapshotChunkMessage(
                    request.block_hash,
                    request.chunk_root,
                    request.index,
                    source[request.index],
                    state_chunk_proof(source, request.index),
                )
                verdicts.append(fast_sync.on_chunk(peer, answer))
    assert [v.punish for v in verdicts if v.punish] == [("liar1", "liar2")]
    assert fast_sync.done and fast_sync.manifest == honest and fast_sync.items == items


@pytest.fixture(scope="module")
def state_trie_blocks() -> list[Block]:
    """80 devnet blocks; ``state_trie`` is ACTIVE from height 50 (snapshots at 50, 60, 70 commit to
    the full state)."""
    return list(state_trie_chain(DEVNET, 80).blocks)


def test_fast_sync_starts_from_a_full_state_snapshot(
    tmp_path: Path, state_trie_blocks: list[Block], monkeypatch: pytest.MonkeyPatch
) -> None:
    """P2P-SYNC-4 end to end: under ``state_trie`` the new node fetches the snapshot at height 70 from
    several peers (one sends a bad chunk: scored, not asked again, the chunk fetched elsewhere),
    installs the state rebuilt from it, and validates only blocks 71..79; its state, root and
    committed items then equal a replaying node's, it holds no body below the snapshot (a pruned
    node), and it reopens to the same state."""
    chain = state_trie_blocks
    hashes = [block_hash(b.header, DEVNET) for b in chain]
    clock = chain[-1].header.timestamp + 60.0
    monkeypatch.setattr(time, "time", lambda: clock)
    servers = [_node_with(tmp_path / f"s{i}", chain) for i in range(3)]
    for server in servers:
        server.snapshots.finalized = lambda: hashes[72]
        assert [m.height for m in server.snapshots.servable(79)] == [70, 60, 50]
    bad = servers[0]
    honest_answer = bad.snapshots.answer_chunk

    def corrupted(request: GetSnapshotChunk) -> SnapshotChunkMessage:
        answer = honest_answer(request)
        return replace(answer, chunk=answer.chunk[:-1] + bytes([answer.chunk[-1] ^ 1]))

    bad.snapshots.answer_chunk = corrupted  # type: ignore[method-assign]
    monkeypatch.setattr(reference.snapshots, "CHUNKS_IN_FLIGHT", 1)
    client = _node_with(tmp_path / "c", [])
    connected: list[int] = []
    client.store.on_connect.append(lambda block, state: connected.append(state.height))
    fast_sync = FastSync(DEVNET)

    async def scenario() -> None:
        services = [P2PService(s, 0) for s in servers]
        c = P2PService(client, 0, fast_sync=fast_sync)
        for service in [*services, c]:
            await service.start()
        try:
            bad_key = services[0].node_id.hex()
            await c.connect("127.0.0.1", services[0].port)  # alone first: it is asked for a chunk
            assert await _until(lambda: bad_key in fast_sync.excluded, 30)
            for service in services[1:]:
                await c.connect("127.0.0.1", service.port)
            assert await _until(lambda: fast_sync.done, 60), (fast_sync.candidates, fast_sync.chunks)
            assert await _until(lambda: client.store.state.tip_hash == hashes[-1], 60)
            assert fast_sync.bad_chunks == 1
            assert score_of(c.scores, bad_key) > 0
            assert all(score_of(c.scores, s.node_id.hex()) == 0 for s in services[1:])
        finally:
            for service in [*services, c]:
                await service.stop()

    try:
        asyncio.run(scenario())
        manifest = fast_sync.manifest
        assert manifest is not None and manifest.height == 70 and manifest.block_hash == hashes[70]
        assert manifest.chunk_count >= 3  # fetched from several peers
        assert fast_sync.installed_height == 70
        assert connected == list(range(71, 80))  # no block at or below the snapshot was executed
        replayed = replay(chain, DEVNET)
        assert client.store.state == replayed
        assert client.store.state_root == chain[-1].header.state_root
        assert replayed.commitment is not None and client.store.state_root == replayed.commitment.root
        assert compute_state_items(client.store.state, DEVNET) == compute_state_items(replayed, DEVNET)
        assert client.store.best_hashes() == hashes
        assert client.is_pruned and client.store.block(hashes[70]) is None
        assert client.store.block(hashes[71]) == chain[71]
        client.close()
        reopened = Node(tmp_path / "c")
        try:
            assert reopened.store.state == replayed and reopened.store.state_root == client.store.state_root
        finally:
            reopened.close()
    finally:
        for node in [*servers, client]:
            node.close()
