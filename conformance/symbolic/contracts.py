"""PEP 316 contracts that CrossHair checks symbolically (``crosshair check --analysis_kind=PEP316``).

Each function is a thin wrapper around one helper of ``spec/``; its docstring states what must
hold for *every* input satisfying the ``pre:`` lines. CrossHair explores inputs symbolically
(with an SMT solver) and reports any input that breaks a ``post:`` line or raises an exception
the contract does not allow. A clean run is a bounded proof: no counterexample was found in the
explored paths within the time budget. It is not a full proof of the unbounded claim.

The wrappers are deliberately small: ints and short byte strings only, so that the solver can
explore them. They are ordinary functions and can be called directly (the unit tests do).

Contracts (rule references in brackets):

* varint [ENC varint, ENC-2]: encode/read round trip over the whole u64 range; encoded length is
  1..10 and equals ``max(1, ceil(bits / 7))``; the encoding is minimal (the last group is nonzero
  unless it is the only one); only the last byte lacks the continuation bit; reading any short
  byte string either fails with a ``DecodeError`` or returns a value whose encoding is exactly
  that string (nothing else escapes the reader).
* fixed-width integers [ENC]: ``UInt(w).write`` accepts exactly ``0 <= v < 2**(8w)``, rejects all
  other values with ``ENCODE_OUT_OF_RANGE`` and writes ``w`` little-endian bytes that read back.
* Merkle split point [MERKLE-2]: for ``n >= 2``, ``k`` is a power of two and ``k < n <= 2k``.
* Merkle proof length [MERKLE-3]: at most ``ceil(log2 n)``, at least one for ``n >= 2``, and equal
  to the length of the proof that :func:`spec.merkle.inclusion_proof` actually builds (small n).
"""

from __future__ import annotations

from spec.encoding import MAX_VARINT_BYTES, VARINT, Reader, UInt, decode, varint_encode, varint_read
from spec.errors import DecodeError, EncodeError
from spec.merkle import inclusion_proof, inclusion_proof_length, split_point

# --------------------------------------------------------------------------------------------
# Varint (ENC varint, ENC-2)
# --------------------------------------------------------------------------------------------


def varint_roundtrip(value: int) -> int:
    """Encoding then reading a varint gives the value back and consumes every byte.

    pre: 0 <= value <= 2**64 - 1
    post: __return__ == value
    """
    reader = Reader(varint_encode(value))
    decoded = varint_read(reader)
    if reader.remaining != 0:
        raise AssertionError("varint_read left bytes of its own encoding unread")
    return decoded


def varint_length(value: int) -> int:
    """The encoded length is 1..10 bytes and is the minimal number of 7-bit groups.

    pre: 0 <= value <= 2**64 - 1
    post: 1 <= __return__ <= 10
    post: __return__ == max(1, (value.bit_length() + 6) // 7)
    """
    return len(varint_encode(value))


def varint_shape(value: int) -> bytes:
    """Minimality and group structure of the encoding.

    pre: 0 <= value <= 2**64 - 1
    post: len(__return__) == 1 or __return__[-1] != 0
    post: __return__[-1] < 0x80
    post: all(b >= 0x80 for b in __return__[:-1])
    """
    return varint_encode(value)


def varint_rejects_out_of_range(value: int) -> bool:
    """Values outside the u64 range are rejected with ``ENCODE_OUT_OF_RANGE`` and nothing else.

    pre: value < 0 or value > 2**64 - 1
    post: __return__
    """
    try:
        varint_encode(value)
    except EncodeError:
        return True
    return False


def varint_read_canonical(data: bytes) -> int | None:
    """Any short input is either rejected with a ``DecodeError`` or is the value's one encoding.

    pre: len(data) <= 12
    post: __return__ is None or (0 <= __return__ <= 2**64 - 1 and varint_encode(__return__) == data)
    """
    try:
        return decode(VARINT, data)
    except DecodeError:
        return None


def varint_prefix(data: bytes) -> int:
    """Reading from a longer input consumes exactly the value's encoding (a prefix of the input).

    pre: len(data) <= 12
    post: __return__ == -1 or data.startswith(varint_encode(__return__))
    post: __return__ == -1 or len(varint_encode(__return__)) <= 10
    """
    reader = Reader(data)
    try:
        value = varint_read(reader)
    except DecodeError:
        return -1
    consumed = len(data) - reader.remaining
    if consumed > MAX_VARINT_BYTES or consumed != len(varint_encode(value)):
        raise AssertionError("varint_read consumed a different number of bytes than the encoding has")
    return value


# --------------------------------------------------------------------------------------------
# Fixed-width integers (ENC)
# --------------------------------------------------------------------------------------------


def uint_write(byte_width: int, value: int) -> bytes | None:
    """``UInt(w).write`` accepts exactly the w-byte range and writes w little-endian bytes.

    pre: 1 <= byte_width <= 8
    post: (__return__ is not None) == (0 <= value < 2 ** (8 * byte_width))
    post: __return__ is None or len(__return__) == byte_width
    post: __return__ is None or int.from_bytes(__return__, "little") == value
    """
    out = bytearray()
    try:
        UInt(byte_width).write(value, out)
    except EncodeError:
        if out:
            raise AssertionError("a rejected write left bytes in the output") from None
        return None
    return bytes(out)


def uint_read(byte_width: int, data: bytes) -> int | None:
    """``UInt(w)`` reads exactly w bytes; every w-byte string is valid and re-encodes to itself.

    pre: 1 <= byte_width <= 8
    pre: len(data) <= 9
    post: (__return__ is not None) == (len(data) == byte_width)
    post: __return__ is None or (0 <= __return__ <= 2 ** (8 * byte_width) - 1)
    post: __return__ is None or __return__.to_bytes(byte_width, "little") == data
    """
    try:
        return decode(UInt(byte_width), data)
    except DecodeError:
        return None


# --------------------------------------------------------------------------------------------
# Merkle tree shape (MERKLE-2, MERKLE-3)
# --------------------------------------------------------------------------------------------


def merkle_split_point(leaf_count: int) -> int:
    """The left subtree size ``k``: a power of two with ``k < n <= 2k``.

    pre: 2 <= leaf_count <= 2**64
    post: __return__ >= 1
    post: __return__ & (__return__ - 1) == 0
    post: __return__ < leaf_count <= 2 * __return__
    """
    return split_point(leaf_count)


def merkle_proof_length_bound(leaf_index: int, leaf_count: int) -> int:
    """A proof never has more than ``ceil(log2 n)`` hashes and has at least one for ``n >= 2``.

    pre: 0 <= leaf_index < leaf_count <= 2**64
    post: 0 <= __return__ <= (leaf_count - 1).bit_length()
    post: (__return__ == 0) == (leaf_count == 1)
    """
    return inclusion_proof_length(leaf_index, leaf_count)


def merkle_proof_length_matches(leaf_index: int, leaf_count: int) -> int:
    """For small trees the predicted length is the length of the proof actually built.

    pre: 0 <= leaf_index < leaf_count <= 20
    post: __return__ == inclusion_proof_length(leaf_index, leaf_count)
    """
    leaves = [bytes([position]) for position in range(leaf_count)]
    return len(inclusion_proof(leaves, leaf_index))


__all__ = [
    "merkle_proof_length_bound",
    "merkle_proof_length_matches",
    "merkle_split_point",
    "uint_read",
    "uint_write",
    "varint_length",
    "varint_prefix",
    "varint_read_canonical",
    "varint_rejects_out_of_range",
    "varint_roundtrip",
    "varint_shape",
]
