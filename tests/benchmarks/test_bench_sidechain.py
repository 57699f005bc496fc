"""Checkpoint validation on the mainchain (SC-TX-0, SC-CP-0..6) against its floor: one BLS verification.

The hot path is what a mainchain node does with a checkpoint output: recognise and decode the
message from its output script (SC-TX-0), then validate it against the sidechain's record and the
federation key and record it (:func:`spec.sidechain.checkpoint.apply_checkpoint`: height, parent,
cursor, signature, acknowledgements). The floor is one bare ``bls.verify`` of the same signature
over the same message under the same key (arkworks backend), the one pairing check a checkpoint
cannot avoid. The printed ratio is what the SC-CP rules add on top of it.

``test_bench_ack_sweep`` is SC-MSG-3's per-block sweep of held acknowledgements (SC-BLK-4) over
1,000 pending messages; its floor is one bare ``bisect_left`` per message over the cursors.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace

from pytest_benchmark.fixture import BenchmarkFixture

from conformance import sidechainbuilder as sb
from spec.crypto import bls
from spec.presets import DEVNET
from spec.sidechain.checkpoint import apply_checkpoint, check_cursor_after_refunds
from spec.sidechain.header import Checkpoint, VoidedInput, compute_checkpoint_message
from spec.sidechain.messages import settle_acknowledgements
from spec.sidechain.registry import CheckpointRecord, PendingMessage, SidechainsState, with_record
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
    return apply_checkpoint(STATE, message, KEYS, 14, DEVNET)


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


# SC-MSG-3: the per-block sweep of held acknowledgements (SC-BLK-4) over 1,000 pending messages to
# a sidechain with 64 checkpoints (cursor 10 * i, posted at 100 + i); at height 150 the first 11
# checkpoints are settled (challenge period 40), so the messages they acknowledge leave the set.
PENDING_COUNT = 1_000
_B = sb.initial().chains[sb.CHAIN_B]
_RECORDS = tuple(CheckpointRecord(i, bytes(32), 10 * i, bytes(32), 100 + i) for i in range(64))
_SPEC_B = replace(_B.spec, challenge_period=40)
SWEEP_STATE = replace(
    with_record(sb.initial(), replace(_B, spec=_SPEC_B, checkpoints=_RECORDS)),
    pending_messages={
        (sb.CHAIN_A, 0, i): PendingMessage((sb.CHAIN_A, 0, i), sb.CHAIN_B, 1, i % 700, b"", 0)
        for i in range(PENDING_COUNT)
    },
)
CURSORS = [record.deposit_cursor for record in _RECORDS]


def test_bench_ack_sweep_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare ``bisect.bisect_left`` over the cursors per pending message (the lookup of
    the acknowledging checkpoint the sweep cannot avoid)."""
    heights = [message.relay_height for message in SWEEP_STATE.pending_messages.values()]
    found = benchmark(lambda: [bisect_left(CURSORS, height) for height in heights])
    assert len(found) == PENDING_COUNT


def test_bench_ack_sweep(benchmark: BenchmarkFixture) -> None:
    """SC-MSG-3 / SC-BLK-4: ``settle_acknowledgements`` at height 150 over the 1,000 messages."""
    benchmark.extra_info["floor"] = "test_bench_ack_sweep_floor"
    after = benchmark(lambda: settle_acknowledgements(SWEEP_STATE, 150))
    # checkpoints 0..10 (posted at 100..110, cursors 0..100) are settled: messages relayed at
    # heights 0..100 leave the set
    kept = {key for key, message in SWEEP_STATE.pending_messages.items() if message.relay_height > 100}
    assert set(after.pending_messages) == kept


# SC-CP-7: a checkpoint's cursor checked against 1,000 voided slots (refunded messages relayed at
# heights 0..999, each refunded 4 heights later); the cursor 5,000 is after every refund.
VOIDS = tuple(VoidedInput(i, 0, i + 4) for i in range(1_000))
VOIDED_B = replace(_B, voids=VOIDS)


def test_bench_cursor_after_refunds_floor(benchmark: BenchmarkFixture) -> None:
    """Floor: one bare chained comparison ``relay <= cursor < refund`` per voided slot."""
    pairs = [(void.relay_height, void.refund_height) for void in VOIDS]
    hits = benchmark(lambda: [relay <= 5_000 < refund for relay, refund in pairs])
    assert not any(hits)


def test_bench_cursor_after_refunds(benchmark: BenchmarkFixture) -> None:
    """SC-CP-7: ``check_cursor_after_refunds`` over the 1,000 voided slots (accepted)."""
    benchmark.extra_info["floor"] = "test_bench_cursor_after_refunds_floor"
    assert benchmark(lambda: check_cursor_after_refunds(VOIDED_B, 5_000)) is None
