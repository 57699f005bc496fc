"""Handlers of the ``vm_evm`` flow (spec/vm/evm.py, spec/vm/interface.py; docs/vm.md#evm).

JSON shapes (besides the general conventions of docs/vector-format.md):

* ``witness`` is the hex of an encoded :class:`~spec.vm.interface.StateWitness` (VM-4): the
  preimages (keccak trie nodes and contract code) the execution may read. Every vector executes
  *statelessly* over its witness; valid cases carry exactly the witness full execution recorded
  (VM-6);
* ``context`` is ``{"sidechain_id", "height", "timestamp", "fee_recipient": hex, "gas_limit"}``;
* an outcome is ``{"post_root", "status" (0 failed, 1 succeeded), "gas_used", "fee", "events":
  [hex RLP of each log], "outbox": [{"kind", "target_chain", "recipient", "amount", "payload", "sender"}],
  "new_nodes": [[hash, preimage], ...], "logs_hash": keccak(RLP(logs))}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance.handlers.vm_common import context_field, deposit_field, outcome_json
from conformance.jsonio import field, from_hex, from_json_int, hex_field, int_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.presets import Preset
from spec.vm.evm import (
    HASHER,
    EvmAccount,
    NewNodes,
    apply_deposit,
    apply_transaction,
    compute_state,
    credit_deposit,
    decode_transaction,
    iter_accounts,
    logs_hash,
)
from spec.vm.interface import TxOutcome, decode_witness, witness_nodes


def _nodes(data: dict[str, JSON]) -> Mapping[bytes, bytes]:
    return witness_nodes(decode_witness(hex_field(data, "witness"), HASHER), HASHER)


def _new_nodes_json(new_nodes: NewNodes) -> JSON:
    return [[to_hex(digest), to_hex(data)] for digest, data in new_nodes]


def evm_outcome_json(outcome: TxOutcome, new_nodes: NewNodes) -> dict[str, JSON]:
    """An outcome (VM-3, VM-5) and its new preimages (EVM-8) and logs hash as JSON."""
    return {
        **outcome_json(outcome),
        "new_nodes": _new_nodes_json(new_nodes),
        "logs_hash": to_hex(logs_hash(outcome.events)),
    }


def handle_apply_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VM-2..VM-6, EVM-2..EVM-8: ``{"witness", "pre_root", "tx", "context"}`` -> an outcome."""
    nodes = _nodes(data)
    outcome, new_nodes = apply_transaction(
        preset, nodes, hex_field(data, "pre_root"), hex_field(data, "tx"), context_field(data)
    )
    return evm_outcome_json(outcome, new_nodes)


def handle_credit_deposit(preset: Preset, data: dict[str, JSON]) -> JSON:
    """EVM-7: ``{"witness", "pre_root", "recipient", "amount"}`` -> ``{"post_root", "new_nodes"}``."""
    amount = int_field(data, "amount")
    if amount < 0:
        raise BadInput("amount must not be negative")
    root, new_nodes = credit_deposit(
        _nodes(data), hex_field(data, "pre_root"), hex_field(data, "recipient"), amount
    )
    return {"post_root": to_hex(root), "new_nodes": _new_nodes_json(new_nodes)}


def handle_apply_deposit(preset: Preset, data: dict[str, JSON]) -> JSON:
    """EVM-7 (SC-HDR-5): ``{"witness", "pre_root", "deposit": {"sidechain_id", "mainchain_height",
    "position", "txid", "output_index", "recipient", "amount"}}`` -> ``{"post_root", "new_nodes"}``."""
    deposit = deposit_field(data, non_negative=False)
    root, new_nodes = apply_deposit(_nodes(data), hex_field(data, "pre_root"), deposit)
    return {"post_root": to_hex(root), "new_nodes": _new_nodes_json(new_nodes)}


def handle_compute_state(preset: Preset, data: dict[str, JSON]) -> JSON:
    """EVM-1: ``{"accounts": [{"address", "nonce", "balance", "code", "storage": [[slot, value]]}]}``
    -> ``{"root", "nodes": [[hash, preimage]], "accounts": [[keccak(address), nonce, balance,
    storage_root, code_hash]]}`` (the accounts read back from the trie, in key order)."""
    raw = field(data, "accounts")
    if not isinstance(raw, list):
        raise BadInput("accounts must be a list")
    accounts: dict[bytes, EvmAccount] = {}
    for entry in raw:
        if not isinstance(entry, dict):
            raise BadInput("an account is an object")
        slots = field(entry, "storage")
        if not isinstance(slots, list):
            raise BadInput("storage must be a list")
        storage: dict[int, int] = {}
        for pair in slots:
            if not isinstance(pair, list) or len(pair) != 2:
                raise BadInput("a storage entry is [slot, value]")
            storage[from_json_int(pair[0], "slot")] = from_json_int(pair[1], "value")
        accounts[from_hex(field(entry, "address"), "address")] = EvmAccount(
            nonce=int_field(entry, "nonce"),
            balance=int_field(entry, "balance"),
            code=hex_field(entry, "code"),
            storage=storage,
        )
    root, nodes = compute_state(accounts)
    read_back: list[JSON] = [
        [
            to_hex(key),
            int(account.nonce),
            int(account.balance),
            to_hex(account.storage_root),
            to_hex(account.code_hash),
        ]
        for key, account in iter_accounts(nodes, root)
    ]
    return {
        "root": to_hex(root),
        "nodes": [[to_hex(digest), to_hex(nodes[digest])] for digest in sorted(nodes)],
        "accounts": read_back,
    }


def handle_decode_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """EVM-2: ``{"tx"}`` -> ``{"type", "nonce", "gas", "to", "value", "data"}`` (``type`` 0 = legacy)."""
    transaction = decode_transaction(hex_field(data, "tx"))
    return {
        "type": transaction.type_id or 0,
        "nonce": int(transaction.nonce),
        "gas": int(transaction.gas),
        "to": to_hex(transaction.to) if transaction.to else None,
        "value": int(transaction.value),
        "data": to_hex(transaction.data),
    }


HANDLERS: dict[str, Handler] = {
    "apply_transaction": handle_apply_transaction,
    "credit_deposit": handle_credit_deposit,
    "apply_deposit": handle_apply_deposit,
    "compute_state": handle_compute_state,
    "decode_transaction": handle_decode_transaction,
}
