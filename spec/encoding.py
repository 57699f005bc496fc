"""Canonical binary encoding of protocol objects.

Every object that is hashed, signed or sent between nodes has exactly one byte encoding. The
format is deliberately small:

==================  ==========================================================================
type                encoding
==================  ==========================================================================
``u8/u16/u32/u64``  fixed width, little-endian
``varint``          unsigned LEB128, 1..10 bytes, *minimal* (no redundant 0x80/0x00 groups),
                    value at most 2**64 - 1
``bool``            one byte, 0x00 (false) or 0x01 (true); any other byte is rejected
``bytesN``          exactly N raw bytes (hashes, keys, signatures)
``bytes``           varint length L (L <= the field's maximum), then L raw bytes
``list``            varint count C (C <= the field's maximum), then C encoded items
``option``          one byte 0x00 (absent) or 0x01 followed by the value
``struct``          the fields' encodings concatenated in declaration order, no names or tags
==================  ==========================================================================

Rules (protocol step "ENC"):

* **ENC-1** ``decode`` consumes the whole input; leftover bytes are rejected (``DECODE_TRAILING_BYTES``).
* **ENC-2** a value has one encoding: decoders reject every other byte string, so for every accepted
  ``b``, ``encode(decode(b)) == b``.
* **ENC-3** length prefixes are checked against the field maximum *before* any allocation.
* **ENC-4** only :class:`~spec.errors.DecodeError` subclasses leave a decoder.

A :class:`Codec` describes one type. Codecs are immutable values; decoding uses a private cursor
(:class:`Reader`) that never outlives one ``decode`` call.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import Enum
from operator import attrgetter
from typing import Any, Generic, TypeVar

from spec.errors import (
    EncodeError,
    InvalidBoolean,
    InvalidEnumTag,
    LengthLimitExceeded,
    NonCanonicalVarint,
    TrailingBytes,
    TruncatedInput,
    VarintOverflow,
)

T = TypeVar("T")
U = TypeVar("U")
E = TypeVar("E", bound=Enum)

MAX_U64 = 2**64 - 1
MAX_VARINT_BYTES = 10
"""A 64-bit value needs at most ceil(64 / 7) = 10 LEB128 groups."""


class Reader:
    """A read cursor over one input byte string (private to a single decode call)."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Number of bytes not yet consumed."""
        return len(self._data) - self._pos

    def take(self, count: int) -> bytes:
        """Consume exactly ``count`` bytes or raise ``DECODE_TRUNCATED``."""
        if count < 0 or count > self.remaining:
            raise TruncatedInput(f"need {count} bytes at offset {self._pos}, have {self.remaining}")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def take_byte(self) -> int:
        """Consume one byte and return it as an integer."""
        return self.take(1)[0]


class Codec(ABC, Generic[T]):
    """The canonical encoding of one type ``T``."""

    min_size: int = 1
    """The fewest bytes any value of this type encodes to (used by ENC-3 before allocating)."""

    @abstractmethod
    def write(self, value: T, out: bytearray) -> None:
        """Append the encoding of ``value`` to ``out`` (raise ``ENCODE_OUT_OF_RANGE`` if unencodable)."""

    @abstractmethod
    def read(self, reader: Reader) -> T:
        """Consume one encoded value from ``reader``."""


def encode(codec: Codec[T], value: T) -> bytes:
    """ENC: the canonical encoding of ``value`` under ``codec``."""
    out = bytearray()
    codec.write(value, out)
    return bytes(out)


def decode(codec: Codec[T], data: bytes) -> T:
    """ENC-1/ENC-2: decode one complete value; reject truncated, trailing or non-canonical bytes."""
    reader = Reader(data)
    value = codec.read(reader)
    if reader.remaining != 0:
        raise TrailingBytes(f"{reader.remaining} bytes after a complete value")
    return value


# --------------------------------------------------------------------------------------------
# Integers
# --------------------------------------------------------------------------------------------


class UInt(Codec[int]):
    """Fixed-width unsigned little-endian integer of ``byte_width`` bytes."""

    def __init__(self, byte_width: int) -> None:
        self.byte_width = byte_width
        self.max_value = 2 ** (8 * byte_width) - 1
        self.min_size = byte_width

    def write(self, value: int, out: bytearray) -> None:
        if not 0 <= value <= self.max_value:
            raise EncodeError(f"{value} does not fit u{8 * self.byte_width}")
        out += value.to_bytes(self.byte_width, "little")

    def read(self, reader: Reader) -> int:
        return int.from_bytes(reader.take(self.byte_width), "little")


U8 = UInt(1)
U16 = UInt(2)
U32 = UInt(4)
U64 = UInt(8)


