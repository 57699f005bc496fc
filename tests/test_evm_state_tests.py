"""Oracle: Ethereum's filled Cancun state tests through our EVM execution and our keccak trie.

``../shared/public-vectors/eth-state-tests/`` (150 files, 672 cases; see its SOURCES.md) is read in
place, never copied. Each case: build the pre-state into our trie (:func:`compute_state`), execute
the signed transaction (:func:`execute_transaction`, chain id 1, unprotected legacy and blob
transactions allowed as on Ethereum), and compare our post-state root and logs hash with the
test's. The 6 cases that expect an invalid transaction must raise a ``VM_*`` code and leave the
pre-state root. All 672 run by default (about 10 s on one core).

Stateless == full on the same oracle: every 8th valid case (every one with ``RUSTY_EVM_FULL=1``)
is re-executed over exactly its recorded witness (VM-6) and must give the same outcome.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache, partial
from typing import Any

import pytest

from spec.errors import VmError
from spec.presets import DEVNET, Preset
from spec.trie import ETHEREUM_TRIE_HASHER
from spec.vm.evm import EvmAccount, EvmEnvironment, compute_state, execute_transaction, logs_hash
from spec.vm.interface import ExecutionContext as VmContext
from spec.vm.interface import record_witness, witness_nodes
from tests.test_public_vectors import PUBLIC

STATE_TESTS = None if PUBLIC is None else PUBLIC / "eth-state-tests"
pytestmark = pytest.mark.skipif(
    STATE_TESTS is None or not STATE_TESTS.is_dir(), reason="no ../shared/public-vectors/eth-state-tests"
)
EXPECTED_CASES = 672
FULL = os.environ.get("RUSTY_EVM_FULL") == "1"


def _quantity(text: str) -> int:
    return int(text, 16) if text not in ("", "0x") else 0


def _hex(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


@cache
def _files() -> dict[str, dict[str, Any]]:
    if STATE_TESTS is None or not STATE_TESTS.is_dir():
        return {}
    return {
        str(path.relative_to(STATE_TESTS)): json.loads(path.read_text())
        for path in sorted(STATE_TESTS.rglob("*.json"))
    }


Case = tuple[str, str, int]
"""(file under eth-state-tests/, test name, index of the post.Cancun entry)."""


def _cases() -> list[Case]:
    return [
        (path, name, index)
        for path, tests in _files().items()
        for name, test in tests.items()
        for index in range(len(test["post"]["Cancun"]))
    ]


def _post(case: Case) -> dict[str, Any]:
    path, name, index = case
    post: dict[str, Any] = _files()[path][name]["post"]["Cancun"][index]
    return post


def _case_id(case: Case) -> str:
    return f"{case[0]}[{case[2]}]" if len(_files()[case[0]]) == 1 else f"{case[0]}:{case[1][-40:]}[{case[2]}]"


@cache
def _pre_state(path: str, name: str) -> tuple[bytes, Mapping[bytes, bytes]]:
    pre = _files()[path][name]["pre"]
    accounts = {
        _hex(address): EvmAccount(
            _quantity(account["nonce"]),
            _quantity(account["balance"]),
            _hex(account["code"]),
            {_quantity(slot): _quantity(value) for slot, value in account["storage"].items()},
        )
        for address, account in pre.items()
    }
    return compute_state(accounts)


def _environment(env: dict[str, str]) -> EvmEnvironment:
    return EvmEnvironment(
        chain_id=1,
        coinbase=_hex(env["currentCoinbase"]),
        number=_quantity(env["currentNumber"]),
        timestamp=_quantity(env["currentTimestamp"]),
        gas_limit=_quantity(env["currentGasLimit"]),
        base_fee_per_gas=_quantity(env["currentBaseFee"]),
        prev_randao=_quantity(env["currentRandom"]).to_bytes(32, "big"),
        excess_blob_gas=_quantity(env.get("currentExcessBlobGas", "0x0")),
        allow_unprotected=True,
        allow_blob_transactions=True,
    )


def _case(case: Case) -> tuple[bytes, Mapping[bytes, bytes], bytes, EvmEnvironment, dict[str, Any]]:
    path, name, _ = case
    post = _post(case)
    root, nodes = _pre_state(path, name)
    return root, nodes, _hex(post["txbytes"]), _environment(_files()[path][name]["env"]), post


def test_the_oracle_has_every_case() -> None:
    assert len(_cases()) == EXPECTED_CASES


@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_state_test(case: Case) -> None:
    root, nodes, tx, environment, post = _case(case)
    if "expectException" in post:
        with pytest.raises(VmError):
            execute_transaction(nodes, root, tx, environment)
        assert root.hex() == post["hash"][2:]  # an invalid transaction changes nothing (VM-3)
        return
    outcome, new_nodes = execute_transaction(nodes, root, tx, environment)
    assert outcome.post_root.hex() == post["hash"][2:]
    assert logs_hash(outcome.events).hex() == post["logs"][2:]
    assert outcome.gas_used >= 0 and outcome.fee >= 0
    assert [digest for digest, _ in new_nodes] == sorted(digest for digest, _ in new_nodes)
    assert all(ETHEREUM_TRIE_HASHER.digest(data) == digest for digest, data in new_nodes)


def _stateless_cases() -> list[Case]:
    valid = [case for case in _cases() if "expectException" not in _post(case)]
    return valid if FULL else valid[::8]


@pytest.mark.parametrize("case", _stateless_cases(), ids=_case_id)
def test_stateless_equals_full_on_state_tests(case: Case) -> None:
    """VM-2/VM-6: the recorded witness alone reproduces the full execution's outcome and nodes."""
    root, nodes, tx, environment, _ = _case(case)

    def apply(
        _preset: Preset, source: Mapping[bytes, bytes], pre_root: bytes, data: bytes, _: VmContext
    ) -> tuple[Any, tuple[tuple[bytes, bytes], ...]]:
        return execute_transaction(source, pre_root, data, environment)

    context = VmContext(0, environment.number, environment.timestamp, environment.coinbase, 0)
    full = apply(DEVNET, nodes, root, tx, context)
    witness = record_witness(apply, DEVNET, nodes, root, tx, context)
    assert len(witness.preimages) <= len(nodes)
    assert partial(apply, DEVNET, witness_nodes(witness, ETHEREUM_TRIE_HASHER))(root, tx, context) == full
