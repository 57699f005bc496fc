"""The refund/re-credit rules (issue 16): SC-MSG-5 voids a refunded message's slot on its destination,
SCB-2 / SC-HDR-6 leave it out, SC-CP-7 rejects a checkpoint taking it before its refund, SC-DSP-21
treats it as "must not be credited".

The safety property, over random mainchain schedules of deposits, relays, refunds, destination
checkpoints at any cursor and reverts (a game lost, inside its window, SC-DSP-11/12): a message is
credited on its destination (by the honest blocks of the standing checkpoints, SCB-2 with the
mainchain's voided slots) or refunded to its source, never both, and at most once; and the
destination's escrow always backs what its standing checkpoints credited (no withdrawals are drawn:
the escrow equals the credited amount plus the relayed messages no standing checkpoint has reached).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Protocol, TypeVar

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conformance import sidechainbuilder as sb
from spec.errors import CheckpointCursorBeforeRefund, SpecError
from spec.ledger.transaction import TxOutput
from spec.sidechain.accumulator import CreditsProof, check_credits_proof, input_credits
from spec.sidechain.chain import MainchainInputs, select_inputs
from spec.sidechain.header import (
    Checkpoint,
    Deposit,
    InboundMessage,
    VoidedInput,
    compute_credits_root,
    get_cursor_after_refunds,
    is_cursor_before_refund,
)
from spec.sidechain.items import sidechain_items, sidechains_from_items
from spec.sidechain.registry import SidechainsState
from spec.sidechain.settlement import check_dispute_window, revert_checkpoints
from spec.sidechain.state import apply_block_to_sidechains
from tests.hypothesis_profiles import examples

PRESET = sb.PRESET
B = sb.CHAIN_B
OUTBOX_A = (sb.message(B, 250), sb.message(B, 100), sb.message(B, 40))
CHECKPOINT_A = sb.genesis_checkpoint(sb.SPEC_A, 12, OUTBOX_A)
START = 15
"""The first height of a schedule: A's checkpoint 0 (posted at 14) matures at 17."""


@dataclass
class Run:
    """A schedule's mainchain state and everything the blocks handed B."""

    state: SidechainsState
    deposits: list[Deposit] = field(default_factory=list)
    messages: list[InboundMessage] = field(default_factory=list)
    bounced: set[tuple[int, int, int]] = field(default_factory=set)
    voids: set[VoidedInput] = field(default_factory=set)
    """Every slot B's record ever voided (SC-DSP-24 prunes the record's below its settled cursor;
    the honest blocks below it still left them out)."""
    codes: list[str] = field(default_factory=list)
    """Each block's outcome: ``ok`` or its code (the decisions the pruning property compares)."""

    def apply(self, height: int, *transactions: Sequence[TxOutput]) -> bool:
        try:
            result = apply_block_to_sidechains(
                self.state, sb.block(height, *transactions), height, sb.keys(), PRESET
            )
        except SpecError as error:
            self.codes.append(error.code)
            return False
        self.codes.append("ok")
        self.state = result.state
        if B in self.state.chains:
            self.voids |= set(self.state.chains[B].voids)
        self.deposits += [d for d in result.deposits if d.sidechain_id == B]
        self.messages += [m for m in result.inbound if m.sidechain_id == B]
        self.bounced |= {
            (m.source_chain, m.source_height, m.source_index) for m in result.inbound if m.sidechain_id != B
        }
        return True


@cache
def _prefix() -> SidechainsState:
    run = Run(sb.initial())
    assert run.apply(12, [sb.deposit_output(sb.CHAIN_A, 1000)])
    assert run.apply(14, [sb.message_output(CHECKPOINT_A)])
    return run.state


def _b_checkpoint(state: SidechainsState, cursor: int) -> Checkpoint:
    record = state.chains[B]
    parent = record.checkpoints[-1].header_hash if record.checkpoints else bytes(32)
    head = sb.header(sb.SPEC_B, len(record.checkpoints), parent, cursor)
    return sb.sign(head, sb.SPEC_B.federation)


def _relay(index: int) -> TxOutput:
    return sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX_A, index))


