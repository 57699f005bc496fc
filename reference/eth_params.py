"""The node's Ethereum JSON-RPC parameters (``POST /evm/<id>``, docs/node.md): pure parsing, no I/O.

Not a consensus rule: the shapes of the Ethereum execution API (``QUANTITY``, ``DATA``, block tags)
as the ``eth_`` methods of reference/sidechain_vms.py read them. Every malformed value raises
:class:`EthRpcError` with ``-32602`` (invalid params) and nothing else escapes; an accepted value has
exactly one spelling up to the case of its hex digits:

* ``QUANTITY``: ``0x`` and 1 to 64 hex digits without leading zeros (``0x0`` for zero), or a JSON
  integer in ``[0, 2**256)``; no sign, blank, ``_`` or second ``0x`` (Python's ``int(s, 16)`` takes
  all of these: ``0x-1`` was read as -1);
* storage slot (``eth_getStorageAt``): 1 to 64 hex digits, leading zeros allowed (a 32-byte key);
* ``DATA``: ``0x`` and pairs of hex digits (``bytes.fromhex`` would also skip blanks), exactly
  ``length`` bytes when given;
* block tag: ``latest``/``pending``/``safe``/``finalized`` are the tip, ``earliest`` is 0, a
  ``QUANTITY`` is that height if it is not beyond the tip.

The contracts of conformance/symbolic/eth_rpc_contracts.py and the ``eth_rpc_params`` fuzz harness
(fuzz/eth_rpc_harnesses.py) check these functions.
"""

from __future__ import annotations

import re
from typing import Any

INVALID_PARAMS = -32602
EXECUTION_REVERTED = 3
"""The code geth and the Ethereum execution API give a reverted ``eth_call``/``eth_estimateGas``."""

MAX_QUANTITY = 2**256 - 1
TIP_TAGS = ("latest", "pending", "safe", "finalized")

_QUANTITY = re.compile(r"0x(?:0|[1-9a-fA-F][0-9a-fA-F]{0,63})")
_SLOT = re.compile(r"0x[0-9a-fA-F]{1,64}")
_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


class EthRpcError(Exception):
    """An ``eth_`` error: a JSON-RPC error code, a message and optional data (a revert's output)."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def quantity(value: int) -> str:
    """An Ethereum JSON-RPC QUANTITY: ``0x`` and the hex digits without leading zeros (``0x0``)."""
    return hex(value)


def data_hex(value: bytes) -> str:
    """An Ethereum JSON-RPC DATA value."""
    return "0x" + value.hex()


def _is_json_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_quantity(value: Any, name: str) -> int:
    """A QUANTITY parameter (see the module docstring)."""
    if _is_json_integer(value) and 0 <= value <= MAX_QUANTITY:
        return int(value)
    if isinstance(value, str) and _QUANTITY.fullmatch(value):
        return int(value[2:], 16)
    raise EthRpcError(INVALID_PARAMS, f"{name} must be a hex quantity")


def parse_slot(value: Any, name: str) -> int:
    """A storage slot: a QUANTITY, or up to 32 bytes of hex with leading zeros (a slot key)."""
    if isinstance(value, str) and _SLOT.fullmatch(value):
        return int(value[2:], 16)
    return parse_quantity(value, name)


def parse_data(value: Any, name: str, length: int | None = None) -> bytes:
    """A DATA parameter (``0x`` and an even number of hex digits; exactly ``length`` bytes if given)."""
    if isinstance(value, str) and _DATA.fullmatch(value):
        decoded = bytes.fromhex(value[2:])
        if length is None or len(decoded) == length:
            return decoded
    size = "" if length is None else f" of {length} bytes"
    raise EthRpcError(INVALID_PARAMS, f"{name} must be hex data{size}")


def compute_block_height(tag: Any, tip: int) -> int:
    """The height a block tag names on a chain whose tip is at ``tip`` (see the module docstring)."""
    if isinstance(tag, str) and tag in TIP_TAGS:
        return tip
    if tag == "earliest":
        return 0
    height = parse_quantity(tag, "block")
    if height > tip:
        raise EthRpcError(INVALID_PARAMS, f"block {height} is beyond the tip {tip}")
    return height


def get_param(params: list[Any], position: int, default: Any = None) -> Any:
    """``params[position]``, or ``default`` when the array is shorter."""
    return params[position] if len(params) > position else default
