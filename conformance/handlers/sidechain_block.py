"""Handlers of the ``vm_ferris`` flow (spec/vm/ferris.py, VMF-1..8 with VM-1..6) and the
``sidechain_block`` flow (spec/sidechain/chain.py, SCB-1..6); docs/sidechain-blocks.md.

JSON shapes:

* ``accounts``: a list of ``[account_id_hex, balance, nonce]`` (distinct ids): the FerrisScript
  state holding exactly those accounts (VMF-1).
* ``context``: ``{sidechain_id, height, timestamp, gas_limit}`` (``fee_recipient`` is empty).
* an outcome: ``{post_root, status, gas_used, fee, events, outbox}``, an outbox entry
  ``{kind, target_chain, recipient, amount, payload, sender}`` (VM-5).
* a deposit: ``{sidechain_id, mainchain_height, position, txid, output_index, recipient, amount}``;
  an inbound message: ``{sidechain_id, mainchain_height, position, source_chain, source_height,
  source_index, sender, recipient, amount, payload}`` (SC-HDR-5); ``voids`` (optional):
  ``[{relay_height, position, refund_height}]``, the slots of refunded messages (SC-HDR-6).
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance.jsonio import field, from_hex, from_json_int, hex_field, int_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.encoding import decode, encode
from spec.presets import Preset
from spec.sidechain.chain import (
    MainchainInputs,
    SidechainState,
    apply_sidechain_block,
    build_sidechain_block,
    compute_outbox_proof,
    compute_outbox_root,
    decode_sidechain_block,
    encode_sidechain_block,
    genesis_state,
)
from spec.sidechain.header import Deposit, InboundMessage, VoidedInput, compute_header_hash
from spec.trie import Trie
from spec.vm import evm, wasm
from spec.vm.ferris import (
    ACCOUNT_CODEC,
    HASHER,
    Account,
    account_key,
    apply_transaction,
    decode_transaction,
    encode_transaction,
    sign_transaction,
)
from spec.vm.interface import (
    ExecutionContext,
    OutboxEntry,
    TxOutcome,
    VmKind,
    decode_witness,
    encode_witness,
    record_witness,
    state_hasher,
    witness_nodes,
)


def _list(data: dict[str, JSON], name: str) -> list[JSON]:
    value = field(data, name)
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list")
    return value


def _object(value: JSON, name: str) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise BadInput(f"{name} must be an object")
    return value


def _state(data: dict[str, JSON]) -> Trie:
    items: dict[bytes, bytes] = {}
    for index, entry in enumerate(_list(data, "accounts")):
        if not isinstance(entry, list) or len(entry) != 3:
            raise BadInput(f"accounts[{index}] must be [account_id, balance, nonce]")
        key = account_key(from_hex(entry[0], f"accounts[{index}][0]"))
        if key in items:
            raise BadInput(f"accounts[{index}] repeats an account")
        account = Account(from_json_int(entry[1], "balance"), from_json_int(entry[2], "nonce"))
        items[key] = encode(ACCOUNT_CODEC, account)
    return Trie.from_items(items, HASHER)


def _accounts_json(root: bytes, nodes: Mapping[bytes, bytes], kind: VmKind = VmKind.FERRIS) -> JSON:
    """``[id, balance, nonce]`` of every account: a FerrisScript account id, a WASM address, or an
    EVM account's trie key ``keccak(address)`` (EVM-1 keeps no preimage of it)."""
    rows: list[JSON] = []
    if kind is VmKind.EVM:
        for key, evm_account in evm.iter_accounts(nodes, root):
            rows.append([to_hex(key), int(evm_account.balance), int(evm_account.nonce)])
        return rows
    if kind is VmKind.WASM:
        state = Trie.from_store(root, nodes.get, state_hasher(kind))
        for key, value in state.items():
            if key[:1] == wasm.ACCOUNT_PREFIX:
                wasm_account = decode(wasm.ACCOUNT_CODEC, value)
                rows.append([to_hex(key[1:]), wasm_account.balance, wasm_account.nonce])
        return rows
    trie = Trie.from_store(root, nodes.get, HASHER)
    for key, value in trie.items():
        account = decode(ACCOUNT_CODEC, value)
        rows.append([to_hex(key[1:]), account.balance, account.nonce])
    return rows


def _context(data: dict[str, JSON]) -> ExecutionContext:
    raw = _object(field(data, "context"), "context")
    return ExecutionContext(
        int_field(raw, "sidechain_id"),
        int_field(raw, "height"),
        int_field(raw, "timestamp"),
        b"",
        int_field(raw, "gas_limit"),
    )


def entry_json(entry: OutboxEntry) -> JSON:
    """An outbox entry as JSON."""
    return {
        "kind": entry.kind,
        "target_chain": entry.target_chain,
        "recipient": to_hex(entry.recipient),
        "amount": entry.amount,
        "payload": to_hex(entry.payload),
        "sender": to_hex(entry.sender),
    }


