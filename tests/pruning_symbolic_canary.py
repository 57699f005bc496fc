"""A deliberately wrong contract that ``tests/test_symbolic_suites.py`` expects CrossHair to refute.

It claims pruning the input marks at a cursor keeps the accumulator's value one height *below* the
cursor too (an off-by-one in SC-DSP-24, which would let a range starting just below the settled
cursor read a pruned mark). CrossHair must find marks where it does not; if it stops finding them,
the check has become vacuous.
"""

from __future__ import annotations

from spec.sidechain.pruning import prune_marks
from spec.sidechain.registry import InputMark, get_input_mark


def kept_one_below(heights: list[int], cursor: int) -> bool:
    """Claims the value at ``cursor - 1`` survives pruning at ``cursor`` (false with marks at
    ``cursor - 1`` and ``cursor``).

    pre: len(heights) <= 3
    pre: all(0 <= heights[i] < heights[i + 1] for i in range(len(heights) - 1))
    pre: 1 <= cursor <= 100
    post: __return__
    """
    marks = tuple(InputMark(height, index + 1, bytes(32)) for index, height in enumerate(heights))
    return get_input_mark(prune_marks(marks, cursor), cursor - 1) == get_input_mark(marks, cursor - 1)
