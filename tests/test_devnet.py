"""A local devnet of reference nodes, and a node facing misbehaving peers."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reference import devnet
from reference.cli import main
from reference.daemon import metrics_port_of, p2p_port_of, rpc_port_of
from reference.devnet import run_devnet
from reference.metrics import parse_exposition
from reference.node import Node
from reference.p2p import P2PService
from reference.rpc import call
from reference.storage import replay
from spec.chain.commitment import compute_state_root
from spec.masternode.finality import dkg_length
from spec.p2p.messages import PREFIX_BYTES, Ping, encode_frame
from spec.p2p.peers import Violation, record, score_of
from spec.presets import DEVNET
from tests.node_process import start_node


def _metrics(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(n, tuple(sorted(labels.items()))): v for n, labels, v in parse_exposition(exposition)}


def test_devnet_mines_syncs_finalizes_relays_and_converges(tmp_path: Path) -> None:
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, metrics=True))
    assert result.converged, result
    # The Prometheus endpoint of every node, scraped while the devnet ran (reference/metrics.py).
    for index, exposition in enumerate(result.metrics):
        metrics = _metrics(exposition)
        assert metrics[("rusty_height", ())] == result.heights[index]
        assert metrics[("rusty_finalized_height", ())] == result.finalized_heights[index]
        assert metrics[("rusty_peers", ())] >= 1
        assert metrics[("rusty_blocks_imported_total", ())] >= result.heights[index] + 1
        assert metrics[("rusty_dkg_outcomes_total", (("kind", "finality"), ("outcome", "qualified")))] >= 1
        assert metrics[("rusty_rpc_seconds_count", (("method", "getstatus"), ("result", "ok")))] >= 1
    assert min(result.heights) >= 10
    assert all(p >= 1 for p in result.peers)
    assert result.masternodes == [3, 3, 3]
    assert result.finality_expected and result.finality_reached, result
    assert result.late_node_finalized, "a node joining later must finalize from the chain's committed key"
    first_certified = DEVNET.masternodes.finality_quorum_interval + dkg_length(DEVNET)
    assert all(h is not None and h >= first_certified for h in result.finalized_heights)
    for datadir in (tmp_path / f"node{i}" for i in range(3)):
        reopened = Node(datadir)  # the nodes stopped: their stores are closed
        try:
            certificates = reopened.quorum.certificates()
            assert certificates and certificates[-1].block_hash.hex() == result.finalized[0]
            assert reopened.quorum.finalized is not None
            assert replay(list(reopened.store.best_chain()), DEVNET) == reopened.store.state
        finally:
            reopened.close()


def test_devnet_of_two_mines_and_relays_without_finality(tmp_path: Path) -> None:
    result = asyncio.run(run_devnet(2, 10, tmp_path, show_progress=False, metrics=True))
    assert result.converged, result
    miner = _metrics(result.metrics[0])
    assert miner[("rusty_height", ())] == result.heights[0]
    assert miner[("rusty_finalized_height", ())] == -1
    assert miner[("rusty_rpc_seconds_count", (("method", "generate"), ("result", "ok")))] >= 5
    assert miner[("rusty_block_import_seconds_count", (("outcome", "connected"),))] >= 1
    assert not result.finality_expected
    assert result.finalized_heights == [None, None]
    assert result.late_node_finalized is None


def test_devnet_runs_a_scripted_upgrade_vote(tmp_path: Path) -> None:
    """UPG-2..6 on running nodes: node 0's tickets vote yes on governed_tickets, then on state_trie;
    the devnet's 10-block windows activate both and every node follows (ST-1: the state root then
    commits to the full state). Every node prunes (``--prune 16``) and the late node fast-syncs:
    it starts its chain from a full-state snapshot at or below the finalized block, holds no body
    below it (a pruned node), and ends with the same state as the nodes that replayed. On the default
    transport (libp2p): under load its late node once never finalized, having connected the old
    old compact blocks py-libp2p delivered to it before its snapshot; a fast-syncing node now
    ignores gossiped blocks (tests/test_libp2p_fast_sync.py)."""
    result = asyncio.run(
        run_devnet(3, 10, tmp_path, show_progress=False, upgrade=True, prune=16, fast_sync_late_node=True)
    )
    assert result.converged, result
    assert result.upgraded, result
    assert result.forks == ["state_trie"] * 3
    window = DEVNET.forks[2].deployment.window_blocks  # type: ignore[union-attr]
    activation = result.activation_heights[0]
    assert activation is not None and activation % window == 0
    assert result.late_node_finalized, result
    # the late node's snapshot was finalized by a certificate checked under the committed key (SNAP-9)
    fast = result.late_fast_sync
    assert fast is not None and fast["certificate_height"] is not None
    assert fast["certificate_height"] >= fast["snapshot_height"] >= activation
    first = Node(tmp_path / "node0")
    try:
        state = first.store.state
        statuses = [r.status.value for r in state.deployments]
        # governed_tickets and state_trie are voted in; the devnet does not vote for sidechains (fork 3)
        assert statuses[:2] == ["active", "active"] and statuses[2] in ("defined", "started")
        assert state.deployments[1].since_height == activation
        assert first.is_pruned and first.store.state_root == compute_state_root(state, DEVNET)
    finally:
        first.close()
    late = Node(tmp_path / "late")
    try:
        kept = late.snapshots.fast_synced()
        assert kept is not None
        manifest, _ = kept
        assert manifest.height >= activation  # a full-state snapshot: the chain started from it
        hashes = late.store.best_hashes()
        assert hashes[manifest.height] == manifest.block_hash
        assert late.is_pruned
        assert all(late.store.block(h) is None for h in hashes[: manifest.height + 1])
        assert late.store.state.height >= state.height
        assert compute_state_root(late.store.state, DEVNET) == late.store.state_root
    finally:
        late.close()


@pytest.mark.slow  # ~45 s; the fast variant: tests/test_quorum_parent_record.py (builder and miner)
def test_devnet_upgrade_mines_past_a_quorum_base_under_state_trie(tmp_path: Path) -> None:
    """ST-2 on running nodes (``rusty devnet 3 --upgrade`` past 61): the reference miner builds the
    base block 60 under ``state_trie`` (ACTIVE from 50) with three masternodes and the blocks after
    it; the quorum based at 60 is recorded by block 61, commits its key and finalizes the tip."""
    result = asyncio.run(run_devnet(3, 63, tmp_path, show_progress=False, upgrade=True))
    assert result.converged, result
    assert result.activation_heights == [50, 50, 50]
    base = 2 * DEVNET.masternodes.finality_quorum_interval
    assert min(result.heights) >= base + 1
    first = Node(tmp_path / "node0")
    try:
        state = first.store.state
        record = state.quorums.records[base]
        assert record.base_hash == first.store.best_hashes()[base]
        assert record.group_public_key is not None  # committed under state_trie
        assert first.store.state_root == compute_state_root(state, DEVNET)
    finally:
        first.close()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Path]:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    process = start_node(datadir, "--metrics-port", "0", "--transport", "tcp")  # P2P-1 framing garbage
    yield datadir
    process.terminate()
    assert process.wait(timeout=30) == 0


def _closed_after(port: int, data: bytes) -> bool:
    """Send ``data`` and report whether the node closed the connection within 5 s."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.recv(PREFIX_BYTES)  # the node's Version prefix arrives first
        sock.sendall(data)
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                if sock.recv(65536) == b"":
                    return True
        except (ConnectionResetError, TimeoutError):
            return True
    return False


