"""Benchmarks of PoSe liveness challenges (POSE-5/6, arkworks backend), against the bare BLS floor.

* **Challenge** (what every node does with each flooded challenge): decode the 174-byte payload,
  POSE-5's checks in order (term and deadline, challenger index, target in a 5,000-entry list and
  ACTIVE), the challenge digest, the challenger's signature. Floor: one bare ``bls.verify`` of the
  digest under the challenger's operator key.
* **Response** (every node, each flooded response): decode the 128-byte payload, POSE-6 (digest,
  target key from the list, signature, deadline). Floor: one bare ``bls.verify``.

* **Missed-share verdict** (each PoSe member, once a term, POSE-9/10): ``share_failures`` over a
  mainnet window (30 heights, a 50-member finality quorum, one member silent) and a 5,000-entry
  list. Floor: one bare ``bls.verify``, what the node already spends on *each* of the window's
  1,500 shares it records.

Floors are reported with ``benchmark.extra_info["floor"]`` (tests/benchmarks/conftest.py).
"""

from __future__ import annotations

from dataclasses import replace

from pytest_benchmark.fixture import BenchmarkFixture

from spec.crypto import bls
from spec.ledger.transaction import OutPoint
from spec.masternode.challenge import (
    challenge_digest,
    challenge_window,
    challengers,
    check_challenge,
    check_response,
    check_response_in_time,
    decode_challenge,
    decode_response,
    encode_challenge,
    encode_response,
    make_challenge,
    make_response,
    response_message,
)
from spec.masternode.finality import QuorumRecord, finality_quorum_height
from spec.masternode.quorum import quorum_threshold
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus
from spec.masternode.share_service import HeightShares, missed_shares, share_failures, share_window
from spec.presets import MAINNET

PRESET = MAINNET
MEMBERS = PRESET.masternodes.pose_quorum_size
BASE = PRESET.masternodes.pose_quorum_interval
MASTERNODES = 5_000
SECRETS = [bls.key_gen(j.to_bytes(4, "big") * 8) for j in range(1, 41)]
KEYS = [bls.sk_to_pk(sk) for sk in SECRETS]
RECORD = QuorumRecord(BASE, b"\x44" * 32, b"\x55" * 32, tuple(KEYS[:MEMBERS]), quorum_threshold(MEMBERS))


def _entry(j: int) -> MasternodeEntry:
    outpoint = OutPoint(j.to_bytes(32, "big"), 0)
    key = KEYS[j % len(KEYS)]
    return MasternodeEntry(
        outpoint,
        key,
        bytes(32),
        b"\x51",
        j.to_bytes(16, "big"),
        9999,
        MasternodeStatus.ACTIVE,
        0,
        0,
        None,
        None,
    )


LIST = MasternodeList({e.collateral: e for e in (_entry(j) for j in range(MASTERNODES))})
TARGET_J = next(  # POSE-11: a target member 1 challenges
    j
    for j in range(MEMBERS + 3, MASTERNODES)
    if 1 in challengers(BASE, OutPoint(j.to_bytes(32, "big"), 0), MEMBERS, PRESET)
)
TARGET = OutPoint(TARGET_J.to_bytes(32, "big"), 0)
TARGET_SECRET = SECRETS[TARGET_J % len(KEYS)]
CHALLENGE = make_challenge(SECRETS[0], BASE, 1, TARGET, b"\x77" * 32)
RESPONSE = make_response(TARGET_SECRET, CHALLENGE)
FIRST, DEADLINE = challenge_window(BASE, PRESET)
CHALLENGE_BYTES = encode_challenge(CHALLENGE)
RESPONSE_BYTES = encode_response(RESPONSE)


def test_bench_pose_challenge_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare BLS verification of the challenge digest."""
    digest = challenge_digest(CHALLENGE)
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.verify(KEYS[0], digest, CHALLENGE.signature))


def test_bench_pose_challenge(benchmark: BenchmarkFixture) -> None:
    """Decode and POSE-5 of one challenge against a 5,000-masternode list."""
    benchmark.extra_info["floor"] = "test_bench_pose_challenge_floor"

    def receive() -> int:
        challenge = decode_challenge(CHALLENGE_BYTES)
        check_challenge(RECORD, LIST, challenge, FIRST, PRESET)
        return challenge.challenger

    with bls.use_backend("arkworks"):
        assert benchmark(receive) == 1


def test_bench_pose_response_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare BLS verification of the response message."""
    message = response_message(RESPONSE.challenge)
    key = LIST.entries[TARGET].operator_public_key
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.verify(key, message, RESPONSE.signature))


def test_bench_pose_response(benchmark: BenchmarkFixture) -> None:
    """Decode and POSE-6 of one response (digest, target key, signature, deadline)."""
    benchmark.extra_info["floor"] = "test_bench_pose_response_floor"

    def receive() -> bytes:
        response = decode_response(RESPONSE_BYTES)
        check_response(LIST, CHALLENGE, response)
        check_response_in_time(CHALLENGE.quorum_height, DEADLINE - 1, PRESET)
        return response.challenge

    with bls.use_backend("arkworks"):
        assert benchmark(receive) == RESPONSE.challenge


def test_a_forged_response_fails_in_the_benchmark_setup() -> None:
    """The benchmarked inputs are real: a response signed by another key is refused."""
    forged = replace(RESPONSE, signature=make_response(SECRETS[1], CHALLENGE).signature)
    try:
        check_response(LIST, CHALLENGE, forged)
    except Exception as exc:
        assert getattr(exc, "code", None) == "POSE_BAD_RESPONSE_SIGNATURE"
    else:
        raise AssertionError("a forged response was accepted")


SHARE_BASE = finality_quorum_height(share_window(BASE, PRESET)[0], PRESET)
assert SHARE_BASE is not None
SHARE_MEMBERS = (*KEYS, *(j.to_bytes(48, "big") for j in range(1, 11)))
SHARE_RECORD = QuorumRecord(
    SHARE_BASE, b"\x66" * 32, b"\x77" * 32, SHARE_MEMBERS, quorum_threshold(50), b"\x01" * 48
)
SHARE_OBSERVED = [
    HeightShares(h, SHARE_RECORD, frozenset(range(1, 50))) for h in range(*share_window(BASE, PRESET)[:2])
]


def test_bench_share_verdict(benchmark: BenchmarkFixture) -> None:
    """POSE-9/10: one member's verdict over a mainnet window (30 heights, n = 50) and 5,000 entries."""
    benchmark.extra_info["floor"] = "test_bench_pose_challenge_floor"
    penalised = benchmark(lambda: share_failures(LIST, SHARE_OBSERVED, BASE, PRESET))
    assert penalised == ()  # member 50's key is no masternode of the list: counted, not penalised
    missed = missed_shares(SHARE_OBSERVED, BASE, PRESET)
    assert missed[SHARE_MEMBERS[-1]] == PRESET.masternodes.finality_share_window
