"""Bounded sidechain state (issue 16): SC-DSP-24 prunes the input marks and voided slots below the
settled cursor; SC-CP-8, SC-BLK-7 and SC-MSG-6 bound a checkpoint's cursor range so every range can
be proven wrong (SC-DSP-21) while the cursor can always advance.

Properties (docs/disputes.md, "Bounded state"):

* **pruning changes no decision**: the same random schedules of deposits, relays, refunds,
  checkpoints at any cursor and reverts inside their window, run with and without SC-DSP-24, accept
  and reject the same blocks with the same codes, reach the same state but for the pruned items,
  and decide every credits proof over every standing checkpoint (honest and wrong) alike;
* **bounded by the open windows**: after every block a sidechain keeps at most one mark at or below
  its settled cursor plus one per height above it that handed it inputs, and no voided slot at or
  below it;
* **liveness**: under a small bound (3 inputs per block, 7 per range), over random schedules of
  deposits, relays and refunds, an honest federation advancing its cursor by
  ``get_bounded_cursor`` and ``get_cursor_after_refunds`` is never rejected and, once the inputs
  stop, checkpoints every one of them; without SC-MSG-6 a refund can strand it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import cast

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conformance import sidechainbuilder as sb
from spec.errors import (
    CheckpointRangeTooLarge,
    RefundRangeTooLarge,
    SpecError,
    TooManyBlockInputs,
)
from spec.ledger.transaction import TxOutput
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof, check_credits_proof, input_credits
from spec.sidechain.games import OpenGame
from spec.sidechain.header import (
    BlockCredit,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_credits_root,
    get_cursor_after_refunds,
)
from spec.sidechain.items import sidechain_items, sidechains_from_items
from spec.sidechain.pruning import get_settled_cursor, prune_marks, prune_voids
from spec.sidechain.registry import (
    InputMark,
    SidechainsState,
    count_range_inputs,
    get_bounded_cursor,
    get_input_mark,
)
from spec.sidechain.state import apply_block_to_sidechains
from tests.hypothesis_profiles import examples
from tests.test_refund_void import ACTIONS, CHECKPOINT_A, OUTBOX_A, PREAMBLE, START, schedule_step

PRESET = sb.PRESET
B = sb.CHAIN_B


def _no_pruning(state: SidechainsState, height: int) -> SidechainsState:
    del height
    return state


@dataclass
class Run:
    """One schedule's mainchain state, every block's outcome, B's inputs and accepted headers."""

    preset: Preset
    state: SidechainsState
    prune: bool = True
    codes: list[str] = field(default_factory=list)
    inputs: list[Deposit | InboundMessage] = field(default_factory=list)
    headers: dict[int, SidechainHeader] = field(default_factory=dict)

    def apply(
        self, height: int, *transactions: Sequence[TxOutput], header: SidechainHeader | None = None
    ) -> bool:
        with pytest.MonkeyPatch.context() as patch:
            if not self.prune:
                patch.setattr("spec.sidechain.state.prune_sidechains", _no_pruning)
            try:
                result = apply_block_to_sidechains(
                    self.state, sb.block(height, *transactions), height, sb.keys(), self.preset
                )
            except SpecError as error:
                self.codes.append(error.code)
                return False
        self.codes.append("ok")
        self.state, self.last = result.state, height
        both: list[Deposit | InboundMessage] = [*result.deposits, *result.inbound]
        mine = [i for i in both if i.sidechain_id == B]
        self.inputs += sorted(mine, key=lambda i: i.position)
        if header is not None:
            self.headers[header.height] = header
        return True


def _prefix(preset: Preset, prune: bool) -> Run:
    run = Run(preset, sb.initial(), prune)
    assert run.apply(12, [sb.deposit_output(sb.CHAIN_A, 1000)])
    assert run.apply(14, [sb.message_output(CHECKPOINT_A)])
    return run


def _b_header(state: SidechainsState, cursor: int, credits: Sequence[BlockCredit] = ()) -> SidechainHeader:
    record = state.chains[B]
    parent = record.checkpoints[-1].header_hash if record.checkpoints else bytes(32)
    head = sb.header(sb.SPEC_B, len(record.checkpoints), parent, cursor)
    return replace(head, credits_root=compute_credits_root(credits))


def _relay(index: int) -> TxOutput:
    return sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX_A, index))


def _range_credits(run: Run, start: int, cursor: int) -> tuple[BlockCredit, ...]:
    return input_credits([i for i in run.inputs if start < i.mainchain_height <= cursor])


