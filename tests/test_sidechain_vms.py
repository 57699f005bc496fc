"""EVM and WASM sidechains on the node without sockets (reference/sidechain_vms.py, issue 17 item 6).

The federation world of ``tests/sidechain_helpers.py`` (:func:`build_world`: three members of the
finality quorum, each a :class:`SidechainService`) with an EVM and a WASM sidechain registered: the wallet
pegs in, deploys a contract on each and calls it; every member re-executes the proposer's blocks
and reads the same result. The ``eth_`` methods are checked against the state they read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.wasm_contracts import contract_module, contract_source, token_transfer_input
from reference.rpc import RpcServer, basic_auth_header, bound_port, read_cookie, start_rpc
from reference.sidechain_vms import (
    EthApi,
    EthRpcError,
    account_info,
    call_contract,
    data_hex,
    decode_wasm_module,
    deploy_contract,
    next_nonce,
    parse_data,
    parse_quantity,
    quantity,
    read_storage,
    transfer,
    wallet_address,
)
from reference.sidechains import SidechainRejected
from spec.masternode.quorum import QuorumType
from spec.presets import DEVNET
from spec.sidechain.registry import SidechainSpec
from spec.sidechain.transactions import DepositMessage
from spec.trie import keccak256
from spec.vm import evm
from spec.vm.interface import VmKind
from tests.sidechain_helpers import World, build_world
from tests.sidechain_helpers import run_until as _run_until

EVM_CHAIN, WASM_CHAIN = 5, 6
SPECS = tuple(
    SidechainSpec(chain, kind, QuorumType.FINALITY, 2, 3, 4, 10**12, 10**10)
    for chain, kind in ((EVM_CHAIN, VmKind.EVM), (WASM_CHAIN, VmKind.WASM))
)
SEED = b"\xa1" * 32
OTHER = b"\xb0" * 32
DEPOSIT = 50_000_000

STORE_RUNTIME = bytes.fromhex("3615600c57600035600055005b60005460005260206000f3")
"""EVM runtime: with calldata, ``SSTORE(0, CALLDATALOAD(0))``; without, return ``SLOAD(0)``."""
STORE_INITCODE = bytes.fromhex("601880600b6000396000f3") + STORE_RUNTIME


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SPECS)


def _funded(world: World) -> None:
    node = world.services[0]
    if account_info(node, EVM_CHAIN, wallet_address(VmKind.EVM, SEED))["balance"]:
        return
    _run_until(world, lambda: all(world.builder.state.sidechains.chains[c].latest for c in (5, 6)))
    for chain, kind in ((EVM_CHAIN, VmKind.EVM), (WASM_CHAIN, VmKind.WASM)):
        world.publish(DepositMessage(chain, wallet_address(kind, SEED)), (), DEPOSIT)
    world.mine()
    _run_until(
        world,
        lambda: all(
            account_info(s, c, wallet_address(k, SEED))["balance"] == DEPOSIT
            for s in world.services
            for c, k in ((EVM_CHAIN, VmKind.EVM), (WASM_CHAIN, VmKind.WASM))
        ),
    )


def _submit(world: World, chain: int, raw: bytes) -> None:
    world.flood(0, world.services[0].submit(chain, raw))
    assert all(raw in s.pool(chain) for s in world.services)


def _tip_hashes(world: World, chain: int) -> set[object]:
    return {s.info(chain)["tip_hash"] for s in world.services}


def test_evm_deploy_call_and_eth_reads(world: World) -> None:
    _funded(world)
    node = world.services[0]
    me = wallet_address(VmKind.EVM, SEED)
    deployed = deploy_contract(node, EVM_CHAIN, SEED, STORE_INITCODE)
    assert deployed.contract is not None
    contract = deployed.contract
    _submit(world, EVM_CHAIN, deployed.raw)
    assert next_nonce(node, EVM_CHAIN, me) == 1  # the pending deploy counts
    _run_until(world, lambda: all(account_info(s, EVM_CHAIN, contract)["code_hash"] for s in world.services))
    info = account_info(node, EVM_CHAIN, contract)
    assert info["code_hash"] == keccak256(STORE_RUNTIME).hex()
    called = call_contract(node, EVM_CHAIN, SEED, contract, (42).to_bytes(32, "big"))
    _submit(world, EVM_CHAIN, called.raw)
    _run_until(
        world,
        lambda: all(
            read_storage(s, EVM_CHAIN, contract, b"\0") == (42).to_bytes(32, "big") for s in world.services
        ),
    )
    assert len(_tip_hashes(world, EVM_CHAIN)) == 1
    paid = transfer(node, EVM_CHAIN, SEED, b"\x77" * 20, 1234)
    _submit(world, EVM_CHAIN, paid.raw)
    _run_until(world, lambda: account_info(node, EVM_CHAIN, b"\x77" * 20)["balance"] == 1234)

    api = EthApi(node, EVM_CHAIN)
    assert api.dispatch("eth_chainId", []) == hex(DEVNET.evm.chain_id_base + EVM_CHAIN)
    assert api.dispatch("eth_blockNumber", []) == hex(node.info(EVM_CHAIN)["height"])  # type: ignore[arg-type]
    mine = account_info(node, EVM_CHAIN, me)
    assert api.dispatch("eth_getBalance", ["0x" + me.hex(), "latest"]) == hex(mine["balance"])
    assert api.dispatch("eth_getTransactionCount", ["0x" + me.hex()]) == "0x3"
    assert api.dispatch("eth_getCode", ["0x" + contract.hex()]) == "0x" + STORE_RUNTIME.hex()
    assert api.dispatch("eth_getCode", ["0x" + me.hex()]) == "0x"
    assert (
        api.dispatch("eth_getStorageAt", ["0x" + contract.hex(), "0x0", "latest"]) == "0x" + "00" * 31 + "2a"
    )
    assert api.dispatch("eth_getStorageAt", ["0x" + contract.hex(), "0x0", "0x0"]) == "0x" + "00" * 32
    assert api.dispatch("eth_call", [{"to": "0x" + contract.hex()}, "latest"]) == "0x" + "00" * 31 + "2a"
    estimate = int(api.dispatch("eth_estimateGas", [{"from": "0x" + me.hex(), "to": "0x" + "77" * 20}]), 16)
    assert 21_000 < estimate <= DEVNET.evm.max_tx_gas
    latest = api.dispatch("eth_getBlockByNumber", ["latest", True])
    assert latest["hash"] == "0x" + node.info(EVM_CHAIN)["tip_hash"]  # type: ignore[operator]
    assert latest["stateRoot"] == "0x" + node.info(EVM_CHAIN)["state_root"]  # type: ignore[operator]
    assert api.dispatch("eth_getBlockByNumber", ["0x999", False]) is None
    blocks = [
        api.dispatch("eth_getBlockByNumber", [hex(h), False]) for h in range(int(latest["number"], 16) + 1)
    ]
    hashes = [h for b in blocks for h in b["transactions"]]
    assert "0x" + keccak256(called.raw).hex() in hashes and len(hashes) == 3
    # errors: a reverting call (0xfe: INVALID) is code 3, bad parameters -32602
    with pytest.raises(EthRpcError) as reverted:
        api.dispatch("eth_call", [{"to": "0x" + DEVNET.evm.withdrawal_address.hex()}])
    assert reverted.value.code == 3
    with pytest.raises(EthRpcError) as bad:
        api.dispatch("eth_getBalance", ["0x1234"])
    assert bad.value.code == -32602
    with pytest.raises(EthRpcError):
        api.dispatch("eth_getBalance", ["0x" + me.hex(), "0x999"])
    with pytest.raises(EthRpcError, match="not an EVM sidechain"):
        EthApi(node, WASM_CHAIN)
    # the sidechain's supply (SCB-5): balances other than the fee sink = credited - sent - burnt
    info = node.info(EVM_CHAIN)
    local = node.local(EVM_CHAIN)
    assert local is not None
    accounts = evm.iter_accounts(local.tip.nodes, local.tip.tip.state_root)
    held = sum(int(account.balance) for key, account in accounts if key != keccak256(bytes(20)))
    assert held == int(info["credited"]) - int(info["sent"]) - int(info["burnt"])  # type: ignore[call-overload]


def test_wasm_deploy_and_call_the_token(world: World) -> None:
    _funded(world)
    node = world.services[0]
    me, friend = wallet_address(VmKind.WASM, SEED), wallet_address(VmKind.WASM, OTHER)
    module = decode_wasm_module(contract_module("token"))
    deployed = deploy_contract(node, WASM_CHAIN, SEED, module)
    assert deployed.contract is not None
    token = deployed.contract
    _submit(world, WASM_CHAIN, deployed.raw)
    _run_until(world, lambda: all(account_info(s, WASM_CHAIN, token)["code_hash"] for s in world.services))
    assert read_storage(node, WASM_CHAIN, token, b"b" + me) == (1_000_000).to_bytes(8, "little")
    called = call_contract(node, WASM_CHAIN, SEED, token, token_transfer_input(friend, 700))
    _submit(world, WASM_CHAIN, called.raw)
    _run_until(
        world,
        lambda: all(
            read_storage(s, WASM_CHAIN, token, b"b" + friend) == (700).to_bytes(8, "little")
            for s in world.services
        ),
    )
    assert read_storage(node, WASM_CHAIN, token, b"b" + me) == (999_300).to_bytes(8, "little")
    assert read_storage(node, WASM_CHAIN, token, b"b" + b"\x01" * 32) == b""
    assert len(_tip_hashes(world, WASM_CHAIN)) == 1
    # a module the VM refuses at deploy time is refused by the pool with its code (VMW-4)
    with pytest.raises(SidechainRejected, match="VM_WASM_"):
        deploy_contract(node, WASM_CHAIN, SEED, decode_wasm_module(b"(module)"))
    with pytest.raises(SidechainRejected, match="neither"):
        decode_wasm_module(b"\xff not wat")
    with pytest.raises(SidechainRejected, match="32 bytes"):
        transfer(node, WASM_CHAIN, SEED, b"\x01" * 20, 5)
    with pytest.raises(SidechainRejected, match="no sidechain"):
        deploy_contract(node, 1, SEED, module)
    with pytest.raises(SidechainRejected, match="too little for fuel"):
        deploy_contract(node, WASM_CHAIN, OTHER, module)  # OTHER holds nothing on the WASM sidechain
    with pytest.raises(SidechainRejected, match="too little for gas"):
        deploy_contract(node, EVM_CHAIN, OTHER, STORE_INITCODE)


def test_wallet_addresses_differ_per_vm_kind() -> None:
    addresses = {kind: wallet_address(kind, SEED) for kind in VmKind}
    assert [len(a) for a in addresses.values()] == [32, 20, 32]
    assert len(set(addresses.values())) == 3
    assert wallet_address(VmKind.EVM, OTHER) != addresses[VmKind.EVM]


def test_eth_json_rpc_over_http(world: World, tmp_path: Path) -> None:
    """``POST /evm/<id>`` with hand-written Ethereum JSON-RPC requests (what web3 tooling sends):
    hex quantities, batches, notifications, JSON-RPC errors; the cookie is required."""
    _funded(world)
    node = world.services[0]
    me = "0x" + wallet_address(VmKind.EVM, SEED).hex()
    server = RpcServer(SimpleNamespace(sidechains=node, datadir=tmp_path))  # type: ignore[arg-type]

    async def scenario() -> list[Any]:
        runner = await start_rpc(server, 0)
        url = f"http://127.0.0.1:{bound_port(runner)}/evm/"
        user, password = read_cookie(tmp_path)
        headers = {"Authorization": basic_auth_header(user, password)}
        answers: list[Any] = []
        try:
            async with aiohttp.ClientSession() as session:

                async def post(chain: int, body: Any, auth: bool = True) -> Any:
                    async with session.post(f"{url}{chain}", json=body, headers=headers if auth else {}) as r:
                        return r.status if r.status != 200 else await r.json()

                answers.append(await post(EVM_CHAIN, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}))
                batch = [
                    {"jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": [me, "latest"]},
                    {"jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber", "params": []},
                    {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []},  # a notification
                    {"jsonrpc": "2.0", "id": 4, "method": "eth_newFilter", "params": [{}]},  # not served
                    {"jsonrpc": "2.0", "id": 5, "method": "eth_getCode", "params": ["0xzz"]},
                ]
                answers.append(await post(EVM_CHAIN, batch))
                answers.append(await post(WASM_CHAIN, {"jsonrpc": "2.0", "id": 6, "method": "eth_chainId"}))
                answers.append(
                    await post(EVM_CHAIN, {"jsonrpc": "2.0", "id": 7, "method": "eth_chainId"}, False)
                )
                answers.append(await post(EVM_CHAIN, {"jsonrpc": "2.0", "method": "eth_chainId"}))
        finally:
            await runner.cleanup()
        return answers

    chain_id, batch, wasm_answer, unauthorized, notification = asyncio.run(scenario())
    assert chain_id == {"jsonrpc": "2.0", "id": 1, "result": hex(DEVNET.evm.chain_id_base + EVM_CHAIN)}
    assert [a["id"] for a in batch] == [2, 3, 4, 5]
    assert batch[0]["result"] == hex(int(account_info(node, EVM_CHAIN, bytes.fromhex(me[2:]))["balance"]))
    assert batch[1]["result"] == hex(int(node.info(EVM_CHAIN)["height"]))  # type: ignore[call-overload]
    assert batch[2]["error"]["code"] == -32601
    assert batch[3]["error"]["code"] == -32602
    assert (
        wasm_answer["error"]["code"] == -32602 and "not an EVM sidechain" in wasm_answer["error"]["message"]
    )
    assert unauthorized == 401
    assert notification == 204


@given(st.integers(0, 2**256 - 1))
def test_eth_quantities_round_trip(value: int) -> None:
    """Ethereum JSON-RPC QUANTITY: ``0x`` and no leading zeros (``0x0`` for zero), read back exactly."""
    encoded = quantity(value)
    assert encoded.startswith("0x") and (encoded == "0x0" or encoded[2] != "0")
    assert parse_quantity(encoded, "q") == value


@given(st.binary(max_size=64))
def test_eth_data_round_trips_and_bad_hex_is_invalid_params(data: bytes) -> None:
    assert parse_data(data_hex(data), "d") == data
    for bad in (data.hex(), "0x" + data.hex() + "0", "0xg" + data.hex()[1:] if data else "0xzz"):
        with pytest.raises(EthRpcError) as info:
            parse_data(bad, "d")
        assert info.value.code == -32602


def test_cli_reads_contract_code_from_hex_or_files(tmp_path: Path) -> None:
    """``rusty sidechain deploy``: hex as given, ``@file.wat`` compiled, ``@file.wasm`` as is."""
    from reference.cli import _code_hex

    wat = tmp_path / "token.wat"
    wat.write_text(contract_source("token"), encoding="utf-8")
    binary = tmp_path / "token.wasm"
    binary.write_bytes(contract_module("token"))
    initcode = tmp_path / "store.hex"
    initcode.write_text("0x" + STORE_INITCODE.hex() + "\n", encoding="utf-8")
    assert _code_hex("0x" + STORE_INITCODE.hex()) == STORE_INITCODE.hex()
    assert _code_hex(f"@{wat}") == contract_module("token").hex()
    assert _code_hex(f"@{binary}") == contract_module("token").hex()
    assert _code_hex(f"@{initcode}") == STORE_INITCODE.hex()
    with pytest.raises(click.BadParameter):
        _code_hex(f"@{tmp_path / 'missing.wat'}")
    broken = tmp_path / "broken.wat"
    broken.write_text("(module (func", encoding="utf-8")
    with pytest.raises(click.BadParameter):
        _code_hex(f"@{broken}")