def _credited(run: Run) -> list[Deposit | InboundMessage]:
    """SCB-2 of the honest blocks behind B's standing checkpoints (a voided slot left out)."""
    record = run.state.chains[B]
    voids = tuple(sorted(run.voids, key=lambda v: (v.relay_height, v.position)))
    inputs = MainchainInputs(10**9, 0, tuple(run.deposits), tuple(run.messages), voids)
    credited: list[Deposit | InboundMessage] = []
    parent = 0
    for checkpoint in record.checkpoints:
        credited += select_inputs(B, parent, checkpoint.deposit_cursor, inputs)
        parent = checkpoint.deposit_cursor
    return credited


def _check_safety(run: Run) -> None:
    credited = _credited(run)
    keys = [
        (m.source_chain, m.source_height, m.source_index) for m in credited if isinstance(m, InboundMessage)
    ]
    assert len(keys) == len(set(keys)), "a message credited twice"
    assert not set(keys) & run.bounced, f"credited and refunded: {set(keys) & run.bounced}"
    assert set(run.state.chains[B].voids) <= run.voids
    voided = {(v.relay_height, v.position) for v in run.voids}
    refunded = {
        (m.mainchain_height, m.position)
        for m in run.messages
        if (m.source_chain, m.source_height, m.source_index) in run.bounced
    }
    assert voided == refunded, "every refund voids its slot, and only a refund"
    record = run.state.chains[B]
    reached = record.checkpoints[-1].deposit_cursor if record.checkpoints else 0
    waiting = sum(d.amount for d in run.deposits if d.mainchain_height > reached) + sum(
        m.amount
        for m in run.messages
        if m.mainchain_height > reached
        and (m.source_chain, m.source_height, m.source_index) not in run.bounced
    )
    assert record.escrow == sum(item.amount for item in credited) + waiting, "B's escrow backs its credits"


REFUND = st.tuples(st.just("refund"), st.integers(0, 2))
CHECKPOINT = st.tuples(st.just("checkpoint"), st.integers(0, 8))
ACTIONS = st.one_of(
    st.tuples(st.just("relay"), st.integers(0, 2), st.booleans()),
    REFUND,
    REFUND,
    REFUND,
    CHECKPOINT,
    CHECKPOINT,
    st.tuples(st.just("revert"), st.integers(0, 3)),
    st.tuples(st.just("deposit"), st.integers(1, 60)),
    st.tuples(
        st.just("idle"),
    ),
)
"""Refunds and checkpoints weighted up: most refunds fail (not timed out, acknowledged, not relayed)."""
PREAMBLE = [(2, ("relay", 0, True)), (1, ("relay", 1, False))]
"""Messages 0 (after a deposit to B in its block, so B's slot 1) and 1 relayed at 17 and 18."""


class ScheduleRun(Protocol):
    """What :func:`schedule_step` needs of a schedule's run (this module's and test_pruning's)."""

    state: SidechainsState

    def apply(self, height: int, *transactions: Sequence[TxOutput]) -> bool: ...


R = TypeVar("R", bound=ScheduleRun)


def schedule_step(
    run: R, height: int, action: tuple[object, ...], checkpoint: Callable[[R, int, int], object]
) -> None:
    """One action of an :data:`ACTIONS` schedule in the block at ``height``: a revert of one of B's
    checkpoints (inside its window, else an empty block), a relay (after a deposit to B in its
    block, or not), a refund, a B checkpoint at a cursor ``action[1]`` below the tip minus the
    depth (``checkpoint(run, height, cursor)`` posts it), a deposit to B, or an empty block."""
    kind = action[0]
    if kind == "revert":
        record = run.state.chains[B]
        target = len(record.checkpoints) - 1 - int(action[1])  # type: ignore[call-overload]
        if target >= 0:
            try:
                check_dispute_window(run.state, B, target, height)
                run.state = revert_checkpoints(run.state, B, target)
            except SpecError:
                pass
        run.apply(height)
    elif kind == "relay":
        before = [[sb.deposit_output(B, 7)]] if action[2] else []
        run.apply(height, *before, [_relay(int(action[1]))])  # type: ignore[call-overload]
    elif kind == "refund":
        run.apply(height, [sb.refund_output(sb.CHAIN_A, 0, int(action[1]))])  # type: ignore[call-overload]
    elif kind == "checkpoint":
        checkpoint(run, height, height - sb.SPEC_B.peg_in_depth - int(action[1]))  # type: ignore[call-overload]
    elif kind == "deposit":
        run.apply(height, [sb.deposit_output(B, int(action[1]))])  # type: ignore[call-overload]
    else:
        run.apply(height)


