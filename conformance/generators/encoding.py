"""Vectors of the ``encoding`` flow: every codec, its boundaries, and every way to be non-canonical."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.model import JSON, CaseSpec
from spec.presets import Preset

_DECODE_VALID: list[tuple[str, str, str, str]] = [
    # (case, type, hex bytes, description)
    ("u8_zero", "u8", "00", "smallest u8"),
    ("u8_max", "u8", "ff", "largest u8"),
    ("u16_little_endian", "u16", "3412", "u16 is little-endian: 0x1234"),
    ("u32_max", "u32", "ffffffff", "largest u32"),
    ("u64_max", "u64", "ffffffffffffffff", "largest u64"),
    ("u64_one", "u64", "0100000000000000", "u64 one"),
    ("varint_zero", "varint", "00", "varint zero is one byte 0x00"),
    ("varint_127", "varint", "7f", "largest one-byte varint"),
    ("varint_128", "varint", "8001", "smallest two-byte varint"),
    ("varint_300", "varint", "ac02", "varint 300"),
    ("varint_2_pow_32", "varint", "8080808010", "varint 2**32"),
    ("varint_u64_max", "varint", "ffffffffffffffffff01", "largest varint: 2**64 - 1 in ten bytes"),
    ("bool_false", "bool", "00", "false"),
    ("bool_true", "bool", "01", "true"),
    ("fixed_bytes_4", "fixed_bytes(4)", "deadbeef", "four raw bytes, no prefix"),
    ("fixed_bytes_0", "fixed_bytes(0)", "", "zero-length fixed field is empty"),
    ("bytes_empty", "bytes(8)", "00", "empty byte string"),
    ("bytes_at_max", "bytes(3)", "03616263", "byte string exactly at its maximum"),
    ("list_empty", "list(u8,3)", "00", "empty list"),
    ("list_three_u16", "list(u16,3)", "03010002000300", "list of u16 at its maximum count"),
    ("option_absent", "option(u32)", "00", "absent option is one 0x00 byte"),
    ("option_present", "option(u32)", "0107000000", "present option: 0x01 then the value"),
    (
        "nested_list_of_options",
        "list(option(bytes(4)),3)",
        "030102abcd0001040102030a",
        "nested combinators",
    ),
]

_DECODE_INVALID: list[tuple[str, str, str, str, str]] = [
    # (case, type, hex bytes, error code, description)
    ("empty_u8", "u8", "", "DECODE_TRUNCATED", "no byte for a u8"),
    ("truncated_u32", "u32", "010203", "DECODE_TRUNCATED", "three bytes for a u32"),
    ("trailing_u16", "u16", "010203", "DECODE_TRAILING_BYTES", "one byte left after a u16"),
    ("varint_empty", "varint", "", "DECODE_TRUNCATED", "no byte for a varint"),
    ("varint_unterminated", "varint", "8080", "DECODE_TRUNCATED", "continuation bit on the last byte"),
    ("varint_zero_overlong", "varint", "8000", "DECODE_NONCANONICAL_VARINT", "zero in two bytes"),
    ("varint_one_overlong", "varint", "8180", "DECODE_TRUNCATED", "overlong groups never end"),
    ("varint_127_overlong", "varint", "ff00", "DECODE_NONCANONICAL_VARINT", "127 padded with a zero group"),
    (
        "varint_2_pow_64",
        "varint",
        "80808080808080808002",
        "DECODE_VARINT_OVERFLOW",
        "ten bytes encoding 2**64",
    ),
    (
        "varint_eleven_bytes",
        "varint",
        "8080808080808080808001",
        "DECODE_VARINT_OVERFLOW",
        "more than ten groups",
    ),
    ("bool_two", "bool", "02", "DECODE_INVALID_BOOL", "0x02 is not a boolean"),
    ("bool_ff", "bool", "ff", "DECODE_INVALID_BOOL", "0xff is not a boolean"),
    ("fixed_bytes_short", "fixed_bytes(4)", "deadbe", "DECODE_TRUNCATED", "three bytes for four"),
    ("fixed_bytes_long", "fixed_bytes(4)", "deadbeef00", "DECODE_TRAILING_BYTES", "five bytes for four"),
    ("bytes_over_max", "bytes(3)", "0461626364", "DECODE_LENGTH_LIMIT", "length 4 above maximum 3"),
    (
        "bytes_huge_length",
        "bytes(3)",
        "ffffffffffffffffff01",
        "DECODE_LENGTH_LIMIT",
        "length 2**64-1 rejected before allocating",
    ),
    ("bytes_short_body", "bytes(8)", "05616263", "DECODE_TRUNCATED", "length 5 with 3 bytes"),
    (
        "bytes_noncanonical_length",
        "bytes(8)",
        "8300616263",
        "DECODE_NONCANONICAL_VARINT",
        "length 3 written as a two-byte varint",
    ),
    ("list_over_max", "list(u8,3)", "0401020304", "DECODE_LENGTH_LIMIT", "four items above maximum 3"),
    ("list_truncated_item", "list(u16,3)", "020100ff", "DECODE_TRUNCATED", "second u16 has one byte"),
    ("option_bad_tag", "option(u32)", "0207000000", "DECODE_INVALID_TAG", "option tag 0x02"),
    ("option_absent_trailing", "option(u32)", "0007000000", "DECODE_TRAILING_BYTES", "value after absent"),
    (
        "nested_bad_inner_tag",
        "list(option(bytes(4)),3)",
        "0105",
        "DECODE_INVALID_TAG",
        "inner option tag 0x05",
    ),
]

_ENCODE_INVALID: list[tuple[str, str, JSON, str]] = [
    ("u8_256", "u8", 256, "256 does not fit a u8"),
    ("u32_negative", "u32", -1, "negative integers have no encoding"),
    ("u64_2_pow_64", "u64", 2**64, "2**64 does not fit a u64"),
    ("varint_2_pow_64", "varint", 2**64, "2**64 does not fit a varint"),
    ("fixed_bytes_wrong_length", "fixed_bytes(4)", "aabbcc", "three bytes for a four-byte field"),
    ("bytes_over_max", "bytes(2)", "aabbcc", "three bytes above maximum 2"),
    ("list_over_max", "list(u8,2)", [1, 2, 3], "three items above maximum 2"),
]


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """ENC vectors: decode (valid and invalid), encode (round trip and out of range)."""
    for case, type_expr, data, description in _DECODE_VALID:
        yield CaseSpec("decode", case, description, {"type": type_expr, "bytes": data})
    for case, type_expr, data, code, description in _DECODE_INVALID:
        yield CaseSpec("decode", case, description, {"type": type_expr, "bytes": data}, expect_error=code)
    yield from _encode_round_trips()
    for case, type_expr, value, description in _ENCODE_INVALID:
        yield CaseSpec(
            "encode",
            case,
            description,
            {"type": type_expr, "value": value},
            expect_error="ENCODE_OUT_OF_RANGE",
        )


def _encode_round_trips() -> Iterator[CaseSpec]:
    # Each valid decode case, read backwards: encoding the decoded value gives the same bytes.
    from conformance.handlers.encoding import handle_decode
    from spec.presets import DEVNET

    for case, type_expr, data, description in _DECODE_VALID:
        decoded = handle_decode(DEVNET, {"type": type_expr, "bytes": data})
        if not isinstance(decoded, dict):
            raise TypeError("decode handler returned a non-object")
        yield CaseSpec(
            "encode",
            case,
            f"{description} (encode)",
            {"type": type_expr, "value": decoded["value"]},
            known_output={"bytes": data},
        )
