"""A deliberately wrong contract that ``tests/test_p2p_symbolic.py`` expects CrossHair to refute.

It is the classic off-by-one of Kademlia bucket numbering: ``255 - bitlength(distance)`` instead of
``256 - bitlength(distance)`` (that is, ``254 - floor(log2 d)``). The farthest ids (top bit
different) then land in bucket -1. CrossHair must find such an input; if it stops finding it, the
symbolic check has become vacuous.
"""

from __future__ import annotations


def off_by_one_bucket(gap: int) -> int:
    """Claims the off-by-one index of a non-zero 256-bit distance stays in [0, 255].

    pre: 1 <= gap < 2**256
    post: 0 <= __return__ <= 255
    """
    return 255 - gap.bit_length()
