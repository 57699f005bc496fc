"""The long-running node process: RPC server, optional devnet miner (P2P joins here next).

``rusty node DATADIR`` runs until SIGINT/SIGTERM. It writes ``DATADIR/rpc.port`` with the port it
listens on (127.0.0.1 only) next to the cookie file, so local clients can find and authenticate.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path

from reference.node import Node
from reference.rpc import RpcServer, bound_port, start_rpc
from spec.errors import SpecError


async def run_node(datadir: Path, rpc_port: int, mine_every: float | None, stop: asyncio.Event) -> None:
    """Serve RPC (and mine every ``mine_every`` seconds on devnet) until ``stop`` is set."""
    node = Node(datadir)
    lock = asyncio.Lock()

    async def mine(count: int) -> list[str]:
        hashes: list[str] = []
        async with lock:
            for _ in range(count):
                node.mine_block(int(time.time()))
                hashes.append(node.store.state.tip_hash.hex())
                await asyncio.sleep(0)
        return hashes

    server = RpcServer(node, mine)
    runner = await start_rpc(server, rpc_port)
    (datadir / "rpc.port").write_text(f"{bound_port(runner)}\n")
    try:
        while not stop.is_set():
            timeout = mine_every if mine_every is not None and node.preset.name == "devnet" else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout)
            if not stop.is_set() and timeout is not None:
                with contextlib.suppress(SpecError):
                    await mine(1)
    finally:
        await runner.cleanup()
        (datadir / "rpc.port").unlink(missing_ok=True)
        node.close()


def serve_forever(datadir: Path, rpc_port: int, mine_every: float | None) -> None:
    """Run :func:`run_node` with SIGINT/SIGTERM mapped to a clean stop."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_node(datadir, rpc_port, mine_every, stop)

    asyncio.run(main())


def rpc_port_of(datadir: Path) -> int:
    """The RPC port a running node advertised."""
    return int((datadir / "rpc.port").read_text().strip())
