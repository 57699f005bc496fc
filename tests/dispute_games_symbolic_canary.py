"""Deliberately wrong contracts that ``tests/test_symbolic_suites.py`` expects CrossHair to refute
(the canary of ``conformance/symbolic/dispute_games_contracts.py``).

``expiry_at_the_deadline`` claims the timeout lands at the deadline itself (it is one block later);
``length_of_one_clock`` claims a game ends within one clock of its opening (the two sides' clocks
add up); ``window_inclusive`` claims the height ``posted + period`` is still inside the window;
``hold_for_an_earlier_checkpoint`` claims no checkpoint at all has matured when a game opens (one
posted a period earlier has: SC-DSP-19 holds only the disputed height and later ones);
``ack_settled_in_window`` claims an acknowledgement may settle in the last block of its
checkpoint's window (it settles at ``posted + period`` at the earliest, SC-MSG-3);
``reward_burn_rounded_down`` rounds the burnt share of the reward down and claims the reward stays
below the collateral (a reward of a few atoms burns none: SC-DSP-25 rounds the burnt share up). If
CrossHair stops refuting these, the suite has become vacuous.
"""

from __future__ import annotations


def expiry_at_the_deadline(last: int, clock: int, move_blocks: int) -> int:
    """Claims the expiry is at most ``last + move_blocks``.

    pre: 0 <= last <= 2**64 and 0 <= clock <= 2**32 and 1 <= move_blocks <= 2**32
    post: __return__ <= last + move_blocks
    """
    return last + min(clock, move_blocks) + 1


def length_of_one_clock(opened: int, clock: int, mover_used: int, other_used: int) -> int:
    """Claims a game ends within ``clock + 1`` blocks of its opening.

    pre: 0 <= opened <= 2**64 and 1 <= clock <= 2**32
    pre: 0 <= mover_used <= clock and 0 <= other_used <= clock
    post: __return__ <= opened + clock + 1
    """
    return opened + mover_used + other_used + (clock - mover_used) + 1


def window_inclusive(posted: int, period: int, opened: int) -> bool:
    """Claims ``opened == posted + period`` is inside the window.

    pre: 0 <= posted <= 2**32 and 1 <= period <= 2**32 and opened == posted + period
    post: __return__
    """
    return posted <= opened < posted + period


def hold_for_an_earlier_checkpoint(posted: int, earlier: int, period: int, opened: int) -> bool:
    """Claims a checkpoint posted at ``earlier <= posted`` has not matured when the game opens.

    pre: 0 <= earlier <= posted <= 2**32 and 1 <= period <= 2**32
    pre: posted <= opened < posted + period
    post: not __return__
    """
    return opened >= earlier + period


def ack_settled_in_window(posted: int, period: int, height: int) -> bool:
    """Claims an undisputed acknowledgement is settled one block before its checkpoint matures.

    pre: 0 <= posted <= 2**32 and 1 <= period <= 2**32 and height == posted + period - 1
    post: __return__
    """
    return height >= posted + period


def reward_burn_rounded_down(collateral: int, cap: int, bps: int) -> int:
    """Claims a reward whose burnt share is rounded down stays below the one collateral slashed.

    pre: 1 <= collateral <= 2**64 and 1 <= cap <= 2**64 and 1 <= bps <= 10_000
    post: __return__ < collateral
    """
    gross = min(cap, collateral)
    return gross - gross * bps // 10_000