def _post_checkpoint(run: Run, height: int, cursor: int) -> bool:
    """B's next checkpoint at ``cursor`` in the block at ``height`` (no credits committed)."""
    return run.apply(height, [sb.message_output(_b_checkpoint(run.state, cursor))])


@settings(max_examples=examples(150), deadline=None)
@given(st.booleans(), st.lists(st.tuples(st.integers(1, 4), ACTIONS), min_size=4, max_size=24))
def test_a_message_is_credited_on_its_destination_xor_refunded(
    preamble: bool, schedule: list[tuple[int, tuple[object, ...]]]
) -> None:
    """Issue 16's safety property over random schedules of relays (with a deposit to B before the
    relay in its block, or not), refunds, B checkpoints at any cursor up to the tip minus the depth,
    reverts of B's checkpoints (inside their window) and deposits, 1 to 4 mainchain heights apart
    (so timeouts pass); checked after every block."""
    run = Run(_prefix())
    height = START - 1
    for gap, action in [*(PREAMBLE if preamble else []), *schedule]:
        height += gap
        schedule_step(run, height, action, _post_checkpoint)
        _check_safety(run)
    record = run.state.chains[B]
    event(f"voids: {len(record.voids)}, checkpoints: {len(record.checkpoints)}")
    if (
        record.voids
        and record.checkpoints
        and record.checkpoints[-1].deposit_cursor >= record.voids[0].relay_height
    ):
        event("a standing checkpoint reaches a voided slot")
    assert sidechains_from_items(sidechain_items(run.state)) == run.state


def _refunded_then(cursor: int) -> Run:
    """A's message 0 relayed to B at 17 after a deposit to B (slot (17, 1)), refunded at 21, then
    B's first checkpoint with ``cursor`` at 23."""
    run = Run(_prefix())
    assert run.apply(17, [sb.deposit_output(B, 7)], [_relay(0)])
    assert run.apply(21, [sb.refund_output(sb.CHAIN_A, 0, 0)])
    assert run.state.chains[B].voids == (VoidedInput(17, 1, 21),)
    assert run.apply(23, [sb.message_output(_b_checkpoint(run.state, cursor))]) == (
        cursor < 17 or cursor >= 21
    )
    return run


def test_late_checkpoint_cannot_credit_a_refunded_message() -> None:
    """SC-CP-7: cursors 17..20 rejected; 16 and 21 accepted, and neither credits the message."""
    for cursor in (16, 17, 20, 21):
        run = _refunded_then(cursor)
        _check_safety(run)
    run = _refunded_then(21)
    assert [type(i).__name__ for i in _credited(run)] == ["Deposit"]


