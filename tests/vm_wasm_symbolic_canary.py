"""A deliberately wrong contract that ``tests/test_symbolic_suites.py`` expects CrossHair to refute.

It is the fee mistake VMW fee charging avoids: charging the fuel consumed instead of the fuel used
(intrinsic fuel plus execution), so a transaction that leaves fuel unspent pays less than its
intrinsic cost. If CrossHair stops finding such inputs, the symbolic check of
``conformance/symbolic/vm_wasm_contracts.py`` has become vacuous.
"""

from __future__ import annotations


def fee_without_intrinsic(fuel_limit: int, intrinsic: int, fuel_left: int, fuel_price: int) -> int:
    """Claims the fee of the execution fuel alone still covers the intrinsic fuel.

    pre: 0 <= intrinsic <= fuel_limit
    pre: 0 <= fuel_left <= fuel_limit - intrinsic
    pre: fuel_price >= 1
    post: __return__ >= intrinsic * fuel_price
    """
    return (fuel_limit - intrinsic - fuel_left) * fuel_price
