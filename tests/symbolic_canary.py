"""Deliberately wrong contracts: CrossHair must report every one of them (see tests/test_symbolic.py).

If a CrossHair run over this file comes back clean, the symbolic check is vacuous (CrossHair not
exploring, a broken invocation, a contract kind that is not picked up) and the clean result for
``conformance/symbolic/contracts.py`` means nothing. Each function has a bug that only some
inputs trigger, so finding it takes real exploration, not a single default value.
"""

from __future__ import annotations


def round_up_to_power_of_two(value: int) -> int:
    """Meant to round up; the shift rounds *down* for every value that is not a power of two.

    pre: 1 <= value <= 2**40
    post: __return__ >= value
    post: __return__ & (__return__ - 1) == 0
    """
    return 1 << (value.bit_length() - 1)


def lenient_varint_read(data: bytes) -> int | None:
    """A LEB128 reader that forgets the minimality rule, so overlong encodings are accepted.

    The post-condition is the spec's ENC-2 (re-encoding gives the input back); an input such as
    ``80 00`` (zero in two groups) breaks it.

    pre: len(data) <= 4
    post: __return__ is None or _minimal_leb128(__return__) == data
    """
    value = 0
    for index, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * index)
        if byte & 0x80 == 0:
            return value if index == len(data) - 1 else None
    return None


def _minimal_leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        group = value & 0x7F
        value >>= 7
        if value:
            out.append(group | 0x80)
        else:
            out.append(group)
            return bytes(out)
