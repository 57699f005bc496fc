"""Benchmarks of BLS and threshold operations on both backends (pytest-benchmark).

Run with ``pytest tests/benchmarks --benchmark-only``; CI runs them once each with
``--benchmark-disable``. The py_ecc reference backend is measured with a single round: one
verification costs about 0.3 s there, against about 1 ms on arkworks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from py_arkworks_bls12381 import G2Point, Scalar
from pytest_benchmark.fixture import BenchmarkFixture

from spec.crypto import bls
from spec.crypto.threshold import (
    coefficients_from_seed,
    generate_shares,
    lagrange_coefficients_at_zero,
    recover_signature,
    sign_share,
)

T = TypeVar("T")

MESSAGE = b"rusty coin benchmark message"
SECRET = bls.key_gen(b"benchmark key material, 32 bytes or more")
PUBLIC = bls.sk_to_pk(SECRET)
SIGNATURE = bls.sign(SECRET, MESSAGE)

PAIRS = 16
PAIR_SECRETS = [bls.key_gen(f"benchmark signer {i:02d} with enough material".encode()) for i in range(PAIRS)]
PAIR_PUBLICS = [bls.sk_to_pk(s) for s in PAIR_SECRETS]
PAIR_MESSAGES = [f"message {i}".encode() for i in range(PAIRS)]
PAIR_AGGREGATE = bls.aggregate([bls.sign(s, m) for s, m in zip(PAIR_SECRETS, PAIR_MESSAGES, strict=True)])

THRESHOLD, MEMBERS = 7, 10
COEFFICIENTS = coefficients_from_seed(b"benchmark quorum", THRESHOLD)
SIGNATURE_SHARES = [sign_share(s, MESSAGE) for s in generate_shares(COEFFICIENTS, range(1, MEMBERS + 1))]


def _measure(benchmark: BenchmarkFixture, backend: str, function: Callable[[], T]) -> T:
    """Run ``function`` under ``backend``: many rounds on arkworks, one on py_ecc."""
    with bls.use_backend(backend):
        if backend == "py_ecc":
            # pytest-benchmark leaves pedantic() unannotated.
            result: T = benchmark.pedantic(function, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
        else:
            result = benchmark(function)
    return result


@pytest.mark.parametrize("backend", bls.backend_names())
def test_bench_sign(benchmark: BenchmarkFixture, backend: str) -> None:
    assert _measure(benchmark, backend, lambda: bls.sign(SECRET, MESSAGE)) == SIGNATURE


@pytest.mark.parametrize("backend", bls.backend_names())
def test_bench_verify(benchmark: BenchmarkFixture, backend: str) -> None:
    assert _measure(benchmark, backend, lambda: bls.verify(PUBLIC, MESSAGE, SIGNATURE))


@pytest.mark.parametrize("backend", bls.backend_names())
def test_bench_aggregate_verify_16(benchmark: BenchmarkFixture, backend: str) -> None:
    assert _measure(
        benchmark, backend, lambda: bls.aggregate_verify(PAIR_PUBLICS, PAIR_MESSAGES, PAIR_AGGREGATE)
    )


@pytest.mark.parametrize("backend", bls.backend_names())
def test_bench_threshold_recover_7_of_10(benchmark: BenchmarkFixture, backend: str) -> None:
    recovered = _measure(benchmark, backend, lambda: recover_signature(SIGNATURE_SHARES, THRESHOLD))
    assert bls.verify(bls.sk_to_pk(bls.encode_secret_key(COEFFICIENTS[0])), MESSAGE, recovered)


MAINNET_T, MAINNET_N = 34, 50
MAINNET_COEFFICIENTS = coefficients_from_seed(b"benchmark mainnet quorum", MAINNET_T)
MAINNET_SHARES = [
    sign_share(s, MESSAGE) for s in generate_shares(MAINNET_COEFFICIENTS, range(1, MAINNET_N + 1))
][:MAINNET_T]


def _recovery_floor() -> bytes:
    """The bare library work recovery inherently needs: decode and subgroup-check each of the 34
    shares (arkworks ``from_compressed_bytes``), one multi-scalar multiplication, one encoding.
    The Lagrange weights are precomputed outside the timing (they are the spec's own work)."""
    points = [G2Point.from_compressed_bytes(share.value) for share in MAINNET_SHARES]
    return G2Point.multiexp_unchecked(points, FLOOR_SCALARS).to_compressed_bytes()


FLOOR_SCALARS = [Scalar(w) for w in lagrange_coefficients_at_zero([share.index for share in MAINNET_SHARES])]


def test_bench_threshold_recover_34_of_50_floor(benchmark: BenchmarkFixture) -> None:
    assert benchmark(_recovery_floor) == recover_signature(MAINNET_SHARES, MAINNET_T)


def test_bench_threshold_recover_34_of_50(benchmark: BenchmarkFixture) -> None:
    """THRESHOLD-6 on arkworks for a mainnet quorum, against the bare decode + MSM floor."""
    benchmark.extra_info["floor"] = "test_bench_threshold_recover_34_of_50_floor"
    recovered = benchmark(lambda: recover_signature(MAINNET_SHARES, MAINNET_T))
    public_key = bls.sk_to_pk(bls.encode_secret_key(MAINNET_COEFFICIENTS[0]))
    assert bls.verify(public_key, MESSAGE, recovered)
