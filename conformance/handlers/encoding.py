"""Handlers of the ``encoding`` flow (spec/encoding.py).

Vectors name the type under test with a small type expression, so that one pair of handlers
covers every codec combinator:

``u8 | u16 | u32 | u64 | varint | bool | fixed_bytes(N) | bytes(MAX) | list(T, MAX) | option(T)``

JSON values follow the vector conventions: integers as numbers, booleans as booleans, byte
strings as hex, lists as arrays, an absent option as ``null``.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.jsonio import from_hex, from_json_int, hex_field, str_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.encoding import (
    BOOL,
    U8,
    U16,
    U32,
    U64,
    VARINT,
    Codec,
    FixedBytes,
    ListOf,
    OptionOf,
    VarBytes,
    decode,
    encode,
)
from spec.presets import Preset

_TOKEN = re.compile(r"\s*([a-z_0-9]+|[(),])")
_SCALARS: dict[str, Codec[Any]] = {
    "u8": U8,
    "u16": U16,
    "u32": U32,
    "u64": U64,
    "varint": VARINT,
    "bool": BOOL,
}
_MAX_TYPE_DEPTH = 8
_MAX_DECLARED_LENGTH = 1 << 32


class _TypeParser:
    """Recursive-descent parser of a type expression into (codec, json<->python converters)."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise BadInput(f"bad type expression {text!r}")
            self.tokens.append(match.group(1))
            position = match.end()
        self.index = 0

    def _next(self) -> str:
        if self.index >= len(self.tokens):
            raise BadInput("type expression ended early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, token: str) -> None:
        if self._next() != token:
            raise BadInput(f"expected {token!r} in type expression")

    def _number(self) -> int:
        token = self._next()
        if not token.isdigit() or len(token) > 10 or int(token) > _MAX_DECLARED_LENGTH:
            raise BadInput(f"bad length {token!r} in type expression")
        return int(token)

    def parse(self, depth: int = 0) -> TypeNode:
        if depth > _MAX_TYPE_DEPTH:
            raise BadInput("type expression nested too deeply")
        name = self._next()
        if name in _SCALARS:
            return TypeNode(name, _SCALARS[name], None)
        self._expect("(")
        node: TypeNode
        if name == "fixed_bytes":
            node = TypeNode("fixed_bytes", FixedBytes(self._number()), None)
        elif name == "bytes":
            node = TypeNode("bytes", VarBytes(self._number()), None)
        elif name == "list":
            item = self.parse(depth + 1)
            self._expect(",")
            if item.codec.min_size < 1:
                raise BadInput("list items must encode to at least one byte")
            node = TypeNode("list", ListOf(item.codec, self._number()), item)
        elif name == "option":
            item = self.parse(depth + 1)
            if item.kind == "option":
                raise BadInput("an option of an option has no canonical encoding")
            node = TypeNode("option", OptionOf(item.codec), item)
        else:
            raise BadInput(f"unknown type {name!r}")
        self._expect(")")
        return node

    def parse_all(self) -> TypeNode:
        node = self.parse()
        if self.index != len(self.tokens):
            raise BadInput("trailing tokens in type expression")
        return node


class TypeNode:
    """A parsed type: its codec plus converters between JSON and Python values."""

    def __init__(self, kind: str, codec: Codec[Any], item: TypeNode | None) -> None:
        self.kind = kind
        self.codec = codec
        self.item = item

    def to_json(self, value: Any) -> JSON:
        if self.kind in ("fixed_bytes", "bytes"):
            return to_hex(value)
        if self.kind == "list" and self.item is not None:
            return [self.item.to_json(v) for v in value]
        if self.kind == "option" and self.item is not None:
            return None if value is None else self.item.to_json(value)
        result: JSON = value
        return result

    def from_json(self, value: JSON) -> Any:
        if self.kind in ("fixed_bytes", "bytes"):
            return from_hex(value)
        if self.kind == "list" and self.item is not None:
            if not isinstance(value, list):
                raise BadInput("list value must be a JSON array")
            return tuple(self.item.from_json(v) for v in value)
        if self.kind == "option" and self.item is not None:
            return None if value is None else self.item.from_json(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise BadInput("bool value must be true or false")
            return value
        return from_json_int(value)


def parse_type(text: str) -> TypeNode:
    """Parse a type expression (see the module docstring)."""
    return _TypeParser(text).parse_all()


def handle_decode(preset: Preset, data: dict[str, JSON]) -> JSON:
    """ENC-1/2/3: ``{"type": T, "bytes": hex}`` -> ``{"value": V}`` or a ``DECODE_*`` rejection."""
    node = parse_type(str_field(data, "type"))
    return {"value": node.to_json(decode(node.codec, hex_field(data, "bytes")))}


def handle_encode(preset: Preset, data: dict[str, JSON]) -> JSON:
    """ENC: ``{"type": T, "value": V}`` -> ``{"bytes": hex}`` or ``ENCODE_OUT_OF_RANGE``."""
    node = parse_type(str_field(data, "type"))
    if "value" not in data:
        raise BadInput("missing field 'value'")
    return {"bytes": to_hex(encode(node.codec, node.from_json(data["value"])))}


HANDLERS: dict[str, Handler] = {"decode": handle_decode, "encode": handle_encode}
