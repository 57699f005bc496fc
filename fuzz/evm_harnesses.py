"""Fuzz harnesses of EVM sidechain execution (spec/vm/evm.py, EVM-2/EVM-3; VM-2..VM-4),
``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`EvmInvariantViolation`. :data:`EVM_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`evm_seeds` gives their seed corpora.

* ``evm_decode_transaction``: only ``VM_EVM_TX_DECODE`` / ``VM_EVM_TX_TYPE`` reject bytes
  (py-evm's own exceptions never escape), and an accepted transaction re-encodes to exactly the
  input (EVM-2: canonical encodings only);
* ``evm_apply_transaction``: the input is a transaction applied to a fixed small state: only
  ``VM_*`` codes reject it, and an accepted one has a non-negative fee and gas used at most its
  gas limit (VM-3).
"""

from __future__ import annotations

from collections.abc import Callable

import rlp

from conformance.evm_tx import TxFields, sign
from conformance.generators.vm_evm import ALICE, CONTEXT, STORE, genesis
from spec.errors import EvmTxDecode, EvmTxType, VmError
from spec.presets import DEVNET
from spec.vm.evm import apply_transaction, decode_transaction


class EvmInvariantViolation(AssertionError):
    """The EVM decoder or execution accepted or rejected input in a way its rules forbid."""


def fuzz_evm_decode_transaction(data: bytes) -> None:
    """EVM-2 on arbitrary bytes (see the module docstring)."""
    try:
        transaction = decode_transaction(data)
    except (EvmTxDecode, EvmTxType):
        return
    encoded = transaction.encode() if data[0] <= 0x7F else rlp.encode(transaction)
    if encoded != data:
        raise EvmInvariantViolation("EVM-2 accepted a non-canonical encoding")


_STATE = genesis()


def fuzz_evm_apply_transaction(data: bytes) -> None:
    """EVM-3/EVM-4 on arbitrary transaction bytes over a fixed state (see the module docstring)."""
    root, nodes = _STATE
    try:
        outcome, _ = apply_transaction(DEVNET, nodes, root, data, CONTEXT)
    except VmError:
        return
    if outcome.fee < 0 or outcome.gas_used < 0:
        raise EvmInvariantViolation("negative fee or gas")
    if outcome.gas_used > decode_transaction(data).gas:
        raise EvmInvariantViolation("gas used above the gas limit")


EVM_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "evm_decode_transaction": fuzz_evm_decode_transaction,
    "evm_apply_transaction": fuzz_evm_apply_transaction,
}


def evm_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: signed transactions of every type (a transfer, a call with data and an access list)."""
    chain_id = DEVNET.evm.chain_id_base + CONTEXT.sidechain_id
    seeds = {
        f"seed-type{tx_type}": sign(
            TxFields(
                nonce=0, gas=60_000, to=STORE, data=bytes(31) + b"\x05", tx_type=tx_type, chain_id=chain_id
            ),
            ALICE,
        )
        for tx_type in (0, 1, 2)
    }
    seeds["seed-create"] = sign(
        TxFields(nonce=0, gas=80_000, to=None, data=bytes.fromhex("600060005360016000f3"), chain_id=chain_id),
        ALICE,
    )
    return {"evm_decode_transaction": dict(seeds), "evm_apply_transaction": dict(seeds)}
