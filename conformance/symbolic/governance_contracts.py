"""PEP 316 contracts on the masternode and governance arithmetic (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.chain_contracts`, each function is a small wrapper around helpers of
``spec/masternode/`` and ``spec/governance/``; its ``post:`` lines must hold for every input
meeting its ``pre:`` lines. Ranges are bounded so that the solver can explore them; the wrappers
are plain functions too (``tests/test_governance_symbolic.py`` calls them on sample inputs).

Contracts (rule references in brackets):

* quorum threshold [QUORUM-3]: ``t = (2n + 2) // 3`` is ``ceil(2n / 3)``: ``1 <= t <= n``,
  ``3t >= 2n > 3(t - 1)``, and two sets of ``t`` signers share at least ``n / 3`` members.
* participation [GOV-5]: one more vote never loses participation, one more active masternode
  never gains it, and the rule is the exact cross-multiplied inequality.
* approval [GOV-5]: one more yes never loses approval, one more no never gains it once anyone has
  voted (CrossHair found the empty-ballot exception at ``bps = 0``); with a threshold above one
  half, approval means more yes than no votes; a unanimous yes always passes.
* PoSe score [MN-5/6]: decay stays in ``[0, score]`` and removes exactly ``decay`` unless it hits
  zero; a penalty adds exactly ``penalty`` and bans iff the result exceeds the threshold, and a
  higher score before the penalty never avoids a ban that a lower one gets.
* treasury [GOV-6]: payouts funded in order never spend more than the treasury, the remainder is
  what is left, and every unfunded payout is larger than the remainder.
"""

from __future__ import annotations

from spec.governance.proposals import approval_met, fund_in_order, participation_met
from spec.masternode.quorum import quorum_threshold
from spec.masternode.registry import decayed_score, penalised_score

__all__ = [
    "approval_majority",
    "approval_monotonic",
    "participation_monotonic",
    "pose_decay",
    "pose_penalty",
    "quorum_threshold_bounds",
    "treasury_budget",
]


def quorum_threshold_bounds(members: int) -> int:
    """QUORUM-3: the threshold is ceil(2n/3), within [1, n], and two signer sets overlap in n/3.

    pre: 1 <= members <= 10**6
    post: 1 <= __return__ <= members
    post: 3 * __return__ >= 2 * members > 3 * (__return__ - 1)
    post: 3 * (2 * __return__ - members) >= members
    """
    return quorum_threshold(members)


def participation_monotonic(yes: int, no: int, abstain: int, active: int, bps: int) -> bool:
    """GOV-5: participation is the exact inequality; more votes help, more active masternodes do not.

    pre: 0 <= yes <= 10**6 and 0 <= no <= 10**6 and 0 <= abstain <= 10**6
    pre: 0 <= active <= 10**6
    pre: 0 <= bps <= 10000
    post: __return__ == (active > 0 and (yes + no + abstain) * 10000 >= bps * active)
    post: not __return__ or participation_met(yes, no, abstain + 1, active, bps)
    post: not participation_met(yes, no, abstain, active + 1, bps) or active == 0 or __return__
    """
    return participation_met(yes, no, abstain, active, bps)


def approval_monotonic(yes: int, no: int, bps: int) -> bool:
    """GOV-5: another yes never loses approval; another no never gains it (once anyone voted: with
    ``bps = 0`` a lone no meets approval while an empty ballot never does).

    pre: 0 <= yes <= 10**6 and 0 <= no <= 10**6
    pre: 0 <= bps <= 10000
    post: not __return__ or approval_met(yes + 1, no, bps)
    post: not approval_met(yes, no + 1, bps) or __return__ or yes + no == 0
    post: yes + no == 0 or __return__ == (yes * 10000 >= bps * (yes + no))
    """
    return approval_met(yes, no, bps)


def approval_majority(yes: int, no: int, bps: int) -> bool:
    """GOV-5: above one half, approval means a yes majority; unanimity always passes.

    pre: 0 <= yes <= 10**6 and 0 <= no <= 10**6
    pre: 5001 <= bps <= 10000
    post: not __return__ or yes > no
    post: not (yes > 0 and no == 0) or __return__
    """
    return approval_met(yes, no, bps)


def pose_decay(score: int, decay: int) -> int:
    """MN-5: one block of decay stays in [0, score] and removes exactly ``decay`` unless it reaches 0.

    pre: 0 <= score <= 10**9
    pre: 0 <= decay <= 10**6
    post: 0 <= __return__ <= score
    post: __return__ == score - decay or (__return__ == 0 and score < decay)
    """
    return decayed_score(score, decay)


def pose_penalty(score: int, penalty: int, threshold: int) -> tuple[int, bool]:
    """MN-6: a penalty adds exactly ``penalty`` and bans iff the score ends above the threshold.

    pre: 0 <= score <= 10**9
    pre: 1 <= penalty <= 10**6
    pre: 1 <= threshold <= 10**9
    post: __return__[0] == score + penalty > score
    post: __return__[1] == (__return__[0] > threshold)
    post: not __return__[1] or penalised_score(score + 1, penalty, threshold)[1]
    """
    return penalised_score(score, penalty, threshold)


def treasury_budget(first: int, second: int, third: int, treasury: int) -> tuple[tuple[bool, ...], int]:
    """GOV-6: funding in order spends at most the treasury; unfunded payouts exceed what is left.

    pre: 1 <= first <= 10**15 and 1 <= second <= 10**15 and 1 <= third <= 10**15
    pre: 0 <= treasury <= 10**15
    post: 0 <= __return__[1] <= treasury
    post: __return__[1] == treasury - sum(a for a, f in zip((first, second, third), __return__[0]) if f)
    post: all(f or a > __return__[1] for a, f in zip((first, second, third), __return__[0]))
    post: __return__[0][0] == (first <= treasury)
    """
    return fund_in_order((first, second, third), treasury)