@pytest.mark.parametrize(
    "garbage",
    [
        b"HTTP/1.1 200 OK\r\n\r\n",  # wrong magic: stream-fatal
        DEVNET.network.magic
        + bytes([0x02])
        + (DEVNET.network.max_message_bytes + 1).to_bytes(4, "little")
        + bytes(4),
        encode_frame(Ping(1), DEVNET)[:-1]
        + b"\xff" * 2
        + encode_frame(Ping(1), DEVNET),  # bad checksum, more
    ],
    ids=["wrong_magic", "oversized_length", "bad_checksum_then_more"],
)
def test_misbehaving_peer_is_disconnected_and_node_keeps_running(node: Path, garbage: bytes) -> None:
    port = p2p_port_of(node)
    assert _closed_after(port, garbage * 3)
    assert asyncio.run(call(rpc_port_of(node), node, "getblockcount")) == -1
    info = asyncio.run(call(rpc_port_of(node), node, "getpeerinfo"))
    assert info["banned"], "the misbehaving connection should be refused from now on"
    url = f"http://127.0.0.1:{metrics_port_of(node)}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        metrics = _metrics(response.read().decode())
    assert metrics[("rusty_bans_total", ())] >= 1
    assert metrics[("rusty_banned_peers", ())] == len(info["banned"])


