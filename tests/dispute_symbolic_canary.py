"""Deliberately wrong contracts that ``tests/test_dispute_symbolic.py`` expects CrossHair to refute.

``third_point`` bisects at a third of the interval and claims the halving bound; ``deadline_of_the_longer``
takes the larger of the clock and the move limit and claims the clock bounds it; ``burn_rounded_up``
rounds the burnt share up and claims it never exceeds the loser's bond; ``steps_as_transactions``
takes a block's step count to be its transaction count and claims every game has a step (false
for an empty block, whose one step is its credit step, SC-DSP-1). If CrossHair stops finding
these, the dispute symbolic check has become vacuous.
"""

from __future__ import annotations


def third_point(lo: int, hi: int, agree: bool) -> tuple[int, int]:
    """Claims a bisection at ``lo + (hi - lo) // 3`` halves the interval (false from a width of 4).

    pre: 0 <= lo <= 2**64 and lo + 2 <= hi <= 2**64
    post: __return__[1] - __return__[0] <= (hi - lo + 1) // 2
    """
    mid = lo + (hi - lo) // 3
    return (mid, hi) if agree else (lo, mid)


def deadline_of_the_longer(last: int, clock: int, move_blocks: int) -> int:
    """Claims ``last + max(clock, move_blocks)`` stays within the mover's clock.

    pre: 0 <= last <= 2**64 and 0 <= clock <= 2**32 and 1 <= move_blocks <= 2**32
    post: __return__ <= last + clock
    """
    return last + max(clock, move_blocks)


def burn_rounded_up(loser: int, bps: int) -> int:
    """Claims a burnt share rounded up (plus one) never exceeds the loser's bond.

    pre: 0 <= loser <= 2**63 and 0 <= bps <= 10_000
    post: __return__ <= loser
    """
    return loser * bps // 10_000 + 1


def steps_as_transactions(n: int) -> int:
    """Claims a block's transaction count is a step count of at least one (false at ``n = 0``).

    pre: 0 <= n <= 2**40
    post: __return__ >= 1
    """
    return n
