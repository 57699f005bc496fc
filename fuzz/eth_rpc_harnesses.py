"""Fuzz harness of the node's Ethereum JSON-RPC parameters (reference/eth_params.py and the ``eth_``
methods of reference/sidechain_vms.py), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: an expected rejection is swallowed, any other exception
escapes and is a finding, and a broken invariant raises :class:`EthRpcInvariantViolation`.
:data:`ETH_RPC_HARNESSES` lists them for :data:`fuzz.harnesses.HARNESSES`; :func:`eth_rpc_seeds`
gives their seed corpora.

* ``eth_rpc_params``: the first byte picks an ``eth_`` method, the rest is the JSON text of its
  ``params`` (what the server hands the method once the request is a well-formed object with an
  array of params). Over a fixed EVM sidechain at its genesis, the method answers a JSON value or
  raises :class:`~reference.eth_params.EthRpcError` with ``-32602`` (invalid params) or ``3``
  (execution reverted), or a :class:`~spec.errors.SpecError` (the server's ``-32602``); anything
  else would be the server's ``-32603`` internal error. Each param is also read by the parsers on
  their own: an accepted QUANTITY or DATA is the canonical spelling of its value (up to the case
  of hex digits) and a block tag names a height between 0 and the tip.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

from reference import jsonsafe
from reference.eth_params import (
    EXECUTION_REVERTED,
    INVALID_PARAMS,
    EthRpcError,
    compute_block_height,
    data_hex,
    parse_data,
    parse_quantity,
    quantity,
)
from spec.errors import SpecError

SIDECHAIN_ID = 5
TIP = 0
"""The fixed sidechain's tip: its genesis (no block, no federation needed)."""


class EthRpcInvariantViolation(AssertionError):
    """An ``eth_`` method or parameter parser answered in a way its rules forbid."""


@cache
def genesis_eth_api() -> Any:
    """An :class:`~reference.sidechain_vms.EthApi` of an EVM sidechain registered at genesis."""
    from reference.sidechain_vms import EthApi
    from reference.sidechains import SidechainService
    from spec.chain.state import initial_state
    from spec.masternode.quorum import QuorumType
    from spec.presets import DEVNET
    from spec.sidechain.registry import EMPTY_SIDECHAINS, SidechainSpec, register_sidechains
    from spec.vm.interface import VmKind

    spec = SidechainSpec(SIDECHAIN_ID, VmKind.EVM, QuorumType.FINALITY, 2, 3, 4, 10**12, 10**10)
    state = replace(initial_state(DEVNET), sidechains=register_sidechains(EMPTY_SIDECHAINS, (spec,), 1))
    service = SidechainService(
        sqlite3.connect(":memory:", isolation_level=None),
        DEVNET,
        lambda: state,
        lambda height: None,
        lambda kind, key: None,
        lambda message, extra: None,
    )
    return EthApi(service, SIDECHAIN_ID)


def methods() -> list[str]:
    """The ``eth_`` methods the first input byte picks from (sorted: stable seeds)."""
    return sorted(genesis_eth_api().methods)


def _check_parsers(value: Any) -> None:
    """The parsers on one param: canonical spellings only, heights within the chain."""
    try:
        number = parse_quantity(value, "q")
    except EthRpcError as exc:
        if exc.code != INVALID_PARAMS:
            raise EthRpcInvariantViolation(f"a QUANTITY rejected with {exc.code}") from None
    else:
        if isinstance(value, str) and quantity(number) != value.lower():
            raise EthRpcInvariantViolation(f"QUANTITY {value!r} accepted as {number}")
        if not 0 <= number < 2**256:
            raise EthRpcInvariantViolation(f"QUANTITY {value!r} out of range")
    try:
        data = parse_data(value, "d")
    except EthRpcError as exc:
        if exc.code != INVALID_PARAMS:
            raise EthRpcInvariantViolation(f"DATA rejected with {exc.code}") from None
    else:
        if not isinstance(value, str) or data_hex(data) != value.lower():
            raise EthRpcInvariantViolation(f"DATA {value!r} accepted as {data.hex()}")
    try:
        height = compute_block_height(value, TIP)
    except EthRpcError as exc:
        if exc.code != INVALID_PARAMS:
            raise EthRpcInvariantViolation(f"a block tag rejected with {exc.code}") from None
    else:
        if not 0 <= height <= TIP:
            raise EthRpcInvariantViolation(f"block tag {value!r} named height {height}")


def fuzz_eth_rpc_params(data: bytes) -> None:
    """One ``eth_`` call with fuzzed params (see the module docstring)."""
    if not data:
        return
    names = methods()
    method = names[data[0] % len(names)]
    try:
        params = jsonsafe.loads(data[1:])
    except ValueError:
        return  # the server answers -32700 before any method runs
    if not isinstance(params, list):
        return  # the server answers -32602 before any method runs
    for value in params:
        _check_parsers(value)
        if isinstance(value, dict):
            for item in value.values():
                _check_parsers(item)
    try:
        result = genesis_eth_api().dispatch(method, params)
    except EthRpcError as exc:
        if exc.code not in (INVALID_PARAMS, EXECUTION_REVERTED):
            raise EthRpcInvariantViolation(f"{method} failed with code {exc.code}") from None
        return
    except SpecError:
        return
    json.dumps(result)  # the answer must be JSON (a TypeError here is a finding)


ETH_RPC_HARNESSES: dict[str, Callable[[bytes], None]] = {"eth_rpc_params": fuzz_eth_rpc_params}


def eth_rpc_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: every method with well-formed params, and near misses of each parameter shape."""
    names = methods()
    address = "0x" + "11" * 20
    call = {"to": address, "data": "0x", "gas": "0x5208", "value": "0x0"}
    good: dict[str, list[Any]] = {
        "eth_getBalance": [address, "latest"],
        "eth_getTransactionCount": [address, "earliest"],
        "eth_getCode": [address, "0x0"],
        "eth_getStorageAt": [address, "0x" + "00" * 32, "latest"],
        "eth_call": [call, "latest"],
        "eth_estimateGas": [{"from": address, "data": "0x00"}],
        "eth_getBlockByNumber": ["0x0", True],
        "eth_chainId": [],
        "eth_sendRawTransaction": ["0x02"],
        "eth_getTransactionReceipt": ["0x" + "ab" * 32],
        "eth_getTransactionByHash": ["0x" + "cd" * 32],
        "eth_getLogs": [
            {"fromBlock": "earliest", "address": [address], "topics": [None, ["0x" + "07" * 32]]}
        ],
    }
    near: dict[str, tuple[str, list[Any]]] = {
        "negative-block": ("eth_getBalance", [address, "0x-1"]),
        "block-beyond-tip": ("eth_getBlockByNumber", ["0x1", False]),
        "blank-in-data": ("eth_getCode", ["0x" + "11" * 19 + " 11"]),
        "leading-zero-slot": ("eth_getStorageAt", [address, "0x01"]),
        "underscore-quantity": ("eth_call", [{**call, "value": "0x1_0"}]),
        "huge-json-gas": ("eth_estimateGas", [{**call, "gas": 2**300}]),
        "call-not-object": ("eth_call", [address]),
        "missing-address": ("eth_getBalance", []),
    }
    seeds: dict[str, bytes] = {}
    for name, params in good.items():
        seeds[f"seed-{name}"] = bytes([names.index(name)]) + json.dumps(params).encode()
    for label, (name, params) in near.items():
        seeds[f"seed-near-{label}"] = bytes([names.index(name)]) + json.dumps(params).encode()
    return {"eth_rpc_params": seeds}
