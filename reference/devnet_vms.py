"""``rusty devnet N --multi-vm``: one EVM and one WASM sidechain on a running devnet (issue 17 item 6,
docs/node.md#sidechains-of-every-vm-kind).

Once fork ``sidechains`` is ACTIVE and the nodes converged, :func:`multi_vm_round_trip`, all through
RPC: node 0 proposes an EVM and a WASM sidechain (federation: the finality quorum), every node's
masternode votes yes, the superblock registers both; node 0 pegs in to its wallet's address on each,
deploys :data:`STORE_INITCODE` on the EVM sidechain and the example token (WAT compiled at run time)
on the WASM one, stores 42 in the EVM contract and transfers 700 tokens to node 1's WASM address.
Every node must then read the same: the token balances through ``getsidechainstorage``, and the EVM
contract through a plain Ethereum JSON-RPC client at ``/evm/<id>`` (``eth_chainId``,
``eth_blockNumber``, ``eth_getCode``, ``eth_getStorageAt``, ``eth_call``, ``eth_getBalance``,
``eth_getBlockByNumber``, and the store call's ``eth_getTransactionReceipt`` and
``eth_getTransactionByHash`` from the node's receipt index), with one sidechain tip and the same
receipt everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp

from reference.daemon import rpc_port_of
from reference.devnet import MAX_SIDECHAIN_BLOCKS, DevnetError, Progress, _mine_until, _rpc
from reference.rpc import RpcError, basic_auth_header, read_cookie
from reference.sidechain_vms import decode_wasm_module
from spec.vm.interface import VmKind

EVM_SIDECHAIN_ID = 2
WASM_SIDECHAIN_ID = 3
VM_DEPOSIT = 50_000_000
"""Atoms pegged into each sidechain: enough for a deploy's gas (at the base fee of 1) and calls."""
STORE_RUNTIME = bytes.fromhex("3615600c57600035600055005b60005460005260206000f3")
"""The EVM example's runtime (24 bytes): with calldata ``SSTORE(0, CALLDATALOAD(0))``, without it
``RETURN(SLOAD(0))``. Assembled by hand: ``CALLDATASIZE ISZERO PUSH1 0x0c JUMPI PUSH1 0
CALLDATALOAD PUSH1 0 SSTORE STOP JUMPDEST PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN``."""
STORE_INITCODE = bytes.fromhex("601880600b6000396000f3") + STORE_RUNTIME
"""``PUSH1 0x18 DUP1 PUSH1 0x0b PUSH1 0 CODECOPY PUSH1 0 RETURN`` then the runtime: deploys it."""
STORED = 42
TOKEN_SENT = 700
TOKEN_SUPPLY = 1_000_000
"""The example token's ``init`` credits its deployer with this (conformance/contracts/wasm/token.wat)."""


def token_module_text() -> str:
    """The example token contract's WAT text (compiled by the node's ``wat2wasm`` at deploy)."""
    return (
        resources.files("conformance").joinpath("contracts", "wasm", "token.wat").read_text(encoding="utf-8")
    )


async def eth_request(datadir: Path, sidechain_id: int, method: str, *params: Any) -> Any:
    """A plain Ethereum JSON-RPC call to the node's ``/evm/<id>`` endpoint, as web3 tooling sends it;
    the ``result``, or :class:`RpcError` with the JSON-RPC error."""
    user, password = read_cookie(datadir)
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    headers = {"Authorization": basic_auth_header(user, password), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{rpc_port_of(datadir)}/evm/{sidechain_id}"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=payload, headers=headers) as response,
    ):
        response.raise_for_status()
        answer = await response.json()
    if "error" in answer:
        error = answer["error"]
        raise RpcError(int(error["code"]), str(error["message"]), error.get("data"))
    return answer["result"]


