"""Block propagation across a 10-node loopback network: libp2p against the TCP transport (issue 18).

Run: ``nice -n 10 .venv/bin/python scripts/bench_propagation.py [--nodes 10] [--rounds 5]``.

Each transport gets its own network of ``--nodes`` in-process nodes (devnet preset, one asyncio
loop; the libp2p nodes each have their trio thread). Node ``i`` is given node ``i - 1``'s address
only and finds the rest by its discovery (Kademlia ``FindNode`` on TCP, the DHT on libp2p). After
every node has the first block, node 0 mines a block and the time until every node's tip is that
block is measured; the rounds alternate between the two networks (interleaved, so load on the
shared machine hits both alike) and the medians are reported as a ratio. Timings on a loaded
machine are noisy: only the ratio is meaningful, and it is not a pass/fail check.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference.daemon import mine_one
from reference.libp2p_node import Libp2pService
from reference.node import Node
from reference.p2p import P2PService

SETTLE_SECONDS = 60.0


async def network(root: Path, count: int, transport: str) -> tuple[list[Node], list[P2PService]]:
    nodes: list[Node] = []
    services: list[P2PService] = []
    for index in range(count):
        datadir = root / f"{transport}{index}"
        Node.init(datadir, "devnet").close()
        node = Node(datadir)
        service: P2PService
        if transport == "libp2p":
            bootstrap = [services[-1].listen_address] if services else []  # type: ignore[attr-defined]
            service = Libp2pService(node, 0, datadir, bootstrap)
        else:
            service = P2PService(node, 0)
        await service.start()
        if transport == "libp2p":
            await service.connect_known()
        elif services:
            await service.connect("127.0.0.1", services[-1].port)
        nodes.append(node)
        services.append(service)
    return nodes, services


async def propagate(nodes: list[Node], services: list[P2PService]) -> float:
    """Mine on node 0, announce, and return the seconds until every node has that tip."""
    block = await mine_one(nodes[0])
    started = time.perf_counter()
    await services[0].announce_block(block)
    await services[0].tip_changed()
    tip = nodes[0].store.state.tip_hash
    deadline = started + SETTLE_SECONDS
    while any(n.store.state.tip_hash != tip for n in nodes):
        if time.perf_counter() > deadline:
            heights = [n.store.state.height for n in nodes]
            raise TimeoutError(f"block not everywhere after {SETTLE_SECONDS} s: {heights}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def main(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        networks = {t: await network(Path(tmp), count, t) for t in ("tcp", "libp2p")}
        await asyncio.sleep(5)  # discovery and meshes
        for nodes, services in networks.values():
            await propagate(nodes, services)  # the first block: every node syncs it (not measured)
        times: dict[str, list[float]] = {"tcp": [], "libp2p": []}
        for _ in range(rounds):
            for transport, (nodes, services) in networks.items():
                times[transport].append(await propagate(nodes, services))
        for transport, (_, services) in networks.items():
            peers = [len([p for p in s.peers if p.ready]) for s in services]
            print(f"{transport}: peers per node {peers}, seconds {[round(t, 3) for t in times[transport]]}")
            for service in services:
                await service.stop()
        tcp, lp = statistics.median(times["tcp"]), statistics.median(times["libp2p"])
        print(f"median propagation to all {count} nodes: libp2p / tcp = {lp / tcp:.2f}")
        for nodes, _ in networks.values():
            for node in nodes:
                node.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.nodes, arguments.rounds))
