"""Helpers that read handler input fields and write handler output values (JSON conventions)."""

from __future__ import annotations

import re

from conformance.model import JSON, SAFE_INTEGER_MAX, BadInput, to_wire

__all__ = ["to_wire"]

_DECIMAL = re.compile(r"-?[1-9][0-9]*")


def field(data: dict[str, JSON], name: str) -> JSON:
    """The value of a required input field."""
    if name not in data:
        raise BadInput(f"missing field {name!r}")
    return data[name]


def hex_field(data: dict[str, JSON], name: str) -> bytes:
    """A required field holding lower-case hex of whole bytes."""
    return from_hex(field(data, name), name)


def from_hex(value: JSON, name: str = "value") -> bytes:
    """Strict hex: a string of lower-case hex digits of even length."""
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a hex string")
    # bytes.fromhex also takes upper case and spaces: the round trip keeps exactly the canonical form.
    try:
        data = bytes.fromhex(value)
    except ValueError:
        data = None
    if data is None or data.hex() != value:
        raise BadInput(f"{name} is not lower-case hex of whole bytes")
    return data


def int_field(data: dict[str, JSON], name: str) -> int:
    """A required integer field (see :func:`from_json_int`)."""
    return from_json_int(field(data, name), name)


def int_list_field(data: dict[str, JSON], name: str) -> list[int]:
    """A required field holding a list of integers (each as :func:`from_json_int` reads it)."""
    value = field(data, name)
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list of integers")
    return [from_json_int(item, f"{name}[{i}]") for i, item in enumerate(value)]


def from_json_int(value: JSON, name: str = "value") -> int:
    """An integer in the JSON convention: a JSON number (not a boolean), or, for a value outside
    ``[-(2**53 - 1), 2**53 - 1]``, the decimal string of the value. A decimal string of a safe
    integer, or one with a sign ``+``, leading zeros or other characters, is malformed."""
    if isinstance(value, bool):
        raise BadInput(f"{name} must be an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) <= 80 and _DECIMAL.fullmatch(value):
        number = int(value)
        if abs(number) > SAFE_INTEGER_MAX:
            return number
        raise BadInput(f"{name}: a safe integer is a JSON number, not the string {value!r}")
    raise BadInput(f"{name} must be an integer")


def str_field(data: dict[str, JSON], name: str) -> str:
    """A required string field."""
    value = field(data, name)
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a string")
    return value


def object_list_field(data: dict[str, JSON], name: str) -> list[dict[str, JSON]]:
    """A required field holding a list of objects."""
    value = field(data, name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadInput(f"{name} must be a list of objects")
    return [item for item in value if isinstance(item, dict)]


def hex_list_field(data: dict[str, JSON], name: str) -> list[bytes]:
    """A required field holding a list of hex strings."""
    value = field(data, name)
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list")
    return [from_hex(item, f"{name}[{i}]") for i, item in enumerate(value)]


def to_hex(data: bytes) -> str:
    """Bytes as lower-case hex."""
    return data.hex()
