"""FerrisScript interpreter overhead: a P2PKH spend with a checker that costs nothing.

The checker answers from a set, so the measured time is parsing plus interpretation. The floor is
the one BLAKE3 hash (OP_BLAKE3) that a P2PKH run cannot avoid; the printed ratio is the
interpreter's cost on top of it. Real spends add one Ed25519 verification (see
``test_bench_ledger.py``), which dominates by far. Works with ``--benchmark-disable`` too.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_benchmark.fixture import BenchmarkFixture

from spec.presets import MAINNET
from spec.script import (
    evaluate,
    multisig_script,
    multisig_script_sig,
    p2pkh_script,
    p2pkh_script_sig,
    parse_script,
    script_hash,
)

PARAMS = MAINNET.script
KEYS = [bytes([i]) * 32 for i in range(1, 4)]
SIGS = [bytes([i]) * 64 for i in range(1, 4)]
P2PKH = p2pkh_script(script_hash(KEYS[0]))
P2PKH_SIG = p2pkh_script_sig(SIGS[0], KEYS[0])
MULTISIG = multisig_script(2, KEYS, PARAMS)
MULTISIG_SIG = multisig_script_sig([SIGS[0], SIGS[2]])


@dataclass(frozen=True)
class FreeChecker:
    """Accepts exactly the pairs (SIGS[i], KEYS[i]) in O(1); lock checks always pass."""

    valid: frozenset[tuple[bytes, bytes]] = frozenset(zip(SIGS, KEYS, strict=True))

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        return (signature, public_key) in self.valid

    def check_lock_time(self, lock_time: int) -> bool:
        return True

    def check_sequence(self, sequence: int) -> bool:
        return True


CHECKER = FreeChecker()


def test_floor_script_hash(benchmark: BenchmarkFixture) -> None:
    assert len(benchmark(script_hash, KEYS[0])) == 32


def test_parse_p2pkh(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_script_hash"
    assert len(benchmark(parse_script, P2PKH, PARAMS)) == 5


def test_evaluate_p2pkh(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_script_hash"
    assert benchmark(evaluate, P2PKH_SIG, P2PKH, CHECKER, PARAMS) is None


def test_evaluate_multisig_2_of_3(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["floor"] = "test_floor_script_hash"
    assert benchmark(evaluate, MULTISIG_SIG, MULTISIG, CHECKER, PARAMS) is None
