"""Helpers that read handler input fields and write handler output values (JSON conventions)."""

from __future__ import annotations

from conformance.model import JSON, BadInput


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
    if len(value) % 2 or any(c not in "0123456789abcdef" for c in value):
        raise BadInput(f"{name} is not lower-case hex of whole bytes")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise BadInput(f"{name} is not hex") from None


def int_field(data: dict[str, JSON], name: str) -> int:
    """A required integer field (JSON number, not a boolean)."""
    value = field(data, name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadInput(f"{name} must be an integer")
    return value


def str_field(data: dict[str, JSON], name: str) -> str:
    """A required string field."""
    value = field(data, name)
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a string")
    return value


def hex_list_field(data: dict[str, JSON], name: str) -> list[bytes]:
    """A required field holding a list of hex strings."""
    value = field(data, name)
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list")
    return [from_hex(item, f"{name}[{i}]") for i, item in enumerate(value)]


def to_hex(data: bytes) -> str:
    """Bytes as lower-case hex."""
    return data.hex()
