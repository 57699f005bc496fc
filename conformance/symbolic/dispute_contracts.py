"""PEP 316 contracts on the integer decisions of the dispute game (``crosshair check``, PEP316).

Each function wraps a helper of ``spec/sidechain/dispute.py``; its ``post:`` lines must hold for
every input meeting its ``pre:`` lines. Merkle proofs and execution are out of scope (CrossHair
cannot invert BLAKE3 or run the EVM); these are the arithmetic the game's termination and fairness
rest on.

Contracts (rule references in brackets):

* bisection step [SC-DSP-3]: the midpoint lies strictly inside ``(lo, hi)`` and either answer
  leaves an interval of at most ``ceil((hi - lo) / 2)`` transactions;
* steps [SC-DSP-1]: a block of ``n >= 0`` transactions has at least one step (an empty block's
  credit step), exactly ``n`` when it has transactions;
* move bound [SC-DSP-10]: ``max_moves`` is odd, grows by exactly two when ``n >= 1`` doubles and is
  at most ``2 * bit_length(n) + 1``: logarithmic in the trace length; a block of no or one
  transaction is a one-move game (the one-step proof);
* deadline [SC-DSP-4]: the deadline is at most ``move_blocks`` and at most the mover's clock after
  the last move, and a move before it leaves a non-negative clock;
* bond split [SC-DSP-6]: ``winner_receives + burnt`` is both bonds and the burnt share never
  exceeds the loser's bond.
"""

from __future__ import annotations

from spec.sidechain.dispute import (
    compute_bond_split,
    compute_deadline,
    compute_midpoint,
    compute_step_count,
    max_moves,
)

__all__ = ["bisection_step", "bond_split", "deadline_charge", "move_bound", "step_count"]


def bisection_step(lo: int, hi: int, agree: bool) -> tuple[int, int]:
    """SC-DSP-3: the interval after a round whose answers agree (``lo = mid``) or not (``hi = mid``).

    pre: 0 <= lo <= 2**64 and lo + 2 <= hi <= 2**64
    post: lo <= __return__[0] < __return__[1] <= hi
    post: __return__[1] - __return__[0] <= (hi - lo + 1) // 2
    post: __return__[1] - __return__[0] < hi - lo
    """
    mid = compute_midpoint(lo, hi)
    return (mid, hi) if agree else (lo, mid)


def step_count(n: int) -> int:
    """SC-DSP-1: the steps of the trace of a block of ``n`` transactions (the game's first ``hi``).

    pre: 0 <= n <= 2**40
    post: __return__ >= 1
    post: n == 0 or __return__ == n
    post: __return__ <= n + 1
    """
    return compute_step_count(n)


def move_bound(n: int) -> int:
    """SC-DSP-10: the most moves of a game over ``n`` transactions.

    pre: 0 <= n <= 2**40
    post: __return__ % 2 == 1
    post: __return__ <= 2 * max(n, 1).bit_length() + 1
    post: n == 0 or max_moves(2 * n) == __return__ + 2
    post: n >= 2 or __return__ == 1
    post: n <= 1 or max_moves(n - 1) <= __return__
    """
    return max_moves(n)


def deadline_charge(last: int, clock: int, move_blocks: int, delay: int) -> tuple[int, int]:
    """SC-DSP-4: ``(deadline, clock left)`` after a move ``delay`` blocks after the last one.

    pre: 0 <= last <= 2**64 and 0 <= clock <= 2**32 and 1 <= move_blocks <= 2**32
    pre: 0 <= delay <= 2**33
    post: last <= __return__[0] <= last + move_blocks
    post: __return__[0] <= last + clock
    post: last + delay > __return__[0] or __return__[1] >= 0
    """
    deadline = compute_deadline(last, clock, move_blocks)
    return deadline, clock - delay


def bond_split(loser: int, winner: int, bps: int) -> tuple[int, int]:
    """SC-DSP-6: ``(winner_receives, burnt)``.

    pre: 0 <= loser <= 2**63 and 0 <= winner <= 2**63 and 0 <= bps <= 10_000
    post: __return__[0] + __return__[1] == loser + winner
    post: 0 <= __return__[1] <= loser
    post: __return__[0] >= winner
    """
    return compute_bond_split(loser, winner, bps)
