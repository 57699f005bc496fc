"""Pruning (``rusty node --prune N``, reference/storage.py ``PruningStore``, docs/node.md#pruning).

A pruned store deletes the bodies and undo records of old best-chain blocks, never above the
finalized block minus a margin, keeps every header, and its state always equals a full replay;
``kill -9`` at pruning instants loses nothing.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from reference.node import Node
from reference.p2p import P2PService, Peer
from reference.storage import PRUNE_FINALITY_MARGIN, ChainStore, PruningStore, prune_limit, replay
from spec.chain.block import Block, block_hash, encode_block
from spec.chain.state import BlockContext
from spec.p2p.messages import (
    PREFIX_BYTES,
    SERVICE_FULL_NODE,
    SERVICE_PRUNED,
    BlockMessage,
    GetData,
    InvItem,
    InvKind,
    Message,
    NotFound,
    Version,
    decode_frame,
    encode_frame,
    frame_length_from_prefix,
)
from spec.p2p.sync import is_body_served
from spec.presets import DEVNET
from tests.node_process import start_node
from tests.prune_worker import FINALITY_LAG, KEEP, finalized_for
from tests.test_reference_storage import _chain, trie_nodes_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chain() -> list[Block]:
    return _chain(48)


def _hashes(chain: list[Block]) -> list[bytes]:
    return [block_hash(b.header, DEVNET) for b in chain]


def test_prune_limit_keeps_the_last_n_and_stays_below_finality() -> None:
    assert prune_limit(100, 16, None) == -1  # no finality: the chain may reorganise to any depth
    assert prune_limit(100, 16, 95) == 84  # the last 16 blocks
    assert prune_limit(100, 16, 50) == 50 - PRUNE_FINALITY_MARGIN  # the finality margin
    assert prune_limit(10, 16, 9) == -1
    assert prune_limit(100, 16, 90, margin=0) == 84


def test_keep_below_the_served_window_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pruned_serve_blocks"):
        PruningStore(tmp_path / "node.sqlite", DEVNET, DEVNET.network.pruned_serve_blocks - 1)


def _check_pruned_store(store: ChainStore, chain: list[Block], pruned_height: int) -> None:
    """Bodies and undo records exactly of the heights above ``pruned_height``; headers of all; the
    state and the trie nodes those of a full replay."""
    height = store.state.height
    hashes = _hashes(chain)
    assert store.best_hashes() == hashes[: height + 1]
    assert store.best_headers() == [b.header for b in chain[: height + 1]]
    assert list(store.best_chain()) == chain[pruned_height + 1 : height + 1]
    for h in range(height + 1):
        has_undo = store.db.execute("SELECT 1 FROM undo WHERE hash = ?", (hashes[h],)).fetchone() is not None
        assert (store.block(hashes[h]) is None) == (h <= pruned_height), h
        assert has_undo == (h > pruned_height), h
        assert store.has_block(hashes[h])  # the header row stays: peers are not asked again
    assert store.state == replay(chain[: height + 1], DEVNET)
    assert store.trie_node_counts() == trie_nodes_of(store.state)
    for outpoint, entry in list(store.state.utxos.items())[:3]:  # proofs still come from the current trie
        assert store.utxo_from_trie(outpoint) == entry


def test_pruning_deletes_old_bodies_and_undo_and_keeps_the_state(tmp_path: Path, chain: list[Block]) -> None:
    hashes = _hashes(chain)
    store = PruningStore(tmp_path / "node.sqlite", DEVNET, KEEP)
    for block in chain:
        store.import_block(block, BlockContext(now=block.header.timestamp))
    tip = store.state.height
    assert store.prune_step(None) == 0, "nothing is pruned without a finalized block"
    assert store.prune_step(b"\x01" * 32) == 0, "nor under a finalized block off the best chain"
    full_bytes = store.db.execute("SELECT SUM(length(data)) FROM blocks").fetchone()[0]
    finalized = hashes[tip - 10]
    steps = []
    while count := store.prune_step(finalized, batch=4):
        steps.append(count)
    expected = prune_limit(tip, KEEP, tip - 10)
    assert expected > 0
    assert steps and max(steps) <= 4 and sum(steps) == expected + 1  # bounded work per step
    assert store.pruned_height() == expected
    _check_pruned_store(store, chain, expected)
    pruned_bytes = store.db.execute("SELECT SUM(length(data)) FROM blocks").fetchone()[0]
    assert pruned_bytes < full_bytes
    store.close()
    reopened = ChainStore(tmp_path / "node.sqlite", DEVNET)  # also without --prune
    assert reopened.has_pruned()
    _check_pruned_store(reopened, chain, expected)
    reopened.close()


def test_a_reorganisation_above_finality_works_after_pruning(tmp_path: Path, chain: list[Block]) -> None:
    hashes = _hashes(chain)
    store = PruningStore(tmp_path / "node.sqlite", DEVNET, KEEP)
    for block in chain:
        store.import_block(block, BlockContext(now=block.header.timestamp))
    finalized_height = store.state.height - 10
    while store.prune_step(hashes[finalized_height]):
        pass
    pruned = store.pruned_height()
    while store.state.height > finalized_height:  # every block above finality can be disconnected
        store.disconnect_tip()
    assert store.state == replay(chain[: finalized_height + 1], DEVNET)
    for block in chain[finalized_height + 1 :]:
        store.import_block(block, BlockContext(now=block.header.timestamp))
    _check_pruned_store(store, chain, pruned)
    while store.state.height > pruned:  # down to the highest pruned block (the undo of the one above is kept)
        store.disconnect_tip()
    with pytest.raises(RuntimeError, match="pruned"):
        store.disconnect_tip()  # the one thing a pruned node cannot do: undo a pruned block
    store.close()


def test_kill_9_during_pruning_loses_nothing(tmp_path: Path, chain: list[Block]) -> None:
    """Kill the import-and-prune worker at random instants, including mid-prune: every reopened
    store holds a replayed prefix, prunes exactly a prefix of it (bodies and undo both gone or both
    there), keeps every header and the exact trie nodes, and resumes to the same end state."""
    database = tmp_path / "node.sqlite"
    blocks_file = tmp_path / "blocks.hex"
    blocks_file.write_text("\n".join(encode_block(b, DEVNET).hex() for b in chain))
    hashes = _hashes(chain)
    rng = random.Random(20261203)
    kills_while_pruning = 0
    for attempt in range(80):
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.prune_worker", str(database), str(blocks_file)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        # The kill instant follows the worker's progress, not the clock (a loaded machine would
        # move a timed instant): after a random number of progress lines, and on every other run
        # only right after a pruning step was reported, so that it lands while pruning goes on.
        last, seen, target = "", 0, rng.randrange(0, 4)
        after_prune = attempt % 2 == 1
        while seen < target or (after_prune and not last.startswith("prune")):
            line = worker.stdout.readline()
            if not line:
                break
            last, seen = line.strip(), seen + 1
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills_while_pruning += last.startswith("prune")
        store = PruningStore(database, DEVNET, KEEP)
        pruned = store.pruned_height()
        height = store.state.height
        limit = prune_limit(height, KEEP, height - FINALITY_LAG if finalized_for(hashes, height) else None)
        assert pruned <= max(limit, -1)
        _check_pruned_store(store, chain, pruned)
        store.close()
        if height + 1 == len(chain) and pruned == limit:
            break
    assert kills_while_pruning >= 2, "the worker was never killed between pruning steps"
    subprocess.run(
        [sys.executable, "-m", "tests.prune_worker", str(database), str(blocks_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    store = PruningStore(database, DEVNET, KEEP)
    tip = len(chain) - 1
    assert store.pruned_height() == prune_limit(tip, KEEP, tip - FINALITY_LAG)
    _check_pruned_store(store, chain, store.pruned_height())
    store.close()


def test_which_peers_serve_which_bodies() -> None:
    window = DEVNET.network.pruned_serve_blocks
    assert is_body_served(SERVICE_FULL_NODE, 100, 0, DEVNET)
    assert is_body_served(SERVICE_FULL_NODE | SERVICE_PRUNED, 100, 0, DEVNET)
    assert not is_body_served(SERVICE_FULL_NODE, 100, 101, DEVNET)
    assert not is_body_served(SERVICE_PRUNED, 100, 100 - window, DEVNET)
    assert is_body_served(SERVICE_PRUNED, 100, 100 - window + 1, DEVNET)
    assert is_body_served(SERVICE_PRUNED, 100, 100, DEVNET)
    assert not is_body_served(0, 100, 50, DEVNET)
    assert not is_body_served(SERVICE_FULL_NODE, 100, -1, DEVNET)


def _node_with(datadir: Path, chain: list[Block], prune: int | None) -> Node:
    node = Node.init(datadir, "devnet")
    node.close()
    node = Node(datadir, prune)
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


def test_a_syncing_node_never_asks_a_pruned_peer_for_old_bodies(
    tmp_path: Path, chain: list[Block], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three in-process nodes on loopback: A pruned (SERVICE_PRUNED), B full, C empty. Connected to A
    alone, C learns the headers but asks A for no body below A's window (and nothing above it,
    which could not connect); once it also reaches B it syncs every body from B, and its state
    equals B's. A answers a GetData for a pruned block with NotFound, and a NotFound makes C ask
    another peer that serves the body."""
    hashes = _hashes(chain)
    tip = len(chain) - 1
    clock = chain[-1].header.timestamp + 60.0  # the test chain's time (HDR-4 checks blocks against it)
    monkeypatch.setattr(time, "time", lambda: clock)
    pruned_node = _node_with(tmp_path / "a", chain, KEEP)
    pruning = cast(PruningStore, pruned_node.store)
    assert pruned_node.prune_step() == 0  # the node has no finalized block (no quorum here)
    while pruning.prune_step(hashes[tip - 10]):  # so the test gives the store one
        pass
    pruned_height = pruning.pruned_height()
    assert pruned_height == prune_limit(tip, KEEP, tip - 10)
    full_node = _node_with(tmp_path / "b", chain, None)
    empty_node = _node_with(tmp_path / "c", [], None)
    window_floor = tip - DEVNET.network.pruned_serve_blocks  # A serves heights above this

    async def scenario() -> None:
        a, b, c = P2PService(pruned_node, 0), P2PService(full_node, 0), P2PService(empty_node, 0)
        asked_of_a: list[bytes] = []
        serve = a._on_get_data

        async def recording(peer: Peer, message: GetData) -> None:
            asked_of_a.extend(item.hash for item in message.items)
            await serve(peer, message)

        a._on_get_data = recording  # type: ignore[method-assign]
        sent_by_c: list[tuple[Peer, Message]] = []
        send = c.send

        async def recording_send(peer: Peer, message: Message) -> None:
            sent_by_c.append((peer, message))
            await send(peer, message)

        c.send = recording_send  # type: ignore[method-assign]
        for service in (a, b, c):
            await service.start()
        try:
            await c.connect("127.0.0.1", a.port)
            assert await _until(lambda: any(p.ready for p in c.peers), 10)
            peer_a = next(p for p in c.peers if p.ready)
            assert peer_a.version is not None and peer_a.version.services == SERVICE_PRUNED
            await asyncio.sleep(1.0)  # headers exchanged: C has no peer for the old bodies
            assert empty_node.store.state.height == -1
            assert asked_of_a == []
            await c.connect("127.0.0.1", b.port)
            assert await _until(lambda: empty_node.store.state.tip_hash == hashes[-1], 60)
            assert empty_node.store.state == full_node.store.state
            assert all(hashes.index(h) > window_floor for h in asked_of_a)

            # NotFound for a pruned body (a raw GetData from C's connection to A)
            answers: list[Message] = []
            a_not_found = a.send

            async def recording_a(peer: Peer, message: Message) -> None:
                answers.append(message)
                await a_not_found(peer, message)

            a.send = recording_a  # type: ignore[method-assign]
            await send(peer_a, GetData((InvItem(InvKind.BLOCK, hashes[1]),)))
            assert await _until(lambda: any(isinstance(m, NotFound) for m in answers), 10)
            assert NotFound((InvItem(InvKind.BLOCK, hashes[1]),)) in answers
            assert not any(isinstance(m, BlockMessage) for m in answers)

            # a NotFound from A for a body C asked of it: C asks B (which serves it), never A again
            height = tip - 1
            peer_a.requested[hashes[height]] = height
            sent_by_c.clear()
            await c._on_not_found(peer_a, NotFound((InvItem(InvKind.BLOCK, hashes[height]),)))
            assert [m for _, m in sent_by_c] == [GetData((InvItem(InvKind.BLOCK, hashes[height]),))]
            asked = sent_by_c[0][0].version
            assert asked is not None and asked.node_id == b.node_id  # B (over either connection)
            assert hashes[height] in peer_a.lacks
        finally:
            for service in (a, b, c):
                await service.stop()

    try:
        asyncio.run(scenario())
    finally:
        for node in (pruned_node, full_node, empty_node):
            node.close()


