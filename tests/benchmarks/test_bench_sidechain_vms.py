"""Sidechain blocks of simple transfers per VM kind through the node's path (issue 17 items 5 and 6).

Now that ``vm_table`` runs every kind (SCB-3), ``apply_sidechain_block`` is what every node of an EVM
or WASM sidechain runs on each block. Each case builds a block of ``COUNT`` plain value transfers
between funded accounts (EVM: EIP-1559 transfers, 21,000 gas; WASM: VMW-2 kind-0 transfers) and
times its application; the floor is the bare signature check of the same transactions (coincurve's
public-key recovery for EVM, libsodium's ``crypto_sign_open`` for WASM). ``COUNT / mean`` is the
transfers per second against the seed's 1,000+ TPS target (``extra_info``, printed).
"""

from __future__ import annotations

from functools import cache

import coincurve
import nacl.bindings
import pytest
import rlp
from pytest_benchmark.fixture import BenchmarkFixture

from conformance import evm_tx
from spec.crypto import ed25519
from spec.presets import MAINNET
from spec.sidechain.chain import (
    BlockResult,
    MainchainInputs,
    SidechainBlock,
    SidechainState,
    apply_sidechain_block,
    build_sidechain_block,
    genesis_state,
)
from spec.sidechain.header import Deposit
from spec.trie import keccak256
from spec.vm import wasm
from spec.vm.interface import TxStatus, VmKind

PRESET = MAINNET
COUNT = 200
CHAIN = 7
NO_INPUTS = MainchainInputs(100, 6, (), ())
Floor = list[tuple[bytes, bytes, bytes]]


def _fund(kind: VmKind, addresses: list[bytes]) -> SidechainState:
    genesis = genesis_state(kind, CHAIN, 1000, 10)
    deposits = tuple(Deposit(CHAIN, 11, i, bytes(32), i, a, 10**12) for i, a in enumerate(addresses))
    funding = MainchainInputs(100, 6, deposits, ())
    first = build_sidechain_block(genesis, (), funding, 1001, 11, PRESET)
    return apply_sidechain_block(genesis, first, funding, PRESET).state


@cache
def _evm() -> tuple[SidechainState, SidechainBlock, Floor]:
    keys = [evm_tx.private_key(i.to_bytes(4, "big")) for i in range(COUNT)]
    addresses = [evm_tx.address_of(k) for k in keys]
    funded = _fund(VmKind.EVM, addresses)
    chain_id = PRESET.evm.chain_id_base + CHAIN
    fields = [
        evm_tx.TxFields(
            0, 21_000, addresses[(i + 1) % COUNT], 1000, chain_id=chain_id, max_fee=2, priority_fee=1
        )
        for i in range(COUNT)
    ]
    raws = [evm_tx.sign(f, k) for f, k in zip(fields, keys, strict=True)]
    floor: Floor = []
    for raw in raws:
        body = rlp.decode(raw[1:])
        parity, r, s = (int.from_bytes(bytes(v), "big") for v in body[-3:])
        digest = keccak256(b"\x02" + rlp.encode(body[:-3]))
        floor.append((r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([parity]), digest, b""))
    block = build_sidechain_block(funded, raws, NO_INPUTS, 1002, 11, PRESET)
    assert len(block.transactions) == COUNT
    return funded, block, floor


@cache
def _wasm() -> tuple[SidechainState, SidechainBlock, Floor]:
    seeds = [(i + 1).to_bytes(32, "big") for i in range(COUNT)]
    addresses = [ed25519.public_key_from_seed(s) for s in seeds]
    funded = _fund(VmKind.WASM, addresses)
    fuel = PRESET.vm_wasm.tx_base_fuel
    signed = [
        wasm.sign_transaction(
            wasm.WasmTransaction(0, b"", 0, fuel, 1, 1000, addresses[(i + 1) % COUNT], b"", b""), seed, CHAIN
        )
        for i, seed in enumerate(seeds)
    ]
    floor: Floor = [(tx.signature, wasm.compute_signing_message(tx, CHAIN), tx.sender) for tx in signed]
    block = build_sidechain_block(
        funded, [wasm.encode_transaction(tx) for tx in signed], NO_INPUTS, 1002, 11, PRESET
    )
    assert len(block.transactions) == COUNT
    return funded, block, floor


SETUPS = {"evm": _evm, "wasm": _wasm}


@pytest.mark.parametrize("vm", sorted(SETUPS))
def test_floor_signature_checks(benchmark: BenchmarkFixture, vm: str) -> None:
    _, _, floor = SETUPS[vm]()

    def run() -> int:
        for signature, message, public in floor:
            if vm == "evm":
                coincurve.PublicKey.from_signature_and_message(signature, message, hasher=None)
            else:
                nacl.bindings.crypto_sign_open(signature + message, public)
        return len(floor)

    assert benchmark(run) == COUNT


@pytest.mark.parametrize("vm", sorted(SETUPS))
def test_apply_block_of_transfers(benchmark: BenchmarkFixture, vm: str) -> None:
    funded, block, _ = SETUPS[vm]()
    benchmark.extra_info["floor"] = f"test_floor_signature_checks[{vm}]"

    def run() -> BlockResult:
        return apply_sidechain_block(funded, block, NO_INPUTS, PRESET)

    result = benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    assert [o.status for o in result.outcomes] == [TxStatus.SUCCEEDED] * COUNT
    assert result.state.burnt == sum(o.fee for o in result.outcomes) > 0
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        tps = COUNT / stats.stats.mean
        benchmark.extra_info["transfers_per_second"] = round(tps)
        print(f"\n{vm} sidechain block of {COUNT} transfers: {tps:.0f} transfers/s (target 1,000+)")