def _entry(value: JSON, name: str) -> OutboxEntry:
    raw = _object(value, name)
    return OutboxEntry(
        int_field(raw, "kind"),
        int_field(raw, "target_chain"),
        hex_field(raw, "recipient"),
        int_field(raw, "amount"),
        hex_field(raw, "payload"),
        hex_field(raw, "sender"),
    )


def _outcome_json(outcome: TxOutcome) -> dict[str, JSON]:
    return {
        "post_root": to_hex(outcome.post_root),
        "status": outcome.status,
        "gas_used": outcome.gas_used,
        "fee": outcome.fee,
        "events": [to_hex(event) for event in outcome.events],
        "outbox": [entry_json(entry) for entry in outcome.outbox],
    }


def handle_decode_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMF-2: ``{tx}`` -> the transaction's fields, or the code."""
    tx = decode_transaction(hex_field(data, "tx"), preset.vm_ferris)
    return {
        "kind": tx.kind,
        "chain_id": tx.chain_id,
        "nonce": tx.nonce,
        "fee": tx.fee,
        "amount": tx.amount,
        "target_chain": tx.target_chain,
        "recipient": to_hex(tx.recipient),
        "payload": to_hex(tx.payload),
        "locking_script": to_hex(tx.locking_script),
        "unlocking_script": to_hex(tx.unlocking_script),
    }


def handle_sign_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMF-5 (producer side): ``{tx, seed}`` -> the transaction (hex) with the P2PKH unlocking script
    ``<signature> <public key>`` of the Ed25519 key of ``seed`` (32 bytes)."""
    tx = decode_transaction(hex_field(data, "tx"), preset.vm_ferris)
    seed = hex_field(data, "seed")
    if len(seed) != 32:
        raise BadInput("seed is 32 bytes")
    return to_hex(encode_transaction(sign_transaction(tx, seed)))


def handle_apply_transaction(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VMF-2..7: ``{accounts, context, tx}`` -> the outcome and every account after, or the code."""
    trie = _state(data)
    outcome, new_nodes = apply_transaction(
        preset, trie.node_store, trie.root_hash, hex_field(data, "tx"), _context(data)
    )
    nodes = {**trie.node_store, **dict(new_nodes)}
    return {
        "pre_root": to_hex(trie.root_hash),
        "outcome": _outcome_json(outcome),
        "accounts": _accounts_json(outcome.post_root, nodes),
    }


