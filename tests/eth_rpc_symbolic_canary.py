"""A deliberately wrong contract that ``tests/test_symbolic_suites.py`` expects CrossHair to refute.

It claims that every ``0x`` string of hex digits is a QUANTITY. The Ethereum JSON-RPC QUANTITY has
no leading zeros (reference/eth_params.py), so ``0x00`` is a counterexample. If CrossHair stops
finding it, the symbolic check of conformance/symbolic/eth_rpc_contracts.py has become vacuous.
"""

from __future__ import annotations

from reference.eth_params import EthRpcError, parse_quantity


def every_hex_string_is_a_quantity(text: str) -> bool:
    """Claims the QUANTITY parser accepts any ``0x`` and 1 to 4 hex digits (false: ``0x00``).

    pre: len(text) in (3, 4, 5, 6)
    pre: text.startswith("0x")
    pre: all(c in "0123456789abcdef" for c in text[2:])
    post: __return__
    """
    try:
        parse_quantity(text, "q")
    except EthRpcError:
        return False
    return True
