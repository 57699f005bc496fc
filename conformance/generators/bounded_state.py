"""Vectors of bounded sidechain state (issue 16): SC-DSP-24's pruning (flow ``peg``), SC-CP-8's
cursor-range bound and its place in the SC-CP check order (flow ``sidechain``), SC-MSG-6's
refund bound and SC-BLK-7's per-block input bound (flow ``peg``).

Pruning at the exact boundary: sidechain B is handed deposits at 15, 16 and 18; its checkpoint 0
(cursor 16) is posted at 19 and settles at 22 (challenge period 3). After 21 every mark is kept,
after 22 and 23 only the mark at 16 (the value at the settled cursor) and the one at 18. The
voided slot of a message relayed to B at 17 and refunded at 21 goes once a checkpoint with a
cursor at or above 17 (here 21) settles: kept after 25, pruned after 26.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from conformance import sidechainbuilder as sb
from conformance.generators.refund_void import CHECKPOINT_A, REFUND, RELAY, Blocks, _data
from conformance.model import JSON, CaseSpec
from spec.ledger.transaction import TxOutput
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.accumulator import input_credits
from spec.sidechain.header import Checkpoint, compute_credits_root, encode_checkpoint

FORK = "sidechains"
B = sb.CHAIN_B


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error, fork=FORK)


def _b_checkpoint(height: int, parent: bytes, cursor: int) -> Checkpoint:
    return sb.sign(sb.header(sb.SPEC_B, height, parent, cursor), sb.SPEC_B.federation)


def _deposits(count: int, chain: int = B) -> list[list[TxOutput]]:
    """``count`` deposits of 5 to ``chain``, 128 outputs per transaction."""
    outputs = [sb.deposit_output(chain, 5) for _ in range(count)]
    return [outputs[i : i + 128] for i in range(0, count, 128)]


def _settling(preset: Preset) -> Blocks:
    """Deposits to B at 15, 16, 18; B's checkpoint 0 (cursor 16, its range's credits) at 19."""
    blocks: Blocks = [(height, [[sb.deposit_output(B, 5)]]) for height in (15, 16, 18)]
    steps = [sb.Step(height, sb.block(height, *txs)) for height, txs in blocks[:2]]
    credits = input_credits([d for result in sb.run(sb.initial(), steps, preset) for d in result.deposits])
    head = replace(sb.header(sb.SPEC_B, 0, bytes(32), 16), credits_root=compute_credits_root(credits))
    return [*blocks, (19, [[sb.message_output(sb.sign(head, sb.SPEC_B.federation))]])]


def _pruning_cases(preset: Preset) -> Iterator[CaseSpec]:
    settling = _settling(preset)
    for height, name, what in (
        (21, "marks_kept_before_settlement", "every mark is kept one block before checkpoint 0 settles"),
        (
            22,
            "marks_pruned_at_settlement",
            "at checkpoint 0's settlement: the marks at 16 and 18",
        ),
        (23, "marks_pruned_after_settlement", "one block later: the marks at 16 and 18"),
    ):
        blocks = [*settling, *((h, []) for h in range(20, height + 1))]
        yield _case("apply_blocks", f"pruning_{name}", f"SC-DSP-24: {what}", _data(preset, blocks))
    prefix: Blocks = [
        (12, [[sb.deposit_output(sb.CHAIN_A, 1000), sb.deposit_output(B, 50)]]),
        (14, [[sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12, [sb.message(B, 250)]))]]),
        (17, [[RELAY]]),
        (21, [[REFUND]]),
        (23, [[sb.message_output(_b_checkpoint(0, bytes(32), 21))]]),
    ]
    for height, name, what in (
        (
            25,
            "void_kept_before_settlement",
            "the slot (17, 0) refunded at 21 is kept one block before "
            "B's checkpoint 0 (cursor 21, posted at 23) settles",
        ),
        (
            26,
            "void_pruned_at_settlement",
            "the slot goes, with the marks below 21, at the settlement",
        ),
    ):
        blocks = [*prefix, *((h, []) for h in range(24, height + 1))]
        yield _case("apply_blocks", f"pruning_{name}", f"SC-DSP-24: {what}", _data(preset, blocks))


def _block_bound_cases(preset: Preset) -> Iterator[CaseSpec]:
    bound = preset.sidechains.max_block_inputs
    yield _case(
        "apply_blocks",
        "block_inputs_at_bound",
        f"SC-BLK-7: {bound} deposits to one sidechain in one block",
        _data(preset, [(15, _deposits(bound))]),
    )
    yield _case(
        "apply_blocks",
        "block_inputs_above_bound",
        f"SC-BLK-7: {bound + 1} deposits to one sidechain in one block",
        _data(preset, [(15, [*_deposits(bound), [sb.deposit_output(B, 5)]])]),
        "SC_TOO_MANY_INPUTS",
    )
    yield _case(
        "apply_blocks",
        "block_inputs_bound_per_sidechain",
        f"SC-BLK-7: {bound} deposits to each of two sidechains in one block",
        _data(preset, [(15, [*_deposits(bound), *_deposits(bound, sb.CHAIN_A)])]),
    )
    yield _case(
        "apply_blocks",
        "block_inputs_bad_deposit_first",
        "SC-BLK-7 after the input's own rule: the extra deposit names no sidechain",
        _data(preset, [(15, [*_deposits(bound), [sb.deposit_output(9, 5)]])]),
        "SC_UNKNOWN_SIDECHAIN",
    )


def _marks(*pairs: tuple[int, int]) -> list[JSON]:
    return [[height, count, (bytes([count % 256]) * 32).hex()] for height, count in pairs]


def _range_cases(preset: Preset) -> Iterator[CaseSpec]:
    bound = preset.dispute.max_opening_credits
    first = sb.genesis_checkpoint(sb.SPEC_A, 5)
    second = sb.next_checkpoint(sb.SPEC_A, first, 12)
    base = _data(preset, [(12, [[sb.message_output(first)]])])

    def data(checkpoint: Checkpoint, marks: list[JSON], height: int = 14, **extra: JSON) -> dict[str, JSON]:
        return {
            **base,
            "checkpoint": encode_checkpoint(checkpoint).hex(),
            "mainchain_height": height,
            "input_marks": marks,
            **extra,
        }

    at_bound = _marks((4, 3), (5, 10), (9, 10 + bound))
    over = _marks((5, 10), (9, 11 + bound))
    yield _case(
        "check_checkpoint",
        "range_at_bound",
        f"SC-CP-8: the range (5, 12] holds {bound} inputs (the marks at or below 5 do not count)",
        data(second, at_bound),
    )
    yield _case(
        "check_checkpoint",
        "range_above_bound",
        f"SC-CP-8: the range (5, 12] holds {bound + 1} inputs",
        data(second, over),
        "SC_CURSOR_RANGE_TOO_LARGE",
    )
    yield _case(
        "check_checkpoint",
        "range_above_bound_at_cursor",
        f"SC-CP-8: the {bound + 1}th input is at the cursor's own height",
        data(second, _marks((5, 10), (11, 10 + bound), (12, 11 + bound))),
        "SC_CURSOR_RANGE_TOO_LARGE",
    )
    yield _case(
        "check_checkpoint",
        "range_above_bound_beyond_cursor",
        "SC-CP-8: inputs above the cursor are outside the range",
        data(second, _marks((5, 10), (12, 10 + bound), (13, 11 + bound))),
    )
    yield _case(
        "check_checkpoint",
        "range_too_recent_and_above_bound",
        "SC-CP-3 before SC-CP-8: a cursor inside the peg-in depth over too many inputs",
        data(sb.next_checkpoint(sb.SPEC_A, first, 13), over),
        "SC_CURSOR_TOO_RECENT",
    )
    yield _case(
        "check_checkpoint",
        "range_before_refund_and_above_bound",
        "SC-CP-7 before SC-CP-8: a cursor in a refund window over too many inputs",
        data(second, over, voids=[[10, 0, 14]]),
        "SC_CURSOR_BEFORE_REFUND",
    )
    yield _case(
        "check_checkpoint",
        "range_above_bound_bad_signature",
        "SC-CP-8 before SC-CP-4: too many inputs, signed by another quorum's key",
        data(sb.sign(second.header, QuorumType.POSE), over),
        "SC_CURSOR_RANGE_TOO_LARGE",
    )


MarksRow = tuple[str, list[JSON], dict[str, JSON], str | None, str]
"""One case of a table over input marks: its name, the marks, the handler's other inputs, the error
code (``None``: valid) and the description."""


def _marks_cases(handler: str, rows: Iterable[MarksRow]) -> Iterator[CaseSpec]:
    """A ``handler`` case per row, its input ``{"input_marks": marks, **inputs}``."""
    for name, marks, inputs, error, description in rows:
        yield _case(handler, name, description, {"input_marks": marks, **inputs}, error)


def _refund_range_cases(preset: Preset) -> Iterator[CaseSpec]:
    bound = preset.dispute.max_opening_credits
    room = bound - preset.sidechains.max_block_inputs

    def row(name: str, cursor: int | None, marks: list[JSON], error: str | None, what: str) -> MarksRow:
        description = f"SC-MSG-6: a refund at 21, latest cursor {cursor}: {what}"
        return name, marks, {"cursor": cursor, "height": 21}, error, description

    too_large = "SC_REFUND_RANGE_TOO_LARGE"
    yield from _marks_cases(
        "refund_range",
        [
            row(
                "at_room", 16, _marks((16, 100), (18, 100 + room)), None, f"{room} inputs after it: the room"
            ),
            row("above_room", 16, _marks((16, 100), (18, 101 + room)), too_large, f"{room + 1}"),
            row("no_checkpoint", None, _marks((18, 1 + room)), too_large, "counted from 0"),
            row(
                "refund_block_excluded",
                16,
                _marks((16, 100), (21, 101 + room)),
                None,
                "not the refund block's",
            ),
            row("last_block_counted", 16, _marks((16, 100), (20, 101 + room)), too_large, "the block before"),
        ],
    )


def _refund_order_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-MSG-6 is checked last: a refund that is not yet due (SC-MSG-4) while its destination is
    too far behind fails for the timeout; the same refund once due fails SC-MSG-6. B is handed
    ``max_block_inputs`` deposits in each block from 12 on, until it holds exactly the room
    (``max_opening_credits - max_block_inputs``, no checkpoint: counted from 0); A's message to B
    is relayed at 27 (one input more: above the room), refundable from 31 (timeout 4)."""
    per_block = preset.sidechains.max_block_inputs
    room = preset.dispute.max_opening_credits - per_block
    heights = range(12, 12 + -(-room // per_block))
    blocks: Blocks = []
    left = room
    for height in heights:
        extra = {12: [[sb.deposit_output(sb.CHAIN_A, 1000)]], 14: [[sb.message_output(CHECKPOINT_A)]]}
        blocks.append((height, [*extra.get(height, []), *_deposits(min(per_block, left))]))
        left -= per_block
    relay_at = max(27, heights[-1] + 1)
    due = relay_at + sb.SPEC_B.message_timeout
    blocks.append((relay_at, [[RELAY]]))
    held = f"B holds {room + 1} inputs after its cursor 0, above the room of {room}"
    yield _case(
        "apply_blocks",
        "refund_not_timed_out_and_range_too_large",
        f"SC-MSG-4 before SC-MSG-6: a refund at {relay_at + 1} of A's message relayed to B at "
        f"{relay_at}, refundable from {due}, while {held}",
        _data(preset, [*blocks, (relay_at + 1, [[REFUND]])]),
        "SC_MESSAGE_NOT_TIMED_OUT",
    )
    yield _case(
        "apply_blocks",
        "refund_timed_out_and_range_too_large",
        f"SC-MSG-6: the same refund at {due}, timed out, while {held}",
        _data(preset, [*blocks, (due, [[REFUND]])]),
        "SC_REFUND_RANGE_TOO_LARGE",
    )


def _bounded_cursor_cases(preset: Preset) -> Iterator[CaseSpec]:
    bound = preset.dispute.max_opening_credits

    def row(name: str, marks: list[JSON], what: str, start: int = 5, cursor: int = 12) -> MarksRow:
        description = f"SC-CP-8 (the producer's cursor from {start}, asked {cursor}): {what}"
        return name, marks, {"start": start, "cursor": cursor}, None, description

    yield from _marks_cases(
        "bounded_cursor",
        [
            row("within_bound", _marks((5, 10), (9, 10 + bound)), "the whole range fits: the cursor asked"),
            row("above_bound", _marks((5, 10), (9, 11 + bound)), "the mark at 9 overflows: 8"),
            row(
                "overflow_at_cursor",
                _marks((5, 10), (12, 11 + bound)),
                "the mark at the cursor overflows: 11",
            ),
            row("overflow_above_cursor", _marks((5, 10), (13, 11 + bound)), "a mark above the cursor: 12"),
            row(
                "start_mark_not_counted", _marks((5, 11 + bound)), "the mark at the start is not in the range"
            ),
        ],
    )


def generate_bounded_sidechain(preset: Preset) -> Iterator[CaseSpec]:
    """The ``sidechain`` flow's vectors of SC-CP-8."""
    yield from _range_cases(preset)
    yield from _bounded_cursor_cases(preset)


def generate_bounded_peg(preset: Preset) -> Iterator[CaseSpec]:
    """The ``peg`` flow's vectors of SC-DSP-24, SC-BLK-7 and SC-MSG-6."""
    yield from _pruning_cases(preset)
    yield from _block_bound_cases(preset)
    yield from _refund_range_cases(preset)
    yield from _refund_order_cases(preset)


__all__ = ["generate_bounded_peg", "generate_bounded_sidechain"]
