"""``eth_sendRawTransaction``, ``eth_getTransactionReceipt``, ``eth_getLogs`` and
``eth_getTransactionByHash`` of an EVM sidechain on the node (reference/sidechain_vms.py,
docs/node.md).

The federation world of ``tests/sidechain_helpers.py`` with the EVM and WASM sidechains of
``tests/test_sidechain_vms.py``, fresh for each test: a wallet transaction goes in through
``eth_sendRawTransaction`` (the sidechain pool, relayed to the other members), the proposer includes
it, and every member answers the same receipt, read from the chain's index of the spec's outcomes
(VM-3, filled when the node applied the block). :class:`Reexecuting` answers the same methods by
re-applying each block on its parent state and scanning the blocks: the index must give the same
answers, also after a checkpoint reverts the block and after the block comes back.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from eth._utils.address import generate_contract_address
from eth_bloom.bloom import BloomFilter
from eth_typing import Address

from reference.eth_params import INVALID_PARAMS, EthRpcError, data_hex
from reference.rpc import RpcServer, basic_auth_header, bound_port, read_cookie, start_rpc
from reference.sidechain_vms import (
    MAX_LOG_BLOCKS,
    EthApi,
    account_info,
    evm_wallet_transaction,
    wallet_address,
)
from reference.sidechains import SidechainService
from spec.presets import DEVNET
from spec.sidechain.chain import apply_sidechain_block
from spec.sidechain.header import compute_header_hash
from spec.trie import keccak256
from spec.vm.interface import TxOutcome, VmKind
from tests.sidechain_helpers import World, build_world, run_until
from tests.test_sidechain_vms import EVM_CHAIN, SEED, SPECS, _funded

LOG_RUNTIME = bytes.fromhex("602a600052600760206000a100")
"""EVM runtime: ``MSTORE(0, 42)``, ``LOG1(0, 32, topic 7)``, stop."""
LOG_INITCODE = bytes.fromhex("600d80600b6000396000f3") + LOG_RUNTIME
TOPIC = "0x" + "00" * 31 + "07"


class Reexecuting(EthApi):
    """The ``eth_`` reads without the index: each block re-applied on its parent state by the
    spec's transition (SCB-1..5, VM-3), transactions and block hashes found by scanning the chain."""

    def _outcomes(self, height: int) -> tuple[TxOutcome, ...]:
        block = self.chain.blocks[height]
        if block is None or not block.transactions:
            return ()
        inputs = self.service.mainchain_inputs(self.sidechain_id)
        parent = self.chain.states[height - 1]
        return apply_sidechain_block(parent, block, inputs, self.service.preset).outcomes

    def _find(self, tx_hash: bytes) -> tuple[int, int] | None:
        for height, block in enumerate(self.chain.blocks):
            for index, raw in enumerate(block.transactions if block is not None else ()):
                if keccak256(raw) == tx_hash:
                    return height, index
        return None

    def _height_of(self, header_hash: bytes) -> int | None:
        heights = [h for h, s in enumerate(self.chain.states) if compute_header_hash(s.tip) == header_hash]
        return heights[0] if heights else None


def assert_index_equals_reexecution(node: SidechainService, tx_hashes: list[str]) -> int:
    """Every read the index answers equals the re-executed one: each block's outcomes, the receipt
    and transaction of each hash, every log, the logs of each block hash. Answers how many
    transactions the chain holds."""
    indexed, again = EthApi(node, EVM_CHAIN), Reexecuting(node, EVM_CHAIN)
    chain = indexed.chain
    assert len(chain.outcomes) == len(chain.blocks) == len(chain.states)
    on_chain = []
    for height, block in enumerate(chain.blocks):
        assert chain.outcomes[height] == again._outcomes(height)
        on_chain += [data_hex(keccak256(raw)) for raw in (block.transactions if block is not None else ())]
    assert sorted(chain.positions) == sorted(bytes.fromhex(h[2:]) for h in on_chain)
    for tx_hash in [*on_chain, *tx_hashes, "0x" + "ab" * 32]:
        for method in ("eth_getTransactionReceipt", "eth_getTransactionByHash"):
            assert indexed.dispatch(method, [tx_hash]) == again.dispatch(method, [tx_hash]), method
    everything = [{"fromBlock": "earliest", "toBlock": "latest"}]
    assert indexed.dispatch("eth_getLogs", everything) == again.dispatch("eth_getLogs", everything)
    for state in chain.states:
        by_hash = [{"blockHash": data_hex(compute_header_hash(state.tip))}]
        assert indexed.dispatch("eth_getLogs", by_hash) == again.dispatch("eth_getLogs", by_hash)
    return len(on_chain)