def varint_encode(value: int) -> bytes:
    """ENC varint: minimal unsigned LEB128 of ``0 <= value <= 2**64 - 1``."""
    if not 0 <= value <= MAX_U64:
        raise EncodeError(f"{value} does not fit a varint")
    out = bytearray()
    while True:
        group = value & 0x7F
        value >>= 7
        if value:
            out.append(group | 0x80)
        else:
            out.append(group)
            return bytes(out)


def varint_read(reader: Reader) -> int:
    """ENC varint: read a minimal LEB128 value; reject overlong, over-64-bit or truncated input."""
    value = 0
    for index in range(MAX_VARINT_BYTES):
        byte = reader.take_byte()
        value |= (byte & 0x7F) << (7 * index)
        if byte & 0x80 == 0:
            if index > 0 and byte == 0:
                raise NonCanonicalVarint("last group of a multi-byte varint is zero")
            if value > MAX_U64:
                raise VarintOverflow(f"varint value {value} exceeds 2**64 - 1")
            return value
    raise VarintOverflow(f"varint longer than {MAX_VARINT_BYTES} bytes")


class Varint(Codec[int]):
    """Unsigned LEB128 integer, minimal, at most 2**64 - 1."""

    def write(self, value: int, out: bytearray) -> None:
        out += varint_encode(value)

    def read(self, reader: Reader) -> int:
        return varint_read(reader)


VARINT = Varint()


class Bool(Codec[bool]):
    """One byte: 0x00 false, 0x01 true."""

    def write(self, value: bool, out: bytearray) -> None:
        out.append(1 if value else 0)

    def read(self, reader: Reader) -> bool:
        byte = reader.take_byte()
        if byte > 1:
            raise InvalidBoolean(f"boolean byte 0x{byte:02x}")
        return byte == 1


BOOL = Bool()


# --------------------------------------------------------------------------------------------
# Byte strings
# --------------------------------------------------------------------------------------------


class FixedBytes(Codec[bytes]):
    """Exactly ``length`` raw bytes."""

    def __init__(self, length: int) -> None:
        self.length = length
        self.min_size = length

    def write(self, value: bytes, out: bytearray) -> None:
        if len(value) != self.length:
            raise EncodeError(f"expected {self.length} bytes, got {len(value)}")
        out += value

    def read(self, reader: Reader) -> bytes:
        return reader.take(self.length)


BYTES32 = FixedBytes(32)
BYTES48 = FixedBytes(48)
BYTES96 = FixedBytes(96)


def read_length_prefix(reader: Reader, max_length: int) -> int:
    """ENC-3: read a varint length and check it against the field maximum before allocating."""
    length = varint_read(reader)
    if length > max_length:
        raise LengthLimitExceeded(f"length {length} exceeds the maximum {max_length}")
    return length


