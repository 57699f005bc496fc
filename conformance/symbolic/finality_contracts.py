"""PEP 316 contracts on the finality schedule (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.dkg_contracts`, each function wraps helpers of
``spec/masternode/finality.py`` (and QUORUM-3's threshold); its ``post:`` lines must hold for every
input meeting its ``pre:`` lines. The interval and the four DKG phase lengths are inputs too, so
the schedule is checked for every preset, not only the shipped ones. The wrappers are plain
functions (``tests/test_finality_symbolic.py`` calls them on samples).

Contracts (rule references in brackets):

* quorum in charge [FIN-2]: ``finality_quorum_height(h)`` is ``None`` exactly below ``D``; otherwise
  a multiple of ``I`` whose DKG ended at or before ``h`` while the next quorum's had not; and it
  never goes back as ``h`` grows.
* base heights [FIN-1]: ``is_finality_quorum_base`` is "a non-negative multiple of ``I``".
* member rule [FIN-3]: ``may_sign_finality`` allows exactly the heights above the last signed one,
  so a member that follows it signs any two heights in strictly increasing order (never two blocks
  at one height).
* majority [FIN-3, QUORUM-3]: ``2t > n`` for ``t = quorum_threshold(n)``: two signer sets of at least
  ``t`` members share at least ``2t - n >= max(1, n / 3)`` of them.
* commitment window [FIN-5]: ``commitment_window(b)`` opens at the first block of the DKG's
  FINALIZATION phase (``b + c + k + j``), no later than the quorum's first certified height
  ``b + D``, and closes at ``b + D + I``, the first height the next quorum is in charge of; every
  height the quorum is in charge of (FIN-2) lies in the window, so a committed key can be on chain
  for any certificate the quorum makes.
"""

from __future__ import annotations

from dataclasses import replace

from spec.masternode.finality import (
    commitment_window,
    finality_quorum_height,
    is_finality_quorum_base,
    may_sign_finality,
)
from spec.masternode.quorum import quorum_threshold
from spec.presets import DEVNET, DkgParams, Preset

__all__ = [
    "base_height_rule",
    "commitment_window_bounds",
    "member_signs_increasing_heights",
    "quorum_in_charge",
    "quorum_in_charge_monotonic",
    "sign_rule",
    "signer_sets_overlap",
    "threshold_majority",
    "window_covers_term",
    "window_ends_with_term",
]


def quorum_in_charge(height: int, interval: int, c: int, k: int, j: int, f: int) -> int | None:
    """FIN-2: the quorum in charge of ``height`` finished its DKG by then and is the newest that did.

    ``c, k, j, f`` are the DKG phase lengths (``D = c + k + j + f``), ``interval`` is ``I``.

    pre: 0 <= height <= 2**64 - 1
    pre: 1 <= interval <= 10**6
    pre: 1 <= c <= 1000 and 1 <= k <= 1000 and 1 <= j <= 1000 and 1 <= f <= 1000
    post: (__return__ is None) == (height < c + k + j + f)
    post: __return__ is None or (__return__ >= 0 and __return__ % interval == 0)
    post: __return__ is None or __return__ + c + k + j + f <= height
    post: __return__ is None or height < __return__ + interval + c + k + j + f
    """
    return finality_quorum_height(height, _preset(interval, c, k, j, f))


def quorum_in_charge_monotonic(low: int, high: int, interval: int, length: int) -> bool:
    """FIN-2: a later height is never certified by an earlier quorum (``None`` counts as lowest).

    pre: 0 <= low <= high <= 2**64 - 1
    pre: 1 <= interval <= 10**6
    pre: 4 <= length <= 4000
    post: __return__
    """
    preset = _preset(interval, length - 3, 1, 1, 1)
    first = finality_quorum_height(low, preset)
    second = finality_quorum_height(high, preset)
    return first is None or (second is not None and first <= second)


def base_height_rule(height: int, interval: int) -> bool:
    """FIN-1: a finality quorum is based exactly at the non-negative multiples of ``I``.

    pre: -(2**64) <= height <= 2**64
    pre: 1 <= interval <= 10**6
    post: __return__ == (height >= 0 and height % interval == 0)
    """
    return is_finality_quorum_base(height, _preset(interval, 10, 5, 5, 5))


