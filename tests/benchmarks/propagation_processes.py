"""Block propagation across a 10-node loopback network of **separate node processes**, libp2p against
the TCP transport (issue 18, item 6); the process-level companion of ``scripts/bench_propagation.py``
(which runs the nodes in one process).

Run: ``nice -n 10 .venv/bin/python -m tests.benchmarks.propagation_processes [--nodes 10] [--rounds 5]``
(``tests/benchmarks/test_bench_propagation_processes.py`` runs a short version under ``RUSTY_SLOW=1``).

For each transport, ``--nodes`` ``rusty node --transport T`` processes (devnet) start; node ``i`` is
given node ``i - 1``'s address only and finds the others by its discovery (Kademlia ``FindNode`` on
TCP, the DHT on libp2p). Node 0 mines past coinbase maturity, then every round:

1. node 0 pays ``--txs`` transactions (``sendtoaddress``); the round waits until every node's
   mempool has them (not measured: transaction relay);
2. node 0 mines a block of them (``generate``): on both transports it leaves node 0 as a compact
   block (P2P-CMPCT, short ids of the transactions every mempool holds; gossipsub on libp2p);
3. **time**: from the ``generate`` call until every node's tip is that block (all nodes polled
   concurrently over RPC every 5 ms); **bytes**: every byte the node processes received on their
   P2P connections (``ss -ti``'s per-socket ``bytes_received``, the kernel's count, both ends
   owned by the network's processes, RPC connections excluded) from before the ``generate`` until
   0.5 s after the last node had the block, less the network's background rate (measured over a
   3 s idle window just before: pings, DHT lookups, heartbeats) times the window's length, divided
   by the ``nodes - 1`` receivers: the wire cost per node of one block announced as a compact
   block, with its envelopes, duplicates and IHAVEs. Socket counters are per connection: one opened
   in the window counts from zero, one closed in it is lost (never a negative count).

Then every node but node 0 stops and a late node joins (given node 0's address) and syncs the
whole chain from it, where every block travels as a **full block** (``GetData``/``blocks``); the
bytes its sockets received per byte of the blocks it synced (its 188-byte header, the handshake
and the requests amortised), times a measured block's size, are that block's full-block cost per
node.

The two networks run side by side; rounds are interleaved (one on TCP, one on libp2p, …) so the load
on the shared machine hits both alike. Only ratios are meaningful: median time libp2p / TCP, bytes
libp2p / TCP for a compact block and for a full block, and compact / full on each transport.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.node import Node
from reference.rpc import call
from spec.presets import DEVNET
from tests.node_process import start_node

START_BOUND = 90.0
"""Seconds the network may take to connect (every node at least one peer) or a block to spread."""
SETTLE = 0.5
"""Seconds of the byte window after the last node had the block (late duplicates, IHAVEs)."""
IDLE_WINDOW = 3.0
"""Seconds of the idle window before each block: the network's background bytes per second
(pings; on libp2p also DHT self-lookups, gossipsub heartbeats, IHAVE), subtracted from the block's
window in proportion to its length."""
TRANSPORTS = ("tcp", "libp2p")


@dataclass
class Network:
    """One transport's node processes."""

    transport: str
    root: Path
    datadirs: list[Path] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    compact_seconds: list[float] = field(default_factory=list)
    compact_bytes: list[int] = field(default_factory=list)
    background_rates: list[int] = field(default_factory=list)
    """Per round: the network's background bytes per second (all receivers together)."""
    full_bytes_per_block_byte: float = 0.0
    """Bytes the late node received per byte of the blocks it synced (full blocks, with the
    headers, handshake and request overhead amortised)."""
    block_bytes: list[int] = field(default_factory=list)

    def full_bytes(self) -> list[float]:
        """Per measured block: the bytes one node receives for it as a full block."""
        return [size * self.full_bytes_per_block_byte for size in self.block_bytes]

    def p2p_ports(self) -> set[int]:
        return {int((d / "p2p.port").read_text()) for d in self.datadirs}

    def pids(self) -> set[int]:
        return {p.pid for p in self.processes}


def rpc(datadir: Path, method: str, *params: Any) -> Any:
    return asyncio.run(call(int((datadir / "rpc.port").read_text()), datadir, method, *params))


async def arpc(datadir: Path, method: str, *params: Any) -> Any:
    return await call(int((datadir / "rpc.port").read_text()), datadir, method, *params)