class VarBytes(Codec[bytes]):
    """Varint length (at most ``max_length``) followed by that many raw bytes."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def write(self, value: bytes, out: bytearray) -> None:
        if len(value) > self.max_length:
            raise EncodeError(f"{len(value)} bytes exceed the maximum {self.max_length}")
        out += varint_encode(len(value))
        out += value

    def read(self, reader: Reader) -> bytes:
        return reader.take(read_length_prefix(reader, self.max_length))


# --------------------------------------------------------------------------------------------
# Composites
# --------------------------------------------------------------------------------------------


class ListOf(Codec[tuple[T, ...]]):
    """Varint count (at most ``max_count``) followed by that many items. Decodes to a tuple.

    Items must encode to at least one byte: a list of zero-width items would let a few input bytes
    claim billions of items (a spec bug, refused when the codec is built).
    """

    def __init__(self, item: Codec[T], max_count: int) -> None:
        if item.min_size < 1:
            raise TypeError("list items must encode to at least one byte")
        self.item = item
        self.max_count = max_count

    def write(self, value: tuple[T, ...], out: bytearray) -> None:
        if len(value) > self.max_count:
            raise EncodeError(f"{len(value)} items exceed the maximum {self.max_count}")
        out += varint_encode(len(value))
        for element in value:
            self.item.write(element, out)

    def read(self, reader: Reader) -> tuple[T, ...]:
        count = read_length_prefix(reader, self.max_count)
        if count * self.item.min_size > reader.remaining:
            raise TruncatedInput(f"{count} items need at least {count * self.item.min_size} bytes")
        return tuple(self.item.read(reader) for _ in range(count))


class OptionOf(Codec[T | None]):
    """0x00 for absent, 0x01 followed by the value for present.

    An option of an option is refused when the codec is built: ``None`` cannot tell "absent" from
    "present but absent", so ``01 00`` and ``00`` would decode alike (breaking ENC-2).
    """

    def __init__(self, item: Codec[T]) -> None:
        if isinstance(item, OptionOf):
            raise TypeError("an option of an option has no canonical encoding")
        self.item = item

    def write(self, value: T | None, out: bytearray) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.item.write(value, out)

    def read(self, reader: Reader) -> T | None:
        tag = reader.take_byte()
        if tag > 1:
            raise InvalidEnumTag(f"option tag 0x{tag:02x}")
        return self.item.read(reader) if tag == 1 else None


class EnumCodec(Codec[E]):
    """An enumeration as one tag byte, its position in declaration order (``DECODE_INVALID_TAG``
    for a byte naming no member)."""

    min_size = 1

    def __init__(self, cls: type[E]) -> None:
        self.members = tuple(cls)
        self.index = {member: position for position, member in enumerate(self.members)}

    def write(self, value: E, out: bytearray) -> None:
        out.append(self.index[value])

    def read(self, reader: Reader) -> E:
        tag = reader.take_byte()
        if tag >= len(self.members):
            raise InvalidEnumTag(f"tag {tag} of {len(self.members)} members")
        return self.members[tag]


class Struct(Codec[T]):
    """A frozen dataclass encoded as its fields in declaration order.

    ``fields`` lists ``(field_name, codec)`` pairs and must name every dataclass field exactly once,
    in the dataclass's own order (checked when the codec is built, so a mismatch is a spec bug
    found at import time, never at decode time).
    """

    def __init__(self, cls: type[T], fields: Sequence[tuple[str, Codec[Any]]]) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass")
        declared = [f.name for f in dataclasses.fields(cls)]
        given = [name for name, _ in fields]
        if declared != given:
            raise TypeError(f"codec fields {given} do not match dataclass fields {declared}")
        self.cls = cls
        self.fields = tuple(fields)
        self.min_size = sum(codec.min_size for _, codec in fields)
        self._writers = tuple((attrgetter(name), codec.write) for name, codec in self.fields)

    def write(self, value: T, out: bytearray) -> None:
        # Each field's codec in order: ``codec.write(getattr(value, name), out)`` for ``self.fields``,
        # with the getters and bound writers looked up once per codec instead of per value.
        for get, write in self._writers:
            write(get(value), out)

    def read(self, reader: Reader) -> T:
        values = {name: codec.read(reader) for name, codec in self.fields}
        return self.cls(**values)


class MemoStruct(Struct[T]):
    """A :class:`Struct` that encodes each value once: the bytes are kept on the value itself.

    For frozen dataclasses that are encoded many times over (a transaction is encoded for its size,
    its ids, its signature hashes, and inside its block: issue 14 counted 7 encodings per
    transaction in one block's validation). The memo sits outside the dataclass fields (equality,
    hashing and ``repr`` ignore it) and is keyed by this codec's identity, so another codec, even an
    equal one built for another preset, encodes afresh. A value whose encoding raises stores
    nothing. The bytes are exactly :meth:`Struct.write`'s (``tests/test_ledger.py`` checks).
    """

    def write(self, value: T, out: bytearray) -> None:
        memo = getattr(value, "__dict__", {}).get("_rusty_encoding")
        if memo is not None and memo[0] is self:
            out += memo[1]
            return
        start = len(out)
        self.write_fresh(value, out)
        if hasattr(value, "__dict__"):
            object.__setattr__(value, "_rusty_encoding", (self, bytes(out[start:])))

    def write_fresh(self, value: T, out: bytearray) -> None:
        """Encode ``value`` without its memo: :meth:`Struct.write` (a subclass may put a specialised
        encoder here, which must write the same bytes or raise the same error)."""
        Struct.write(self, value, out)

    def read(self, reader: Reader) -> T:
        """Decode one value and keep the bytes it was decoded from as its encoding: by ENC-2 they
        are the only encoding of the value, so a decoded transaction is never encoded again (a
        block arrives as bytes; issue 14)."""
        start = reader._pos
        value = super().read(reader)
        if hasattr(value, "__dict__"):
            object.__setattr__(value, "_rusty_encoding", (self, reader._data[start : reader._pos]))
        return value


class Mapped(Codec[U], Generic[T, U]):
    """A codec for ``U`` stored as ``T``: ``to_wire`` and ``from_wire`` convert between them.

    ``from_wire`` may raise a :class:`~spec.errors.DecodeError` subclass to reject wire values that
    are encodable but not valid ``U`` values (for example an unknown enum tag).
    """

    def __init__(self, inner: Codec[T], to_wire: Callable[[U], T], from_wire: Callable[[T], U]) -> None:
        self.inner = inner
        self.to_wire = to_wire
        self.from_wire = from_wire
        self.min_size = inner.min_size

    def write(self, value: U, out: bytearray) -> None:
        self.inner.write(self.to_wire(value), out)

    def read(self, reader: Reader) -> U:
        return self.from_wire(self.inner.read(reader))
