"""``rusty devnet 3 --multi-vm`` on three node processes (issue 17 item 6): slow, RUSTY_SLOW=1.

The default run has the socket-free version (tests/test_sidechain_vms.py). Here fork ``sidechains``
is voted in, governance creates an EVM and a WASM sidechain, node 0 pegs in, deploys a contract on
each and calls it; every node reads the stored word through plain Ethereum JSON-RPC (``/evm/<id>``)
and the token balances through ``getsidechainstorage``, and the store call's receipt
(``eth_getTransactionReceipt``, ``eth_getTransactionByHash``), with one sidechain tip and one receipt
everywhere.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reference import devnet_vms
from reference.devnet import run_devnet
from spec.presets import DEVNET


@pytest.mark.slow
def test_devnet_runs_an_evm_and_a_wasm_sidechain(tmp_path: Path) -> None:
    result = asyncio.run(run_devnet(3, 10, tmp_path, show_progress=False, multi_vm=True))
    assert result.converged and result.upgraded, result
    assert result.forks == ["sidechains"] * 3
    trip = result.multi_vm
    assert trip is not None and result.sidechain is None
    assert trip["registered"] < trip["deposited"] < trip["deployed"] <= trip["called"]
    stored = "0x" + f"{devnet_vms.STORED:064x}"
    chain_id = hex(DEVNET.evm.chain_id_base + devnet_vms.EVM_SIDECHAIN_ID)
    for view in trip["eth"]:
        assert view["eth_call"] == stored
        assert view["code"] == "0x" + devnet_vms.STORE_RUNTIME.hex()
        assert view["chain_id"] == chain_id
        assert view["nonce"] == "0x2"  # the deploy and the call
        assert 0 < int(view["balance"], 16) < devnet_vms.VM_DEPOSIT
        receipt = view["receipt"]  # the store call, from the node's receipt index
        assert receipt == trip["eth"][0]["receipt"] and receipt["status"] == "0x1" and receipt["logs"] == []
        assert int(receipt["gasUsed"], 16) > 21_000
        assert view["transaction"]["blockHash"] == receipt["blockHash"]
        assert view["transaction"]["blockNumber"] == receipt["blockNumber"]
    assert len({view["block_hash"] for view in trip["eth"]}) == 1
    assert trip["token_balances"] == {
        "deployer": devnet_vms.TOKEN_SUPPLY - devnet_vms.TOKEN_SENT,
        "friend": devnet_vms.TOKEN_SENT,
    }
    for tips in trip["tips"].values():
        assert len(set(tips)) == 1
