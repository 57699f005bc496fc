"""Deliberately wrong contracts that ``tests/test_finality_symbolic.py`` expects CrossHair to refute.

``early_quorum_in_charge`` hands a height to a quorum one block before its DKG ends (the schedule
offset by ``D - 1``); ``resigning_member`` lets a member sign the height it signed last (``>=``
instead of ``>``), which is how one member makes two certificates at one height possible;
``floored_majority`` uses ``2n // 3`` and claims it is a strict majority; ``window_ends_with_dkg``
closes the commitment window at ``b + D`` and claims it still covers the quorum's term (FIN-5). If
CrossHair stops finding these, the finality symbolic check has become vacuous.
"""

from __future__ import annotations


def early_quorum_in_charge(height: int, interval: int, length: int) -> int | None:
    """Claims the quorum in charge has finished its DKG (false: off by one).

    pre: 0 <= height <= 2**40
    pre: 1 <= interval <= 1000
    pre: 1 <= length <= 1000
    post: __return__ is None or __return__ + length <= height
    """
    offset = height - length + 1
    if offset < 0:
        return None
    return offset - offset % interval


def resigning_member(last: int, height: int) -> bool:
    """Claims a member allowed by ``height >= last`` never signs the same height twice.

    pre: 0 <= last <= 2**40
    pre: 0 <= height <= 2**40
    post: not __return__ or height > last
    """
    return height >= last


def floored_majority(members: int) -> int:
    """Claims ``2n // 3`` signers are a strict majority (false for n = 1 and n = 2).

    pre: 1 <= members <= 2**16
    post: 2 * __return__ > members
    """
    return 2 * members // 3


def window_ends_with_dkg(base_index: int, height: int, interval: int, length: int) -> bool:
    """Claims a commitment window ``[b, b + D)`` covers the heights quorum ``b`` certifies (false:
    it certifies ``[b + D, b + D + I)``, all outside).

    pre: 0 <= base_index <= 2**20
    pre: 0 <= height <= 2**40
    pre: 1 <= interval <= 1000
    pre: 1 <= length <= 1000
    post: __return__
    """
    base = base_index * interval
    in_term = base + length <= height < base + length + interval
    return not in_term or base <= height < base + length
