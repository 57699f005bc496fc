"""Benchmarks of the finality hot paths (arkworks backend), each against the floor it stands on.

* **Checking a certificate** as a node does on receipt (FIN-4): decode the 136 bytes, find the
  quorum in charge of the height (FIN-2), verify under its group key (FORK-3). Floor: one bare
  ``bls.verify`` of the same signature.
* **Collecting a certificate** as an aggregator does for a mainnet finality quorum (n = 50,
  t = 34): open the signing session, add ``t`` signature shares (each verified under its member's
  public key share, SIGN-2), recover the signature (SIGN-3/4). Floor: ``t`` bare ``bls.verify`` of
  the shares.
* **Checking a quorum commitment** as a block validator does (FIN-5/6) for a mainnet-shaped quorum
  (n = 50, t = 34 signers): read the transaction's outputs (MN-0 kind 3 decode), the checks in
  order, KeyValidate of the group key, FastAggregateVerify under the 34 operator keys, the new
  record. Floor: one bare ``bls.fast_aggregate_verify`` of the same keys, message and signature.

Floors are reported with ``benchmark.extra_info["floor"]`` (see ``tests/benchmarks/conftest.py``).
The key shares come from a seeded Shamir polynomial (THRESHOLD-4), not from a 50-member DKG: the
signing path is the same and the setup stays cheap.
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from conformance.generators.masternode import finality_certificate, finality_quorum
from spec.chain.forkchoice import (
    FinalityCertificate,
    decode_finality_certificate,
    encode_finality_certificate,
    finality_message,
    verify_finality_certificate,
)
from spec.crypto import bls, threshold
from spec.crypto.threshold import Share
from spec.ledger.transaction import SEQUENCE_FINAL, OutPoint, Transaction, TxInput, TxOutput
from spec.masternode import signing
from spec.masternode.finality import (
    QuorumRecord,
    QuorumRegistry,
    apply_transaction_to_quorums,
    build_commitment,
    commitment_hash,
    commitment_signature,
    commitment_window,
    dkg_length,
    finality_quorum_height,
    key_shares_root,
)
from spec.masternode.quorum import quorum_threshold
from spec.masternode.registry import message_script
from spec.presets import DEVNET, MAINNET

HEIGHT = dkg_length(DEVNET) + 3
QUORUM_KEYS = {0: finality_quorum(0, DEVNET).group_public_key}
CERTIFICATE = finality_certificate(0, HEIGHT, DEVNET)
RAW = encode_finality_certificate(CERTIFICATE)

MEMBERS = MAINNET.masternodes.finality_quorum_size
THRESHOLD = quorum_threshold(MEMBERS)
COEFFICIENTS = threshold.coefficients_from_seed(b"benchmark finality quorum", THRESHOLD)
SECRET_SHARES = threshold.generate_shares(COEFFICIENTS, range(1, MEMBERS + 1))
PUBLIC_SHARES = [Share(s.index, bls.sk_to_pk(s.value)) for s in SECRET_SHARES]
GROUP_KEY = threshold.group_public_key(COEFFICIENTS)
QUORUM_ID = b"\x07" * 32
BLOCK = b"\x42" * 32
SHARES = [signing.sign_finality_share(QUORUM_ID, s, HEIGHT, BLOCK) for s in SECRET_SHARES[:THRESHOLD]]

BASE = MAINNET.masternodes.finality_quorum_interval
OPERATOR_SECRETS = [bls.key_gen(bytes([j]) * 32) for j in range(1, MEMBERS + 1)]
RECORD = QuorumRecord(BASE, BLOCK, QUORUM_ID, tuple(bls.sk_to_pk(sk) for sk in OPERATOR_SECRETS), THRESHOLD)
SHARES_ROOT = key_shares_root([share.value for share in PUBLIC_SHARES])
COMMITMENT = build_commitment(
    BASE,
    QUORUM_ID,
    GROUP_KEY,
    SHARES_ROOT,
    {
        j: commitment_signature(OPERATOR_SECRETS[j - 1], BASE, QUORUM_ID, GROUP_KEY, SHARES_ROOT)
        for j in range(1, THRESHOLD + 1)
    },
)
COMMITMENT_TX = Transaction(
    1,
    (TxInput(OutPoint(b"\x01" * 32, 0), b"", SEQUENCE_FINAL),),
    (TxOutput(0, message_script(COMMITMENT, MAINNET)),),
    0,
)


def _check(raw: bytes) -> FinalityCertificate | None:
    certificate = decode_finality_certificate(raw)
    base = finality_quorum_height(certificate.height, DEVNET)
    key = None if base is None else QUORUM_KEYS.get(base)
    if key is None or not verify_finality_certificate(certificate, key):
        return None
    return certificate


def test_bench_finality_check_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare BLS verification of the certificate's signature."""
    message = finality_message(CERTIFICATE.height, CERTIFICATE.block_hash)
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.verify(QUORUM_KEYS[0], message, CERTIFICATE.signature))


def test_bench_finality_check(benchmark: BenchmarkFixture) -> None:
    """Decode, schedule, verify: what a node does with a FinalityCertificate message."""
    benchmark.extra_info["floor"] = "test_bench_finality_check_floor"
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: _check(RAW)) == CERTIFICATE


def test_bench_finality_collect_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: t bare BLS verifications of the signature shares."""
    message = finality_message(HEIGHT, BLOCK)

    def verify_all() -> bool:
        return all(bls.verify(PUBLIC_SHARES[s.signer - 1].value, message, s.signature) for s in SHARES)

    with bls.use_backend("arkworks"):
        assert benchmark(verify_all)


def test_bench_finality_collect(benchmark: BenchmarkFixture) -> None:
    """SIGN-1..4 for a mainnet finality quorum: t verified shares, then the recovered certificate."""
    benchmark.extra_info["floor"] = "test_bench_finality_collect_floor"
    benchmark.extra_info["threshold"] = THRESHOLD

    def collect() -> FinalityCertificate:
        session = signing.finality_session(QUORUM_ID, PUBLIC_SHARES, THRESHOLD, HEIGHT, BLOCK)
        for share in SHARES:
            session = signing.add_signature_share(session, share)
        return signing.sign_block_finality(session, HEIGHT, BLOCK)

    with bls.use_backend("arkworks"):
        certificate = benchmark(collect)
    assert verify_finality_certificate(certificate, GROUP_KEY)


def test_bench_commitment_check_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare FastAggregateVerify of the t signers' operator keys."""
    keys = list(RECORD.members[:THRESHOLD])
    message = commitment_hash(BASE, QUORUM_ID, GROUP_KEY, SHARES_ROOT)
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.fast_aggregate_verify(keys, message, COMMITMENT.signature))


def test_bench_commitment_check(benchmark: BenchmarkFixture) -> None:
    """FIN-5/6 on a transaction carrying a mainnet-shaped commitment (t = 34 signers)."""
    benchmark.extra_info["floor"] = "test_bench_commitment_check_floor"
    benchmark.extra_info["signers"] = THRESHOLD
    registry = QuorumRegistry({BASE: RECORD})
    height = commitment_window(BASE, MAINNET)[0]
    with bls.use_backend("arkworks"):
        after = benchmark(lambda: apply_transaction_to_quorums(registry, COMMITMENT_TX, height, MAINNET))
    assert after.records[BASE].group_public_key == GROUP_KEY
