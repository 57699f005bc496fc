"""A deliberately wrong contract that ``tests/test_governance_symbolic.py`` expects CrossHair to refute.

It is the floored quorum threshold ``2n // 3`` (a common slip for upstream's ``ceil(2n / 3)``): for
``n`` not divisible by 3 it is one signer short of two thirds. CrossHair must find such an ``n``;
if it stops finding it, the symbolic check has become vacuous.
"""

from __future__ import annotations


def floor_quorum_threshold(members: int) -> int:
    """Claims that ``2n // 3`` signers are at least two thirds of ``n`` (false for n = 1, 2, 4, ...).

    pre: 1 <= members <= 10**6
    post: 3 * __return__ >= 2 * members
    """
    return 2 * members // 3
