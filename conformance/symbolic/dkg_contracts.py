"""PEP 316 contracts on the DKG's small arithmetic (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.chain_contracts`, each function wraps helpers of
``spec/masternode/dkg.py``; its ``post:`` lines must hold for every input meeting its ``pre:``
lines. Ranges are bounded so the solver can explore them; the wrappers are plain functions too
(``tests/test_dkg_symbolic.py`` calls them on samples).

Contracts (rule references in brackets):

* exponent schedule [DKG-6/8]: ``exponent_schedule(x, c)`` has ``c`` entries, starts at 1 and each
  entry is ``x`` times the previous mod ``r``; for small ``x`` no reduction happens (``x**k``), and
  for ``x = r - y`` the entries alternate in sign.
* phases [DKG-2]: ``phase_at_height`` partitions ``[start, end)`` into the four phases in order,
  each starting at ``phase_start_height``; it is ``None`` exactly outside the session and never
  goes back as the height grows.
* threshold [upstream rule]: ``(2n + 2) // 3 == ceil(2n / 3)``, it lies in ``[1, n]``, reaches two
  thirds and is the smallest such value.
* shares [DKG-4/7]: ``share_scalar`` accepts exactly 32-byte strings whose big-endian value is
  below ``r``, and returns that value.
* batch weights [DKG-10]: every weight lies in ``[1, 2**128]``.
* share encryption [DKG-11/12]: an ephemeral scalar derived from a 64-byte digest lies in
  ``[1, r - 1]``; a revealed ephemeral key is accepted exactly when it is 32 bytes in ``[1, r - 1]``
  (and then read as that value); the share context is 36 bytes and determines session, dealer and
  recipient (no two ``(dealer, recipient)`` pairs share a key context).
"""

from __future__ import annotations

from spec.crypto.bls import CURVE_ORDER
from spec.errors import DkgMalformedJustification
from spec.masternode.dkg import (
    DkgPhase,
    batch_weight,
    default_threshold,
    exponent_schedule,
    phase_at_height,
    phase_start_height,
    session_end_height,
    share_scalar,
)
from spec.masternode.share_encryption import ephemeral_from_digest, ephemeral_scalar, share_context
from spec.presets import DkgParams

__all__ = [
    "batch_weight_range",
    "ephemeral_digest_range",
    "ephemeral_scalar_range",
    "exponent_schedule_negated",
    "exponent_schedule_small",
    "exponent_schedule_steps",
    "phase_monotonic",
    "phase_partition",
    "share_context_injective",
    "share_scalar_range",
    "threshold_two_thirds",
]

R = CURVE_ORDER


def exponent_schedule_small(x: int, count: int) -> tuple[int, ...]:
    """For ``x < 2**16`` and at most 8 terms nothing wraps: the entries are ``x**k``.

    pre: 0 <= x < 2**16
    pre: 0 <= count <= 8
    post: len(__return__) == count
    post: all(__return__[k] == x**k for k in range(count))
    """
    return exponent_schedule(x, count)


def exponent_schedule_steps(x: int, count: int) -> tuple[int, ...]:
    """Every entry is the previous one times ``x`` modulo ``r``, starting from 1, all in ``[0, r)``.

    pre: -(2**300) <= x <= 2**300
    pre: 1 <= count <= 6
    post: __return__[0] == 1
    post: all(0 <= v < R for v in __return__)
    post: all(__return__[k + 1] == __return__[k] * x % R for k in range(count - 1))
    """
    return exponent_schedule(x, count)


def exponent_schedule_negated(y: int, count: int) -> tuple[int, ...]:
    """At ``x = r - y`` the schedule is ``(-y)**k mod r``: odd powers are the negatives of ``y**k``.

    pre: 1 <= y < 2**16
    pre: 0 <= count <= 6
    post: all(__return__[k] == (y**k if k % 2 == 0 else R - y**k) for k in range(count))
    """
    return exponent_schedule(R - y, count)


