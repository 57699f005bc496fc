"""The node process: JSON-RPC on localhost with cookie authentication, devnet mining, clean shutdown."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from reference.daemon import rpc_port_of
from reference.node import Node
from reference.rpc import REJECTED, RpcError, basic_auth_header, call
from spec.chain.block import decode_block
from spec.ledger.state import encode_outpoint
from spec.ledger.transaction import OutPoint
from spec.ledger.transaction import txid as transaction_id
from spec.presets import DEVNET
from spec.trie import RUSTY_TRIE_HASHER, verify_proof
from tests.node_process import start_node


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[Path]:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    process = start_node(datadir)
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
        block = decode_block(bytes.fromhex(block_hex), DEVNET)
        coinbase = OutPoint(transaction_id(block.transactions[0], DEVNET), 0)
        shown = await call(port, datadir, "gettrieproof", coinbase.txid.hex(), 0)
        assert shown["root"] == block.header.state_root.hex() and shown["entry"] is not None
        key = encode_outpoint(coinbase, DEVNET)
        proof = [bytes.fromhex(node) for node in shown["proof"]]
        value = verify_proof(block.header.state_root, key, proof, RUSTY_TRIE_HASHER)
        assert value == bytes.fromhex(shown["entry"])
        absent = await call(port, datadir, "gettrieproof", "00" * 32, 7)
        assert absent["entry"] is None and absent["proof"]
        with pytest.raises(RpcError) as bad_index:
            await call(port, datadir, "gettrieproof", "00" * 32, -1)
        assert bad_index.value.code == -32602
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