def handle_record_witness(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VM-6: ``{accounts, context, tx}`` -> ``{pre_root, witness}`` (the canonical witness encoding)."""
    trie = _state(data)
    witness = record_witness(
        apply_transaction, preset, trie.node_store, trie.root_hash, hex_field(data, "tx"), _context(data)
    )
    return {"pre_root": to_hex(trie.root_hash), "witness": to_hex(encode_witness(witness))}


def handle_apply_stateless(preset: Preset, data: dict[str, JSON]) -> JSON:
    """VM-2/VM-4: ``{pre_root, witness, context, tx}`` -> the outcome of executing over the witness
    alone, or the code (``VM_WITNESS_NOT_CANONICAL``, ``VM_WITNESS_INCOMPLETE``, a VMF code)."""
    witness = decode_witness(hex_field(data, "witness"), HASHER)
    pre_root = hex_field(data, "pre_root")
    if len(pre_root) != 32:
        raise BadInput("pre_root is 32 bytes")
    outcome, _ = apply_transaction(
        preset, witness_nodes(witness, HASHER), pre_root, hex_field(data, "tx"), _context(data)
    )
    return {"outcome": _outcome_json(outcome)}


def _deposit(value: JSON, name: str) -> Deposit:
    raw = _object(value, name)
    return Deposit(
        int_field(raw, "sidechain_id"),
        int_field(raw, "mainchain_height"),
        int_field(raw, "position"),
        hex_field(raw, "txid"),
        int_field(raw, "output_index"),
        hex_field(raw, "recipient"),
        int_field(raw, "amount"),
    )


def _message(value: JSON, name: str) -> InboundMessage:
    raw = _object(value, name)
    return InboundMessage(
        int_field(raw, "sidechain_id"),
        int_field(raw, "mainchain_height"),
        int_field(raw, "position"),
        int_field(raw, "source_chain"),
        int_field(raw, "source_height"),
        int_field(raw, "source_index"),
        hex_field(raw, "sender"),
        hex_field(raw, "recipient"),
        int_field(raw, "amount"),
        hex_field(raw, "payload"),
    )


def _inputs(data: dict[str, JSON]) -> MainchainInputs:
    return MainchainInputs(
        int_field(data, "mainchain_tip"),
        int_field(data, "peg_in_depth"),
        tuple(_deposit(v, f"deposits[{i}]") for i, v in enumerate(_list(data, "deposits"))),
        tuple(_message(v, f"messages[{i}]") for i, v in enumerate(_list(data, "messages"))),
        tuple(_void(v, f"voids[{i}]") for i, v in enumerate(_list(data, "voids") if "voids" in data else [])),
    )


def _void(raw: JSON, where: str) -> VoidedInput:
    if not isinstance(raw, dict):
        raise BadInput(f"{where} is not an object")
    return VoidedInput(
        int_field(raw, "relay_height"), int_field(raw, "position"), int_field(raw, "refund_height")
    )


def _vm_kind(data: dict[str, JSON]) -> VmKind:
    value = int_field(data, "vm_kind")
    if value not in VmKind.__members__.values():
        raise BadInput(f"vm_kind {value} is not a VM kind")
    return VmKind(value)


def _genesis(data: dict[str, JSON]) -> SidechainState:
    return genesis_state(
        _vm_kind(data),
        int_field(data, "sidechain_id"),
        int_field(data, "genesis_timestamp"),
        int_field(data, "genesis_cursor"),
    )


def handle_build_block(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCB-6: ``{vm_kind, sidechain_id, genesis_timestamp, genesis_cursor, mainchain_tip,
    peg_in_depth, deposits, messages, blocks, transactions, timestamp, deposit_cursor}`` -> the block
    a producer builds on the state after ``blocks`` from the candidate ``transactions`` (hex):
    ``{block (hex encoding), header_hash, included (the candidates' indices it kept)}``, or the code."""
    state = _genesis(data)
    inputs = _inputs(data)
    for index, raw in enumerate(_list(data, "blocks")):
        block = decode_sidechain_block(from_hex(raw, f"blocks[{index}]"))
        state = apply_sidechain_block(state, block, inputs, preset).state
    candidates = [from_hex(raw, f"transactions[{i}]") for i, raw in enumerate(_list(data, "transactions"))]
    built = build_sidechain_block(
        state, candidates, inputs, int_field(data, "timestamp"), int_field(data, "deposit_cursor"), preset
    )
    kept: list[JSON] = []
    position = 0
    for tx in built.transactions:
        position = candidates.index(tx, position)
        kept.append(position)
        position += 1
    return {
        "block": to_hex(encode_sidechain_block(built)),
        "header_hash": to_hex(compute_header_hash(built.header)),
        "included": kept,
    }


def handle_apply_blocks(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCB-1..5: ``{vm_kind, sidechain_id, genesis_timestamp, genesis_cursor, mainchain_tip,
    peg_in_depth, deposits, messages, voids (optional), blocks}`` -> each block's result and the
    final state, or the first code (blocks apply in order from the genesis state; ``blocks`` are
    hex block encodings)."""
    state = _genesis(data)
    inputs = _inputs(data)
    results: list[JSON] = []
    for index, raw in enumerate(_list(data, "blocks")):
        block = decode_sidechain_block(from_hex(raw, f"blocks[{index}]"))
        result = apply_sidechain_block(state, block, inputs, preset)
        state = result.state
        results.append(
            {
                "header_hash": to_hex(compute_header_hash(block.header)),
                "credited_root": to_hex(result.credited_root),
                "statuses": [outcome.status for outcome in result.outcomes],
                "post_roots": [to_hex(outcome.post_root) for outcome in result.outcomes],
                "outbox": [entry_json(entry) for entry in result.outbox],
                "inputs": [
                    [item.mainchain_height, item.position, int(isinstance(item, InboundMessage)), credited]
                    for item, credited in result.inputs
                ],
            }
        )
    return {
        "blocks": results,
        "state_root": to_hex(state.tip.state_root),
        "accounts": _accounts_json(state.tip.state_root, state.nodes, state.vm_kind),
        "credited": state.credited,
        "sent": state.sent,
        "burnt": state.burnt,
    }


def handle_outbox_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """SCB-4: ``{entries, index}`` -> ``{root, proof}`` (MERKLE-3 over the encoded entries)."""
    del preset
    entries = [_entry(v, f"entries[{i}]") for i, v in enumerate(_list(data, "entries"))]
    proof = compute_outbox_proof(entries, int_field(data, "index"))
    return {"root": to_hex(compute_outbox_root(entries)), "proof": [to_hex(h) for h in proof]}


VM_FERRIS_HANDLERS: dict[str, Handler] = {
    "decode_transaction": handle_decode_transaction,
    "sign_transaction": handle_sign_transaction,
    "apply_transaction": handle_apply_transaction,
    "record_witness": handle_record_witness,
    "apply_stateless": handle_apply_stateless,
}
SIDECHAIN_BLOCK_HANDLERS: dict[str, Handler] = {
    "apply_blocks": handle_apply_blocks,
    "build_block": handle_build_block,
    "outbox_proof": handle_outbox_proof,
}