def test_without_sc_cp_7_the_message_is_credited_and_refunded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property is not vacuous: without SC-CP-7 a late checkpoint (cursor 17) is accepted and
    its honest block credits the message A already got back (the gap issue 16 describes)."""
    import spec.sidechain.checkpoint as checkpoint

    monkeypatch.setattr(checkpoint, "check_cursor_after_refunds", lambda record, cursor: None)
    run = Run(_prefix())
    assert run.apply(17, [sb.deposit_output(B, 7)], [_relay(0)])
    assert run.apply(21, [sb.refund_output(sb.CHAIN_A, 0, 0)])
    assert run.apply(23, [sb.message_output(_b_checkpoint(run.state, 17))])
    with pytest.raises(AssertionError, match="credited and refunded"):
        _check_safety(run)


def test_rejected_code() -> None:
    run = Run(_prefix())
    assert run.apply(17, [_relay(0)])
    assert run.apply(21, [sb.refund_output(sb.CHAIN_A, 0, 0)])
    with pytest.raises(CheckpointCursorBeforeRefund):
        apply_block_to_sidechains(
            run.state,
            sb.block(23, [sb.message_output(_b_checkpoint(run.state, 20))]),
            23,
            sb.keys(),
            PRESET,
        )


def test_credits_proof_treats_a_voided_slot_as_not_credited() -> None:
    """SC-DSP-21: over B's range (0, 21] the honest credits leave the refunded message out; a
    checkpoint crediting it is proven wrong, one leaving it out is not."""
    run = Run(_prefix())
    assert run.apply(17, [sb.deposit_output(B, 7)], [_relay(0)])
    assert run.apply(21, [sb.refund_output(sb.CHAIN_A, 0, 0)])
    inputs = input_credits([*run.deposits, *run.messages])
    for credits, fraud in ((inputs, True), (inputs[:1], False)):
        head = sb.header(sb.SPEC_B, 0, bytes(32), 21)
        head = replace(head, credits_root=compute_credits_root(credits))
        posted = Run(run.state)
        assert posted.apply(23, [sb.message_output(sb.sign(head, sb.SPEC_B.federation))])
        proof = CreditsProof(head, inputs)
        if fraud:
            assert check_credits_proof(posted.state, proof, 24) == 0
        else:
            with pytest.raises(SpecError, match="credits root is its cursor range's"):
                check_credits_proof(posted.state, proof, 24)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 3), st.integers(1, 12)).map(
            lambda t: VoidedInput(t[0], t[1], t[0] + t[2])
        ),
        max_size=5,
    ),
    st.integers(0, 60),
)
def test_cursor_after_refunds_is_the_highest_acceptable(voids: list[VoidedInput], cursor: int) -> None:
    """SC-HDR-6 / SC-CP-7: the producer's cursor is at most the one asked, no voided slot has it in
    ``[relay_height, refund_height)``, and every cursor above it (up to the one asked) is in one."""
    chosen = get_cursor_after_refunds(voids, cursor)

    def rejected(c: int) -> bool:
        return any(is_cursor_before_refund(v.relay_height, v.refund_height, c) for v in voids)

    assert chosen <= cursor and not rejected(chosen)
    assert all(rejected(c) for c in range(chosen + 1, cursor + 1))


def test_the_watcher_proves_a_refunded_message_credited() -> None:
    """reference/watcher.py (SC-DSP-21/22): the watcher posts a credits proof against B's checkpoint
    crediting the message refunded at 21, none against the one leaving it out; the proof reverts."""
    from reference.watcher import SidechainWatcher
    from spec.sidechain.transactions import match_sidechain_message

    for fraud in (True, False):
        state = sb.initial()
        inputs: list[Deposit | InboundMessage] = []
        blocks: list[tuple[int, list[list[TxOutput]]]] = [
            (12, [[sb.deposit_output(sb.CHAIN_A, 1000)]]),
            (14, [[sb.message_output(CHECKPOINT_A)]]),
            (17, [[sb.deposit_output(B, 7)], [_relay(0)]]),
            (21, [[sb.refund_output(sb.CHAIN_A, 0, 0)]]),
        ]
        for height, outputs in blocks:
            result = apply_block_to_sidechains(state, sb.block(height, *outputs), height, sb.keys(), PRESET)
            state = result.state
            handed: list[Deposit | InboundMessage] = [*result.deposits, *result.inbound]
            inputs += [i for i in handed if i.sidechain_id == B]
        credits = input_credits(inputs) if fraud else input_credits(inputs[:1])
        head = replace(sb.header(sb.SPEC_B, 0, bytes(32), 21), credits_root=compute_credits_root(credits))
        blocks.append((23, [[sb.message_output(sb.sign(head, sb.SPEC_B.federation))]]))
        watcher = SidechainWatcher(PRESET, sb.ALICE)
        state = sb.initial()
        for height, outputs in blocks:
            transactions = sb.block(height, *outputs)
            result = apply_block_to_sidechains(state, transactions, height, sb.keys(), PRESET)
            state = result.state
            watcher.on_block(transactions)
            watcher.observe_inputs(height, (*result.deposits, *result.inbound))
        posts = watcher.on_tip(state, 24)
        assert len(posts) == int(fraud)
        for posted in posts:
            message = match_sidechain_message(posted[0].script_pubkey, PRESET)
            assert isinstance(message, CreditsProof) and len(message.inputs) == 2
            after = apply_block_to_sidechains(state, sb.block(24, posted), 24, sb.keys(), PRESET)
            assert after.state.chains[B].checkpoints == () and after.penalties