def sign_rule(signed_before: bool, last: int, height: int) -> bool:
    """FIN-3: a member may sign exactly the heights above the last one it signed.

    pre: 0 <= last <= 2**64 - 1
    pre: 0 <= height <= 2**64 - 1
    post: __return__ == (not signed_before or height > last)
    """
    return may_sign_finality(last if signed_before else None, height)


def member_signs_increasing_heights(signed_before: bool, last: int, first: int, second: int) -> bool:
    """FIN-3: a member that follows the rule and signs ``first`` and then ``second`` has ``first < second``.

    Returns whether it signs both, so it never signs two blocks at one height.

    pre: 0 <= last <= 2**64 - 1
    pre: 0 <= first <= 2**64 - 1 and 0 <= second <= 2**64 - 1
    post: not __return__ or first < second
    post: __return__ == ((not signed_before or first > last) and second > first)
    """
    if not may_sign_finality(last if signed_before else None, first):
        return False
    return may_sign_finality(first, second)


def threshold_majority(members: int) -> int:
    """FIN-3: the threshold is a strict majority, by at least a third of the members.

    pre: 1 <= members <= 2**16
    post: 1 <= __return__ <= members
    post: 2 * __return__ > members
    post: 3 * (2 * __return__ - members) >= members
    """
    return quorum_threshold(members)


def signer_sets_overlap(members: int, first: int, second: int) -> int:
    """FIN-3: sets of ``first`` and ``second`` signers among ``members``, each at least the
    threshold, share at least ``first + second - members`` members (returned): at least one.

    pre: 1 <= members <= 2**16
    pre: quorum_threshold(members) <= first <= members
    pre: quorum_threshold(members) <= second <= members
    post: __return__ >= 1
    post: __return__ >= 2 * quorum_threshold(members) - members
    """
    return first + second - members


def commitment_window_bounds(
    base_index: int, interval: int, c: int, k: int, j: int, f: int
) -> tuple[int, int]:
    """FIN-5: the window of the quorum based at ``b = base_index * I`` is ``[b + c + k + j, b + D + I)``.

    pre: 0 <= base_index <= 2**40
    pre: 1 <= interval <= 10**6
    pre: 1 <= c <= 1000 and 1 <= k <= 1000 and 1 <= j <= 1000 and 1 <= f <= 1000
    post: __return__[0] == base_index * interval + c + k + j
    post: __return__[1] == base_index * interval + c + k + j + f + interval
    post: __return__[0] <= base_index * interval + c + k + j + f < __return__[1]
    """
    return commitment_window(base_index * interval, _preset(interval, c, k, j, f))


def window_ends_with_term(base_index: int, interval: int, length: int) -> int | None:
    """FIN-2/5: the first height after the window is already the next quorum's (so, with
    :func:`window_covers_term`, the window ends exactly with the quorum's term).

    Returns ``finality_quorum_height(closes)``.

    pre: 0 <= base_index <= 2**40
    pre: 1 <= interval <= 10**6
    pre: 4 <= length <= 4000
    post: __return__ == (base_index + 1) * interval
    """
    preset = _preset(interval, length - 3, 1, 1, 1)
    _, closes = commitment_window(base_index * interval, preset)
    return finality_quorum_height(closes, preset)


def window_covers_term(base_index: int, height: int, interval: int, c: int, k: int, j: int, f: int) -> bool:
    """FIN-2/5: every height the quorum based at ``b = base_index * I`` certifies is in its window.

    pre: 0 <= base_index <= 2**40
    pre: 0 <= height <= 2**64 - 1
    pre: 1 <= interval <= 10**6
    pre: 1 <= c <= 1000 and 1 <= k <= 1000 and 1 <= j <= 1000 and 1 <= f <= 1000
    post: __return__
    """
    preset = _preset(interval, c, k, j, f)
    opens, closes = commitment_window(base_index * interval, preset)
    return finality_quorum_height(height, preset) != base_index * interval or opens <= height < closes


def _preset(interval: int, c: int, k: int, j: int, f: int) -> Preset:
    return replace(
        DEVNET,
        dkg=DkgParams(c, k, j, f, DEVNET.dkg.min_members),
        masternodes=replace(DEVNET.masternodes, finality_quorum_interval=interval),
    )
