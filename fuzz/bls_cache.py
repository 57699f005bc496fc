"""A memoising BLS backend for harnesses whose curve arithmetic repeats from input to input.

The DKG and signing harnesses deliver messages from a *fixed pool* (genuine, tampered, forged,
malformed), so every input recomputes the same few hundred pairings, hash-to-curve calls and
decompressions: 95 % of an execution was arkworks, not the rules under test. Every method of a
:class:`~spec.crypto.bls.BlsBackend` is a pure function of its arguments (the backend contract),
so answering a repeated call from a cache changes no result, and the harness then spends its time
in ``spec/`` -- the session logic, the checks, the error paths -- where libFuzzer's coverage
guidance works. Inputs that reach new curve arithmetic (a mutated message) still compute it; the
caches are bounded (least recently used entries go first). The validator harnesses that verify a
fixed fixture's signatures on every input (``masternode_slash``, ``masternode_pose_challenge``,
``governance_vote``, ``finality_check_commitment``) run on it for the same reason, and so does
``sidechain_block``, whose programs post the same signed checkpoints again and again. Every method,
the checked linear combinations included, goes to the inner backend's own implementation, so the
cached backend runs the same code of ``spec/crypto/bls.py`` as the backend it caches, once per
distinct argument tuple.

:func:`cached_bls` selects the cached backend for the body of a ``with`` block, the way
:func:`spec.crypto.bls.use_backend` selects a named one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import ClassVar, TypeVar

from spec.crypto import bls
from spec.crypto.bls import BlsBackend, PointStatus

CACHE_ENTRIES = 1 << 14
"""Entries per cached method (a pool's worth of arithmetic is a few hundred)."""

T = TypeVar("T")


def _cached(function: Callable[..., T]) -> Callable[..., T]:
    return lru_cache(maxsize=CACHE_ENTRIES)(function)


class CachedBackend(BlsBackend):
    """The default backend's results, each computed once per distinct argument tuple."""

    name: ClassVar[str] = "cached"

    def __init__(self, inner: BlsBackend) -> None:
        self._g1_status = _cached(inner.g1_status)
        self._g2_status = _cached(inner.g2_status)
        self._g1_combination = _cached(lambda p, s: inner.g1_linear_combination(p, s))
        self._g2_combination = _cached(lambda p, s: inner.g2_linear_combination(p, s))
        # The checked combinations go to the inner backend's own (arkworks overrides them: each
        # point decompressed once), not to the base class's readable definition, so the cached
        # backend reaches the same code of spec/crypto/bls.py as the one it caches.
        self._g1_checked = _cached(lambda p, s: inner.g1_checked_linear_combination(p, s))
        self._g2_checked = _cached(lambda p, s: inner.g2_checked_linear_combination(p, s))
        self._hash_to_g2 = _cached(inner.hash_to_g2)
        self._pairing = _cached(lambda g1, g2: inner.pairing_product_is_one(g1, g2))

    def g1_status(self, data: bytes) -> PointStatus:
        """The inner backend's verdict, cached."""
        status: PointStatus = self._g1_status(bytes(data))
        return status

    def g2_status(self, data: bytes) -> PointStatus:
        """The inner backend's verdict, cached."""
        status: PointStatus = self._g2_status(bytes(data))
        return status

    def g1_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """The inner backend's sum, cached by the points and scalars."""
        total: bytes = self._g1_combination(tuple(points), tuple(scalars))
        return total

    def g2_linear_combination(self, points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
        """The inner backend's sum, cached by the points and scalars."""
        total: bytes = self._g2_combination(tuple(points), tuple(scalars))
        return total

    def g1_checked_linear_combination(
        self, points: Sequence[bytes], scalars: Sequence[int]
    ) -> bytes | tuple[int, PointStatus]:
        """The inner backend's checked sum (its first invalid point, else the sum), cached."""
        result: bytes | tuple[int, PointStatus] = self._g1_checked(tuple(points), tuple(scalars))
        return result

    def g2_checked_linear_combination(
        self, points: Sequence[bytes], scalars: Sequence[int]
    ) -> bytes | tuple[int, PointStatus]:
        """The inner backend's checked sum (its first invalid point, else the sum), cached."""
        result: bytes | tuple[int, PointStatus] = self._g2_checked(tuple(points), tuple(scalars))
        return result

    def hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        """The inner backend's hash, cached."""
        point: bytes = self._hash_to_g2(bytes(message), bytes(dst))
        return point

    def pairing_product_is_one(self, g1_points: Sequence[bytes], g2_points: Sequence[bytes]) -> bool:
        """The inner backend's verdict, cached by both point lists."""
        verdict: bool = self._pairing(tuple(g1_points), tuple(g2_points))
        return verdict


CACHED = CachedBackend(bls.get_backend(bls.DEFAULT_BACKEND))
"""One cache for the whole process (a libFuzzer worker runs one harness)."""


@contextmanager
def cached_bls() -> Iterator[BlsBackend]:
    """Run the ``with`` body on :data:`CACHED` (the previous backend is restored afterwards).

    ``spec.crypto.bls`` selects backends by name only; the context variable behind
    :func:`~spec.crypto.bls.use_backend` is set directly so that the specification needs no
    registry of test-only backends.
    """
    token = bls._ACTIVE.set(CACHED)
    try:
        yield CACHED
    finally:
        bls._ACTIVE.reset(token)
