"""A deliberately wrong contract that ``tests/test_state_symbolic.py`` expects CrossHair to refute.

It is the layout mistake STATE-2 avoids: a quorum key with the base height little-endian. The keys
of one kind then no longer sort by height (256 = ``00 01 ..`` sorts before 1 = ``01 00 ..``), so a
snapshot chunked by key range is not chunked by height. CrossHair must find such a pair; if it
stops finding it, the symbolic check has become vacuous.
"""

from __future__ import annotations


def little_endian_quorum_key_order(low: int, high: int) -> tuple[bytes, bytes]:
    """Claims little-endian height keys sort as the heights.

    pre: 0 <= low < high < 2**64
    post: __return__[0] < __return__[1]
    """
    return b"\x08" + low.to_bytes(8, "little"), b"\x08" + high.to_bytes(8, "little")
