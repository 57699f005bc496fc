"""``rusty devnet N``: N reference nodes on loopback that mine, sync and relay transactions.

The orchestrator starts N ``rusty node`` processes (node 0 first; the others dial it and find
each other through Kademlia ``FindNode``), then drives them over RPC:

1. two nodes take turns mining devnet blocks (``generate``), so blocks cross the network as
   compact blocks and competing blocks are possible;
2. once node 0 has a mature coinbase it pays node 1 (``sendtoaddress``); the transaction is
   flooded to the other nodes and mined by whichever node mines next;
3. mining stops and the orchestrator waits until every node reports the same tip and node 1's
   balance shows the payment.

It prints a summary and stops every node with SIGTERM. Finality certificates are not part of the
devnet yet: they need the masternode quorum flow wired into the chain.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from reference.daemon import p2p_port_of, rpc_port_of
from reference.node import Node
from reference.rpc import RpcError, call

START_TIMEOUT = 60.0
CONVERGE_TIMEOUT = 120.0


@dataclass
class DevnetResult:
    """What the devnet run observed."""

    heights: list[int]
    tips: list[str]
    payment_received: bool
    peers: list[int]

    @property
    def converged(self) -> bool:
        return len(set(self.tips)) == 1 and self.payment_received


async def _wait_file(path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.exists():
        if process.poll() is not None:
            raise RuntimeError(f"node exited with {process.returncode} before writing {path.name}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        await asyncio.sleep(0.05)


async def _rpc(datadir: Path, method: str, *params: Any) -> Any:
    return await call(rpc_port_of(datadir), datadir, method, *params)


async def run_devnet(count: int, blocks: int, root: Path, show_progress: bool = True) -> DevnetResult:
    """Run the devnet scenario with ``count`` nodes and at least ``blocks`` blocks."""
    datadirs = [root / f"node{i}" for i in range(count)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index, datadir in enumerate(datadirs):
            Node.init(datadir, "devnet").close()
            command = [sys.executable, "-m", "reference.cli", "node", str(datadir)]
            if index > 0:
                command += ["--connect", f"127.0.0.1:{p2p_port_of(datadirs[0])}"]
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(process)
            await _wait_file(datadir / "rpc.port", process)
            await _wait_file(datadir / "p2p.port", process)
        miners = [datadirs[0], datadirs[-1]]
        payee = await _rpc(datadirs[1], "getnewaddress")
        paid = False
        with tqdm(total=blocks, desc="devnet", unit="block", disable=not show_progress or None) as bar:
            mined = 0
            while mined < blocks or not paid:
                await _rpc(miners[mined % len(miners)], "generate", 1)
                mined += 1
                bar.update(1)
                await asyncio.sleep(0.1)
                if not paid and mined >= 8:
                    try:
                        await _rpc(datadirs[0], "sendtoaddress", payee, 1_000_000, 10_000)
                        paid = True
                    except RpcError:
                        pass  # no mature coin yet on node 0: mine more
            await _rpc(miners[0], "generate", 1)  # mine the payment for sure
        deadline = time.monotonic() + CONVERGE_TIMEOUT
        while True:
            statuses = [await _rpc(d, "getstatus") for d in datadirs]
            tips = [s["tip"] for s in statuses]
            received = statuses[1]["balance"] >= 1_000_000
            if (len(set(tips)) == 1 and received) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        peers = [len((await _rpc(d, "getpeerinfo"))["peers"]) for d in datadirs]
        return DevnetResult([s["height"] for s in statuses], tips, received, peers)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def devnet_main(count: int, blocks: int, directory: Path | None) -> DevnetResult:
    """Run the scenario in ``directory`` (a temporary one if ``None``) and return what it saw."""
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        return asyncio.run(run_devnet(count, blocks, directory))
    with tempfile.TemporaryDirectory(prefix="rusty-devnet-") as temporary:
        return asyncio.run(run_devnet(count, blocks, Path(temporary)))