_SOCKET = re.compile(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:\(\(\"[^\"]*\",pid=(\d+)")
_RECEIVED = re.compile(r"bytes_received:(\d+)")


def socket_bytes(pids: set[int], ports: set[int]) -> dict[tuple[int, int, int], int]:
    """Bytes received so far on each established loopback socket of ``pids`` with one end on a P2P
    port of ``ports``, by (pid, local port, peer port) (the kernel's ``tcp_info`` counters, read
    with ``ss -tinpH``)."""
    output = subprocess.run(
        ["ss", "-tinpH", "state", "established"], capture_output=True, text=True, check=True
    ).stdout
    counts: dict[tuple[int, int, int], int] = {}
    lines = output.splitlines()
    for index, line in enumerate(lines):
        match = _SOCKET.search(line)
        if match is None or index + 1 >= len(lines):
            continue
        local, peer, pid = (int(g) for g in match.groups())
        if pid in pids and (local in ports or peer in ports):
            received = _RECEIVED.search(lines[index + 1])
            counts[(pid, local, peer)] = int(received.group(1)) if received else 0
    return counts


def received_bytes(pids: set[int], ports: set[int]) -> int:
    """The total of :func:`socket_bytes`."""
    return sum(socket_bytes(pids, ports).values())


def received_since(before: dict[tuple[int, int, int], int], pids: set[int], ports: set[int]) -> int:
    """Bytes received since ``before`` on the sockets open now (a socket opened since counts from
    zero; one closed since is not counted: its last bytes are lost, never negative)."""
    return sum(count - before.get(key, 0) for key, count in socket_bytes(pids, ports).items())


def _wait(condition: Any, what: str, bound: float = START_BOUND) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _connect_argument(network: Network, previous: Path) -> list[str]:
    if network.transport == "libp2p":
        return ["--connect", (previous / "p2p.addr").read_text().strip()]
    return ["--connect", f"127.0.0.1:{(previous / 'p2p.port').read_text().strip()}"]


def start_network(root: Path, count: int, transport: str, network: Network) -> None:
    """``count`` node processes in ``network``, each given the previous one's address."""
    for index in range(count):
        datadir = network.root / f"node{index}"
        Node.init(datadir, "devnet").close()
        extra = ["--transport", transport]
        if index:
            extra += _connect_argument(network, network.datadirs[-1])
        network.processes.append(start_node(datadir, *extra, bound=START_BOUND))
        network.datadirs.append(datadir)


def connected(network: Network) -> bool:
    return all(len(rpc(d, "getpeerinfo")["peers"]) >= 1 for d in network.datadirs)


def stop(network: Network) -> None:
    for process in network.processes:
        if process.poll() is None:
            process.terminate()
    for process in network.processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _tips(datadirs: list[Path]) -> list[str]:
    statuses = await asyncio.gather(*(arpc(d, "getstatus") for d in datadirs))
    return [s["tip"] for s in statuses]


async def _until_everywhere(datadirs: list[Path], tip: str) -> None:
    deadline = time.monotonic() + START_BOUND
    while any(t != tip for t in await _tips(datadirs)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"block {tip[:16]} not everywhere")
        await asyncio.sleep(0.005)


def mine_everywhere(network: Network, blocks: int) -> None:
    """Mine ``blocks`` on node 0 and wait until every node has them (not measured)."""
    rpc(network.datadirs[0], "generate", blocks)
    tip = rpc(network.datadirs[0], "getstatus")["tip"]
    asyncio.run(_until_everywhere(network.datadirs, tip))


def fill_mempools(network: Network, count: int) -> None:
    """Node 0 pays ``count`` transactions; wait until every mempool has them (not measured)."""
    address = rpc(network.datadirs[1], "getnewaddress")
    for _ in range(count):
        rpc(network.datadirs[0], "sendtoaddress", address, 10 * DEVNET.ledger.atoms_per_coin, 10_000)
    _wait(
        lambda: all(rpc(d, "getstatus")["pending"] >= count for d in network.datadirs),
        f"{count} transactions in every mempool",
    )


def compact_round(network: Network, txs: int) -> None:
    """One measured round (module docstring, steps 1-3)."""
    fill_mempools(network, txs)
    pids, ports = network.pids(), network.p2p_ports()
    idle = socket_bytes(pids, ports)
    idle_started = time.perf_counter()
    time.sleep(IDLE_WINDOW)
    before = socket_bytes(pids, ports)
    background_rate = received_since(idle, pids, ports) / (time.perf_counter() - idle_started)
    started = time.perf_counter()
    rpc(network.datadirs[0], "generate", 1)
    tip = rpc(network.datadirs[0], "getstatus")["tip"]
    asyncio.run(_until_everywhere(network.datadirs, tip))
    network.compact_seconds.append(time.perf_counter() - started)
    time.sleep(SETTLE)
    window = time.perf_counter() - started
    spent = received_since(before, pids, ports) - background_rate * window
    network.compact_bytes.append(round(spent / (len(network.datadirs) - 1)))
    network.background_rates.append(round(background_rate))
    height = rpc(network.datadirs[0], "getstatus")["height"]
    network.block_bytes.append(block_size(network.datadirs[0], height))


def block_size(datadir: Path, height: int) -> int:
    """The serialized size (BLK-0) of the best chain's block at ``height``."""
    return len(str(rpc(datadir, "getblock", height))) // 2


def full_sync(network: Network) -> None:
    """A late node syncs the chain from node 0 alone (the others are stopped first, so every block
    comes from one peer and no other peer's headers count): the bytes it received per block byte."""
    for process in network.processes[1:]:
        process.terminate()
    for process in network.processes[1:]:
        process.wait(timeout=30)
    datadir = network.root / "late"
    Node.init(datadir, "devnet").close()
    height = rpc(network.datadirs[0], "getstatus")["height"]
    connect = _connect_argument(network, network.datadirs[0])
    process = start_node(datadir, "--transport", network.transport, *connect, bound=START_BOUND)
    try:
        ports = {int((network.datadirs[0] / "p2p.port").read_text()), int((datadir / "p2p.port").read_text())}
        _wait(lambda: rpc(datadir, "getstatus")["height"] >= height, "the late node's sync")
        time.sleep(SETTLE)
        chain_bytes = sum(block_size(network.datadirs[0], h) for h in range(height + 1))
        network.full_bytes_per_block_byte = received_bytes({process.pid}, ports) / chain_bytes
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(count: int, rounds: int, txs: int, root: Path) -> dict[str, Any]:
    """Both networks side by side, rounds interleaved; the figures and ratios as a dict."""
    if shutil.which("ss") is None:
        raise RuntimeError("ss (iproute2) is needed to read the sockets' byte counters")
    networks = {t: Network(t, root / t) for t in TRANSPORTS}
    try:
        for transport, network in networks.items():
            start_network(root, count, transport, network)
        for network in networks.values():
            _wait(lambda network=network: connected(network), f"{network.transport} nodes to connect")
        time.sleep(5)  # discovery and gossipsub meshes
        maturity = DEVNET.ledger.coinbase_maturity
        for network in networks.values():
            mine_everywhere(network, maturity + 1 + rounds * txs)  # one mature coinbase per payment
        for _ in range(rounds):
            for network in networks.values():
                compact_round(network, txs)
        peers = {t: [len(rpc(d, "getpeerinfo")["peers"]) for d in n.datadirs] for t, n in networks.items()}
        for network in networks.values():
            full_sync(network)
    finally:
        for network in networks.values():
            stop(network)
    tcp, lp = networks["tcp"], networks["libp2p"]
    tcp_compact, lp_compact = statistics.median(tcp.compact_bytes), statistics.median(lp.compact_bytes)
    tcp_full, lp_full = statistics.median(tcp.full_bytes()), statistics.median(lp.full_bytes())
    return {
        "nodes": count,
        "rounds": rounds,
        "transactions_per_block": txs,
        "peers": peers,
        "block_bytes": {t: n.block_bytes for t, n in networks.items()},
        "seconds": {t: [round(s, 3) for s in n.compact_seconds] for t, n in networks.items()},
        "compact_bytes_per_node": {t: n.compact_bytes for t, n in networks.items()},
        "background_bytes_per_second": {t: n.background_rates for t, n in networks.items()},
        "full_bytes_per_block_byte": {t: round(n.full_bytes_per_block_byte, 4) for t, n in networks.items()},
        "full_bytes_per_node": {"tcp": round(tcp_full), "libp2p": round(lp_full)},
        "time_ratio_libp2p_tcp": round(
            statistics.median(lp.compact_seconds) / statistics.median(tcp.compact_seconds), 3
        ),
        "compact_bytes_ratio_libp2p_tcp": round(lp_compact / tcp_compact, 3),
        "full_bytes_ratio_libp2p_tcp": round(lp_full / tcp_full, 3),
        "compact_over_full": {
            "tcp": round(tcp_compact / tcp_full, 3),
            "libp2p": round(lp_compact / lp_full, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--txs", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(arguments.nodes, arguments.rounds, arguments.txs, Path(tmp))
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
