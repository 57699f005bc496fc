"""PEP 316 contracts on the node's Ethereum JSON-RPC parameter parsing (``crosshair check
--analysis_kind=PEP316``), reference/eth_params.py (docs/node.md, the ``eth_`` methods).

Not consensus rules: the decisions the ``eth_`` methods take on untrusted JSON before any state is
read. Each function wraps one parser; its ``post:`` lines must hold for every input meeting its
``pre:`` lines.

* quantity round trip: every value in ``[0, 2**256)`` written as a QUANTITY reads back as itself.
* one spelling per quantity: a string the QUANTITY parser accepts is the value's own spelling
  (``quantity(value)``, up to the case of hex digits): no sign, blank, ``_``, second ``0x`` or
  leading zero gets through (Python's ``int(s, 16)`` takes the first four).
* one spelling per DATA: an accepted DATA string is ``0x`` and the bytes' hex, nothing skipped.
* block tags: a height is accepted exactly when it is within ``[0, tip]`` and then names itself.

The canary ``tests/eth_rpc_symbolic_canary.py`` claims that every ``0x`` string of hex digits is a
quantity; CrossHair must refute it (``0x00``).
"""

from __future__ import annotations

from reference.eth_params import (
    EthRpcError,
    compute_block_height,
    data_hex,
    parse_data,
    parse_quantity,
    quantity,
)

__all__ = [
    "accepted_data_is_canonical",
    "accepted_quantity_is_canonical",
    "block_height_within_the_chain",
    "quantity_round_trip",
]


def quantity_round_trip(value: int) -> int:
    """A QUANTITY reads back as the value it writes.

    pre: 0 <= value <= 2**256 - 1
    post: __return__ == value
    """
    return parse_quantity(quantity(value), "q")


def accepted_quantity_is_canonical(text: str) -> bool:
    """A string the QUANTITY parser accepts is the spelling of the value it reads (or it is rejected).

    pre: len(text) <= 68
    post: __return__
    """
    try:
        value = parse_quantity(text, "q")
    except EthRpcError:
        return True
    return 0 <= value <= 2**256 - 1 and quantity(value) == text.lower()


def accepted_data_is_canonical(text: str) -> bool:
    """An accepted DATA string is ``0x`` and the hex of the bytes it reads (or it is rejected).

    pre: len(text) <= 12
    post: __return__
    """
    try:
        data = parse_data(text, "d")
    except EthRpcError:
        return True
    return data_hex(data) == text.lower()


def block_height_within_the_chain(height: int, tip: int) -> int:
    """A numeric block tag names itself when within ``[0, tip]``, and is rejected otherwise (-1).

    pre: 0 <= tip <= 10**9
    pre: -(10**9) <= height <= 2 * 10**9
    post: __return__ == (height if 0 <= height <= tip else -1)
    """
    try:
        return compute_block_height(height, tip)
    except EthRpcError:
        return -1
