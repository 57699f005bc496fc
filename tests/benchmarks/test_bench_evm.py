"""Benchmarks of EVM sidechain execution (spec/vm/evm.py) against their floor (pytest-benchmark).

Run with ``pytest tests/benchmarks/test_bench_evm.py --benchmark-enable``; CI runs each once with
``--benchmark-disable`` as a correctness check.

How to read the figures (docs/vm.md#benchmarks): the floor is ``test_bench_evm_floor_recover``,
the bare secp256k1 public-key recovery of the transaction's signature with coincurve (the library
call every EVM transaction needs once). ``test_bench_evm_transfer[full]`` executes one EIP-1559
transfer on a state of 1,000 accounts (decode, EVM-3 checks, py-evm, post-state root, new nodes);
``[stateless]`` does the same over its recorded witness (what a fraud-proof verifier runs). Divide
by the floor's mean for the ratio. ``test_bench_evm_block_of_transfers`` applies 100 transfers in
a row (each on the previous post-state, nodes accumulated): 100 / mean is transfers per second on
this machine, to set against the seed's 1,000+ TPS target.
"""

from __future__ import annotations

from collections.abc import Mapping

import coincurve
import pytest
import rlp
from pytest_benchmark.fixture import BenchmarkFixture

from conformance.evm_tx import TxFields, address_of, private_key, sign
from spec.presets import MAINNET
from spec.trie import keccak256
from spec.vm.evm import HASHER, EvmAccount, apply_transaction, compute_state
from spec.vm.interface import ExecutionContext, TxOutcome, TxStatus, record_witness, witness_nodes

EVM = MAINNET.evm
CONTEXT = ExecutionContext(
    sidechain_id=1, height=1, timestamp=1_700_000_000, fee_recipient=b"\xfe" * 20, gas_limit=10**8
)
CHAIN_ID = EVM.chain_id_base + 1
ACCOUNTS = 1000
BLOCK = 100
KEYS = [private_key(f"bench/evm/{i}".encode()) for i in range(ACCOUNTS)]
ROOT, NODES = compute_state({address_of(key): EvmAccount(balance=10**12) for key in KEYS})
TXS = [
    sign(TxFields(nonce=0, gas=21_000, to=b"\x42" * 20, value=1 + i, chain_id=CHAIN_ID, max_fee=2), KEYS[i])
    for i in range(BLOCK)
]


def _apply(
    nodes: Mapping[bytes, bytes], root: bytes, tx: bytes, context: ExecutionContext
) -> tuple[TxOutcome, tuple[tuple[bytes, bytes], ...]]:
    return apply_transaction(MAINNET, nodes, root, tx, context)


WITNESS = witness_nodes(record_witness(apply_transaction, MAINNET, NODES, ROOT, TXS[0], CONTEXT), HASHER)


def _signature_parts(tx: bytes) -> tuple[bytes, bytes]:
    """The 65-byte recoverable signature and the signing hash of a type-2 transaction."""
    items = rlp.decode(tx[1:])
    digest = keccak256(b"\x02" + rlp.encode(items[:9]))
    parity, r, s = (int.from_bytes(item, "big") for item in items[9:])
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([parity]), digest


SIGNATURE, DIGEST = _signature_parts(TXS[0])
SENDER = address_of(KEYS[0])


def test_bench_evm_floor_recover(benchmark: BenchmarkFixture) -> None:
    """The floor: coincurve's public-key recovery of one transaction signature."""

    def recover() -> bytes:
        public = coincurve.PublicKey.from_signature_and_message(SIGNATURE, DIGEST, hasher=None)
        return keccak256(public.format(compressed=False)[1:])[12:]

    assert benchmark(recover) == SENDER


@pytest.mark.parametrize("mode", ["full", "stateless"])
def test_bench_evm_transfer(benchmark: BenchmarkFixture, mode: str) -> None:
    """One EIP-1559 transfer on 1,000 accounts, over the whole store or over its witness."""
    nodes = NODES if mode == "full" else WITNESS
    outcome, _ = benchmark(apply_transaction, MAINNET, nodes, ROOT, TXS[0], CONTEXT)
    assert outcome.status == TxStatus.SUCCEEDED and outcome.gas_used == 21_000


def test_bench_evm_block_of_transfers(benchmark: BenchmarkFixture) -> None:
    """100 transfers applied in a row (transfers/s = 100 / mean)."""

    def block() -> bytes:
        nodes = dict(NODES)
        root = ROOT
        for tx in TXS:
            outcome, new_nodes = apply_transaction(MAINNET, nodes, root, tx, CONTEXT)
            nodes.update(new_nodes)
            root = outcome.post_root
        return root

    first = block()
    assert benchmark(block) == first != ROOT