@pytest.mark.slow
def test_devnet_runs_a_sidechain_round_trip(tmp_path: Path) -> None:
    """Issue 15 item 7 on three node processes (151 s on a 2-core machine; the default run
    has the in-process round trip, tests/test_reference_sidechains.py): fork ``sidechains`` voted
    in, a governance proposal creates sidechain 1, node 0 pegs in, transfers to node 1's account,
    withdraws; the federation (the finality quorum) produces the blocks and posts threshold-signed
    checkpoints; the claim is paid on the mainchain after the challenge window; every node agrees."""
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, sidechain=True))
    assert result.converged and result.upgraded, result
    assert result.forks == ["sidechains"] * 3
    trip = result.sidechain
    assert trip is not None
    assert (
        trip["registered"] < trip["deposited"] <= trip["transferred"] < trip["checkpointed"] < trip["claimed"]
    )
    assert len(set(trip["tips"])) == 1
    assert trip["escrow"] == [devnet.SIDECHAIN_DEPOSIT - devnet.SIDECHAIN_WITHDRAWAL] * 3
    assert trip["withdrawal"]["amount"] == devnet.SIDECHAIN_WITHDRAWAL
    for index in range(3):
        node = Node(tmp_path / f"node{index}")
        try:
            state = node.store.state
            record = state.sidechains.chains[devnet.SIDECHAIN_ID]
            assert record.escrow == devnet.SIDECHAIN_DEPOSIT - devnet.SIDECHAIN_WITHDRAWAL
            key = (devnet.SIDECHAIN_ID, trip["withdrawal"]["height"], trip["withdrawal"]["index"])
            assert key in state.sidechains.spent_withdrawals
            assert node.store.state_root == compute_state_root(state, DEVNET)  # ST-1 with the records
        finally:
            node.close()


def test_devnet_progress_without_a_terminal_prints_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(devnet, "PROGRESS_SECONDS", 0.0)
    progress = devnet.Progress(True, "devnet", 10)  # stderr is captured: not a terminal
    progress.update("heights 1/0, finalized -/-", 1)
    progress.update("heights 2/2, finalized -/-", 1, total=40)
    progress.close()
    quiet = devnet.Progress(False, "devnet", 10)
    quiet.update("not shown", 1)
    quiet.close()
    assert capsys.readouterr().err.splitlines() == [
        "devnet: 1/10 blocks, heights 1/0, finalized -/-",
        "devnet: 2/40 blocks, heights 2/2, finalized -/-",
    ]


def test_devnet_reports_a_node_that_fails_to_start(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["devnet", "2", "--dir", str(tmp_path), "--node-arg=--max-inbound=-1", "--timeout", "5"]
    )
    assert result.exit_code == 1, result.output
    assert "error: node0 failed to start: it exited with code 2" in result.stderr
    assert "Invalid value for '--max-inbound'" in result.stderr  # the end of its log


def test_devnet_reports_nodes_that_do_not_converge(tmp_path: Path) -> None:
    """Nodes that refuse every inbound connection never sync: a clear message and exit code 1
    (``--max-inbound`` is a limit of the TCP transport's server; libp2p does not read it)."""
    arguments = ["--node-arg=--transport=tcp", "--node-arg=--max-inbound=0", "--timeout", "1"]
    result = CliRunner().invoke(main, ["devnet", "2", "--dir", str(tmp_path), *arguments])
    assert result.exit_code == 1, result.output
    assert "DID NOT CONVERGE" in result.stdout
    assert "error: the nodes did not converge within 1 s: tips differ" in result.stderr


def _peers_within(datadir: Path, seconds: float) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        info: dict[str, object] = asyncio.run(call(rpc_port_of(datadir), datadir, "getpeerinfo"))
        if info["peers"] or time.monotonic() > deadline:
            return info
        time.sleep(0.1)


def test_a_restarted_node_keeps_its_id_and_dials_its_earlier_peers(tmp_path: Path) -> None:
    hub, leaf = tmp_path / "hub", tmp_path / "leaf"
    for datadir in (hub, leaf):
        Node.init(datadir, "devnet").close()
    hub_process = start_node(hub, "--transport", "tcp")  # HOST:PORT peers and the P2P-HS node id
    try:
        leaf_process = start_node(leaf, "--transport", "tcp", "--connect", f"127.0.0.1:{p2p_port_of(hub)}")
        first = _peers_within(leaf, 30)
        assert first["peers"]
        leaf_process.terminate()
        assert leaf_process.wait(timeout=30) == 0
        leaf_process = start_node(leaf, "--transport", "tcp")  # no --connect: the peer from the datadir
        again = _peers_within(leaf, 30)
        assert again["peers"], "the restarted node should dial the peer it knew"
        assert again["node_id"] == first["node_id"]
        leaf_process.terminate()
        assert leaf_process.wait(timeout=30) == 0
    finally:
        hub_process.terminate()
        hub_process.wait(timeout=30)


def test_bans_expire_and_forget_the_score(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    try:
        lasting, expiring = P2PService(node, 0), P2PService(node, 0, ban_seconds=0.0)
        for service in (lasting, expiring):
            service.scores, _ = record(service.scores, "peer", Violation.INVALID_BLOCK, DEVNET)
            service.bans["peer"] = time.monotonic() + service.ban_seconds
        assert lasting.is_banned("peer") and lasting.banned == ["peer"]
        assert not expiring.is_banned("peer") and expiring.banned == []
        assert score_of(expiring.scores, "peer") == 0 and score_of(lasting.scores, "peer") == 100
        assert lasting.node_id == expiring.node_id  # one id per data directory
    finally:
        node.close()
