"""Benchmarks of the equivocation and escrow-overdraw proofs (SC-DSP-8/9/23,
spec/sidechain/proofs.py) against their floors.

Run with ``pytest tests/benchmarks/test_bench_fraud_proofs.py --benchmark-enable``; CI runs each
once with ``--benchmark-disable`` as a correctness check.

* ``test_bench_equivocation_proof`` decodes and checks an equivocation proof against the chain of
  :mod:`conformance.fraudchain`: both header hashes and two BLS verifications under the federation
  key at the checkpoint's posting; its floor ``test_bench_equivocation_floor_bare_bls_verify`` is
  the two BLS verifications straight on py-arkworks-bls12381 (checked decodes, hash-to-curve, one
  pairing check each);
* ``test_bench_overdraw_proof`` decodes and checks an overdraw proof (the outbox entry's leaf, its
  one-sibling Merkle fold to the recorded root, the escrow comparison); its floor
  ``test_bench_overdraw_floor_bare_blake3`` is the bare BLAKE3 call over the same preimages (the
  leaf and the inner node's two children).

docs/disputes.md#benchmarks reads the ratios.
"""

from __future__ import annotations

import blake3
from pytest_benchmark.fixture import BenchmarkFixture

from conformance import fraudchain as fc
from conformance import sidechainbuilder as sb
from spec.encoding import encode
from spec.presets import MAINNET
from spec.sidechain.header import compute_checkpoint_message
from spec.sidechain.proofs import (
    check_equivocation_in_chain,
    check_overdraw_in_chain,
    decode_equivocation_proof,
    decode_overdraw_proof,
    encode_equivocation_proof,
    encode_overdraw_proof,
)
from spec.vm.interface import OUTBOX_ENTRY_CODEC
from tests.benchmarks.test_bench_dispute import bare_bls_verify

HONEST = fc.chain(MAINNET)
FRAUD = fc.chain(MAINNET, fc.ESCROW + 1)
EQUIVOCATION = encode_equivocation_proof(fc.equivocation(HONEST.checkpoint_1), MAINNET)
OVERDRAW = encode_overdraw_proof(fc.overdraw(FRAUD), MAINNET)
KEY = sb.federation_public(fc.SPEC.federation)


def _keys_at(_height: int) -> dict[int, bytes]:
    return {fc.SPEC.federation: KEY}


def _equivocation() -> int:
    return check_equivocation_in_chain(
        HONEST.state, decode_equivocation_proof(EQUIVOCATION, MAINNET), fc.PROOF_AT, _keys_at
    )


def _bare_verifies() -> int:
    proof = decode_equivocation_proof(EQUIVOCATION, MAINNET)
    verified = 0
    for checkpoint in (proof.first, proof.second):
        message = compute_checkpoint_message(checkpoint.header)
        verified += bare_bls_verify(KEY, message, checkpoint.signature)
    return verified


def _overdraw() -> int:
    return check_overdraw_in_chain(FRAUD.state, decode_overdraw_proof(OVERDRAW, MAINNET), fc.PROOF_AT)


LEAF = encode(OUTBOX_ENTRY_CODEC, FRAUD.outbox[0])
PREIMAGES = [LEAF, bytes(64)]


def _bare_hashes() -> int:
    for data in PREIMAGES:
        blake3.blake3(data).digest()
    return len(PREIMAGES)


def test_bench_equivocation_proof(benchmark: BenchmarkFixture) -> None:
    """SC-DSP-8: checkpoint 1 and a forged header at its height: height 1 reverted."""
    assert benchmark(_equivocation) == 1


def test_bench_equivocation_floor_bare_bls_verify(benchmark: BenchmarkFixture) -> None:
    """The floor: the two BLS verifications straight on the library."""
    assert benchmark(_bare_verifies) == 2


def test_bench_overdraw_proof(benchmark: BenchmarkFixture) -> None:
    """SC-DSP-9: a withdrawal one atom above the escrow: checkpoint 1 reverted."""
    assert benchmark(_overdraw) == 1


def test_bench_overdraw_floor_bare_blake3(benchmark: BenchmarkFixture) -> None:
    """The floor: the bare BLAKE3 call over the leaf and the Merkle fold's inner node."""
    assert benchmark(_bare_hashes) == 2