def phase_partition(start: int, height: int, c: int, k: int, j: int, f: int) -> DkgPhase | None:
    """The phase at a height is the one whose window contains it; ``None`` exactly outside the session.

    ``c, k, j, f`` are the contribution, complaint, justification and finalization lengths.

    pre: 0 <= start <= 2**40
    pre: 0 <= height <= 2**41
    pre: 1 <= c <= 1000 and 1 <= k <= 1000 and 1 <= j <= 1000 and 1 <= f <= 1000
    post: (__return__ is None) == (height < start or height >= start + c + k + j + f)
    post: __return__ is None or _window(start, __return__, _params(c, k, j, f), height)
    """
    return phase_at_height(start, height, _params(c, k, j, f))


def phase_monotonic(start: int, low: int, high: int, contribution: int, complaint: int) -> bool:
    """Within the session a later height is never in an earlier phase.

    pre: 0 <= start <= 2**40
    pre: start <= low <= high
    pre: 1 <= contribution <= 1000 and 1 <= complaint <= 1000
    pre: high < start + contribution + complaint + 10
    post: __return__
    """
    params = _params(contribution, complaint, 5, 5)
    first = phase_at_height(start, low, params)
    second = phase_at_height(start, high, params)
    return first is not None and second is not None and first <= second


def threshold_two_thirds(members: int) -> int:
    """Upstream's ``(2n + 2) // 3`` is ``ceil(2n / 3)``: in ``[1, n]``, at least two thirds, minimal.

    pre: 1 <= members <= 2**16
    post: 1 <= __return__ <= members
    post: 3 * __return__ >= 2 * members
    post: 3 * (__return__ - 1) < 2 * members
    """
    return default_threshold(members)


def share_scalar_range(data: bytes) -> int | None:
    """A share is exactly 32 bytes whose big-endian value is below ``r``.

    pre: len(data) <= 40
    post: (__return__ is not None) == (len(data) == 32 and int.from_bytes(data, "big") < R)
    post: __return__ is None or __return__ == int.from_bytes(data, "big")
    """
    return share_scalar(data)


def batch_weight_range(digest: bytes) -> int:
    """Batch weights are never zero and fit 128 bits plus one.

    pre: len(digest) == 32
    post: 1 <= __return__ <= 2**128
    """
    return batch_weight(digest)


def ephemeral_digest_range(wide: bytes) -> int:
    """DKG-11: the ephemeral scalar hashed from a seed is never zero and below ``r``.

    pre: len(wide) == 64
    post: 1 <= __return__ <= R - 1
    """
    return ephemeral_from_digest(wide)


def ephemeral_scalar_range(data: bytes) -> int | None:
    """DKG-12: a revealed ephemeral key is exactly 32 bytes in ``[1, r - 1]``.

    pre: len(data) <= 40
    post: (__return__ is not None) == (len(data) == 32 and 1 <= int.from_bytes(data, "big") < R)
    post: __return__ is None or __return__ == int.from_bytes(data, "big")
    """
    try:
        return ephemeral_scalar(data)
    except DkgMalformedJustification:
        return None


def share_context_injective(
    session: bytes, dealer: int, recipient: int, other_dealer: int, other: int
) -> bool:
    """DKG-11: the key context of ``(dealer, recipient)`` is 36 bytes and differs from every other pair's.

    pre: len(session) == 32
    pre: 1 <= dealer <= 65535 and 1 <= recipient <= 65535
    pre: 1 <= other_dealer <= 65535 and 1 <= other <= 65535
    post: __return__ == ((dealer, recipient) == (other_dealer, other))
    """
    first = share_context(session, dealer, recipient)
    second = share_context(session, other_dealer, other)
    assert len(first) == 36
    return first == second


def _params(contribution: int, complaint: int, justification: int, finalization: int) -> DkgParams:
    return DkgParams(contribution, complaint, justification, finalization, 1)


def _window(start: int, phase: DkgPhase, params: DkgParams, height: int) -> bool:
    """Whether ``height`` lies in ``phase``'s window: from its start to the next phase's (or the end)."""
    following = (
        session_end_height(start, params)
        if phase is DkgPhase.FINALIZATION
        else phase_start_height(start, DkgPhase(phase + 1), params)
    )
    return phase_start_height(start, phase, params) <= height < following
