"""PEP 316 contracts on the WASM VM's fuel arithmetic and module-section reader
(``crosshair check --analysis_kind=PEP316``), spec/vm/wasm.py, docs/vm.md#wasm.

Each function wraps one helper; its ``post:`` lines must hold for every input meeting its ``pre:``
lines. They are plain functions too: ``tests/test_vm_wasm.py`` calls them on sample inputs.

* fee [VMW-7]: for any fuel left within what execution was given, ``0 <= gas_used <= fuel_limit``,
  ``gas_used >= intrinsic``, and the fee never exceeds the ``fuel_limit * fuel_price`` that VMW-3d
  made the sender hold, so charging it can never overdraw the sender.
* intrinsic fuel [VMW-7]: a deploy costs ``tx_base_fuel`` plus ``deploy_fuel_per_byte`` per byte,
  anything else exactly ``tx_base_fuel``.
* section sizes [VMW-4]: the LEB128 reader the section scan uses reads back every ``u32`` the
  canonical varint writes, and consumes exactly its bytes.
"""

from __future__ import annotations

from spec.encoding import varint_encode
from spec.presets import MAINNET
from spec.vm.wasm import WasmTransaction, _read_u32_leb, compute_fee, get_intrinsic_fuel

__all__ = [
    "fee_within_reserve",
    "intrinsic_fuel",
    "leb_roundtrip",
]

PARAMS = MAINNET.vm_wasm


def fee_within_reserve(fuel_limit: int, intrinsic: int, fuel_left: int, fuel_price: int) -> tuple[int, int]:
    """The fee charged is covered by the reserve VMW-3d checked.

    pre: 0 <= intrinsic <= fuel_limit
    pre: 0 <= fuel_left <= fuel_limit - intrinsic
    pre: fuel_price >= 0
    post: intrinsic <= __return__[0] <= fuel_limit
    post: 0 <= __return__[1] <= fuel_limit * fuel_price
    post: __return__[1] == __return__[0] * fuel_price
    """
    return compute_fee(fuel_limit, fuel_left, fuel_price)


def intrinsic_fuel(kind: int, data_length: int) -> int:
    """Intrinsic fuel by kind and module length.

    pre: 0 <= kind <= 2
    pre: 0 <= data_length <= 70000
    post: __return__ == PARAMS.tx_base_fuel + (PARAMS.deploy_fuel_per_byte * data_length if kind == 1 else 0)
    """
    tx = WasmTransaction(kind, bytes(32), 0, 0, 0, 0, b"", bytes(data_length), bytes(64))
    return get_intrinsic_fuel(tx, PARAMS)


def leb_roundtrip(value: int) -> tuple[int, int]:
    """The section reader reads back a canonical u32 varint and consumes it whole.

    pre: 0 <= value <= 2**32 - 1
    post: __return__ == (value, len(varint_encode(value)))
    """
    return _read_u32_leb(varint_encode(value), 0)
