"""Snapshot fast sync over P2P (P2P-SNAP, SNAP-5..9; reference/snapshots.py, docs/node.md#snapshot-fast-sync).

In-process nodes on loopback: full nodes take snapshots every 10 blocks and serve those at or
below their finalized block, each with a finality certificate; a new node with ``FastSync``
collects the headers, takes the manifests that match them, fetches the chunks from several peers,
scores a peer sending a bad chunk and fetches that chunk elsewhere, and ends with exactly the
committed items of a replaying node at the snapshot's height; it then syncs the blocks as usual. A
lying manifest (the header's state root with a made-up chunk root) is caught at assembly and its
announcers scored. Under ``state_trie`` the snapshot's block must be finalized by a certificate
under the finality key its own verified items commit (SNAP-9): a peer serving an unfinalized
snapshot, or one with a forged certificate, is scored and the node syncs from an honest peer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import reference.snapshots
from conformance.quorumtriechain import QuorumTrieChain, state_trie_quorum_chain
from conformance.snapshotfinality import other_secret
from reference.node import Node
from reference.p2p import P2PService, Peer
from reference.snapshots import FastSync
from reference.storage import replay
from spec.chain.block import Block, block_hash
from spec.chain.commitment import compute_state_items
from spec.chain.forkchoice import FinalityCertificate, finality_message
from spec.chain.state import BlockContext
from spec.crypto import bls
from spec.ledger.state_snapshot import (
    StateSnapshotManifest,
    make_state_snapshot,
    state_chunk_proof,
    utxo_state_items,
)
from spec.p2p.messages import (
    CertifiedManifest,
    GetSnapshotChunk,
    Message,
    SnapshotChunkMessage,
    SnapshotManifests,
)
from spec.p2p.peers import score_of
from spec.presets import DEVNET
from tests.test_reference_storage import _chain


@pytest.fixture(scope="module")
def chain() -> list[Block]:
    return _chain(48)


def _node_with(datadir: Path, chain: list[Block], interval: int | None = None) -> Node:
    Node.init(datadir, "devnet").close()
    node = Node(datadir)
    if interval is not None:
        node.snapshots.interval = interval
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
    # no quorum in this chain: finality is given, and a UTXO snapshot commits no finality key, so
    # its certificate is only checked to name a block at or above it (SNAP-9 steps 1-2)
    unchecked = FinalityCertificate(35, hashes[35], bytes(96))
    for server in servers:
        server.snapshots.finalized = lambda: hashes[35]
        server.snapshots.certificates = lambda: [unchecked]
        assert [m.manifest.height for m in server.snapshots.servable(47)] == [30, 20]  # 40 > 35
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
        assert fast_sync.certificate is None  # not checkable: the node replayed from genesis
        status = client.snapshots.fast_sync_status()
        assert status is not None and status["certificate_height"] is None
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
    certificate = FinalityCertificate(33, hashes[33], bytes(96))  # UTXO items: steps 1-2 only

    def certified(*manifests: StateSnapshotManifest) -> SnapshotManifests:
        return SnapshotManifests(tuple(CertifiedManifest(m, certificate) for m in manifests))

    assert fast_sync.on_manifests("liar1", certified(lie)).punish == ()
    assert fast_sync.on_manifests("liar2", certified(lie)).punish == ()
    assert fast_sync.on_manifests("honest", certified(honest)).punish == ()
    bogus = replace(honest, state_root=bytes(32))
    assert fast_sync.on_manifests("wrong", certified(bogus)).punish == ("wrong",)  # SNAP-6
    below = SnapshotManifests(
        (CertifiedManifest(honest, replace(certificate, height=29, block_hash=hashes[29])),)
    )
    assert fast_sync.on_manifests("below", below).punish == ("below",)  # SNAP-9 step 2
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
def quorum_chain() -> QuorumTrieChain:
    """60 devnet blocks; ``state_trie`` is ACTIVE from height 50, where the finality quorum based at
    30 commits its key (it certifies 55..84): the snapshots from 50 commit to the full state and to
    that key."""
    return state_trie_quorum_chain(DEVNET, 60)


def test_fast_sync_starts_from_a_finalized_full_state_snapshot(
    tmp_path: Path, quorum_chain: QuorumTrieChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P2P-SYNC-4 and SNAP-9 end to end: under ``state_trie`` the new node fetches the snapshot at
    height 50 from several peers (one sends a bad chunk: scored, not asked again, the chunk fetched
    elsewhere), checks the certificate of block 56 under the key the snapshot's items commit to,
    installs the state rebuilt from it, and validates only blocks 51..59; its state, root and
    committed items then equal a replaying node's, it holds no body below the snapshot (a pruned
    node), and it reopens to the same state."""
    chain = list(quorum_chain.blocks)
    hashes = [block_hash(b.header, DEVNET) for b in chain]
    certificate = quorum_chain.certificate(56)
    clock = chain[-1].header.timestamp + 60.0
    monkeypatch.setattr(time, "time", lambda: clock)
    servers = [_node_with(tmp_path / f"s{i}", chain) for i in range(3)]
    for server in servers:
        server.snapshots.finalized = lambda: hashes[56]
        server.snapshots.certificates = lambda: [certificate]
        served = server.snapshots.servable(59)
        assert [m.manifest.height for m in served] == [50, 40, 30]
        assert {m.certificate for m in served} == {certificate}
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
        assert manifest is not None and manifest.height == 50 and manifest.block_hash == hashes[50]
        assert manifest.chunk_count >= 3  # fetched from several peers
        assert fast_sync.certificate == certificate and fast_sync.bad_certificates == 0
        assert client.snapshots.fast_sync_status() == {  # RPC getfinality's fast_sync
            "snapshot_height": 50,
            "snapshot_block": hashes[50].hex(),
            "certificate_height": 56,
            "certificate_block": hashes[56].hex(),
        }
        assert fast_sync.installed_height == 50
        assert connected == list(range(51, 60))  # no block at or below the snapshot was executed
        replayed = replay(chain, DEVNET)
        assert client.store.state == replayed
        assert client.store.state_root == chain[-1].header.state_root
        assert replayed.commitment is not None and client.store.state_root == replayed.commitment.root
        assert compute_state_items(client.store.state, DEVNET) == compute_state_items(replayed, DEVNET)
        assert client.store.best_hashes() == hashes
        assert client.is_pruned and client.store.block(hashes[50]) is None
        assert client.store.block(hashes[51]) == chain[51]
        client.close()
        reopened = Node(tmp_path / "c")
        try:
            assert reopened.store.state == replayed and reopened.store.state_root == client.store.state_root
        finally:
            reopened.close()
    finally:
        for node in [*servers, client]:
            node.close()


