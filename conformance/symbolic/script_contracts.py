"""PEP 316 contracts on FerrisScript's number and push encodings (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.contracts`, each function is a small wrapper around one helper
of ``spec/script.py``; its ``post:`` lines must hold for every input meeting its ``pre:`` lines.
They are plain functions too: ``tests/test_script.py`` calls them on sample inputs.

Contracts (rule references in brackets):

* numbers [SCRIPT-14]: ``decode_number(encode_number(v)) == v`` on the 5-byte range; encodings
  are at most 5 bytes there and minimal (the last byte carries magnitude unless the byte before
  it needs its top bit); ``-v`` differs from ``v`` in the sign bit only; any short byte string is
  either rejected with a ``ScriptError`` or is the encoding of its value (canonical form).
* truth [SCRIPT-13]: on minimal numbers ``cast_to_bool(e)`` is ``decode_number(e) != 0``.
* pushes [SCRIPT-4]: ``encode_push`` has the documented length for every data length, and the
  push parses back to the same data (minimal pushes are accepted, SCRIPT-4).
"""

from __future__ import annotations

from spec.errors import ScriptError
from spec.presets import ScriptParams
from spec.script import Push, cast_to_bool, decode_number, encode_number, encode_push, parse_script

__all__ = [
    "number_decode_canonical",
    "number_roundtrip",
    "number_shape",
    "number_sign",
    "push_length",
    "push_roundtrip",
    "truth_of_numbers",
]

NUMBER_LIMIT = 2**39 - 1
"""The largest magnitude of a 5-byte number."""

_WIDE_PARAMS = ScriptParams(
    max_script_bytes=70000,
    max_ops=200,
    max_stack_items=100,
    max_element_bytes=65536,
    max_pubkeys_per_multisig=20,
    max_sigops_per_tx=20,
)
"""Limits wide enough that SCRIPT-1/5 never interfere with the push-encoding contract."""


def number_roundtrip(value: int) -> int:
    """Encoding then decoding a number gives it back.

    pre: -(2**39 - 1) <= value <= 2**39 - 1
    post: __return__ == value
    """
    return decode_number(encode_number(value))


def number_shape(value: int) -> bytes:
    """Encodings are at most 5 bytes, empty exactly for zero, and minimal.

    pre: -(2**39 - 1) <= value <= 2**39 - 1
    post: len(__return__) <= 5
    post: (len(__return__) == 0) == (value == 0)
    post: value == 0 or __return__[-1] & 0x7F != 0 or (len(__return__) >= 2 and __return__[-2] & 0x80 != 0)
    """
    return encode_number(value)


def number_sign(value: int) -> bool:
    """Negation flips the top bit of the last byte and nothing else.

    pre: 1 <= value <= 2**39 - 1
    post: __return__
    """
    positive, negative = encode_number(value), encode_number(-value)
    return positive[:-1] == negative[:-1] and positive[-1] ^ negative[-1] == 0x80


def number_decode_canonical(data: bytes) -> int | None:
    """Any short element is rejected with a ScriptError or is its value's one encoding.

    pre: len(data) <= 6
    post: __return__ is None or encode_number(__return__) == data
    post: __return__ is None or len(data) <= 5
    """
    try:
        return decode_number(data)
    except ScriptError:
        return None


def truth_of_numbers(data: bytes) -> bool:
    """On minimal numbers, an element is true iff its value is not zero.

    pre: len(data) <= 5
    post: __return__
    """
    try:
        value = decode_number(data)
    except ScriptError:
        return True
    return cast_to_bool(data) == (value != 0)


def push_length(length: int) -> int:
    """The encoded length of a push of ``length`` zero bytes (SCRIPT-4's table).

    pre: 0 <= length <= 65536
    post: __return__ == length + _push_header(length)
    """
    return len(encode_push(bytes(length)))


def _push_header(length: int) -> int:
    """Bytes before the data: 1 (OP_0, direct push), 2 (PUSHDATA1), 3 (PUSHDATA2) or 5 (PUSHDATA4)."""
    if length <= 75:
        return 1
    if length <= 255:
        return 2
    return 3 if length <= 65535 else 5


def push_roundtrip(data: bytes) -> bool:
    """A minimal push parses back to one push of the same data.

    pre: len(data) <= 300
    post: __return__
    """
    return parse_script(encode_push(data), _WIDE_PARAMS) == (Push(data),)
