"""The long-running node process: P2P (reference/p2p.py), JSON-RPC (reference/rpc.py), devnet miner.

``rusty node DATADIR`` runs until SIGINT/SIGTERM. It writes ``DATADIR/rpc.port`` and
``DATADIR/p2p.port`` with the ports it listens on (127.0.0.1 only), next to the RPC cookie, and
with ``--metrics-port`` ``DATADIR/metrics.port`` (the Prometheus endpoint, reference/metrics.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reference.metrics import NodeMetrics
from reference.miner import seal_header
from reference.node import Node
from reference.p2p import DEFAULT_LIMITS, P2PLimits, P2PService
from reference.rpc import RpcServer, bound_port, start_rpc
from reference.snapshots import SNAPSHOT_INTERVAL, FastSync
from spec.chain.block import Block
from spec.errors import SpecError
from spec.ledger.transaction import Transaction

log = logging.getLogger("rusty.node")
PORT_FILES = ("rpc.port", "p2p.port", "metrics.port", "p2p.addr")


async def run_node(
    datadir: Path,
    rpc_port: int,
    p2p_port: int,
    connect: Sequence[tuple[str, int]],
    mine_every: float | None,
    stop: asyncio.Event,
    limits: P2PLimits = DEFAULT_LIMITS,
    metrics_port: int | None = None,
    prune: int | None = None,
    fast_sync: bool = False,
    snapshot_interval: int = SNAPSHOT_INTERVAL,
    transport: str = "tcp",
    bootstrap: Sequence[str] = (),
    watch_sidechains: bool = False,
    sidechain_fault: str | None = None,
) -> None:
    """Serve P2P and RPC (and mine every ``mine_every`` seconds on devnet) until ``stop`` is set;
    with ``metrics_port`` (0: a free one) also the Prometheus endpoint; ``prune=N`` keeps the last
    N block bodies, pruning in the background (:func:`prune_forever`); ``fast_sync`` first downloads
    a state snapshot from peers (reference/snapshots.py); ``transport="libp2p"`` runs P2P on libp2p
    (reference/libp2p_node.py), dialling the ``bootstrap`` multiaddrs, and writes its own address
    to ``DATADIR/p2p.addr``; ``watch_sidechains`` runs the sidechain watcher on every new tip
    (reference/watch_service.py); ``sidechain_fault`` (devnet only: one of
    reference/sidechains.py ``FAULTS``) makes this federation member sign one forged checkpoint per
    sidechain and defend it, or (``"equivocate"``) a second header at an accepted height."""
    node = Node(datadir, prune)
    if watch_sidechains or sidechain_fault is not None:
        node.start_watching(challenge=watch_sidechains, faulty=sidechain_fault)
    node.snapshots.interval = snapshot_interval
    client = FastSync(node.preset) if fast_sync and node.store.state.height < 0 else None
    p2p: P2PService
    if transport == "libp2p":
        from reference.libp2p_node import Libp2pService  # imported only when used (trio, py-libp2p)

        p2p = Libp2pService(node, p2p_port, datadir, bootstrap, limits=limits, fast_sync=client)
    else:
        p2p = P2PService(node, p2p_port, limits=limits, fast_sync=client)
    metrics = NodeMetrics(node, p2p)
    metrics.instrument_store(node.store)
    metrics.watch_bans(p2p)
    if node.watch is not None:
        metrics.watch_disputes(node.watch)
    lock = asyncio.Lock()

    async def mine(count: int) -> list[str]:
        hashes: list[str] = []
        async with lock:
            for _ in range(count):
                block = await mine_one(node)
                hashes.append(node.store.state.tip_hash.hex())
                await p2p.announce_block(block)
                await p2p.tip_changed()
        return hashes

    async def announce(tx: Transaction) -> None:
        await p2p.announce_transaction(tx)

    server = RpcServer(node, mine, announce, p2p.status, p2p.broadcast_quorum)
    metrics.instrument_rpc(server)
    runner = await start_rpc(server, rpc_port)
    metrics_runner, metrics_bound = None, None
    if metrics_port is not None:
        metrics_runner, metrics_bound = await metrics.serve(metrics_port)
        (datadir / "metrics.port").write_text(f"{metrics_bound}\n")
    (datadir / "p2p.port").write_text(f"{await p2p.start()}\n")
    listen_address = getattr(p2p, "listen_address", "")
    if listen_address:
        (datadir / "p2p.addr").write_text(f"{listen_address}\n")
    (datadir / "rpc.port").write_text(f"{bound_port(runner)}\n")
    log.info(
        "node started",
        extra={
            "fields": {
                "datadir": str(datadir),
                "preset": node.preset.name,
                "height": node.store.state.height,
                "rpc_port": bound_port(runner),
                "p2p_port": p2p.port,
                "metrics_port": metrics_bound,
            }
        },
    )
    for host, port in connect:
        await p2p.connect(host, port)
    await p2p.connect_known()  # the peers of earlier runs of this data directory
    pruner = asyncio.ensure_future(prune_forever(node, stop)) if prune is not None else None
    try:
        while not stop.is_set():
            timeout = mine_every if mine_every is not None and node.preset.name == "devnet" else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout)
            if not stop.is_set() and timeout is not None:
                with contextlib.suppress(SpecError):
                    await mine(1)
    finally:
        if pruner is not None:
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
        await p2p.stop()
        await runner.cleanup()
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        for name in PORT_FILES:
            (datadir / name).unlink(missing_ok=True)
        log.info("node stopped", extra={"fields": {"height": node.store.state.height}})
        node.close()


PRUNE_INTERVAL = 1.0
"""Seconds between two pruning passes of a pruning node (node policy)."""


async def prune_forever(node: Node, stop: asyncio.Event, interval: float = PRUNE_INTERVAL) -> None:
    """Prune in the background, off the block-import path: every ``interval`` seconds, run bounded
    pruning steps (:data:`reference.storage.PRUNE_BATCH` blocks, one transaction each) until none
    is left, returning to the event loop between two steps so P2P, RPC and mining go on."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        while not stop.is_set() and node.prune_step():
            await asyncio.sleep(0)


