"""Fuzz harness of the full-state layout (spec/chain/commitment.py, STATE-2..5),
``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`StateInvariantViolation`. :data:`STATE_HARNESSES` lists it for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`state_seeds` gives its seed corpus.

Invariants checked by ``state_items`` (the input is a sequence of ``key_length u8, key,
value_length u16 LE, value`` records; a later record replaces an earlier one of the same key):

* only ``STATE_ITEM_*`` and ``DECODE_*`` codes reject an item set (STATE-5);
* an accepted item set is exactly the item set of the state it decodes to (STATE-2/3 after
  STATE-5 is the identity), so its root is STATE-4 of that state.
"""

from __future__ import annotations

from collections.abc import Callable

from spec.chain.commitment import compute_state_items, state_from_items
from spec.chain.state import initial_state
from spec.errors import DecodeError, StateItemError
from spec.presets import DEVNET

PRESET = DEVNET


class StateInvariantViolation(AssertionError):
    """The state layout accepted or rejected an item set in a way its rules forbid."""


def parse_items(data: bytes) -> dict[bytes, bytes]:
    """The item set a fuzz input describes (a truncated last record is dropped)."""
    items: dict[bytes, bytes] = {}
    position = 0
    while position < len(data):
        key_length = data[position]
        key = data[position + 1 : position + 1 + key_length]
        position += 1 + key_length
        if position + 2 > len(data):
            break
        value_length = int.from_bytes(data[position : position + 2], "little")
        value = data[position + 2 : position + 2 + value_length]
        position += 2 + value_length
        if len(key) == key_length and len(value) == value_length:
            items[key] = value
    return items


def serialize_items(items: dict[bytes, bytes]) -> bytes:
    """Inverse of :func:`parse_items` (for seeds)."""
    out = bytearray()
    for key, value in sorted(items.items()):
        out += bytes((len(key),)) + key + len(value).to_bytes(2, "little") + value
    return bytes(out)


def fuzz_state_items(data: bytes) -> None:
    """STATE-5 on arbitrary item sets (see the module docstring)."""
    items = parse_items(data)
    try:
        state = state_from_items(items, PRESET)
    except (StateItemError, DecodeError):
        return
    if compute_state_items(state, PRESET) != items:
        raise StateInvariantViolation("STATE-5 accepted items that STATE-2/3 does not produce")


STATE_HARNESSES: dict[str, Callable[[bytes], None]] = {"state_items": fuzz_state_items}


def state_seeds() -> dict[str, dict[str, bytes]]:
    """Seed item sets: the state before genesis, and one with a UTXO and a governed parameter."""
    genesis = compute_state_items(initial_state(PRESET), PRESET)
    richer = {
        **genesis,
        b"\x01" + bytes(32) + bytes(4): bytes(8) + b"\x01\x51" + bytes(4) + b"\x00",
        b"\x07governance.voting_period": (30).to_bytes(8, "little"),
        b"\x06" + bytes(32): b"\x01",
    }
    return {"state_items": {"seed-genesis": serialize_items(genesis), "seed-richer": serialize_items(richer)}}
