"""Checkpoint validation on the mainchain (SC-TX-0, SC-CP-0..6) against its floor: one BLS verification.

The hot path is what a mainchain node does with a checkpoint output: recognise and decode the
message from its output script (SC-TX-0), then validate it against the sidechain's record and the
federation key and record it (:func:`spec.sidechain.checkpoint.apply_checkpoint`: height, parent,
cursor, signature, acknowledgements). The floor is one bare ``bls.verify`` of the same signature
over the same message under the same key (arkworks backend), the one pairing check a checkpoint
cannot avoid. The printed ratio is what the SC-CP rules add on top of it.
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from conformance import sidechainbuilder as sb
from spec.crypto import bls
from spec.presets import DEVNET
from spec.sidechain.checkpoint import apply_checkpoint
from spec.sidechain.header import Checkpoint, compute_checkpoint_message
from spec.sidechain.registry import SidechainsState
from spec.sidechain.transactions import match_sidechain_message

OUTBOX = [sb.withdrawal(400 + i) for i in range(64)]
CHECKPOINT = sb.genesis_checkpoint(sb.SPEC_A, 12, OUTBOX)
SCRIPT = sb.message_output(CHECKPOINT).script_pubkey
STATE = sb.initial()
KEYS = sb.keys()
KEY = KEYS[sb.SPEC_A.federation]
MESSAGE = compute_checkpoint_message(CHECKPOINT.header)


def _validate(script: bytes) -> SidechainsState:
    message = match_sidechain_message(script, DEVNET)
    assert isinstance(message, Checkpoint)
    return apply_checkpoint(STATE, message, KEYS, 14)


def test_bench_checkpoint_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare BLS verification of the checkpoint's signature."""
    with bls.use_backend("arkworks"):
        assert benchmark(lambda: bls.verify(KEY, MESSAGE, CHECKPOINT.signature))


def test_bench_checkpoint_validation(benchmark: BenchmarkFixture) -> None:
    """Decode the output, validate and record the checkpoint (SC-TX-0, SC-CP-0..6)."""
    benchmark.extra_info["floor"] = "test_bench_checkpoint_floor"
    with bls.use_backend("arkworks"):
        after = benchmark(lambda: _validate(SCRIPT))
    assert len(after.chains[sb.CHAIN_A].checkpoints) == 1
