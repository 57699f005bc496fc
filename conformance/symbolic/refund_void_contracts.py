"""PEP 316 contracts on the refund/re-credit rules (``crosshair check``, PEP316; issue 16).

Each function wraps a decision of spec/sidechain/header.py (SC-HDR-6, used by SC-CP-7 in
spec/sidechain/checkpoint.py, SCB-2 in spec/sidechain/chain.py and SC-DSP-21 in
spec/sidechain/accumulator.py); its ``post:`` lines must hold for every input meeting its ``pre:``
lines. Heights range over ``0..10**9`` (the presets' timeouts are far smaller).

Contracts (rule references in brackets):

* before the refund [SC-CP-7]: a cursor is rejected exactly in ``[relay, refund)``, never at or
  after the refund, never below the relay.
* voided [SC-HDR-6]: a block leaves a voided slot out exactly once its cursor reaches the refund.
* never both [SC-MSG-5 with SC-CP-7 and SCB-2]: a message refunded at ``refund`` (so every standing
  cursor was below its relay height, SC-MSG-3) is never credited by a block whose checkpoint the
  mainchain accepts afterwards, whatever the block's parent cursor and cursor.
* the producer's cursor [SC-HDR-6 / SC-CP-7, SCB-6]: with two voided slots, the cursor
  ``get_cursor_after_refunds`` picks is at most the one asked, outside both windows, and the one
  asked itself when it is outside both.
* the canary ``tests/refund_void_symbolic_canary.py`` claims a block one height before the refund
  already leaves the message out; CrossHair must refute it.
"""

from __future__ import annotations

from spec.sidechain.header import VoidedInput, get_cursor_after_refunds, is_cursor_before_refund, is_voided

__all__ = ["before_refund", "credited_after_refund", "producer_cursor", "voided_from_refund"]


def before_refund(relay: int, refund: int, cursor: int) -> bool:
    """SC-CP-7: rejected iff ``relay <= cursor < refund``.

    pre: 0 <= relay < refund <= 10**9 and 0 <= cursor <= 2 * 10**9
    post: __return__ == (relay <= cursor and cursor < refund)
    post: not is_cursor_before_refund(relay, refund, refund)
    post: cursor >= relay or not __return__
    """
    return is_cursor_before_refund(relay, refund, cursor)


def voided_from_refund(relay: int, position: int, refund: int, cursor: int) -> bool:
    """SC-HDR-6: left out iff the cursor reaches the refund; monotone in the cursor.

    pre: 0 <= relay < refund <= 10**9 and 0 <= position <= 10**6 and 0 <= cursor <= 2 * 10**9
    post: __return__ == (cursor >= refund)
    post: not __return__ or is_voided(VoidedInput(relay, position, refund), cursor + 1)
    """
    return is_voided(VoidedInput(relay, position, refund), cursor)


def credited_after_refund(parent_cursor: int, cursor: int, relay: int, refund: int) -> bool:
    """SC-MSG-5 with SC-CP-7 and SCB-2: a block accepted after the refund never credits the message.

    ``parent_cursor < relay``: the refund needed every standing cursor below the relay height
    (SC-MSG-3); the block's range ``(parent_cursor, cursor]`` holds the slot iff ``relay <= cursor``.

    pre: 0 <= parent_cursor < relay < refund <= 10**9 and parent_cursor <= cursor <= 2 * 10**9
    post: not __return__
    """
    accepted = not is_cursor_before_refund(relay, refund, cursor)
    in_range = parent_cursor < relay <= cursor
    return accepted and in_range and not is_voided(VoidedInput(relay, 0, refund), cursor)


def producer_cursor(r1: int, f1: int, r2: int, f2: int, c: int) -> int:
    """SC-HDR-6 / SC-CP-7: the producer's cursor for ``c`` against two voided slots is accepted by
    SC-CP-7.

    pre: 1 <= r1 < f1 <= 10**6 and 1 <= r2 < f2 <= 10**6 and 0 <= c <= 2 * 10**6
    post: __return__ <= c
    post: not is_cursor_before_refund(r1, f1, __return__)
    post: not is_cursor_before_refund(r2, f2, __return__)
    post: __return__ == c or is_cursor_before_refund(r1, f1, c) or is_cursor_before_refund(r2, f2, c)
    """
    return get_cursor_after_refunds((VoidedInput(r1, 0, f1), VoidedInput(r2, 1, f2)), c)