def test_rusty_node_prune_advertises_a_pruned_node(tmp_path: Path) -> None:
    """``rusty node --prune N``: N below ``pruned_serve_blocks`` is refused; otherwise the node's
    Version carries SERVICE_PRUNED and not SERVICE_FULL_NODE."""
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    too_few = str(DEVNET.network.pruned_serve_blocks - 1)
    refused = subprocess.run(
        [sys.executable, "-m", "reference.cli", "node", str(datadir), "--prune", too_few],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert refused.returncode != 0 and "pruned_serve_blocks" in refused.stderr
    # the P2P-HS Version over the P2P-1 framing (on libp2p the same services go in `status`)
    process = start_node(datadir, "--prune", str(DEVNET.network.pruned_serve_blocks), "--transport", "tcp")
    try:
        port = int((datadir / "p2p.port").read_text())
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            nonce = secrets.randbits(64)
            node_id = secrets.token_bytes(DEVNET.network.node_id_bits // 8)
            hello = Version(DEVNET.network.protocol_version, SERVICE_FULL_NODE, node_id, 0, 0, nonce, b"t")
            sock.sendall(encode_frame(hello, DEVNET))
            data = b""
            while len(data) < PREFIX_BYTES or len(data) < PREFIX_BYTES + frame_length_from_prefix(
                data[:PREFIX_BYTES], DEVNET
            ):
                chunk = sock.recv(4096)
                assert chunk, "the node closed the connection"
                data += chunk
            length = PREFIX_BYTES + frame_length_from_prefix(data[:PREFIX_BYTES], DEVNET)
            version = decode_frame(data[:length], DEVNET)
        assert isinstance(version, Version)
        assert version.services == SERVICE_PRUNED
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
