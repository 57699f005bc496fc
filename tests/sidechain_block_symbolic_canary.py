"""A deliberately wrong contract that ``tests/test_sidechain_block_symbolic.py`` expects CrossHair to refute.

It claims that every mainchain input at or below the new cursor is taken by the block. Under SCB-2
a block takes only heights strictly above its parent's cursor (those at or below were the earlier
blocks'), so an input exactly at the parent's cursor is a counterexample. If CrossHair stops finding
it, the symbolic check has become vacuous.
"""

from __future__ import annotations

from spec.sidechain.chain import is_in_cursor_range


def everything_below_the_cursor_is_taken(height: int, parent: int, cursor: int) -> bool:
    """Claims a block takes every input at or below its cursor (false: not those at or below the parent's).

    pre: 0 <= parent <= cursor <= 10**6
    pre: 0 <= height <= 10**6
    post: __return__ or height > cursor
    """
    return is_in_cursor_range(height, parent, cursor)