def _commit_checkpoint(run: Run, height: int, cursor: int) -> bool:
    """B's next checkpoint at ``cursor`` in the block at ``height``, committing its range's inputs
    (all of them, voided slots too: a wrong ``credits_root`` whenever the range holds a voided
    slot); :func:`~tests.test_refund_void.schedule_step` posts it for a schedule's checkpoint."""
    record = run.state.chains[B]
    start = record.checkpoints[-1].deposit_cursor if record.checkpoints else 0
    head = _b_header(run.state, cursor, _range_credits(run, start, cursor))
    return run.apply(height, [sb.message_output(sb.sign(head, sb.SPEC_B.federation))], header=head)


def _proof_decisions(run: Run, height: int) -> list[str]:
    """SC-DSP-21 at ``height`` over every standing checkpoint of B: the true inputs of its range and
    the same list without its last input (``DSP_INPUTS_MISMATCH`` unless the range is empty)."""
    decisions: list[str] = []
    record = run.state.chains[B]
    for checkpoint in record.checkpoints:
        head = run.headers[checkpoint.height]
        start = record.checkpoints[checkpoint.height - 1].deposit_cursor if checkpoint.height else 0
        credits = _range_credits(run, start, checkpoint.deposit_cursor)
        for listed in (credits, credits[:-1]):
            try:
                decisions.append(
                    f"revert {check_credits_proof(run.state, CreditsProof(head, listed), height)}"
                )
            except SpecError as error:
                decisions.append(error.code)
    return decisions


def _check_bounded(run: Run) -> None:
    """The marks and voided slots of B are bounded by its settled cursor (SC-DSP-24)."""
    record = run.state.chains[B]
    settled = get_settled_cursor(run.state, B, run.last)
    if settled is None:
        return
    heights = {i.mainchain_height for i in run.inputs if i.mainchain_height > settled}
    assert len(record.input_marks) <= 1 + len(heights)
    assert len([m for m in record.input_marks if m.height <= settled]) <= 1
    assert all(void.relay_height > settled for void in record.voids)


def _without_pruned(full: SidechainsState, pruned: SidechainsState) -> SidechainsState:
    """``full`` (never pruned) with each record's marks and voids replaced by the pruned run's, after
    checking that those are a suffix of the full marks and the full voids above some cursor."""
    chains = {}
    for sidechain_id, record in full.chains.items():
        kept = pruned.chains[sidechain_id]
        marks = record.input_marks
        assert kept.input_marks == marks[len(marks) - len(kept.input_marks) :]
        assert set(kept.voids) <= set(record.voids)
        chains[sidechain_id] = replace(record, input_marks=kept.input_marks, voids=kept.voids)
    return replace(full, chains=chains)


@settings(max_examples=examples(100), deadline=None)
@given(st.booleans(), st.lists(st.tuples(st.integers(1, 4), ACTIONS), min_size=4, max_size=24))
def test_pruning_changes_no_decision(preamble: bool, schedule: list[tuple[int, tuple[object, ...]]]) -> None:
    """SC-DSP-24's safety: the same schedule with and without pruning makes every block, checkpoint
    and credits-proof decision alike, and the pruned state stays bounded by the open windows."""
    pruned, full = _prefix(PRESET, True), _prefix(PRESET, False)
    height = START - 1
    for gap, action in [*(PREAMBLE if preamble else []), *schedule]:
        height += gap
        for run in (pruned, full):
            schedule_step(run, height, action, _commit_checkpoint)
        assert pruned.codes == full.codes
        assert _without_pruned(full.state, pruned.state) == pruned.state
        assert _proof_decisions(pruned, height + 1) == _proof_decisions(full, height + 1)
        _check_bounded(pruned)
    removed = len(full.state.chains[B].input_marks) - len(pruned.state.chains[B].input_marks)
    event(f"marks pruned: {min(removed, 3)}+" if removed >= 3 else f"marks pruned: {removed}")
    if len(pruned.state.chains[B].voids) < len(full.state.chains[B].voids):
        event("a voided slot pruned")
    assert sidechains_from_items(sidechain_items(pruned.state)) == pruned.state


def _settling_run() -> tuple[Run, int]:
    """B: deposits at 15, 16 and 18; checkpoint 0 (cursor 16) posted at 19, settled from 22
    (challenge period 3)."""
    run = _prefix(PRESET, True)
    for height in (15, 16, 18):
        assert run.apply(height, [sb.deposit_output(B, 5)])
    head = _b_header(run.state, 16, _range_credits(run, 0, 16))
    assert run.apply(19, [sb.message_output(sb.sign(head, sb.SPEC_B.federation))], header=head)
    return run, 19 + sb.SPEC_B.challenge_period


