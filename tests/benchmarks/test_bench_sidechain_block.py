"""A sidechain block of 1,000 simple transfers against its bare signature checks (issue 15).

``test_apply_block_1000_transfers`` runs ``apply_sidechain_block`` on a FerrisScript block of 1,000
P2PKH transfers between 1,000 funded accounts: decoding, VMF-3..6 checks, the FerrisScript P2PKH run,
the strict Ed25519 check, path-only trie reads and writes, and the four roots. Its floor,
``test_floor_1000_sodium_checks``, is libsodium's bare ``crypto_sign_open`` of the same 1,000
signatures over their signature hashes. The ratio is the cost of everything but the signatures;
``1000 / mean`` is the transfers per second against the seed's 1,000+ TPS target (printed, and in
``extra_info``). Works with ``--benchmark-disable`` too (one round each).
"""

from __future__ import annotations

from functools import cache

import nacl.bindings
from pytest_benchmark.fixture import BenchmarkFixture

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
from spec.vm.ferris import (
    FerrisTransaction,
    compute_account_id,
    compute_signature_hash,
    encode_transaction,
    p2pkh_locking_script,
    sign_transaction,
)
from spec.vm.interface import TxStatus, VmKind

PRESET = MAINNET
COUNT = 1000
CHAIN = 7
NO_INPUTS = MainchainInputs(100, 6, (), ())


@cache
def _setup() -> tuple[SidechainState, SidechainBlock, list[tuple[bytes, bytes, bytes]]]:
    seeds = [(i + 1).to_bytes(32, "big") for i in range(COUNT)]
    locks = [p2pkh_locking_script(seed) for seed in seeds]
    ids = [compute_account_id(lock) for lock in locks]
    genesis = genesis_state(VmKind.FERRIS, CHAIN, 1000, 10)
    deposits = tuple(Deposit(CHAIN, 11, i, bytes(32), i, ids[i], 10**8) for i in range(COUNT))
    funding = MainchainInputs(100, 6, deposits, ())
    first = build_sidechain_block(genesis, (), funding, 1001, 11, PRESET)
    funded = apply_sidechain_block(genesis, first, funding, PRESET).state
    signed = [
        sign_transaction(
            FerrisTransaction(0, CHAIN, 0, 5000, 1000, 0, ids[(i + 1) % COUNT], b"", locks[i], b""), seeds[i]
        )
        for i in range(COUNT)
    ]
    block = build_sidechain_block(
        funded, [encode_transaction(tx) for tx in signed], NO_INPUTS, 1002, 11, PRESET
    )
    assert len(block.transactions) == COUNT
    pairs = [
        (ed25519.public_key_from_seed(seeds[i]), tx.unlocking_script[1:65], compute_signature_hash(tx))
        for i, tx in enumerate(signed)
    ]
    return funded, block, pairs


def test_floor_1000_sodium_checks(benchmark: BenchmarkFixture) -> None:
    _, _, pairs = _setup()

    def run() -> int:
        for public, signature, message in pairs:
            nacl.bindings.crypto_sign_open(signature + message, public)  # raises if invalid
        return len(pairs)

    assert benchmark(run) == COUNT


def test_apply_block_1000_transfers(benchmark: BenchmarkFixture) -> None:
    funded, block, _ = _setup()
    benchmark.extra_info["floor"] = "test_floor_1000_sodium_checks"

    def run() -> BlockResult:
        return apply_sidechain_block(funded, block, NO_INPUTS, PRESET)

    result = benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[no-untyped-call]
    assert [o.status for o in result.outcomes] == [TxStatus.SUCCEEDED] * COUNT
    assert result.state.burnt == COUNT * 5000
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        tps = COUNT / stats.stats.mean
        benchmark.extra_info["transfers_per_second"] = round(tps)
        print(f"\nsidechain block of {COUNT} transfers: {tps:.0f} transfers/s (target 1,000+)")
