"""Handlers of the ``vm_wasm`` flow: the WASM sidechain VM (spec/vm/wasm.py, VMW-1..9) behind the
VM interface (spec/vm/interface.py, VM-1..6), docs/vm.md#wasm.

JSON shapes. ``genesis`` is a list of ``[address_hex, balance]`` (VMW-1 accounts with nonce 0 and
no code); ``context`` is ``{sidechain_id, height, timestamp, fee_recipient, gas_limit}``;
``transactions`` are hex encodings (VMW-2; a deploy carries the module bytes). An outcome is
``{post_root, status, gas_used, fee, events, outbox}`` (VM-3/VM-5), an outbox entry
``{kind, target_chain, recipient, amount, payload, sender}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance.handlers.vm_common import context_field, deposit_field, outcome_json
from conformance.jsonio import field, from_hex, from_json_int, hex_field, hex_list_field, int_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.presets import Preset
from spec.vm.interface import (
    ExecutionContext,
    VmKind,
    decode_witness,
    encode_witness,
    record_witness,
    state_hasher,
    witness_nodes,
)
from spec.vm.wasm import (
    WasmTransaction,
    apply_deposit,
    apply_transaction,
    apply_transaction_with,
    build_genesis,
    check_module,
    compute_code_hash,
    decode_transaction,
    encode_transaction,
    get_account,
    load_state,
    sign_transaction,
)


def _genesis(data: dict[str, JSON]) -> tuple[bytes, dict[bytes, bytes]]:
    raw = field(data, "genesis")
    if not isinstance(raw, list):
        raise BadInput("genesis must be a list")
    balances: dict[bytes, int] = {}
    for entry in raw:
        if not isinstance(entry, list) or len(entry) != 2:
            raise BadInput("a genesis entry is [address, balance]")
        balances[from_hex(entry[0], "address")] = from_json_int(entry[1], "balance")
    return build_genesis(balances)


def _apply_all(
    preset: Preset, root: bytes, nodes: dict[bytes, bytes], context: ExecutionContext, txs: list[bytes]
) -> tuple[bytes, list[JSON]]:
    """Apply ``txs`` in order (``nodes`` gains their preimages); the last root and the outcomes."""
    outcomes: list[JSON] = []
    for tx in txs:
        outcome, created = apply_transaction_with(preset.vm_wasm, nodes, root, tx, context)
        nodes.update(created)
        root = outcome.post_root
        outcomes.append(outcome_json(outcome))
    return root, outcomes


def _replay(
    preset: Preset, data: dict[str, JSON]
) -> tuple[bytes, dict[bytes, bytes], ExecutionContext, list[JSON], list[bytes]]:
    """Apply every transaction but the last; the state before the last, and the outcomes so far."""
    root, nodes = _genesis(data)
    context = context_field(data)
    transactions = hex_list_field(data, "transactions")
    if not transactions:
        raise BadInput("at least one transaction")
    root, outcomes = _apply_all(preset, root, nodes, context, transactions[:-1])
    return root, nodes, context, outcomes, transactions


def handle_sign_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMW-3a: ``{kind, nonce, fuel_limit, fuel_price, value, to, data, seed, sidechain_id}`` ->
    ``{transaction}``: the encoding of the transaction signed by the Ed25519 key of ``seed`` (32
    bytes; the sender is its public key)."""
    seed = hex_field(data, "seed")
    if len(seed) != 32:
        raise BadInput("seed must be 32 bytes")
    unsigned = WasmTransaction(
        int_field(data, "kind"),
        bytes(32),
        int_field(data, "nonce"),
        int_field(data, "fuel_limit"),
        int_field(data, "fuel_price"),
        int_field(data, "value"),
        hex_field(data, "to"),
        hex_field(data, "data"),
        bytes(64),
    )
    signed = sign_transaction(unsigned, seed, int_field(data, "sidechain_id"))
    return {"transaction": to_hex(encode_transaction(signed))}