def test_marks_are_pruned_exactly_when_the_checkpoint_settles() -> None:
    """SC-DSP-24 at the boundary: the block before the settlement keeps every mark, the block at it
    keeps the mark at the settled cursor 16 and the later one, and so does the block after."""
    run, settles = _settling_run()
    assert [m.height for m in run.state.chains[B].input_marks] == [15, 16, 18]
    assert run.apply(settles - 1)
    assert [m.height for m in run.state.chains[B].input_marks] == [15, 16, 18]
    assert get_settled_cursor(run.state, B, settles - 1) is None
    assert run.apply(settles)
    assert get_settled_cursor(run.state, B, settles) == 16
    assert [m.height for m in run.state.chains[B].input_marks] == [16, 18]
    assert run.apply(settles + 1)
    assert [m.height for m in run.state.chains[B].input_marks] == [16, 18]


def test_an_open_game_holds_the_marks() -> None:
    """A checkpoint under an open game is not settled (SC-MSG-3, SC-DSP-19): nothing is pruned
    below it until the game ends (only ``is_under_dispute``'s fields of the game are set)."""
    run, settles = _settling_run()
    opening = SimpleNamespace(header=SimpleNamespace(height=0))
    game = cast(OpenGame, SimpleNamespace(sidechain_id=B, game=SimpleNamespace(opening=opening)))
    assert get_settled_cursor(replace(run.state, games={0: game}), B, settles) is None
    assert get_settled_cursor(run.state, B, settles) == 16


def test_prune_helpers() -> None:
    marks = (InputMark(3, 1, b"a"), InputMark(5, 2, b"b"), InputMark(9, 4, b"c"))
    assert prune_marks(marks, 2) == marks
    assert prune_marks(marks, 5) == marks[1:]
    assert prune_marks(marks, 8) == marks[1:]
    assert prune_marks(marks, 9) == marks[2:]
    for cursor in range(0, 12):
        for at in range(cursor, 12):
            assert get_input_mark(prune_marks(marks, cursor), at) == get_input_mark(marks, at)
    assert count_range_inputs(marks, 3, 9) == 3
    assert get_bounded_cursor(marks, 0, 20, 2) == 8
    assert get_bounded_cursor(marks, 3, 20, 3) == 20
    assert get_bounded_cursor(marks, 3, 4, 0) == 4
    from spec.sidechain.header import VoidedInput

    voids = (VoidedInput(4, 0, 9), VoidedInput(6, 1, 11))
    assert prune_voids(voids, 4) == voids[1:]
    assert prune_voids(voids, 3) == voids


SMALL = replace(
    PRESET,
    dispute=replace(PRESET.dispute, max_opening_credits=7),
    sidechains=replace(PRESET.sidechains, max_block_inputs=3),
)
"""The liveness property's preset: 3 inputs per block and sidechain, 7 per cursor range."""

