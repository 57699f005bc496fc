"""JSON shapes shared by the sidechain VM handlers behind the VM interface (``vm_evm``, ``vm_wasm``).

* ``context`` is ``{"sidechain_id", "height", "timestamp", "fee_recipient": hex, "gas_limit"}``
  (VM-2's :class:`~spec.vm.interface.ExecutionContext`);
* an outcome (VM-3, VM-5) is ``{"post_root", "status", "gas_used", "fee", "events": [hex],
  "outbox": [{"kind", "target_chain", "recipient", "amount", "payload"}]}``; a VM may add fields;
* a deposit (SC-HDR-5) is ``{"sidechain_id", "mainchain_height", "position", "txid",
  "output_index", "recipient", "amount"}``.
"""

from __future__ import annotations

from conformance.jsonio import field, hex_field, int_field, to_hex
from conformance.model import JSON, BadInput
from spec.sidechain.header import Deposit
from spec.vm.interface import ExecutionContext, TxOutcome


def context_field(data: dict[str, JSON]) -> ExecutionContext:
    """The execution context ``data["context"]`` (VM-2)."""
    raw = field(data, "context")
    if not isinstance(raw, dict):
        raise BadInput("context must be an object")
    return ExecutionContext(
        sidechain_id=int_field(raw, "sidechain_id"),
        height=int_field(raw, "height"),
        timestamp=int_field(raw, "timestamp"),
        fee_recipient=hex_field(raw, "fee_recipient"),
        gas_limit=int_field(raw, "gas_limit"),
    )


def outcome_json(outcome: TxOutcome) -> dict[str, JSON]:
    """VM-3/VM-5: an outcome as vectors carry it."""
    return {
        "post_root": to_hex(outcome.post_root),
        "status": int(outcome.status),
        "gas_used": outcome.gas_used,
        "fee": outcome.fee,
        "events": [to_hex(event) for event in outcome.events],
        "outbox": [
            {
                "kind": int(entry.kind),
                "target_chain": entry.target_chain,
                "recipient": to_hex(entry.recipient),
                "amount": entry.amount,
                "payload": to_hex(entry.payload),
                "sender": to_hex(entry.sender),
            }
            for entry in outcome.outbox
        ],
    }


def deposit_field(data: dict[str, JSON], *, non_negative: bool) -> Deposit:
    """The deposit ``data["deposit"]``; with ``non_negative`` a negative amount is bad input."""
    raw = field(data, "deposit")
    if not isinstance(raw, dict):
        raise BadInput("deposit must be an object")
    amount = int_field(raw, "amount")
    if non_negative and amount < 0:
        raise BadInput("amount must not be negative")
    return Deposit(
        sidechain_id=int_field(raw, "sidechain_id"),
        mainchain_height=int_field(raw, "mainchain_height"),
        position=int_field(raw, "position"),
        txid=hex_field(raw, "txid"),
        output_index=int_field(raw, "output_index"),
        recipient=hex_field(raw, "recipient"),
        amount=amount,
    )
