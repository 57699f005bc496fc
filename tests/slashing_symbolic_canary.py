"""Deliberately wrong contracts that ``tests/test_slashing_symbolic.py`` expects CrossHair to refute.

``burn_ignoring_before`` burns every SLASHED entry whether or not it was SLASHED before and claims a
collateral is burnt once; ``late_term`` accepts double-signing evidence one block after the
quorum's term and claims it is still in term; ``ban_one_term_early`` claims a silent masternode is
banned one PoSe term sooner than it is; ``missed_counting_every_height`` counts a height
nobody finalized against a silent member and claims a member misses at most the finalized
heights. If CrossHair stops finding these, the slashing
symbolic check has become vacuous.
"""

from __future__ import annotations


def burn_ignoring_before(before: list[int], after: list[int]) -> tuple[int, ...]:
    """Claims nothing already SLASHED is burnt again (false: ``before`` is ignored).

    pre: len(before) == len(after) <= 3
    pre: all(0 <= s <= 2 for s in before) and all(0 <= s <= 2 for s in after)
    post: all(before[i] != 2 for i in __return__)
    """
    return tuple(i for i, status in enumerate(after) if status == 2)


def late_term(height: int, quorum_height: int, interval: int, length: int) -> bool:
    """Claims a term that ends one block late is the quorum's term (false at its last height).

    pre: 0 <= quorum_height <= 2**40 and 0 <= height <= 2**40
    pre: 1 <= interval <= 1000 and 1 <= length <= 1000
    post: not __return__ or height < quorum_height + length + interval
    """
    return (
        quorum_height % interval == 0
        and quorum_height + length <= height <= quorum_height + length + interval
    )


def ban_one_term_early(penalty: int, threshold: int, gain: int) -> int:
    """Claims ``(T - p) // g + 1`` terms already push the score above ``T`` (false: one short).

    pre: 1 <= penalty <= 1000 and penalty <= threshold <= 100000 and 1 <= gain <= penalty
    post: penalty + (__return__ - 1) * gain > threshold
    """
    return (threshold - penalty) // gain + 1


def _counted(sets: list[list[int]], members: int, threshold: int) -> int:
    return len([s for s in sets if len({x for x in s if 1 <= x <= members}) >= threshold])


def missed_counting_every_height(sets: list[list[int]], members: int, threshold: int) -> tuple[int, ...]:
    """Claims misses never exceed the finalized heights (false: every height is counted here).

    pre: 1 <= members <= 4 and 1 <= threshold <= members
    pre: len(sets) <= 4 and all(len(s) <= 5 for s in sets)
    post: all(c <= _counted(sets, members, threshold) for c in __return__)
    """
    return tuple(sum(1 for s in sets if j not in s) for j in range(1, members + 1))