LIVE_ACTIONS = st.one_of(
    st.tuples(st.just("deposits"), st.integers(0, 3)),
    st.tuples(st.just("deposits"), st.integers(0, 3)),
    st.tuples(st.just("relay"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("refund"), st.integers(0, 2)),
    st.tuples(st.just("refund"), st.integers(0, 2)),
    st.tuples(
        st.just("honest"),
    ),
    st.tuples(
        st.just("idle"),
    ),
)


def _honest_checkpoint(run: Run, height: int) -> bool:
    """The honest federation (SCB-6 with SC-CP-8): the highest cursor up to ``height - depth``
    within the range bound, lowered out of every refund window; its block credits the range's
    inputs without the voided slots. Returns whether the checkpoint was accepted."""
    record = run.state.chains[B]
    start = record.checkpoints[-1].deposit_cursor if record.checkpoints else 0
    target = max(start, height - sb.SPEC_B.peg_in_depth)
    bounded = get_bounded_cursor(record.input_marks, start, target, run.preset.dispute.max_opening_credits)
    cursor = get_cursor_after_refunds(record.voids, bounded)
    assert cursor >= start
    voided = {(v.relay_height, v.position) for v in record.voids if v.refund_height <= cursor}
    credits = input_credits(
        [
            i
            for i in run.inputs
            if start < i.mainchain_height <= cursor and (i.mainchain_height, i.position) not in voided
        ]
    )
    head = _b_header(run.state, cursor, credits)
    return run.apply(height, [sb.message_output(sb.sign(head, sb.SPEC_B.federation))], header=head)


def _live_step(run: Run, height: int, action: tuple[object, ...]) -> None:
    kind = action[0]
    if kind == "deposits":
        count = int(action[1])  # type: ignore[call-overload]
        run.apply(height, [sb.deposit_output(B, 3) for _ in range(count)])
    elif kind == "honest":
        assert _honest_checkpoint(run, height), f"honest checkpoint rejected: {run.codes[-1]}"
    elif kind in ("relay", "refund"):
        schedule_step(run, height, action, _commit_checkpoint)
    else:
        run.apply(height)


def _drain(run: Run, height: int) -> int:
    """After the inputs stop: honest checkpoints, one per block, until the cursor reaches every
    input; returns the number of checkpoints it took."""
    last = max((i.mainchain_height for i in run.inputs), default=0)
    for steps in range(1, 200):
        height += 1
        assert _honest_checkpoint(run, height), f"honest checkpoint rejected: {run.codes[-1]}"
        if run.state.chains[B].checkpoints[-1].deposit_cursor >= last:
            return steps
    raise AssertionError("the honest federation never checkpointed every input")


@settings(max_examples=examples(80), deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), LIVE_ACTIONS), min_size=4, max_size=30))
def test_an_honest_federation_can_always_checkpoint_all_inputs(
    schedule: list[tuple[int, tuple[object, ...]]],
) -> None:
    """SC-CP-8 with SC-BLK-7 and SC-MSG-6 (liveness): under the small bound no honest checkpoint is
    rejected, and after the schedule the honest federation reaches every input in at most one
    checkpoint per range bound's worth of inputs plus one per refund window."""
    run = _prefix(SMALL, True)
    height = START - 1
    for gap, action in schedule:
        height += gap
        _live_step(run, height, action)
    steps = _drain(run, height + sb.SPEC_B.peg_in_depth)
    event(f"checkpoints to drain: {min(steps, 4)}{'+' if steps >= 4 else ''}")
    if "SC_REFUND_RANGE_TOO_LARGE" in run.codes:
        event("a refund refused by SC-MSG-6")
    if run.state.chains[B].voids:
        event("a voided slot")


def _gap_run(preset: Preset) -> Run:
    """Message 0 relayed to B at 17 (B's first input), then 3 deposits to B at each of 18..20."""
    run = _prefix(preset, True)
    assert run.apply(17, [_relay(0)])
    for height in (18, 19, 20):
        assert run.apply(height, [sb.deposit_output(B, 3) for _ in range(3)])
    return run


def test_the_bounds_reject_what_they_bound() -> None:
    """SC-BLK-7: a fourth input to B in one block; SC-CP-8: the range (0, 20] of 10 inputs (and
    (0, 19] of 7 is accepted); SC-MSG-6: the refund at 21 after 10 inputs beyond B's cursor 0 (room
    7 - 3 = 4)."""
    run = _gap_run(SMALL)
    with pytest.raises(TooManyBlockInputs):
        apply_block_to_sidechains(
            run.state, sb.block(21, [sb.deposit_output(B, 3) for _ in range(4)]), 21, sb.keys(), SMALL
        )

    def checkpoint(cursor: int) -> None:
        head = _b_header(run.state, cursor)
        block = sb.block(22, [sb.message_output(sb.sign(head, sb.SPEC_B.federation))])
        apply_block_to_sidechains(run.state, block, 22, sb.keys(), SMALL)

    with pytest.raises(CheckpointRangeTooLarge):
        checkpoint(20)
    checkpoint(19)
    with pytest.raises(RefundRangeTooLarge):
        apply_block_to_sidechains(
            run.state, sb.block(21, [sb.refund_output(sb.CHAIN_A, 0, 0)]), 21, sb.keys(), SMALL
        )


def test_without_sc_msg_6_a_refund_strands_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The liveness property is not vacuous: without SC-MSG-6 the refund at 21 voids B's slot
    (17, 0); SC-CP-7 then forbids every cursor in [17, 21) and SC-CP-8 the jump from 16 to 21 (10
    inputs), so the honest federation never passes the refund."""
    import spec.sidechain.messages as messages

    monkeypatch.setattr(messages, "check_refund_range", lambda destination, height, preset: None)
    run = _gap_run(SMALL)
    assert run.apply(21, [sb.refund_output(sb.CHAIN_A, 0, 0)])
    with pytest.raises(AssertionError, match="never checkpointed"):
        _drain(run, 23)
