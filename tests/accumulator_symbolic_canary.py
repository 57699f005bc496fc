"""Deliberately wrong contracts that ``tests/test_symbolic_suites.py`` expects CrossHair to refute
(the canary of ``conformance/symbolic/accumulator_contracts.py``).

``lookup_left`` claims a left bisection finds the accumulator's mark (it misses the mark at the
cursor's own height, so a range would lose the inputs of its last height); ``range_excludes_end``
claims a range ``(p, c]`` holds no input of height ``c`` (the cursor is inclusive, SC-HDR-5). If
CrossHair stops refuting these, the suite has become vacuous.
"""

from __future__ import annotations

from bisect import bisect_left

from conformance.symbolic.accumulator_contracts import range_count


def lookup_left(heights: list[int], cursor: int) -> int:
    """Claims ``bisect_left - 1`` is the greatest height ``<= cursor``.

    pre: len(heights) <= 5
    pre: all(heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    post: __return__ + 1 == len(heights) or heights[__return__ + 1] > cursor
    """
    return bisect_left(heights, cursor) - 1


def range_excludes_end(heights: list[int], counts: list[int], parent_cursor: int, cursor: int) -> int:
    """Claims a range ``(p, c]`` holds inputs only if a mark lies strictly between ``p`` and ``c``.

    pre: len(heights) == len(counts) <= 4
    pre: all(heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    pre: all(0 < counts[i] < counts[i + 1] for i in range(len(counts) - 1)) and (not counts or counts[0] > 0)
    pre: parent_cursor <= cursor
    post: __return__ == 0 or any(parent_cursor < h < cursor for h in heights)
    """
    return range_count(heights, counts, parent_cursor, cursor)
