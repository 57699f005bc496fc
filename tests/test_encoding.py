"""Properties of the canonical encoding (ENC-1..ENC-4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.encoding import (
    BOOL,
    BYTES32,
    U8,
    U16,
    U32,
    U64,
    VARINT,
    Codec,
    FixedBytes,
    ListOf,
    Mapped,
    OptionOf,
    Struct,
    VarBytes,
    decode,
    encode,
    varint_encode,
)
from spec.errors import (
    DecodeError,
    EncodeError,
    InvalidBoolean,
    InvalidEnumTag,
    LengthLimitExceeded,
    NonCanonicalVarint,
    TrailingBytes,
    TruncatedInput,
    VarintOverflow,
)


@dataclass(frozen=True)
class Sample:
    """A struct exercising every combinator."""

    flag: bool
    small: int
    amount: int
    key: bytes
    memo: bytes
    items: tuple[int, ...]
    extra: int | None


SAMPLE = Struct(
    Sample,
    [
        ("flag", BOOL),
        ("small", U16),
        ("amount", VARINT),
        ("key", BYTES32),
        ("memo", VarBytes(64)),
        ("items", ListOf(U32, 8)),
        ("extra", OptionOf(U64)),
    ],
)

samples = st.builds(
    Sample,
    flag=st.booleans(),
    small=st.integers(0, 2**16 - 1),
    amount=st.integers(0, 2**64 - 1),
    key=st.binary(min_size=32, max_size=32),
    memo=st.binary(max_size=64),
    items=st.lists(st.integers(0, 2**32 - 1), max_size=8).map(tuple),
    extra=st.none() | st.integers(0, 2**64 - 1),
)


@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip_and_minimal(value: int) -> None:
    data = varint_encode(value)
    assert decode(VARINT, data) == value
    assert 1 <= len(data) <= 10
    assert len(data) == max(1, (value.bit_length() + 6) // 7)
    assert len(data) == 1 or data[-1] != 0


@given(samples)
def test_struct_round_trip(sample: Sample) -> None:
    data = encode(SAMPLE, sample)
    assert decode(SAMPLE, data) == sample


@given(st.binary(max_size=200))
def test_decode_accepts_only_canonical_bytes(data: bytes) -> None:
    """ENC-2/ENC-4: any accepted byte string re-encodes to itself; anything else is a DecodeError."""
    try:
        value = decode(SAMPLE, data)
    except DecodeError:
        return
    assert encode(SAMPLE, value) == data


@given(samples, st.binary(min_size=1, max_size=8))
def test_trailing_bytes_rejected(sample: Sample, extra: bytes) -> None:
    with pytest.raises(TrailingBytes):
        decode(SAMPLE, encode(SAMPLE, sample) + extra)


@given(samples, st.data())
def test_every_strict_prefix_is_truncated(sample: Sample, data: st.DataObject) -> None:
    encoded = encode(SAMPLE, sample)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(DecodeError):
        decode(SAMPLE, encoded[:cut])


@given(st.integers(0, 2**57 - 1), st.integers(1, 3))
def test_overlong_varint_rejected(value: int, padding: int) -> None:
    """Appending zero groups to a varint is never accepted."""
    minimal = bytearray(varint_encode(value))
    minimal[-1] |= 0x80
    overlong = bytes(minimal) + b"\x80" * (padding - 1) + b"\x00"
    with pytest.raises((NonCanonicalVarint, VarintOverflow)):
        decode(VARINT, overlong)


def test_varint_boundaries() -> None:
    assert varint_encode(2**64 - 1) == b"\xff" * 9 + b"\x01"
    with pytest.raises(VarintOverflow):
        decode(VARINT, b"\x80" * 9 + b"\x02")
    with pytest.raises(VarintOverflow):
        decode(VARINT, b"\x80" * 10 + b"\x01")
    with pytest.raises(TruncatedInput):
        decode(VARINT, b"\x80")
    with pytest.raises(EncodeError):
        varint_encode(2**64)
    with pytest.raises(EncodeError):
        varint_encode(-1)


@pytest.mark.parametrize(("codec", "too_big"), [(U8, 256), (U16, 2**16), (U32, 2**32), (U64, 2**64)])
def test_uint_range(codec: Codec[int], too_big: int) -> None:
    assert decode(codec, encode(codec, too_big - 1)) == too_big - 1
    with pytest.raises(EncodeError):
        encode(codec, too_big)
    with pytest.raises(EncodeError):
        encode(codec, -1)


def test_length_limits_checked_before_allocation() -> None:
    with pytest.raises(LengthLimitExceeded):
        decode(VarBytes(10), varint_encode(2**64 - 1))
    with pytest.raises(LengthLimitExceeded):
        decode(ListOf(U8, 10), varint_encode(11) + bytes(11))
    with pytest.raises(EncodeError):
        encode(VarBytes(2), b"abc")
    with pytest.raises(EncodeError):
        encode(ListOf(U8, 1), (1, 2))
    with pytest.raises(EncodeError):
        encode(FixedBytes(2), b"abc")


def test_bool_and_option_tags() -> None:
    with pytest.raises(InvalidBoolean):
        decode(BOOL, b"\x02")
    with pytest.raises(InvalidEnumTag):
        decode(OptionOf(U8), b"\x02\x00")
    assert decode(OptionOf(U8), b"\x00") is None
    assert decode(OptionOf(U8), b"\x01\x07") == 7


def test_mapped_codec_rejects_through_from_wire() -> None:
    def from_wire(tag: int) -> str:
        names = {0: "yes", 1: "no"}
        if tag not in names:
            raise InvalidEnumTag(f"vote tag {tag}")
        return names[tag]

    vote: Mapped[int, str] = Mapped(U8, {"yes": 0, "no": 1}.__getitem__, from_wire)
    assert decode(vote, b"\x01") == "no"
    with pytest.raises(InvalidEnumTag):
        decode(vote, b"\x02")


def test_struct_fields_must_match_dataclass() -> None:
    with pytest.raises(TypeError):
        Struct(Sample, [("flag", BOOL)])
    not_a_dataclass: Any = int
    with pytest.raises(TypeError):
        Struct(not_a_dataclass, [])
