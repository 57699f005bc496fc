"""PEP 316 contracts on the sidechain window and depth arithmetic (``crosshair check``, PEP316).

Each function wraps a helper of spec/sidechain/ (docs/sidechains.md); its ``post:`` lines must hold
for every input meeting its ``pre:`` lines. Ranges cover the presets' ``[sidechains]`` bounds.

Contracts (rule references in brackets):

* maturity [SC-PEG-3]: a checkpoint is matured exactly from ``posted + period`` on, never before
  and never again unmatured (monotone in the height); a longer period never matures earlier.
* message timeout [SC-MSG-4]: the same shape for ``relay + timeout``.
* deposit cursor [SC-CP-3]: the highest acceptable cursor is ``h - depth``, grows one for one with
  the height, and a deposit at mainchain height ``d`` can be credited by a checkpoint in block
  ``h`` only if ``h >= d + depth`` (so a reorganisation shallower than the depth un-credits nothing).
* proposer round [SC-LIVE-1]: round 0 exactly before ``start + timeout``, never negative,
  monotone in the mainchain height, one more every ``timeout`` blocks.
* proposer rotation [SC-LIVE-2]: the proposer is a member, the rotation has period ``|qualified|``
  and the next round names another member (with more than one).
* the canary ``tests/sidechain_symbolic_canary.py`` claims a checkpoint is matured one block
  early; CrossHair must refute it.
"""

from __future__ import annotations

from spec.sidechain.checkpoint import max_deposit_cursor
from spec.sidechain.liveness import compute_round, get_proposer
from spec.sidechain.messages import is_timed_out
from spec.sidechain.peg import is_matured

__all__ = ["cursor_bound", "matured_window", "proposer_rotation", "proposer_round", "timeout_window"]


def matured_window(posted: int, period: int, height: int) -> bool:
    """SC-PEG-3: matured iff ``height >= posted + period``; monotone in height and period.

    pre: 0 <= posted <= 10**9 and 1 <= period <= 10**6 and 0 <= height <= 2 * 10**9
    post: __return__ == (height - posted >= period)
    post: not __return__ or is_matured(posted, period, height + 1)
    post: __return__ or not is_matured(posted, period + 1, height)
    post: not is_matured(posted, period, posted + period - 1)
    """
    return is_matured(posted, period, height)


def timeout_window(relay: int, timeout: int, height: int) -> bool:
    """SC-MSG-4: refundable iff ``height >= relay + timeout``; monotone in the height.

    pre: 0 <= relay <= 10**9 and 1 <= timeout <= 10**6 and 0 <= height <= 2 * 10**9
    post: __return__ == (height - relay >= timeout)
    post: not __return__ or is_timed_out(relay, timeout, height + 1)
    post: not is_timed_out(relay, timeout, relay)
    """
    return is_timed_out(relay, timeout, height)


def cursor_bound(height: int, depth: int, deposit_height: int) -> int:
    """SC-CP-3: the cursor bound trails the tip by exactly the depth.

    pre: 0 <= height <= 10**9 and 1 <= depth <= 10**6 and 0 <= deposit_height <= 10**9
    post: __return__ == height - depth
    post: max_deposit_cursor(height + 1, depth) == __return__ + 1
    post: __return__ < height
    post: (deposit_height <= __return__) == (height >= deposit_height + depth)
    """
    return max_deposit_cursor(height, depth)


def proposer_round(start: int, height: int, timeout: int) -> int:
    """SC-LIVE-1: the round advances every ``timeout`` mainchain blocks after ``start``.

    pre: 0 <= start <= 10**9 and 0 <= height <= 2 * 10**9 and 1 <= timeout <= 10**6
    post: __return__ >= 0
    post: (__return__ == 0) == (height < start + timeout)
    post: compute_round(start, height + 1, timeout) >= __return__
    post: compute_round(start, height + timeout, timeout) == __return__ + 1 or height < start
    """
    return compute_round(start, height, timeout)


def proposer_rotation(height: int, round_: int, members: int) -> int:
    """SC-LIVE-2: over members ``1..members``, a member, period ``members``, the next round differs.

    pre: 0 <= height <= 10**9 and 0 <= round_ <= 10**6 and 1 <= members <= 8
    post: 1 <= __return__ <= members
    post: get_proposer(height, round_ + members, tuple(range(1, members + 1))) == __return__
    post: members == 1 or get_proposer(height, round_ + 1, tuple(range(1, members + 1))) != __return__
    """
    return get_proposer(height, round_, tuple(range(1, members + 1)))