SEAL_CHUNK = 2_048
"""Nonces tried between two returns to the event loop while mining (a few milliseconds)."""


async def mine_one(node: Node) -> Block:
    """Mine one block on the tip without blocking the event loop: the nonce search runs in chunks
    of :data:`SEAL_CHUNK`, yielding between them; if the tip moved meanwhile (a peer's block), the
    template is built again on the new tip."""
    while True:
        template, context = node.block_template(int(time.time()))
        header, first = template.header, 0
        sealed = None
        while sealed is None and node.store.state.tip_hash == header.previous_block_hash:
            sealed = seal_header(header, node.preset, SEAL_CHUNK, first_nonce=first)
            first += SEAL_CHUNK
            if sealed is None:
                await asyncio.sleep(0)
        if sealed is not None and node.store.state.tip_hash == header.previous_block_hash:
            block = replace(template, header=sealed)
            node.store_mined(block, context)
            return block


def serve_forever(
    datadir: Path,
    rpc_port: int,
    p2p_port: int,
    connect: Sequence[tuple[str, int]],
    mine_every: float | None,
    limits: P2PLimits = DEFAULT_LIMITS,
    metrics_port: int | None = None,
    prune: int | None = None,
    fast_sync: bool = False,
    snapshot_interval: int = SNAPSHOT_INTERVAL,
    transport: str = "tcp",
    bootstrap: Sequence[str] = (),
    watch_sidechains: bool = False,
    sidechain_fault: str | None = None,
) -> None:
    """Run :func:`run_node` with SIGINT/SIGTERM mapped to a clean stop."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_node(
            datadir,
            rpc_port,
            p2p_port,
            connect,
            mine_every,
            stop,
            limits,
            metrics_port=metrics_port,
            prune=prune,
            fast_sync=fast_sync,
            snapshot_interval=snapshot_interval,
            transport=transport,
            bootstrap=bootstrap,
            watch_sidechains=watch_sidechains,
            sidechain_fault=sidechain_fault,
        )

    asyncio.run(main())


def rpc_port_of(datadir: Path) -> int:
    """The RPC port a running node advertised."""
    return int((datadir / "rpc.port").read_text().strip())


def p2p_port_of(datadir: Path) -> int:
    """The P2P port a running node advertised."""
    return int((datadir / "p2p.port").read_text().strip())


def metrics_port_of(datadir: Path) -> int:
    """The Prometheus port a running node advertised (``--metrics-port``)."""
    return int((datadir / "metrics.port").read_text().strip())