def handle_deposit(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMW-10: ``{genesis, context, before, deposit, after}`` -> ``{credited, post_root, account,
    created, outcomes}``: the transactions ``before`` applied, then the deposit (``credited`` false
    and the root unchanged when the recipient cannot accept it; ``account`` the recipient's
    ``[nonce, balance, code_hash]`` after it), then the transactions ``after`` (their outcomes)."""
    root, nodes = _genesis(data)
    context = context_field(data)
    root, _ = _apply_all(preset, root, nodes, context, hex_list_field(data, "before"))
    credited = apply_deposit(nodes, root, deposit_field(data, non_negative=True), preset.ledger.max_money)
    created: list[JSON] = []
    if credited is not None:
        root = credited[0]
        nodes.update(credited[1])
        created = [to_hex(digest) for digest, _ in credited[1]]
    post_root = root
    account = get_account(load_state(nodes, root), deposit_field(data, non_negative=True).recipient)
    _, outcomes = _apply_all(preset, root, nodes, context, hex_list_field(data, "after"))
    return {
        "credited": credited is not None,
        "post_root": to_hex(post_root),
        "account": [account.nonce, account.balance, to_hex(account.code_hash)],
        "created": created,
        "outcomes": outcomes,
    }


def handle_apply(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMW-2..9: ``{genesis, context, transactions}`` -> ``{outcomes, created}`` (every outcome in
    order; ``created`` the hashes of the preimages the last one created, VM-3), or the code of the
    first invalid transaction (each earlier one is valid in the vector)."""
    root, nodes, context, outcomes, transactions = _replay(preset, data)
    outcome, created = apply_transaction_with(preset.vm_wasm, nodes, root, transactions[-1], context)
    return {"outcomes": [*outcomes, outcome_json(outcome)], "created": [to_hex(h) for h, _ in created]}


def handle_witness(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VM-6: ``{genesis, context, transactions}`` -> the last transaction's witness (its canonical
    encoding, VM-4), its pre-state root and its outcome executed over the witness alone (VM-2)."""
    root, nodes, context, _, transactions = _replay(preset, data)
    witness = record_witness(apply_transaction, preset, nodes, root, transactions[-1], context)
    hasher = state_hasher(VmKind.WASM)
    outcome, _ = apply_transaction(preset, witness_nodes(witness, hasher), root, transactions[-1], context)
    return {
        "pre_root": to_hex(root),
        "witness": to_hex(encode_witness(witness)),
        "outcome": outcome_json(outcome),
    }


def handle_stateless(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VM-2/VM-4: ``{pre_root, witness, transaction, context}`` -> the outcome executed over the
    witness's preimages, or its code (``VM_WITNESS_*``, ``DECODE_*``, ``VM_WASM_*``)."""
    hasher = state_hasher(VmKind.WASM)
    witness = decode_witness(hex_field(data, "witness"), hasher)
    nodes: Mapping[bytes, bytes] = witness_nodes(witness, hasher)
    outcome, _ = apply_transaction(
        preset, nodes, hex_field(data, "pre_root"), hex_field(data, "transaction"), context_field(data)
    )
    return outcome_json(outcome)


def handle_validate_module(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMW-4: ``{module}`` -> ``{code_hash}`` of a deployable module (VMW-1), or its code."""
    module = hex_field(data, "module")
    check_module(module, preset.vm_wasm)
    return {"code_hash": to_hex(compute_code_hash(module))}


def handle_decode_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMW-2: ``{transaction}`` -> its fields, or ``DECODE_*`` / ``VM_WASM_MALFORMED_TRANSACTION``."""
    tx = decode_transaction(hex_field(data, "transaction"), preset.vm_wasm)
    return {
        "kind": tx.kind,
        "sender": to_hex(tx.sender),
        "nonce": tx.nonce,
        "fuel_limit": tx.fuel_limit,
        "fuel_price": tx.fuel_price,
        "value": tx.value,
        "to": to_hex(tx.to),
        "data": to_hex(tx.data),
        "signature": to_hex(tx.signature),
    }


HANDLERS: dict[str, Handler] = {
    "apply": handle_apply,
    "witness": handle_witness,
    "stateless": handle_stateless,
    "validate_module": handle_validate_module,
    "decode_transaction": handle_decode_transaction,
    "deposit": handle_deposit,
    "sign_transaction": handle_sign_transaction,
}
