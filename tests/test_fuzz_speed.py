"""The shortcuts that make the slow harnesses fast give the same answers as the long way round.

* :func:`fuzz.xor.xor_over` is the per-byte XOR loop the validator harnesses used to run;
* :class:`fuzz.bls_cache.CachedBackend` answers every backend method, the checked linear
  combinations included, exactly as the backend it caches (and through that backend's own code);
* ``upgrade_vote``'s memoised messages are :func:`~spec.chain.tickets.vote_message` of each bits value.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz import upgrade_harnesses
from fuzz.bls_cache import CACHED, cached_bls
from fuzz.xor import xor_over
from spec.chain.tickets import vote_message
from spec.crypto import bls
from spec.ledger.transaction import OutPoint
from tests.hypothesis_profiles import examples


def _xor_loop(original: bytes, data: bytes) -> bytes:
    raw = bytearray(original)
    for position, byte in enumerate(data[: len(raw)]):
        raw[position] ^= byte
    return bytes(raw) + data[len(raw) :]


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(max_size=80), st.binary(max_size=80))
def test_xor_over_is_the_byte_loop(original: bytes, data: bytes) -> None:
    assert xor_over(original, data) == _xor_loop(original, data)


def test_xor_over_edges() -> None:
    assert xor_over(b"", b"") == b""
    assert xor_over(b"\x00\xff", b"") == b"\x00\xff"
    assert xor_over(b"", b"\x01\x02") == b"\x01\x02"
    assert xor_over(b"\x00\xff\x10", b"\xff\xff") == b"\xff\x00\x10"
    assert xor_over(b"\x0f", b"\xf0\x01\x02") == b"\xff\x01\x02"


def test_cached_backend_checked_combinations_match_the_default_backend() -> None:
    inner = bls.get_backend(bls.DEFAULT_BACKEND)
    g1 = [inner.g1_linear_combination((bls.G1_GENERATOR,), (k,)) for k in (1, 2, 3)]
    g2 = [inner.g2_linear_combination((bls.G2_GENERATOR,), (k,)) for k in (1, 2)]
    off_curve = bytes([0x80 | 0x1F]) + b"\xff" * 47
    cases_g1 = [(g1, [1, 0, 5]), (g1[:1], [7]), ([g1[0], off_curve], [1, 1])]
    cases_g2 = [(g2, [2, 3]), ([g2[0], bytes([0x80 | 0x1F]) + b"\xff" * 95], [1, 1])]
    for points, scalars in cases_g1:
        for _ in range(2):  # computed, then answered from the cache
            assert CACHED.g1_checked_linear_combination(
                points, scalars
            ) == inner.g1_checked_linear_combination(points, scalars)
    for points, scalars in cases_g2:
        for _ in range(2):
            assert CACHED.g2_checked_linear_combination(
                points, scalars
            ) == inner.g2_checked_linear_combination(points, scalars)
    with cached_bls():
        assert bls.g1_add(g1[:2]) == g1[2]


def test_upgrade_vote_messages_are_the_vote_messages() -> None:
    parent, outpoint = bytes(range(32)), OutPoint(b"\x07" * 32, 3)
    messages, distinct = upgrade_harnesses._messages_by_bits(parent, outpoint)
    assert distinct and len(messages) == 256
    assert all(messages[bits] == vote_message(parent, outpoint, bits) for bits in range(256))
    assert messages[0] == vote_message(parent, outpoint)