@pytest.fixture
def world() -> World:
    world: World = build_world(SPECS, World)
    _funded(world)
    return world


def _send(world: World, raw: bytes) -> str:
    """``eth_sendRawTransaction`` on member 0, relayed to the others, then mined until included."""
    node = world.services[0]
    api = EthApi(node, EVM_CHAIN)
    tx_hash: str = api.dispatch("eth_sendRawTransaction", [data_hex(raw)])
    assert tx_hash == data_hex(keccak256(raw))
    world.flood(0, api.outbound)
    assert all(raw in s.pool(EVM_CHAIN) for s in world.services)
    assert api.dispatch("eth_getTransactionReceipt", [tx_hash]) is None  # pending: no receipt yet
    pending = api.dispatch("eth_getTransactionByHash", [tx_hash])  # but the pool's transaction
    assert pending["hash"] == tx_hash and pending["blockNumber"] is None and pending["blockHash"] is None
    run_until(
        world,
        lambda: all(
            EthApi(s, EVM_CHAIN).dispatch("eth_getTransactionReceipt", [tx_hash]) is not None
            for s in world.services
        ),
    )
    return tx_hash


def _receipts(world: World, tx_hash: str) -> dict[str, Any]:
    """The receipt, the same on every member."""
    receipts = [EthApi(s, EVM_CHAIN).dispatch("eth_getTransactionReceipt", [tx_hash]) for s in world.services]
    assert all(r == receipts[0] for r in receipts)
    receipt: dict[str, Any] = receipts[0]
    return receipt


