"""Benchmarks of slashing evidence validation (arkworks backend), against the bare BLS floor.

* **Double signing** (SLASH-1/2) for a mainnet-shaped finality quorum (n = 50): recognise and decode
  the evidence output (MN-0 kind 4), the checks in order (record, blocks, member, term), the
  Merkle proof of the key share to the committed root (6 hashes), the culprit lookup over the
  50-entry list, the two share verifications. Floor: the two bare ``bls.verify`` calls.
* **DKG equivocation** (SLASH-1/2) of a mainnet contribution (n = 50, t = 34, about 3.3 kB each,
  split over 13 pushes): decode both, two DKG-3 digests, slot and session checks, culprit lookup,
  the two operator-key verifications. Floor: the two bare ``bls.verify`` calls of the digests.

Floors are reported with ``benchmark.extra_info["floor"]`` (tests/benchmarks/conftest.py). The key
shares come from a seeded Shamir polynomial (THRESHOLD-4), not from a 50-member DKG.
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from spec.chain.forkchoice import finality_message
from spec.crypto import bls, threshold
from spec.ledger.transaction import OutPoint
from spec.masternode import dkg
from spec.masternode.evidence import (
    ContributionPrefixEvidence,
    DkgEquivocationEvidence,
    DoubleSignEvidence,
    signed_prefix,
)
from spec.masternode.finality import QuorumRecord, QuorumRegistry, finality_term, key_shares_root
from spec.masternode.quorum import quorum_threshold
from spec.masternode.registry import (
    MasternodeEntry,
    MasternodeList,
    MasternodeStatus,
    match_message,
    message_script,
)
from spec.masternode.signing import sign_finality_share
from spec.masternode.slashing import check_evidence
from spec.merkle import inclusion_proof
from spec.presets import MAINNET

PRESET = MAINNET
MEMBERS = PRESET.masternodes.finality_quorum_size
THRESHOLD = quorum_threshold(MEMBERS)
BASE = PRESET.masternodes.finality_quorum_interval
HEIGHT = finality_term(BASE, PRESET)[0]
MEMBER = 17
OPERATOR_SECRETS = [bls.key_gen(bytes([j]) * 32) for j in range(1, MEMBERS + 1)]
OPERATOR_KEYS = tuple(bls.sk_to_pk(sk) for sk in OPERATOR_SECRETS)
COEFFICIENTS = threshold.coefficients_from_seed(b"benchmark slashing quorum", THRESHOLD)
SECRET_SHARES = threshold.generate_shares(COEFFICIENTS, range(1, MEMBERS + 1))
KEY_SHARES = [bls.sk_to_pk(share.value) for share in SECRET_SHARES]
SESSION = dkg.start_session(list(OPERATOR_KEYS), THRESHOLD, b"\x33" * 32, BASE, PRESET)
RECORD = QuorumRecord(
    BASE,
    b"\x33" * 32,
    SESSION.session_id,
    OPERATOR_KEYS,
    THRESHOLD,
    threshold.group_public_key(COEFFICIENTS),
    BASE + 20,
    key_shares_root(KEY_SHARES),
)
REGISTRY = QuorumRegistry({BASE: RECORD})
LIST = MasternodeList(
    {
        OutPoint(bytes([j]) * 32, 0): MasternodeEntry(
            OutPoint(bytes([j]) * 32, 0),
            key,
            bytes(32),
            b"\x51",
            bytes([j]) * 16,
            9999,
            MasternodeStatus.ACTIVE,
            0,
            0,
            None,
            None,
        )
        for j, key in enumerate(OPERATOR_KEYS, start=1)
    }
)
BLOCKS = (b"\xaa" * 32, b"\xbb" * 32)
SHARES = [sign_finality_share(SESSION.session_id, SECRET_SHARES[MEMBER - 1], HEIGHT, b) for b in BLOCKS]
DOUBLE = DoubleSignEvidence(
    BASE,
    MEMBER,
    KEY_SHARES[MEMBER - 1],
    inclusion_proof(KEY_SHARES, MEMBER - 1),
    HEIGHT,
    BLOCKS[0],
    SHARES[0].signature,
    BLOCKS[1],
    SHARES[1].signature,
)
DOUBLE_SCRIPT = message_script(DOUBLE, PRESET)
# Two justifications of one dealer for one complaint, revealing different ephemeral keys (DKG-7/12).
# Two equivocating mainnet *contributions* do not fit one output as tag 2 since DKG-11 (50
# ciphertexts of 96 bytes each: about 13.2 kB against max_script_bytes = 10,000); tag 4 carries
# their HASH-2 prefix proofs instead (benchmarked below; docs/governance.md).
CONTRIBUTIONS = [
    dkg.make_justification(SESSION, MEMBER, 1, f"dealer {v}".encode(), OPERATOR_SECRETS[MEMBER - 1])
    for v in (0, 1)
]
EQUIVOCATION = DkgEquivocationEvidence(BASE, CONTRIBUTIONS[0], CONTRIBUTIONS[1])
EQUIVOCATION_SCRIPT = message_script(EQUIVOCATION, PRESET)


def _validate(script: bytes) -> MasternodeEntry:
    evidence = match_message(script, PRESET)
    assert isinstance(evidence, DoubleSignEvidence | DkgEquivocationEvidence | ContributionPrefixEvidence)
    return check_evidence(REGISTRY, LIST, evidence, PRESET)


def test_bench_double_sign_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: the two bare BLS verifications of the shares under the key share."""
    key = KEY_SHARES[MEMBER - 1]
    messages = [finality_message(HEIGHT, b) for b in BLOCKS]

    def verify_both() -> bool:
        return all(bls.verify(key, m, s.signature) for m, s in zip(messages, SHARES, strict=True))

    with bls.use_backend("arkworks"):
        assert benchmark(verify_both)


