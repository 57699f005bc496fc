"""PEP 316 contracts on the upgrade threshold arithmetic (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.governance_contracts`, each function is a small wrapper around helpers
of ``spec/forks/deployment.py``; its ``post:`` lines must hold for every input meeting its ``pre:``
lines. Ranges are bounded so that the solver can explore them (a mainnet window holds 40,320 votes).

Contracts (rule references in brackets):

* lock-in [UPG-5]: the exact cross-multiplied inequality with the quorum; with a threshold above
  one half, lock-in means strictly more yes than no votes and excludes a no supermajority, so a
  window can never both lock in and fail an agenda; one more yes never loses a lock-in; moving a
  vote from yes to no never gains one.
* a no vote can complete the quorum [UPG-5]: the canary ``tests/upgrade_symbolic_canary.py`` claims
  that one more no vote never turns a window into a lock-in; CrossHair must refute it (4 yes miss a
  quorum of 5, 4 yes and 1 no lock in at 80 %), which is Decred's rule and documented.
* the state machine [UPG-4]: ACTIVE comes only from LOCKED_IN or ACTIVE, LOCKED_IN only from a
  STARTED window that met quorum and threshold; nothing leaves ACTIVE or FAILED; nothing is
  decided before the start height except by expiry.
"""

from __future__ import annotations

from spec.forks.deployment import DeploymentStatus, is_locked_in, is_voted_down, next_status
from spec.presets import Deployment

__all__ = [
    "lock_in_exact",
    "lock_in_monotonic",
    "state_step",
    "yes_and_no_exclusive",
]

_STATUSES = tuple(DeploymentStatus)
_USED_IN_CONDITIONS = (is_voted_down,)


def lock_in_exact(yes: int, no: int, quorum: int, bps: int) -> bool:
    """UPG-5: lock-in is the quorum and the exact cross-multiplied threshold.

    pre: 0 <= yes <= 50000 and 0 <= no <= 50000
    pre: 1 <= quorum <= 50000
    pre: 5000 < bps <= 10000
    post: __return__ == (yes + no >= quorum and yes * 10000 >= bps * (yes + no))
    post: not __return__ or yes > no
    post: not __return__ or 4 * yes >= 3 * (yes + no) or bps < 7500
    """
    return is_locked_in(yes, no, quorum, bps)


def yes_and_no_exclusive(yes: int, no: int, quorum: int, bps: int) -> bool:
    """UPG-5: with a threshold above one half a window cannot lock in and fail the agenda at once.

    pre: 0 <= yes <= 50000 and 0 <= no <= 50000
    pre: 1 <= quorum <= 50000
    pre: 5000 < bps <= 10000
    post: not (__return__ and is_voted_down(yes, no, quorum, bps))
    post: not is_voted_down(yes, no, quorum, bps) or no > yes
    """
    return is_locked_in(yes, no, quorum, bps)


def lock_in_monotonic(yes: int, no: int, quorum: int, bps: int) -> bool:
    """UPG-5: one more yes keeps a lock-in; a vote moved from yes to no never creates one.

    pre: 0 <= yes <= 50000 and 0 <= no <= 50000
    pre: 1 <= quorum <= 50000
    pre: 5000 < bps <= 10000
    post: not __return__ or is_locked_in(yes + 1, no, quorum, bps)
    post: yes == 0 or not is_locked_in(yes - 1, no + 1, quorum, bps) or __return__
    """
    return is_locked_in(yes, no, quorum, bps)


def state_step(status: int, window_start: int, yes: int, no: int, previous: bool, start: int) -> int:
    """UPG-4: the transitions of the state machine (statuses as indices of DeploymentStatus).

    pre: 0 <= status <= 4
    pre: 1 <= window_start <= 10000 and 0 <= start <= 10000
    pre: 0 <= yes <= 50 and 0 <= no <= 50
    post: __return__ != 3 or status in (2, 3)
    post: __return__ != 2 or (status == 1 and is_locked_in(yes, no, 5, 7500))
    post: status not in (3, 4) or __return__ == status
    post: window_start >= start or window_start >= 200 or __return__ == status or status != 0
    post: status != 0 or __return__ in (0, 1, 4)
    """
    deployment = Deployment("agenda", 1, 10, 5, 7500, start, 200)
    after = next_status(_STATUSES[status], window_start, yes, no, previous, deployment)
    return _STATUSES.index(after)
