"""PEP 316 contracts on the boundary arithmetic of bounded sidechain state (``crosshair check``,
PEP316): SC-DSP-24's pruning and SC-CP-8's cursor bound (spec/sidechain/pruning.py,
spec/sidechain/registry.py).

Contracts (rule references in brackets):

* settlement boundary [SC-DSP-24, SC-MSG-3]: a checkpoint is settled exactly from
  ``posted_height + challenge_period`` on, never one block before, and never under an open game;
* marks kept [SC-DSP-24]: pruning the marks at a cursor leaves the accumulator's value at every
  cursor at or above it unchanged, and keeps at most one mark at or below it;
* voids kept [SC-DSP-24]: a voided slot is pruned exactly when its relay height is at or below the
  cursor; a pruned slot (refunded at or below the settled cursor, SC-CP-7) never constrains a later
  cursor and lies outside every later range;
* bounded cursor [SC-CP-8, SC-BLK-7]: the producer's cursor is at most the one asked, its range
  holds at most the bound, and it advances past ``start`` whenever one height's inputs fit the
  bound.
"""

from __future__ import annotations

from spec.sidechain.header import VoidedInput, is_cursor_before_refund
from spec.sidechain.messages import is_acknowledgement_settled
from spec.sidechain.pruning import prune_marks, prune_voids
from spec.sidechain.registry import InputMark, count_range_inputs, get_bounded_cursor, get_input_mark

__all__ = ["bounded_cursor", "marks_kept", "settled_boundary", "void_kept"]


def settled_boundary(posted: int, period: int, height: int, under_dispute: bool) -> bool:
    """SC-DSP-24: is a checkpoint posted at ``posted`` settled in the block at ``height``?

    pre: 0 <= posted <= 10**6 and 1 <= period <= 10**5 and 0 <= height <= 2 * 10**6
    post: __return__ == (height >= posted + period and not under_dispute)
    post: height != posted + period - 1 or not __return__
    """
    return is_acknowledgement_settled(posted, period, height, under_dispute)


def _marks(heights: list[int]) -> tuple[InputMark, ...]:
    return tuple(InputMark(height, index + 1, bytes(32)) for index, height in enumerate(heights))


def marks_kept(heights: list[int], cursor: int, at: int) -> bool:
    """SC-DSP-24: pruning at ``cursor`` keeps the value at ``at >= cursor`` (returns whether it does).

    pre: len(heights) <= 4
    pre: all(0 <= heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    pre: 0 <= cursor <= at
    post: __return__
    """
    marks = _marks(heights)
    pruned = prune_marks(marks, cursor)
    at_most_one_below = len([mark for mark in pruned if mark.height <= cursor]) <= 1
    return get_input_mark(pruned, at) == get_input_mark(marks, at) and at_most_one_below


def void_kept(relay: int, refund: int, settled: int, start: int, cursor: int) -> tuple[bool, bool, bool]:
    """SC-DSP-24: whether the slot ``(relay, 0, refund)`` survives pruning at ``settled``, whether it
    would hold a later ``cursor`` before its refund (SC-CP-7), and whether the later range
    ``(start, cursor]`` holds it.

    pre: 0 <= relay < refund and 0 <= settled <= start <= cursor
    pre: relay > settled or refund <= settled
    post: __return__[0] == (relay > settled)
    post: __return__[0] or not __return__[1]
    post: __return__[0] or not __return__[2]
    """
    kept = len(prune_voids((VoidedInput(relay, 0, refund),), settled)) == 1
    return kept, is_cursor_before_refund(relay, refund, cursor), start < relay <= cursor


def bounded_cursor(heights: list[int], start: int, cursor: int, max_inputs: int) -> tuple[int, int, int]:
    """SC-CP-8: the highest cursor ``<= cursor`` whose range from ``start`` holds at most
    ``max_inputs`` inputs (one input per mark height here), with the inputs of its range and of
    the range one height longer.

    pre: len(heights) <= 4
    pre: all(0 <= heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    pre: 0 <= start <= cursor and max_inputs >= 1
    post: start <= __return__[0] <= cursor
    post: __return__[1] <= max_inputs
    post: __return__[0] == cursor or __return__[2] > max_inputs
    post: cursor == start or __return__[0] > start
    """
    marks = _marks(heights)
    chosen = get_bounded_cursor(marks, start, cursor, max_inputs)
    return chosen, count_range_inputs(marks, start, chosen), count_range_inputs(marks, start, chosen + 1)
