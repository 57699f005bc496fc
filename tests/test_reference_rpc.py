"""The node process: JSON-RPC on localhost with cookie authentication, devnet mining, clean shutdown."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from reference.daemon import rpc_port_of
from reference.node import Node
from reference.rpc import REJECTED, RpcError, basic_auth_header, call

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[Path]:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    process = subprocess.Popen([sys.executable, "-m", "reference.cli", "node", str(datadir)], cwd=ROOT)
    deadline = time.monotonic() + 30
    while not (datadir / "rpc.port").exists():
        assert process.poll() is None, "the node exited"
        assert time.monotonic() < deadline, "the node did not start"
        time.sleep(0.05)
    yield datadir
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not (datadir / "rpc.port").exists()


def test_rpc_methods_and_errors(running_node: Path) -> None:
    datadir = running_node
    port = rpc_port_of(datadir)

    async def scenario() -> None:
        assert await call(port, datadir, "getblockcount") == -1
        hashes = await call(port, datadir, "generate", 7)
        assert len(hashes) == 7
        assert await call(port, datadir, "getbestblockhash") == hashes[-1]
        status = await call(port, datadir, "getstatus")
        assert status["height"] == 6 and status["balance"] > 0
        block_hex = await call(port, datadir, "getblock", 6)
        with pytest.raises(RpcError) as rejected:  # block bytes are not a transaction
            await call(port, datadir, "sendrawtransaction", block_hex)
        assert rejected.value.code == REJECTED and rejected.value.data["code"].startswith("DECODE_")
        other = Node.init(datadir.parent / "payee", "devnet")
        txid = await call(port, datadir, "sendtoaddress", other.wallet.key_hash.hex(), 50_000, 1_000)
        other.close()
        assert len(txid) == 64
        assert (await call(port, datadir, "getstatus"))["pending"] == 1
        await call(port, datadir, "generate", 1)
        assert (await call(port, datadir, "getstatus"))["pending"] == 0
        with pytest.raises(RpcError) as unknown:
            await call(port, datadir, "nosuchmethod")
        assert unknown.value.code == -32601
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"http://127.0.0.1:{port}/", json={"method": "getblockcount"}
            ) as response:
                assert response.status == 401
            wrong = {"Authorization": basic_auth_header("__cookie__", "0" * 64)}
            async with session.post(f"http://127.0.0.1:{port}/", json={}, headers=wrong) as response:
                assert response.status == 401

    asyncio.run(scenario())
    node = Node(datadir)
    assert len(list(node.store.best_chain())) == 8
    node.close()
