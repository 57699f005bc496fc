"""A deliberately wrong contract that ``tests/test_chain_symbolic.py`` expects CrossHair to refute.

It is the first version of POW-4's arithmetic, which clamped the timespan to
``[expected // F, expected * F]`` in integers: when ``F`` does not divide ``expected`` the rounded
lower bound lets the target fall by more than ``F``. CrossHair must find such an input; if it
stops finding it, the symbolic check has become vacuous.
"""

from __future__ import annotations


def floor_clamped_retarget(old: int, actual: int, expected: int, factor: int, limit: int) -> int:
    """Claims the target moves by at most ``factor`` (false for the floored lower bound).

    pre: 1 <= old <= 2**64
    pre: -(10**7) <= actual <= 10**7
    pre: 1 <= expected <= 10**6
    pre: 1 <= factor <= 8
    pre: 1 <= limit <= 2**66
    post: min(limit, max(1, old // factor)) <= __return__
    """
    clamped = max(expected // factor, min(actual, expected * factor))
    return max(1, min(limit, old * clamped // expected))
