"""The wrappers of ``conformance/symbolic/contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import contracts
from spec.encoding import MAX_U64, varint_encode

# --------------------------------------------------------------------------------------------
# The wrappers themselves (plain calls, no CrossHair)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 127, 128, 16383, 16384, 2**35, 2**63, MAX_U64])
def test_varint_wrappers_on_boundaries(value: int) -> None:
    assert contracts.varint_roundtrip(value) == value
    assert contracts.varint_length(value) == len(varint_encode(value))
    assert contracts.varint_shape(value) == varint_encode(value)
    assert contracts.varint_read_canonical(varint_encode(value)) == value
    assert contracts.varint_prefix(varint_encode(value) + b"\x00") == value


def test_other_wrappers_on_examples() -> None:
    assert contracts.varint_rejects_out_of_range(-1) and contracts.varint_rejects_out_of_range(2**64)
    assert contracts.varint_read_canonical(b"\x80\x00") is None
    assert contracts.varint_prefix(b"\x80") == -1
    assert contracts.uint_write(2, 65535) == b"\xff\xff" and contracts.uint_write(2, 65536) is None
    assert contracts.uint_read(4, b"\x01\x00\x00\x00") == 1 and contracts.uint_read(4, b"\x01") is None
    assert [contracts.merkle_split_point(n) for n in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]
    assert contracts.merkle_proof_length_bound(4, 5) == 1 and contracts.merkle_proof_length_bound(0, 5) == 3
    assert all(contracts.merkle_proof_length_matches(i, n) >= 0 for n in range(1, 21) for i in range(n))
