"""PEP 316 contracts on the sidechain cursor-range and fee arithmetic (``crosshair check
--analysis_kind=PEP316``), rules SCB-2 and VMF-4/6/7 (docs/sidechain-blocks.md).

Each function is a small wrapper around helpers of ``spec/sidechain/chain.py`` and
``spec/vm/ferris.py``; its ``post:`` lines must hold for every input meeting its ``pre:`` lines.

Contracts (rule references in brackets):

* cursor ranges [SCB-2]: the ranges of two consecutive blocks are disjoint and together are the
  range of one block that moves the cursor the whole way, so every mainchain height above the
  genesis cursor is taken by exactly one block; a block that does not move its cursor takes nothing.
* cursor check [SCB-2]: a cursor is accepted exactly when it is between the parent's and the
  mainchain tip minus the peg-in depth.
* gas and fee [VMF-4]: the check accepts exactly ``gas <= limit`` and ``fee >= gas * price``, and a
  longer transaction never needs less gas.
* balance split [VMF-6/7]: the fee always leaves, the amount only on success; nothing is created
  (``after + moved + fee == balance``), the balance never goes negative, and success is exactly
  ``balance - fee >= amount``. The canary ``tests/sidechain_block_symbolic_canary.py`` claims that an
  input at the parent's cursor is taken; CrossHair must refute it.
"""

from __future__ import annotations

from spec.errors import ScbCursorAhead, ScbCursorBackwards, VmError
from spec.presets import FerrisVmParams
from spec.sidechain.chain import check_cursor, is_in_cursor_range
from spec.vm.ferris import check_gas, compute_gas, split_balance

__all__ = [
    "balance_split",
    "cursor_accepted",
    "cursor_ranges_partition",
    "gas_accepted",
    "gas_monotonic",
]


_in = is_in_cursor_range


def _succeeds(balance: int, fee: int, amount: int) -> bool:
    return split_balance(balance, fee, amount)[1]


def cursor_ranges_partition(height: int, first: int, middle: int, last: int) -> bool:
    """SCB-2: consecutive cursor ranges ``(first, middle]`` and ``(middle, last]`` split ``(first, last]``.

    pre: 0 <= first <= middle <= last <= 10**9
    pre: 0 <= height <= 10**9
    post: __return__ == (_in(height, first, middle) or _in(height, middle, last))
    post: not (_in(height, first, middle) and _in(height, middle, last))
    post: not is_in_cursor_range(height, middle, middle)
    """
    return is_in_cursor_range(height, first, last)


def cursor_accepted(parent: int, cursor: int, tip: int, depth: int) -> bool:
    """SCB-2: the cursor check accepts exactly ``parent <= cursor <= tip - depth``.

    pre: 0 <= parent <= 10**9 and 0 <= cursor <= 10**9
    pre: 0 <= tip <= 10**9 and 0 <= depth <= 1000
    post: __return__ == (parent <= cursor <= tip - depth)
    """
    try:
        check_cursor(parent, cursor, tip, depth)
    except (ScbCursorBackwards, ScbCursorAhead):
        return False
    return True


def _params(base: int, per_byte: int, price: int) -> FerrisVmParams:
    return FerrisVmParams(20000, 1024, base, per_byte, price, 250000, 10000000)


def gas_accepted(length: int, fee: int, limit: int, base: int, per_byte: int, price: int) -> bool:
    """VMF-4: a transaction passes the gas check exactly when its gas fits and its fee pays for it.

    pre: 0 <= length <= 20000 and 0 <= fee <= 10**12 and 0 <= limit <= 10**7
    pre: 1 <= base <= 10**5 and 1 <= per_byte <= 1000 and 1 <= price <= 10**4
    post: __return__ == (base + per_byte * length <= limit and fee >= (base + per_byte * length) * price)
    """
    params = _params(base, per_byte, price)
    try:
        check_gas(compute_gas(length, params), fee, limit, params)
    except VmError:
        return False
    return True


def gas_monotonic(length: int, extra: int, base: int, per_byte: int) -> int:
    """VMF-4: more bytes never cost less gas, and gas is at least ``base``.

    pre: 0 <= length <= 20000 and 0 <= extra <= 20000
    pre: 1 <= base <= 10**5 and 1 <= per_byte <= 1000
    post: __return__ >= base
    post: compute_gas(length + extra, _params(base, per_byte, 1)) >= __return__
    """
    return compute_gas(length, _params(base, per_byte, 1))


def balance_split(balance: int, fee: int, amount: int) -> int:
    """VMF-6/7: the sender's balance after a transaction that can pay its fee (-1 if it cannot).

    pre: 0 <= balance <= 21 * 10**14 and 0 <= fee <= 21 * 10**14 and 0 <= amount <= 21 * 10**14
    post: (__return__ == -1) == (balance < fee)
    post: __return__ == -1 or __return__ >= 0
    post: __return__ == -1 or __return__ + fee + (amount if _succeeds(balance, fee, amount) else 0) == balance
    post: __return__ == -1 or _succeeds(balance, fee, amount) == (balance - fee >= amount)
    """
    try:
        after, _ = split_balance(balance, fee, amount)
    except VmError:
        return -1
    return after
