"""A deliberately wrong contract that ``tests/test_sidechain_symbolic.py`` expects CrossHair to refute.

It claims a checkpoint is matured one block before ``posted + period`` (an off-by-one in the
challenge window of SC-PEG-3). CrossHair must find a height where that is false; if it stops
finding one, the symbolic check has become vacuous.
"""

from __future__ import annotations

from spec.sidechain.peg import is_matured


def matured_one_block_early(posted: int, period: int, height: int) -> bool:
    """Claims ``posted + period - 1`` is already matured (false: SC-PEG-3 needs ``posted + period``).

    pre: 0 <= posted <= 1000 and 1 <= period <= 1000 and 0 <= height <= 3000
    post: height != posted + period - 1 or __return__
    """
    return is_matured(posted, period, height)
