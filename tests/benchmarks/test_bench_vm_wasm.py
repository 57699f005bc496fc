"""WASM sidechain VM (spec/vm/wasm.py): a token transfer against the bare Ed25519 verification of
its transaction (libsodium's ``crypto_sign_open``, the floor every transaction stands on).

``test_wasm_token_transfer`` is one whole ``apply_transaction`` of a token contract call over a
full node store (decode, signature, lazy trie reads, wasmtime instantiation and execution, trie
update, node changes); ``test_wasm_block_of_token_transfers`` applies 50 distinct transfers in a
row, so ``50 / mean`` is transfers per second against the seed's 1,000 TPS target
(docs/vm.md#wasm). Works with ``--benchmark-disable`` too (then it only checks the outcomes).
"""

from __future__ import annotations

import nacl.bindings
from pytest_benchmark.fixture import BenchmarkFixture

from conformance.wasm_contracts import (
    CONTEXT,
    Chain,
    address_of,
    contract_module,
    make_tx,
    run_sequence,
    token_transfer_input,
)
from spec.presets import MAINNET
from spec.vm.interface import TxStatus
from spec.vm.wasm import (
    TxKind,
    apply_transaction_with,
    build_genesis,
    compute_contract_address,
    compute_signing_message,
    decode_transaction,
)

PARAMS = MAINNET.vm_wasm
ALICE, BOB = address_of("alice"), address_of("bob")
TOKEN = compute_contract_address(ALICE, 0)
BLOCK = 50


def _chain() -> Chain:
    genesis = build_genesis({ALICE: 10**12, BOB: 10**12})
    chain, _ = run_sequence(
        MAINNET, genesis, [make_tx("alice", TxKind.DEPLOY, 0, data=contract_module("token"))]
    )
    return chain


CHAIN = _chain()
TRANSFER = make_tx("alice", TxKind.CALL, 1, to=TOKEN, data=token_transfer_input(BOB, 7))
TRANSFERS = [
    make_tx("alice", TxKind.CALL, 1 + i, to=TOKEN, data=token_transfer_input(BOB, 1 + i))
    for i in range(BLOCK)
]


def test_floor_ed25519_verify(benchmark: BenchmarkFixture) -> None:
    tx = decode_transaction(TRANSFER, PARAMS)
    message = compute_signing_message(tx, CONTEXT.sidechain_id)
    assert benchmark(nacl.bindings.crypto_sign_open, tx.signature + message, tx.sender) == message


def test_wasm_token_transfer(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_ed25519_verify"
    outcome, _ = benchmark(apply_transaction_with, PARAMS, CHAIN.nodes, CHAIN.root, TRANSFER, CONTEXT)
    assert outcome.status == TxStatus.SUCCEEDED


def test_wasm_value_transfer(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_ed25519_verify"
    tx = make_tx("alice", TxKind.TRANSFER, 1, to=BOB, value=3)
    outcome, _ = benchmark(apply_transaction_with, PARAMS, CHAIN.nodes, CHAIN.root, tx, CONTEXT)
    assert outcome.status == TxStatus.SUCCEEDED


def _block() -> list[int]:
    chain = Chain(CHAIN.root, dict(CHAIN.nodes))
    return [chain.apply(MAINNET, tx).status for tx in TRANSFERS]


def test_wasm_block_of_token_transfers(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_ed25519_verify"
    benchmark.extra_info["transfers"] = BLOCK
    # pytest-benchmark leaves pedantic() unannotated.
    statuses = benchmark.pedantic(_block, rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    assert statuses == [TxStatus.SUCCEEDED] * BLOCK
