"""The node's Ethereum JSON-RPC parameter parsing (reference/eth_params.py): strict shapes, one error.

The CrossHair contracts are in conformance/symbolic/eth_rpc_contracts.py (checked by
tests/test_symbolic_suites.py, canary tests/eth_rpc_symbolic_canary.py); the atheris harness
``eth_rpc_params`` (fuzz/eth_rpc_harnesses.py) feeds arbitrary JSON to every ``eth_`` method.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.symbolic import eth_rpc_contracts as contracts
from fuzz.eth_rpc_harnesses import (
    EthRpcInvariantViolation,
    eth_rpc_seeds,
    fuzz_eth_rpc_params,
    genesis_eth_api,
)
from reference import eth_params
from reference.eth_params import (
    INVALID_PARAMS,
    EthRpcError,
    compute_block_height,
    parse_data,
    parse_quantity,
    parse_slot,
)
from tests.eth_rpc_symbolic_canary import every_hex_string_is_a_quantity


def _rejected(parse: Any, value: Any, *args: Any) -> bool:
    with pytest.raises(EthRpcError) as info:
        parse(value, *args)
    return info.value.code == INVALID_PARAMS


@pytest.mark.parametrize(
    "text",
    [
        "0x-1",
        "0x+1",
        "0x 1",
        "0x1 ",
        "0x1_0",
        "0x0x10",
        "0X10",
        "0x",
        "0x01",
        "0x00",
        "1",
        "",
        "0xg",
        "0x\uff11",
    ],
)
def test_malformed_quantities_are_invalid_params(text: str) -> None:
    """``int(s, 16)`` accepted a sign, blanks, ``_``, a second ``0x`` and non-ASCII digits: ``0x-1``
    was height -1, which ``eth_getBalance`` answered from the tip's state (a list's last item)."""
    assert _rejected(parse_quantity, text, "q")


@pytest.mark.parametrize("value", [-1, 2**256, True, False, None, 1.0, [], {}])
def test_json_values_that_are_no_quantity_are_invalid_params(value: Any) -> None:
    assert _rejected(parse_quantity, value, "q")


def test_quantities_accepted() -> None:
    assert parse_quantity("0x0", "q") == 0
    assert parse_quantity("0xAbC", "q") == 0xABC
    assert parse_quantity("0x" + "f" * 64, "q") == 2**256 - 1
    assert _rejected(parse_quantity, "0x1" + "0" * 64, "q")  # 65 digits: above 2**256 - 1
    assert parse_quantity(7, "q") == 7 and parse_quantity(2**256 - 1, "q") == 2**256 - 1


def test_slots_take_a_padded_key() -> None:
    assert parse_slot("0x" + "00" * 31 + "05", "slot") == 5
    assert parse_slot("0x0", "slot") == 0 and parse_slot(3, "slot") == 3
    for bad in ("0x", "0x" + "0" * 65, "0x-1", "0x 5", None):
        assert _rejected(parse_slot, bad, "slot")


def test_data_is_pairs_of_hex_digits() -> None:
    assert parse_data("0x", "d") == b"" and parse_data("0xAB01", "d") == b"\xab\x01"
    for bad in ("0x12 34", "0x 1234", "0x123", "1234", "0x12\n", 12, None):
        assert _rejected(parse_data, bad, "d")
    assert _rejected(parse_data, "0x1234", "d", 3)


def test_block_tags() -> None:
    assert [compute_block_height(t, 9) for t in ("latest", "pending", "safe", "finalized")] == [9] * 4
    assert compute_block_height("earliest", 9) == 0
    assert compute_block_height("0x9", 9) == 9 and compute_block_height(3, 9) == 3
    for bad in ("0xa", "0x-1", "newest", None, ["latest"], {"blockNumber": "0x0"}):
        assert _rejected(compute_block_height, bad, 9)


@given(st.text(alphabet="0123456789abcdefABCDEFx-+_ \t", max_size=70))
def test_an_accepted_quantity_has_one_spelling(text: str) -> None:
    """The property CrossHair proves (eth_rpc_contracts.accepted_quantity_is_canonical), sampled."""
    assert contracts.accepted_quantity_is_canonical(text)


def test_contract_wrappers_on_examples() -> None:
    assert contracts.quantity_round_trip(0) == 0 and contracts.quantity_round_trip(2**256 - 1) == 2**256 - 1
    assert contracts.accepted_quantity_is_canonical("0x-1") and contracts.accepted_quantity_is_canonical(
        "0x1f"
    )
    assert contracts.accepted_data_is_canonical("0x12 34") and contracts.accepted_data_is_canonical("0xAB")
    assert contracts.block_height_within_the_chain(5, 9) == 5
    assert contracts.block_height_within_the_chain(10, 9) == -1
    assert contracts.block_height_within_the_chain(-1, 9) == -1
    assert not every_hex_string_is_a_quantity("0x00")  # the canary's counterexample


def test_the_fuzz_harness_passes_its_seeds_and_catches_a_lax_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds run clean; with the QUANTITY pattern of before (``int(s, 16)``'s leniency: a sign
    and leading zeros), the harness's canonical-spelling check fails on a seed."""
    seeds = eth_rpc_seeds()["eth_rpc_params"]
    assert len(seeds) >= 10
    for data in seeds.values():
        fuzz_eth_rpc_params(data)
    monkeypatch.setattr(eth_params, "_QUANTITY", re.compile(r"0x[-+]?[0-9a-fA-F]+"))
    with pytest.raises(EthRpcInvariantViolation, match="accepted as"):
        for data in seeds.values():
            fuzz_eth_rpc_params(data)


def test_methods_reject_malformed_heights_and_null_only_a_block_beyond_the_tip() -> None:
    """On an EVM sidechain at genesis (tip 0): ``0x-1`` is no longer the tip's state."""
    api = genesis_eth_api()
    address = "0x" + "11" * 20
    assert api.dispatch("eth_getBalance", [address, "0x0"]) == "0x0"
    assert api.dispatch("eth_getBlockByNumber", ["0x1", False]) is None  # well-formed, beyond the tip
    assert api.dispatch("eth_getBlockByNumber", ["earliest", False])["number"] == "0x0"
    for method, params in (
        ("eth_getBalance", [address, "0x-1"]),
        ("eth_getBlockByNumber", ["0x-1", False]),
        ("eth_getBlockByNumber", ["0xzz", False]),
        ("eth_getStorageAt", [address, "0x-1"]),
        ("eth_getCode", [address + " "]),
    ):
        with pytest.raises(EthRpcError) as info:
            api.dispatch(method, params)
        assert info.value.code == INVALID_PARAMS, (method, params)
    padded = "0x" + "00" * 32
    assert api.dispatch("eth_getStorageAt", [address, padded, "latest"]) == padded
