"""PEP 316 contracts on the mainchain clock and settlement arithmetic of dispute games
(``crosshair check``, PEP316; spec/sidechain/games.py SC-DSP-14..18, spec/sidechain/settlement.py
SC-DSP-11).

Contracts (rule references in brackets):

* expiry [SC-DSP-16]: a game ends by timeout exactly one block after the mover's deadline: every
  height from the last move up to the expiry (excluded) is a valid move height, and the expiry is
  at most ``move_blocks + 1`` and at most ``clock + 1`` blocks after the last move;
* game length [SC-DSP-10/16]: whatever the two sides charged to their clocks (each at most
  ``clock_blocks``), the next expiry is at most ``2 * clock_blocks + 1`` blocks after the opening:
  the bound SC-DSP-11's ``challenge_period >= 2 * clock_blocks + 2`` rests on;
* window [SC-DSP-11]: an opening is inside the window iff ``posted <= opened < posted + period``,
  so a period of ``p`` admits exactly ``p`` opening heights;
* hold [SC-DSP-19]: when a game over the checkpoint posted at ``posted`` opens inside its window,
  neither that checkpoint nor any later one (posted at ``later >= posted``) has matured, so
  SC-DSP-19's hold starts before anything a revert would cancel could be claimed or relayed;
* ack settled [SC-MSG-3]: an acknowledgement is settled only once its checkpoint has matured and no
  game disputes it, and from then on no game over that checkpoint or an earlier one (posted at
  ``earlier <= posted``) can open: a settled acknowledgement is never reverted;
* reward [SC-DSP-25]: of three collaterals a settlement newly slashed, the reward paid and the
  collateral burnt add up to all three, the reward is at most ``winner_reward`` and strictly below
  each collateral (a slashed member proving its own fraud loses more than it is paid), and a
  settlement that slashed nobody pays nothing.
"""

from __future__ import annotations

from spec.sidechain.games import compute_expiry_height, compute_winner_reward
from spec.sidechain.messages import is_acknowledgement_settled
from spec.sidechain.peg import is_matured
from spec.sidechain.settlement import is_within_window

__all__ = ["ack_settled", "expiry", "game_length", "hold", "reward", "reward_of_nobody", "window"]


def expiry(last: int, clock: int, move_blocks: int, now: int) -> int:
    """SC-DSP-16: the expiry height of a mover with ``clock`` left after a move at ``last``.

    pre: 0 <= last <= 2**64 and 0 <= clock <= 2**32 and 1 <= move_blocks <= 2**32
    pre: last <= now <= last + 2**33
    post: last + 1 <= __return__ <= last + move_blocks + 1
    post: __return__ <= last + clock + 1
    post: (now < __return__) == (now - last <= min(clock, move_blocks))
    """
    return compute_expiry_height(last, clock, move_blocks)


def game_length(opened: int, clock: int, move_blocks: int, mover_used: int, other_used: int) -> int:
    """SC-DSP-10/16: the next expiry after both sides used part of their clocks since ``opened``.

    pre: 0 <= opened <= 2**64 and 1 <= clock <= 2**32 and 1 <= move_blocks <= 2**32
    pre: 0 <= mover_used <= clock and 0 <= other_used <= clock
    post: opened < __return__ <= opened + 2 * clock + 1
    """
    return compute_expiry_height(opened + mover_used + other_used, clock - mover_used, move_blocks)


def window(posted: int, period: int, opened: int) -> bool:
    """SC-DSP-11: is an opening at ``opened`` inside the window of a checkpoint posted at ``posted``?

    pre: 0 <= posted <= 2**64 and 1 <= period <= 2**32 and 0 <= opened <= 2**65
    post: __return__ == (0 <= opened - posted < period)
    post: not __return__ or opened + 2 * period > posted + period
    """
    return is_within_window(posted, period, opened)


def hold(posted: int, later: int, period: int, opened: int) -> bool:
    """SC-DSP-19: has a checkpoint posted at ``later`` matured when a game over the one posted at
    ``posted`` opens at ``opened`` inside its window?

    pre: 0 <= posted <= later <= 2**64 and 1 <= period <= 2**32
    pre: posted <= opened < posted + period
    post: not __return__
    """
    return is_matured(later, period, opened)


def ack_settled(posted: int, earlier: int, period: int, height: int, disputed: bool, opened: int) -> bool:
    """SC-MSG-3: is the acknowledgement of a checkpoint posted at ``posted`` settled at ``height``?

    pre: 0 <= earlier <= posted <= 2**64 and 1 <= period <= 2**32
    pre: 0 <= height <= 2**65 and height <= opened <= 2**66
    post: not __return__ or (height >= posted + period and not disputed)
    post: not __return__ or not is_within_window(earlier, period, opened)
    post: not __return__ or not is_within_window(posted, period, opened)
    post: __return__ == (height - posted >= period and not disputed)
    """
    return is_acknowledgement_settled(posted, period, height, disputed)


def reward(first: int, second: int, third: int, cap: int, bps: int) -> tuple[int, int]:
    """SC-DSP-25: ``(paid, burnt)`` of a settlement that newly slashed three collaterals.

    pre: 1 <= first <= 2**64 and 1 <= second <= 2**64 and 1 <= third <= 2**64
    pre: 1 <= cap <= 2**64 and 1 <= bps <= 10_000
    post: __return__[0] + __return__[1] == first + second + third
    post: 0 <= __return__[0] <= cap
    post: __return__[0] < first and __return__[0] < second and __return__[0] < third
    """
    return compute_winner_reward((first, second, third), cap, bps)


def reward_of_nobody(cap: int, bps: int) -> tuple[int, int]:
    """SC-DSP-25: a settlement that slashed nobody pays and burns nothing.

    pre: 0 <= cap <= 2**64 and 0 <= bps <= 10_000
    post: __return__ == (0, 0)
    """
    return compute_winner_reward((), cap, bps)