async def multi_vm_round_trip(datadirs: Sequence[Path], show_progress: bool = True) -> dict[str, Any]:
    """Issue 17 item 6 on a running devnet under fork ``sidechains`` (see the module docstring);
    returns the milestones (mainchain heights on node 0) and what every node read.
    :class:`DevnetError` if a step does not happen within :data:`MAX_SIDECHAIN_BLOCKS` blocks."""
    bar = Progress(show_progress, "multi-vm")
    budget = [MAX_SIDECHAIN_BLOCKS]
    milestones: dict[str, Any] = {}
    chains = ((EVM_SIDECHAIN_ID, VmKind.EVM), (WASM_SIDECHAIN_ID, VmKind.WASM))
    try:
        proposals = [await _rpc(datadirs[0], "proposesidechain", chain, int(kind)) for chain, kind in chains]
        await _rpc(datadirs[0], "generate", 1)
        await asyncio.sleep(0.5)
        for datadir in datadirs:
            for proposal in proposals:
                await _rpc(datadir, "voteproposal", proposal["proposal_id"], 0)
        await asyncio.sleep(0.5)

        async def registered() -> bool:
            for datadir in datadirs:
                for chain, _ in chains:
                    with contextlib.suppress(RpcError):
                        await _rpc(datadir, "getsidechaininfo", chain)
                        continue
                    return False
            return True

        milestones["registered"] = await _mine_until(datadirs, registered, "proposals", bar, budget)
        mine = {
            chain: (await _rpc(datadirs[0], "getsidechainaddress", chain))["address"] for chain, _ in chains
        }
        friend = (await _rpc(datadirs[1], "getsidechainaddress", WASM_SIDECHAIN_ID))["address"]
        milestones["addresses"] = {**{str(k): v for k, v in mine.items()}, "wasm_friend": friend}
        for chain, _ in chains:
            await _rpc(datadirs[0], "sidechaindeposit", chain, VM_DEPOSIT)

        async def funded() -> bool:
            for datadir in datadirs:
                for chain, _ in chains:
                    account = await _rpc(datadir, "getsidechainaccount", chain, mine[chain])
                    if account["balance"] != VM_DEPOSIT:
                        return False
            return True

        milestones["deposited"] = await _mine_until(datadirs, funded, "peg-ins", bar, budget)
        evm_deploy = await _rpc(datadirs[0], "sidechaindeploy", EVM_SIDECHAIN_ID, STORE_INITCODE.hex())
        token_code = decode_wasm_module(token_module_text().encode()).hex()
        wasm_deploy = await _rpc(datadirs[0], "sidechaindeploy", WASM_SIDECHAIN_ID, token_code)
        contracts = {EVM_SIDECHAIN_ID: evm_deploy["contract"], WASM_SIDECHAIN_ID: wasm_deploy["contract"]}
        milestones["contracts"] = {str(k): v for k, v in contracts.items()}

        async def deployed() -> bool:
            for datadir in datadirs:
                for chain, _ in chains:
                    if (await _rpc(datadir, "getsidechainaccount", chain, contracts[chain]))[
                        "code_hash"
                    ] is None:
                        return False
            return True

        milestones["deployed"] = await _mine_until(datadirs, deployed, "deploys", bar, budget)
        evm_call = await _rpc(
            datadirs[0], "sidechaincall", EVM_SIDECHAIN_ID, contracts[EVM_SIDECHAIN_ID], f"{STORED:064x}"
        )
        token_input = "01" + friend + TOKEN_SENT.to_bytes(8, "little").hex()
        await _rpc(datadirs[0], "sidechaincall", WASM_SIDECHAIN_ID, contracts[WASM_SIDECHAIN_ID], token_input)
        stored_word = "0x" + f"{STORED:064x}"

        async def called() -> bool:
            for datadir in datadirs:
                word = await eth_request(
                    datadir,
                    EVM_SIDECHAIN_ID,
                    "eth_getStorageAt",
                    "0x" + contracts[EVM_SIDECHAIN_ID],
                    "0x0",
                    "latest",
                )
                held = await _rpc(
                    datadir,
                    "getsidechainstorage",
                    WASM_SIDECHAIN_ID,
                    contracts[WASM_SIDECHAIN_ID],
                    "62" + friend,
                )
                if word != stored_word or held != TOKEN_SENT.to_bytes(8, "little").hex():
                    return False
            return True

        milestones["called"] = await _mine_until(datadirs, called, "calls", bar, budget)
        call_hash = "0x" + evm_call["hash"]
        milestones["eth"] = [
            await _eth_view(d, "0x" + contracts[EVM_SIDECHAIN_ID], "0x" + mine[EVM_SIDECHAIN_ID], call_hash)
            for d in datadirs
        ]
        for view in milestones["eth"]:
            if view["eth_call"] != stored_word or view["code"] != "0x" + STORE_RUNTIME.hex():
                raise DevnetError(f"multi-vm: an EVM read differs from what was deployed and stored: {view}")
            receipt, transaction = view["receipt"], view["transaction"]
            if receipt != milestones["eth"][0]["receipt"] or receipt is None or receipt["status"] != "0x1":
                raise DevnetError(
                    f"multi-vm: the store call's receipts differ or it failed: {milestones['eth']}"
                )
            if transaction is None or transaction["blockHash"] != receipt["blockHash"]:
                raise DevnetError(f"multi-vm: eth_getTransactionByHash disagrees with the receipt: {view}")
        sender_tokens = await _rpc(
            datadirs[-1],
            "getsidechainstorage",
            WASM_SIDECHAIN_ID,
            contracts[WASM_SIDECHAIN_ID],
            "62" + mine[WASM_SIDECHAIN_ID],
        )
        milestones["token_balances"] = {
            "deployer": int.from_bytes(bytes.fromhex(sender_tokens), "little"),
            "friend": TOKEN_SENT,
        }
        if milestones["token_balances"]["deployer"] != TOKEN_SUPPLY - TOKEN_SENT:
            raise DevnetError(f"multi-vm: the deployer holds {milestones['token_balances']} tokens")
        milestones["tips"] = {
            str(chain): [(await _rpc(d, "getsidechaininfo", chain))["tip_hash"] for d in datadirs]
            for chain, _ in chains
        }
        return milestones
    finally:
        bar.close()


async def _eth_view(datadir: Path, contract: str, account: str, call_hash: str) -> dict[str, Any]:
    """What one node's Ethereum JSON-RPC says of the EVM sidechain and of the transaction
    ``call_hash`` (its receipt without the logs, and the block its transaction object names)."""
    block = await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_getBlockByNumber", "latest", False)
    receipt = await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_getTransactionReceipt", call_hash)
    transaction = await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_getTransactionByHash", call_hash)
    kept = ("status", "gasUsed", "blockNumber", "blockHash", "logs")
    return {
        "chain_id": await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_chainId"),
        "block_number": await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_blockNumber"),
        "block_hash": block["hash"],
        "code": await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_getCode", contract, "latest"),
        "eth_call": await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_call", {"to": contract}, "latest"),
        "balance": await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_getBalance", account, "latest"),
        "nonce": await eth_request(datadir, EVM_SIDECHAIN_ID, "eth_getTransactionCount", account, "latest"),
        "receipt": None if receipt is None else {key: receipt[key] for key in kept},
        "transaction": None
        if transaction is None
        else {key: transaction[key] for key in ("hash", "blockNumber", "blockHash")},
    }