def test_deploy_and_call_through_raw_transactions_with_receipts_and_logs(world: World) -> None:
    node = world.services[0]
    me = wallet_address(VmKind.EVM, SEED)
    deploy = evm_wallet_transaction(node, EVM_CHAIN, SEED, None, data=LOG_INITCODE)
    created = _receipts(world, _send(world, deploy))
    contract = generate_contract_address(Address(me), 0)
    assert created["status"] == "0x1" and created["contractAddress"] == data_hex(contract)
    assert created["from"] == data_hex(me) and created["to"] is None and created["logs"] == []
    assert created["logsBloom"] == "0x" + "00" * 256
    api = EthApi(node, EVM_CHAIN)
    assert api.dispatch("eth_getCode", [data_hex(contract)]) == data_hex(LOG_RUNTIME)
    # a call that logs: the receipt's gas is what the sender paid (priority fee 0: base fee only)
    before = int(account_info(node, EVM_CHAIN, me)["balance"])
    call = evm_wallet_transaction(node, EVM_CHAIN, SEED, contract)
    tx_hash = _send(world, call)
    receipt = _receipts(world, tx_hash)
    paid = before - int(account_info(node, EVM_CHAIN, me)["balance"])
    gas_used = int(receipt["gasUsed"], 16)
    assert paid == gas_used * DEVNET.evm.base_fee_per_gas == gas_used * int(receipt["effectiveGasPrice"], 16)
    assert receipt["status"] == "0x1" and receipt["contractAddress"] is None
    assert int(receipt["cumulativeGasUsed"], 16) >= gas_used
    height = int(receipt["blockNumber"], 16)
    block = api.dispatch("eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert receipt["blockHash"] == block["hash"] and tx_hash in block["transactions"]
    (log,) = receipt["logs"]
    assert log["address"] == data_hex(contract) and log["topics"] == [TOPIC]
    assert log["data"] == data_hex((42).to_bytes(32, "big")) and log["transactionHash"] == tx_hash
    assert log["logIndex"] == "0x0" and log["removed"] is False
    found = api.dispatch("eth_getTransactionByHash", [tx_hash])
    assert found == block_full(api, height)["transactions"][int(receipt["transactionIndex"], 16)]
    assert (found["blockHash"], found["blockNumber"]) == (receipt["blockHash"], receipt["blockNumber"])
    assert (found["from"], found["to"], found["hash"]) == (data_hex(me), data_hex(contract), tx_hash)
    bloom = BloomFilter()  # Ethereum's bloom, from the library py-evm uses
    bloom.add(contract)
    bloom.add(bytes.fromhex(TOPIC[2:]))
    assert int(receipt["logsBloom"], 16) == int(bloom)
    # eth_getLogs: by range, address, topic alternatives, block hash
    everything = {"fromBlock": "earliest", "toBlock": "latest"}
    assert api.dispatch("eth_getLogs", [everything]) == [log]
    assert api.dispatch("eth_getLogs", [{**everything, "address": [data_hex(contract)]}]) == [log]
    assert api.dispatch("eth_getLogs", [{**everything, "topics": [[TOPIC, "0x" + "11" * 32]]}]) == [log]
    assert api.dispatch("eth_getLogs", [{**everything, "topics": [None, TOPIC]}]) == []  # no 2nd topic
    assert api.dispatch("eth_getLogs", [{**everything, "topics": [[]]}]) == [log]  # [] is a wildcard
    assert api.dispatch("eth_getLogs", [{**everything, "topics": [TOPIC, None]}]) == []  # longer than its
    assert api.dispatch("eth_getLogs", [{**everything, "topics": ["0x" + "00" * 32]}]) == []
    assert api.dispatch("eth_getLogs", [{**everything, "address": "0x" + "22" * 20}]) == []
    assert api.dispatch("eth_getLogs", [{"blockHash": receipt["blockHash"]}]) == [log]
    assert api.dispatch("eth_getLogs", [{"fromBlock": quantity_of(height - 1), "toBlock": "0x0"}]) == []
    for bad in (
        [{"fromBlock": "0x0", "toBlock": quantity_of(MAX_LOG_BLOCKS)}],
        [{"blockHash": "0x" + "00" * 32}],
        [{"topics": [TOPIC] * 5}],
        [{"address": "0x12"}],
        ["latest"],
    ):
        with pytest.raises(EthRpcError) as info:
            api.dispatch("eth_getLogs", bad)
        assert info.value.code == INVALID_PARAMS, bad

    for member in world.services:
        assert assert_index_equals_reexecution(member, [tx_hash]) == 2


def quantity_of(value: int) -> str:
    return hex(max(value, 0))


def block_full(api: EthApi, height: int) -> dict[str, Any]:
    block: dict[str, Any] = api.dispatch("eth_getBlockByNumber", [quantity_of(height), True])
    return block


def test_a_reverted_block_leaves_the_index_and_comes_back(world: World) -> None:
    """A checkpoint that contradicts the block holding a logging call (as a lost dispute's revert
    does) drops the block, its receipt, transaction and logs from the index; the right checkpoint
    brings the stored block back with the same answers. The index equals re-execution throughout."""
    node = world.services[0]
    deploy = evm_wallet_transaction(node, EVM_CHAIN, SEED, None, data=LOG_INITCODE)
    contract = generate_contract_address(Address(wallet_address(VmKind.EVM, SEED)), 0)
    deployed = _send(world, deploy)
    tx_hash = _send(world, evm_wallet_transaction(node, EVM_CHAIN, SEED, contract))
    receipt = _receipts(world, tx_hash)
    height = int(receipt["blockNumber"], 16)
    chain = EthApi(node, EVM_CHAIN).chain
    run_until(world, lambda: len(chain.record.checkpoints) > height)
    logs = EthApi(node, EVM_CHAIN).dispatch("eth_getLogs", [{"fromBlock": "earliest", "toBlock": "latest"}])
    assert len(logs) == 1 and assert_index_equals_reexecution(node, [deployed, tx_hash]) == 2
    record = chain.record
    checkpoints = list(record.checkpoints)
    checkpoints[height] = replace(checkpoints[height], header_hash=bytes(32))
    chain.record = replace(record, checkpoints=tuple(checkpoints))
    node._reconcile(chain)  # the node's path when the mainchain's checkpoints change
    api = EthApi(node, EVM_CHAIN)
    assert api.chain.tip.tip.height == height - 1
    assert api.dispatch("eth_getTransactionReceipt", [tx_hash]) is None
    assert api.dispatch("eth_getTransactionByHash", [tx_hash]) is None
    assert api.dispatch("eth_getLogs", [{"fromBlock": "earliest", "toBlock": "latest"}]) == []
    with pytest.raises(EthRpcError):
        api.dispatch("eth_getLogs", [{"blockHash": receipt["blockHash"]}])
    assert assert_index_equals_reexecution(node, [deployed, tx_hash]) == 1
    chain.record = record
    node._reconcile(chain)  # the stored block is applied again
    assert EthApi(node, EVM_CHAIN).dispatch("eth_getTransactionReceipt", [tx_hash]) == receipt
    assert EthApi(node, EVM_CHAIN).dispatch("eth_getLogs", [{"blockHash": receipt["blockHash"]}]) == logs
    assert assert_index_equals_reexecution(node, [deployed, tx_hash]) == 2


def test_raw_transactions_the_pool_refuses_and_unknown_hashes(world: World) -> None:
    node = world.services[0]
    api = EthApi(node, EVM_CHAIN)
    assert api.dispatch("eth_getTransactionReceipt", ["0x" + "ab" * 32]) is None
    for params in (["0x00"], ["0xzz"], [], ["0x" + "12" * 40]):
        with pytest.raises(EthRpcError) as info:
            api.dispatch("eth_sendRawTransaction", params)
        assert info.value.code == INVALID_PARAMS, params
    unreadable: tuple[list[Any], ...] = (["0x12"], [None], [])
    for params in unreadable:
        with pytest.raises(EthRpcError):
            api.dispatch("eth_getTransactionReceipt", params)
    assert api.outbound == []


def test_send_raw_transaction_over_http_relays_to_the_peers(world: World, tmp_path: Path) -> None:
    node = world.services[0]
    relayed: list[list[Any]] = []

    async def relay(messages: list[Any]) -> None:
        relayed.append(messages)

    server = RpcServer(SimpleNamespace(sidechains=node, datadir=tmp_path), relay=relay)  # type: ignore[arg-type]
    raw = evm_wallet_transaction(node, EVM_CHAIN, SEED, b"\x77" * 20, value=1234)

    async def scenario() -> Any:
        runner = await start_rpc(server, 0)
        url = f"http://127.0.0.1:{bound_port(runner)}/evm/{EVM_CHAIN}"
        user, password = read_cookie(tmp_path)
        headers = {"Authorization": basic_auth_header(user, password)}
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [data_hex(raw)]}
        try:
            async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as r:
                return await r.json()
        finally:
            await runner.cleanup()

    answer = asyncio.run(scenario())
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": data_hex(keccak256(raw))}
    assert len(relayed) == 1 and relayed[0]
    world.flood(0, relayed[0])
    assert all(raw in s.pool(EVM_CHAIN) for s in world.services)


def test_topic_filters_match_as_ethereum_clients_do() -> None:
    """``is_topic_match`` (go-ethereum's ``filterLogs``): positional, a prefix of the log's topics,
    ``null``/``[]`` any topic, a list any of its topics, every position must match."""
    from reference.sidechain_vms import _topic_filter, is_topic_match

    a, b, c, d = ("0x" + bytes([i]).hex() * 32 for i in (0xA, 0xB, 0xC, 0xD))
    cases = [
        ([], [], True),
        ([], [a, b], True),
        ([a], [a, b], True),
        ([b], [a, b], False),
        ([None, b], [a, b], True),
        ([[], b], [a, b], True),
        ([a, b], [a, b], True),
        ([[a, c], [b, d]], [a, b], True),
        ([[c, d], [a, b]], [a, b], False),
        ([a, None], [a], False),  # more positions than the log has topics
        ([None], [], False),
        ([[c, a]], [a], True),
    ]
    for query, logged, expected in cases:
        assert is_topic_match(_topic_filter(query), logged) is expected, (query, logged)
