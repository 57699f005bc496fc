"""PEP 316 contracts on the input accumulator's mark arithmetic (``crosshair check``, PEP316).

Each function wraps a helper of ``spec/sidechain/accumulator.py``; its ``post:`` lines must hold for
every input meeting its ``pre:`` lines. The hash chain itself is out of scope (CrossHair cannot
invert BLAKE3); these are the lookups a credits proof rests on: which mark is the accumulator's
value at a cursor, and how many inputs a cursor range holds.

Contracts (rule references in brackets):

* mark lookup [SC-DSP-20]: :func:`~spec.sidechain.accumulator.find_mark_index` returns the greatest
  of the strictly increasing heights that is ``<= cursor`` (or -1 when every height is above it):
  the mark at that index is at or below the cursor, the next one above it;
* range count [SC-DSP-21]: with counts strictly increasing along the marks, the number of inputs
  of a cursor range ``(p, c]`` (``count(c) - count(p)``) is never negative and is zero exactly when
  no mark's height lies in the range.
"""

from __future__ import annotations

from spec.sidechain.accumulator import find_mark_index

__all__ = ["mark_lookup", "range_count"]


def mark_lookup(heights: list[int], cursor: int) -> int:
    """SC-DSP-20: the index of the mark that is the accumulator's value at ``cursor``.

    pre: len(heights) <= 5
    pre: all(heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    post: -1 <= __return__ < len(heights)
    post: __return__ == -1 or heights[__return__] <= cursor
    post: __return__ + 1 == len(heights) or heights[__return__ + 1] > cursor
    """
    return find_mark_index(heights, cursor)


def _count_at(heights: list[int], counts: list[int], cursor: int) -> int:
    index = find_mark_index(heights, cursor)
    return counts[index] if index >= 0 else 0


def range_count(heights: list[int], counts: list[int], parent_cursor: int, cursor: int) -> int:
    """SC-DSP-21: the number of inputs of the cursor range ``(parent_cursor, cursor]``.

    pre: len(heights) == len(counts) <= 4
    pre: all(heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    pre: all(0 < counts[i] < counts[i + 1] for i in range(len(counts) - 1)) and (not counts or counts[0] > 0)
    pre: parent_cursor <= cursor
    post: __return__ >= 0
    post: (__return__ == 0) == all(not parent_cursor < h <= cursor for h in heights)
    """
    return _count_at(heights, counts, cursor) - _count_at(heights, counts, parent_cursor)