@pytest.mark.slow  # ~4 s; the fast variant without a network: tests/test_snapshot_finality.py
def test_an_unfinalized_or_falsely_certified_snapshot_is_rejected_and_its_server_scored(
    tmp_path: Path, quorum_chain: QuorumTrieChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SNAP-9 over P2P, snapshots every 3 blocks (51, 54 and 57 commit to the full state and the
    key of the quorum certifying 55..84). The honest server has finalized block 55 and serves 54
    and 51 with its certificate. Server A serves 57, above its finalized block, with that same
    certificate of 55: below the snapshot, it is scored on arrival (SNAP-9 step 2). Server B serves
    57, 54 and 51 each with a certificate of its own block signed by a key that is not the
    quorum's: 57 is the highest, so it is fetched from B, assembled (its items are right), then
    fails SNAP-9 and is not taken, B scored; 54 comes from B and the honest server, B's
    certificate fails again (scored), the honest one passes, and the node starts from 54 and
    executes only 55..59."""
    chain = list(quorum_chain.blocks)
    hashes = [block_hash(b.header, DEVNET) for b in chain]
    certificate = quorum_chain.certificate(55)
    other = other_secret("fast-sync-test")
    clock = chain[-1].header.timestamp + 60.0
    monkeypatch.setattr(time, "time", lambda: clock)
    honest, unfinalized, forger = (_node_with(tmp_path / n, chain, 3) for n in ("honest", "a", "b"))
    honest.snapshots.finalized = lambda: hashes[55]
    honest.snapshots.certificates = lambda: [certificate]
    assert [m.manifest.height for m in honest.snapshots.servable(59)] == [54, 51]  # 57 > 55
    unfinalized.snapshots.finalized = lambda: hashes[57]
    unfinalized.snapshots.certificate_for = lambda manifest: certificate  # type: ignore[method-assign]
    assert [m.manifest.height for m in unfinalized.snapshots.servable(59)] == [57, 54, 51]

    def forged(manifest: StateSnapshotManifest) -> FinalityCertificate:
        block = manifest.block_hash
        return FinalityCertificate(
            manifest.height, block, bls.sign(other, finality_message(manifest.height, block))
        )

    forger.snapshots.finalized = lambda: hashes[57]
    forger.snapshots.certificate_for = forged  # type: ignore[method-assign]
    client = _node_with(tmp_path / "c", [])
    connected: list[int] = []
    client.store.on_connect.append(lambda block, state: connected.append(state.height))
    fast_sync = FastSync(DEVNET)

    async def scenario() -> None:
        services = [P2PService(s, 0) for s in (honest, unfinalized, forger)]
        c = P2PService(client, 0, fast_sync=fast_sync)
        for service in [*services, c]:
            await service.start()
        try:
            for service in services:
                await c.connect("127.0.0.1", service.port)
            assert await _until(lambda: fast_sync.done, 60), (fast_sync.candidates, fast_sync.chunks)
            assert await _until(lambda: client.store.state.tip_hash == hashes[-1], 60)
            honest_key, a_key, b_key = (s.node_id.hex() for s in services)
            assert score_of(c.scores, a_key) > 0 and score_of(c.scores, b_key) > 0
            assert score_of(c.scores, honest_key) == 0
        finally:
            for service in [*services, c]:
                await service.stop()

    try:
        asyncio.run(scenario())
        manifest = fast_sync.manifest
        assert manifest is not None and manifest.height == 54 and manifest.block_hash == hashes[54]
        assert fast_sync.unfinalized == {(hashes[57], manifest_at(forger, 57).chunk_root)}
        assert fast_sync.certificate == certificate and fast_sync.bad_certificates == 2
        assert fast_sync.installed_height == 54
        assert connected == list(range(55, 60))
        assert client.store.state == replay(chain, DEVNET)
    finally:
        for node in [honest, unfinalized, forger, client]:
            node.close()


def manifest_at(node: Node, height: int) -> StateSnapshotManifest:
    """The manifest of the snapshot ``node`` took at ``height``."""
    return next(m.manifest for m in node.snapshots.servable(2**64 - 1) if m.manifest.height == height)
