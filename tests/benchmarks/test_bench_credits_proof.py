"""Benchmark of the wrong-credits proof (SC-DSP-21, spec/sidechain/accumulator.py) against its floor.

Run with ``pytest tests/benchmarks/test_bench_credits_proof.py --benchmark-enable``; CI runs each
once with ``--benchmark-disable`` as a correctness check.

* ``test_bench_credits_proof`` decodes and checks a proof over a cursor range of 256 deposits (a
  federation left one out): the header hash, the 256-step accumulator fold from the parent's mark
  to the checkpoint's and the credits root of the listed inputs;
* its floor ``test_bench_credits_proof_floor_bare_blake3`` is the bare BLAKE3 library call
  (``blake3.blake3(data).digest()``) over the same preimages: the encoded header, every
  accumulator step's ``acc || credit``, every Merkle leaf's encoded credit and every inner node's
  two children (docs/disputes.md#benchmarks reads the ratio).
"""

from __future__ import annotations

from dataclasses import replace

import blake3
from pytest_benchmark.fixture import BenchmarkFixture

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from spec.encoding import encode
from spec.presets import MAINNET
from spec.sidechain.accumulator import (
    EMPTY_ACCUMULATOR,
    CreditsProof,
    check_credits_proof,
    compute_input_accumulator,
    decode_credits_proof,
    encode_credits_proof,
)
from spec.sidechain.header import (
    BLOCK_CREDIT_CODEC,
    BlockCredit,
    compute_credits_root,
    compute_header_hash,
    encode_sidechain_header,
)
from spec.sidechain.registry import CheckpointRecord, get_sidechain, with_record
from spec.sidechain.state import apply_block_to_sidechains

SPEC = gc.SPEC_G
INPUT_COUNT = 256
DEPOSIT_AT = 11
POSTED_AT = 20
INPUTS = tuple(BlockCredit(bytes([i % 251]) * 32, 1_000 + i) for i in range(INPUT_COUNT))


def _setup() -> tuple[object, bytes]:
    state = gc.initial(SPEC)
    outputs = [sb.deposit_output(SPEC.sidechain_id, c.amount, c.recipient) for c in INPUTS]
    transactions = sb.block(DEPOSIT_AT, *(outputs[i : i + 128] for i in range(0, INPUT_COUNT, 128)))
    state = apply_block_to_sidechains(state, transactions, DEPOSIT_AT, sb.keys(), MAINNET).state
    head = replace(sb.header(SPEC, 0, bytes(32), DEPOSIT_AT), credits_root=compute_credits_root(INPUTS[1:]))
    record = get_sidechain(state, SPEC.sidechain_id)
    checkpoint = CheckpointRecord(0, compute_header_hash(head), DEPOSIT_AT, head.outbox_root, POSTED_AT)
    state = with_record(state, replace(record, checkpoints=(checkpoint,)))
    return state, encode_credits_proof(CreditsProof(head, INPUTS), MAINNET)


STATE, PROOF = _setup()


def _check() -> int:
    return check_credits_proof(STATE, decode_credits_proof(PROOF, MAINNET), POSTED_AT)  # type: ignore[arg-type]


def _preimages() -> list[bytes]:
    proof = decode_credits_proof(PROOF, MAINNET)
    out = [encode_sidechain_header(proof.header)]
    acc = EMPTY_ACCUMULATOR
    for credit in INPUTS:
        out.append(acc + encode(BLOCK_CREDIT_CODEC, credit))
        acc = compute_input_accumulator(acc, (credit,))
    out.extend(encode(BLOCK_CREDIT_CODEC, credit) for credit in INPUTS)
    out.extend(bytes([i % 256]) * 64 for i in range(INPUT_COUNT - 1))
    return out


PREIMAGES = _preimages()


def _bare() -> int:
    for data in PREIMAGES:
        blake3.blake3(data).digest()
    return len(PREIMAGES)


def test_bench_credits_proof(benchmark: BenchmarkFixture) -> None:
    """SC-DSP-21 over a 256-deposit range whose checkpoint left one out: checkpoint 0 reverted."""
    assert benchmark(_check) == 0


def test_bench_credits_proof_floor_bare_blake3(benchmark: BenchmarkFixture) -> None:
    """The floor: the bare BLAKE3 call over every preimage the proof check hashes."""
    assert benchmark(_bare) == 1 + 3 * INPUT_COUNT - 1