def test_bench_double_sign(benchmark: BenchmarkFixture) -> None:
    """MN-0 decode and SLASH-2/3 of double-signing evidence against a 50-member quorum."""
    benchmark.extra_info["floor"] = "test_bench_double_sign_floor"
    benchmark.extra_info["script_bytes"] = len(DOUBLE_SCRIPT)
    with bls.use_backend("arkworks"):
        entry = benchmark(lambda: _validate(DOUBLE_SCRIPT))
    assert entry.operator_public_key == OPERATOR_KEYS[MEMBER - 1]


def test_bench_dkg_equivocation_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: the two bare BLS verifications of the justifications' DKG-3 digests."""
    key = OPERATOR_KEYS[MEMBER - 1]
    digests = [dkg.message_digest(c) for c in CONTRIBUTIONS]

    def verify_both() -> bool:
        return all(bls.verify(key, d, c.signature) for d, c in zip(digests, CONTRIBUTIONS, strict=True))

    with bls.use_backend("arkworks"):
        assert benchmark(verify_both)


def test_bench_dkg_equivocation(benchmark: BenchmarkFixture) -> None:
    """MN-0 decode and SLASH-2/3 of two equivocating justifications in a mainnet quorum."""
    benchmark.extra_info["floor"] = "test_bench_dkg_equivocation_floor"
    benchmark.extra_info["script_bytes"] = len(EQUIVOCATION_SCRIPT)
    with bls.use_backend("arkworks"):
        entry = benchmark(lambda: _validate(EQUIVOCATION_SCRIPT))
    assert entry.operator_public_key == OPERATOR_KEYS[MEMBER - 1]


def _mainnet_contribution(variant: int) -> dkg.Contribution:
    unsigned = dkg.Contribution(
        SESSION.session_id,
        MEMBER,
        tuple(bls.sk_to_pk(bls.key_gen(bytes([variant, k]) * 16)) for k in range(THRESHOLD)),
        tuple(bytes([variant, j]) * 48 for j in range(MEMBERS)),
        bytes(96),
    )
    return dkg.sign_message(unsigned, OPERATOR_SECRETS[MEMBER - 1])


MAINNET_CONTRIBUTIONS = [_mainnet_contribution(v) for v in (1, 2)]
PREFIX_EVIDENCE = ContributionPrefixEvidence(
    BASE, signed_prefix(MAINNET_CONTRIBUTIONS[0]), signed_prefix(MAINNET_CONTRIBUTIONS[1])
)
PREFIX_SCRIPT = message_script(PREFIX_EVIDENCE, PRESET)


def test_bench_contribution_prefix_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: the two bare BLS verifications of the contributions' DKG-3 digests."""
    key = OPERATOR_KEYS[MEMBER - 1]
    digests = [dkg.message_digest(c) for c in MAINNET_CONTRIBUTIONS]

    def verify_both() -> bool:
        return all(
            bls.verify(key, d, c.signature) for d, c in zip(digests, MAINNET_CONTRIBUTIONS, strict=True)
        )

    with bls.use_backend("arkworks"):
        assert benchmark(verify_both)


def test_bench_contribution_prefix(benchmark: BenchmarkFixture) -> None:
    """MN-0 decode and SLASH-2 tag 4 of two 50-member mainnet contributions: the HASH-2 digest
    recomputation (pure-Python BLAKE3 over two first chunks and their siblings) and the checks."""
    benchmark.extra_info["floor"] = "test_bench_contribution_prefix_floor"
    benchmark.extra_info["script_bytes"] = len(PREFIX_SCRIPT)
    assert len(PREFIX_SCRIPT) <= PRESET.script.max_script_bytes
    with bls.use_backend("arkworks"):
        entry = benchmark(lambda: _validate(PREFIX_SCRIPT))
    assert entry.operator_public_key == OPERATOR_KEYS[MEMBER - 1]
