"""A deliberately wrong contract that ``tests/test_symbolic_suites.py`` expects CrossHair to refute.

It claims a block whose cursor is one height below a message's refund already leaves the message
out (an off-by-one in SC-HDR-6, which would let SC-CP-7 accept a cursor that credits a refunded
message). CrossHair must find that cursor; if it stops finding one, the check has become vacuous.
"""

from __future__ import annotations

from spec.sidechain.header import VoidedInput, is_voided


def voided_one_block_early(relay: int, refund: int, cursor: int) -> bool:
    """Claims ``refund - 1`` already voids the slot (false: SC-HDR-6 needs ``cursor >= refund``).

    pre: 0 <= relay < refund <= 1000 and 0 <= cursor <= 3000
    post: cursor != refund - 1 or __return__
    """
    return is_voided(VoidedInput(relay, 0, refund), cursor)
