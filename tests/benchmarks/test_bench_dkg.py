"""Benchmark of a whole DKG session for quorums of 10, 50 and 400 members (arkworks backend).

The threshold is upstream's ``(2n + 2) // 3``. The measured run is every phase of an honest
session as a simulator of the whole quorum computes it: open the session, accept the ``n`` signed
contributions (signature plus ``t`` point checks each, DKG-3/4), every member's decryption of its
``n`` shares (DKG-11) and share check in one DKG-10 batch
(:func:`spec.masternode.dkg.find_bad_shares`), the phase advances, :func:`finalize` (``QUAL``, group
key, ``n`` public key shares) and every member's secret share (DKG-9, which decrypts its shares
again). Dealing (the contributions themselves, with ``2n`` encryption multiplications per dealer) is
per-dealer work done beforehand and reported separately. Per-share encryption costs are in
``test_bench_dkg_encryption.py``.

The floor is the bare group arithmetic any implementation needs: ``n`` multi-scalar multiplications
of ``t`` G1 points (evaluating one commitment vector at every member index), reported with
``benchmark.extra_info["floor"]`` (see ``tests/benchmarks/conftest.py``).

The 400-member case takes tens of seconds even with ``--benchmark-disable`` (dealing alone is
about 107,000 G1 scalar multiplications); it runs only with ``RUSTY_BENCH_DKG_400=1``.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache

import nacl.bindings
import nacl.exceptions
import pytest
from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar
from pytest_benchmark.fixture import BenchmarkFixture

from conformance.dkgbuilder import Quorum, honest_contributions, make_quorum
from spec.crypto import bls
from spec.masternode import dkg
from spec.masternode.dkg import Contribution, DkgResult
from spec.presets import MAINNET

SIZES = [
    10,
    50,
    pytest.param(
        400,
        marks=pytest.mark.skipif(
            os.environ.get("RUSTY_BENCH_DKG_400") != "1", reason="set RUSTY_BENCH_DKG_400=1 (tens of seconds)"
        ),
    ),
]


@cache
def _dealt(members: int) -> tuple[Quorum, tuple[Contribution, ...]]:
    quorum = make_quorum(f"bench-{members}", members, dkg.default_threshold(members), MAINNET)
    return quorum, tuple(honest_contributions(quorum))


def _full_session(quorum: Quorum, contributions: tuple[Contribution, ...]) -> DkgResult:
    session = quorum.session
    state = dkg.start_session(
        quorum.publics, session.threshold, session.quorum_hash, session.start_height, MAINNET
    )
    for message in contributions:
        state = dkg.receive_contribution(state, message)
    state = dkg.advance_phase(state)
    members = range(1, quorum.size + 1)
    bad, plaintexts = dkg.find_bad_shares_and_plaintexts(state, {j: quorum.secrets[j - 1] for j in members})
    assert not any(bad.values())
    state = dkg.advance_phase(dkg.advance_phase(state))
    result = dkg.finalize(state)
    for member in members:
        dkg.member_secret_share(state, result, member, quorum.secrets[member - 1], plaintexts[member])
    return result


def _session_floor(quorum: Quorum, contributions: tuple[Contribution, ...]) -> list[bytes]:
    """The bare library operations an honest session inherently needs (arkworks, libsodium):

    * ``n`` signature verifications: hash-to-G2 of the digest and one pairing check each;
    * ``n * t`` commitment decodes with their subgroup check;
    * ``n * n`` share decryptions: decode and subgroup-check ``R``, one scalar multiplication
      ``sk_j * R``, its encoding, one ChaCha20-Poly1305 open (the key hash is left out);
    * ``n`` share checks (DKG-10 batch): one multi-scalar multiplication of ``t + 1`` points each;
    * finalization: ``t`` sums of ``n`` commitments (an MSM of ``n`` points each) and ``n`` public
      key shares (an MSM of ``t`` points each).
    """
    members = quorum.size
    keys = [G1Point.from_compressed_bytes_unchecked(k) for k in quorum.publics]
    negated_g1 = -G1Point()
    digests = [dkg.message_digest(c) for c in contributions]
    for position, message in enumerate(contributions):
        hashed = G2Point.hash_to_curve(digests[position], bls.SIGNATURE_DST)
        signature = G2Point.from_compressed_bytes(message.signature)
        assert GT.pairing_check([keys[position], negated_g1], [hashed, signature])
    rows = [[G1Point.from_compressed_bytes(p) for p in c.commitments] for c in contributions]
    key = bytes(32)
    secrets = [Scalar(bls.decode_secret_key(s)) for s in quorum.secrets]
    for recipient in range(members):
        for message in contributions:
            ciphertext = message.ciphertexts[recipient]
            point = G1Point.from_compressed_bytes(ciphertext[: bls.PUBLIC_KEY_LENGTH])
            (point * secrets[recipient]).to_compressed_bytes()
            # The real key is the spec's hash; the library call costs the same either way.
            with contextlib.suppress(nacl.exceptions.CryptoError):
                nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext[48:], None, bytes(12), key)
    schedules = [
        [Scalar(s) for s in dkg.exponent_schedule(j, quorum.threshold)] for j in range(1, members + 1)
    ]
    g1 = G1Point()
    for recipient in range(members):
        G1Point.multiexp_unchecked([*rows[0], g1], [*schedules[recipient], Scalar(1)]).to_compressed_bytes()
    ones = [Scalar(1)] * members
    summed = [G1Point.multiexp_unchecked([row[k] for row in rows], ones) for k in range(quorum.threshold)]
    return [G1Point.multiexp_unchecked(summed, schedule).to_compressed_bytes() for schedule in schedules]


def _measure(benchmark: BenchmarkFixture, members: int, function: object) -> object:
    if members >= 400:
        # pytest-benchmark leaves pedantic() unannotated.
        return benchmark.pedantic(function, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    return benchmark(function)


@pytest.mark.parametrize("members", SIZES)
def test_bench_dkg_session_floor(benchmark: BenchmarkFixture, members: int) -> None:
    """Floor: the bare library operations of a whole session (see :func:`_session_floor`)."""
    quorum, contributions = _dealt(members)
    points = _measure(benchmark, members, lambda: _session_floor(quorum, contributions))
    assert isinstance(points, list) and len(points) == members


@pytest.mark.parametrize("members", SIZES)
def test_bench_dkg_floor(benchmark: BenchmarkFixture, members: int) -> None:
    """Floor: ``n`` multi-scalar multiplications of ``t`` G1 points (one commitment vector at every index)."""
    _, contributions = _dealt(members)
    commitments = contributions[0].commitments
    backend = bls.active_backend()
    schedules = [dkg.exponent_schedule(j, len(commitments)) for j in range(1, members + 1)]

    def evaluate_everywhere() -> list[bytes]:
        return [backend.g1_linear_combination(commitments, scalars) for scalars in schedules]

    points = _measure(benchmark, members, evaluate_everywhere)
    assert isinstance(points, list) and len(points) == members


@pytest.mark.parametrize("members", SIZES)
def test_bench_dkg_session(benchmark: BenchmarkFixture, members: int) -> None:
    """All phases of an honest session of ``members`` members, threshold ``(2n + 2) // 3``."""
    quorum, contributions = _dealt(members)
    benchmark.extra_info["floor"] = f"test_bench_dkg_session_floor[{members}]"
    benchmark.extra_info["threshold"] = quorum.threshold
    result = _measure(benchmark, members, lambda: _full_session(quorum, contributions))
    assert isinstance(result, DkgResult) and len(result.qualified) == members
    coefficients_sum = sum(c[0] for c in quorum.coefficients) % bls.CURVE_ORDER
    assert result.group_public_key == bls.sk_to_pk(bls.encode_secret_key(coefficients_sum))
