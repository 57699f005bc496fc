"""A deliberately wrong contract that ``tests/test_symbolic_suites.py`` expects CrossHair to refute.

It is the script-number mistake the minimal encoding of SCRIPT numbers avoids: encoding a number's
magnitude without room for the sign bit. 128 then encodes as the single byte ``0x80``, which reads
back as negative zero, so the round trip fails. If CrossHair stops finding such a value, the
symbolic check of ``conformance/symbolic/script_contracts.py`` has become vacuous.
"""

from __future__ import annotations


def signless_number_roundtrip(value: int) -> int:
    """Claims a little-endian magnitude with the sign in the top bit round-trips without a sign byte.

    pre: 0 <= value <= 2**31 - 1
    post: __return__ == value
    """
    data = value.to_bytes((value.bit_length() + 7) // 8, "little")
    if not data:
        return 0
    magnitude = int.from_bytes(data[:-1] + bytes([data[-1] & 0x7F]), "little")
    return -magnitude if data[-1] & 0x80 else magnitude
