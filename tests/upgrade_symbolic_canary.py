"""A deliberately wrong contract that ``tests/test_upgrades_symbolic.py`` expects CrossHair to refute.

It claims that a no vote never helps an agenda lock in. Under UPG-5 (Decred's rule) no votes count
toward the quorum, so with a quorum of 5 four yes votes miss it while four yes and one no lock the
agenda in at 80 %. CrossHair must find such a tally; if it stops finding it, the symbolic check has
become vacuous.
"""

from __future__ import annotations

from spec.forks.deployment import is_locked_in


def no_vote_never_helps(yes: int, no: int, quorum: int, bps: int) -> bool:
    """Claims one more no vote never turns a window into a lock-in (false: it can complete the quorum).

    pre: 0 <= yes <= 1000 and 0 <= no <= 1000
    pre: 1 <= quorum <= 1000
    pre: 5000 < bps <= 10000
    post: __return__ or not is_locked_in(yes, no + 1, quorum, bps)
    """
    return is_locked_in(yes, no, quorum, bps)
