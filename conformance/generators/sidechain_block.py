"""Vectors of the ``vm_ferris`` flow (the FerrisScript sidechain VM, VMF-1..8 with VM-1..6) and the
``sidechain_block`` flow (the sidechain block transition, SCB-1..6); docs/sidechain-blocks.md."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import Any

from conformance import evm_tx
from conformance.handlers.sidechain_block import entry_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from spec.crypto import ed25519
from spec.encoding import encode
from spec.presets import Preset
from spec.script import Opcode, encode_number, encode_push, p2pkh_script_sig
from spec.sidechain.chain import (
    MainchainInputs,
    SidechainBlock,
    SidechainState,
    apply_sidechain_block,
    build_sidechain_block,
    encode_sidechain_block,
    genesis_state,
)
from spec.sidechain.header import Deposit, InboundMessage, VoidedInput, compute_credits_root
from spec.trie import Trie
from spec.vm import wasm
from spec.vm.ferris import (
    ACCOUNT_CODEC,
    HASHER,
    Account,
    FerrisTransaction,
    FerrisTxKind,
    account_key,
    apply_transaction,
    compute_account_id,
    encode_transaction,
    p2pkh_locking_script,
    sign_transaction,
)
from spec.vm.interface import (
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    StateWitness,
    VmKind,
    encode_witness,
    record_witness,
)

CHAIN = 7


def _seed(index: int) -> bytes:
    return seeded_bytes(f"vm_ferris/key/{index}", 32)


@cache
def _lock(index: int) -> bytes:
    return p2pkh_locking_script(_seed(index))


@cache
def _account(index: int) -> bytes:
    return compute_account_id(_lock(index))


def _tx(sender: int, **fields: Any) -> FerrisTransaction:
    base = FerrisTransaction(
        kind=FerrisTxKind.TRANSFER,
        chain_id=CHAIN,
        nonce=0,
        fee=5000,
        amount=1000,
        target_chain=0,
        recipient=_account(sender + 1),
        payload=b"",
        locking_script=_lock(sender),
        unlocking_script=b"",
    )
    return sign_transaction(replace(base, **fields), _seed(sender))


def _hex(sender: int, **fields: Any) -> str:
    return encode_transaction(_tx(sender, **fields)).hex()


def _context(preset: Preset, **fields: int) -> dict[str, JSON]:
    context: dict[str, JSON] = {"sidechain_id": CHAIN, "height": 5, "timestamp": 1000}
    context["gas_limit"] = preset.vm_ferris.max_tx_gas
    context.update(fields)
    return context


ACCOUNTS: list[JSON] = [
    [_account(0).hex(), 100_000, 0],
    [_account(1).hex(), 50, 3],
    [_account(2).hex(), 5_000, 1],
]


def _apply_case(name: str, description: str, preset: Preset, tx: str, error: str | None = None) -> CaseSpec:
    data: dict[str, JSON] = {"accounts": ACCOUNTS, "context": _context(preset), "tx": tx}
    return CaseSpec("apply_transaction", name, description, data, expect_error=error)


def generate_vm_ferris(preset: Preset) -> Iterator[CaseSpec]:
    """VMF-2..8 and VM-2/4/6 vectors."""
    mm = preset.ledger.max_money
    yield CaseSpec("decode_transaction", "transfer", "a signed P2PKH transfer", {"tx": _hex(0)})
    raw = encode_transaction(_tx(0))
    yield CaseSpec(
        "decode_transaction",
        "trailing_byte",
        "one byte after the transaction",
        {"tx": (raw + b"\x00").hex()},
        expect_error="DECODE_TRAILING_BYTES",
    )
    yield CaseSpec(
        "decode_transaction",
        "truncated",
        "the last byte missing",
        {"tx": raw[:-1].hex()},
        expect_error="DECODE_TRUNCATED",
    )
    yield CaseSpec(
        "decode_transaction",
        "unknown_kind",
        "kind 3",
        {"tx": encode_transaction(replace(_tx(0), kind=3)).hex()},
        expect_error="VM_FERRIS_BAD_KIND",
    )
    huge = replace(_tx(0), payload=b"\x00" * (preset.vm_ferris.max_transaction_bytes))
    yield CaseSpec(
        "decode_transaction",
        "too_large",
        "one transaction above max_transaction_bytes",
        {"tx": encode_transaction(huge).hex()},
        expect_error="VM_FERRIS_TX_TOO_LARGE",
    )
    yield _apply_case("transfer", "a transfer to an existing account", preset, _hex(0, amount=1234))
    yield _apply_case(
        "transfer_new_account", "a transfer creates its recipient", preset, _hex(0, recipient=_account(9))
    )
    yield _apply_case("transfer_to_self", "only the fee leaves", preset, _hex(0, recipient=_account(0)))
    yield _apply_case("transfer_nonce_1", "the sender's nonce 1", preset, _hex(2, nonce=1, amount=10))
    yield _apply_case(
        "failed_amount",
        "amount above balance after fee: FAILED, fee charged",
        preset,
        _hex(2, nonce=1, amount=4000),
    )
    yield _apply_case(
        "failed_exact", "amount one atom above what is left", preset, _hex(2, nonce=1, fee=4000, amount=1001)
    )
    yield _apply_case(
        "succeeds_exact", "amount exactly what is left", preset, _hex(2, nonce=1, fee=4000, amount=1000)
    )
    yield _apply_case(
        "withdraw",
        "a burn to a mainchain script",
        preset,
        _hex(0, kind=FerrisTxKind.WITHDRAW, amount=700, recipient=b"\x51" * 25),
    )
    yield _apply_case(
        "message",
        "a message to sidechain 8",
        preset,
        _hex(0, kind=FerrisTxKind.MESSAGE, amount=9, target_chain=8, recipient=b"r" * 20, payload=b"hello"),
    )
    yield _apply_case(
        "message_max_payload",
        "a payload of max_payload_bytes",
        preset,
        _hex(
            0,
            kind=FerrisTxKind.MESSAGE,
            amount=9,
            target_chain=8,
            recipient=b"r",
            payload=b"p" * preset.vm_ferris.max_payload_bytes,
            fee=20_000,
        ),
    )
    yield _apply_case(
        "fee_exact", "the fee is exactly gas_used * min_gas_price", preset, _hex(0, fee=_exact_fee(preset))
    )
    invalid: list[tuple[str, str, dict[str, Any], str]] = [
        ("wrong_chain", "signed for sidechain 8", {"chain_id": 8}, "VM_FERRIS_WRONG_CHAIN"),
        ("transfer_target", "a transfer with target_chain 3", {"target_chain": 3}, "VM_FERRIS_BAD_TARGET"),
        (
            "message_to_mainchain",
            "a message with target_chain 0",
            {"kind": 2, "recipient": b"r"},
            "VM_FERRIS_BAD_TARGET",
        ),
        (
            "message_to_self",
            "a message to its own chain",
            {"kind": 2, "target_chain": CHAIN, "recipient": b"r"},
            "VM_FERRIS_BAD_TARGET",
        ),
        (
            "short_recipient",
            "a 31-byte transfer recipient",
            {"recipient": b"\x01" * 31},
            "VM_FERRIS_BAD_RECIPIENT",
        ),
        (
            "empty_withdraw_recipient",
            "a withdrawal to nobody",
            {"kind": 1, "recipient": b""},
            "VM_FERRIS_BAD_RECIPIENT",
        ),
        ("transfer_payload", "a payload on a transfer", {"payload": b"x"}, "VM_FERRIS_BAD_PAYLOAD"),
        (
            "withdraw_payload",
            "a payload on a withdrawal",
            {"kind": 1, "recipient": b"w", "payload": b"x"},
            "VM_FERRIS_BAD_PAYLOAD",
        ),
        (
            "message_payload_too_long",
            "one byte above max_payload_bytes",
            {
                "kind": 2,
                "target_chain": 8,
                "recipient": b"r",
                "payload": b"p" * (preset.vm_ferris.max_payload_bytes + 1),
                "fee": 30_000,
            },
            "VM_FERRIS_BAD_PAYLOAD",
        ),
        ("amount_above_max_money", "amount max_money + 1", {"amount": mm + 1}, "VM_FERRIS_BAD_AMOUNT"),
        ("fee_above_max_money", "fee max_money + 1", {"fee": mm + 1}, "VM_FERRIS_BAD_AMOUNT"),
        (
            "withdraw_nothing",
            "a withdrawal of 0",
            {"kind": 1, "amount": 0, "recipient": b"w"},
            "VM_FERRIS_BAD_AMOUNT",
        ),
        (
            "fee_one_short",
            "one atom below gas_used * min_gas_price",
            {"fee": _exact_fee(preset) - 1},
            "VM_FERRIS_FEE_TOO_LOW",
        ),
        ("nonce_ahead", "nonce 1 on a fresh account", {"nonce": 1}, "VM_FERRIS_BAD_NONCE"),
        ("cannot_pay_fee", "a fee above the balance", {"fee": 100_001}, "VM_FERRIS_CANNOT_PAY_FEE"),
    ]
    for name, description, fields, code in invalid:
        yield _apply_case(name, description, preset, _hex(0, **fields), code)
    yield _apply_case(
        "unknown_sender", "an empty account cannot pay", preset, _hex(5), "VM_FERRIS_CANNOT_PAY_FEE"
    )
    forged = encode_transaction(replace(_tx(0), amount=1001)).hex()
    yield _apply_case(
        "forged_amount", "the amount changed after signing", preset, forged, "VM_FERRIS_UNAUTHORIZED"
    )
    stolen = encode_transaction(replace(_tx(0), locking_script=_lock(1))).hex()
    malformed = replace(_tx(0), unlocking_script=_malformed_unlock())
    yield _apply_case(
        "malformed_signature",
        "a signature whose S is not below the group order (ED25519 code inside)",
        preset,
        encode_transaction(malformed).hex(),
        "VM_FERRIS_UNAUTHORIZED",
    )
    yield _apply_case("other_account", "key 0 spends account 1", preset, stolen, "VM_FERRIS_UNAUTHORIZED")
    yield _apply_case(
        "kind_3",
        "an unknown kind",
        preset,
        encode_transaction(replace(_tx(0), kind=3)).hex(),
        "VM_FERRIS_BAD_KIND",
    )
    gas = CaseSpec(
        "apply_transaction",
        "gas_limit",
        "a context that allows 1000 gas",
        {"accounts": ACCOUNTS, "context": _context(preset, gas_limit=1000), "tx": _hex(0)},
        expect_error="VM_FERRIS_GAS_LIMIT",
    )
    yield gas
    exact_gas = preset.vm_ferris.base_gas + preset.vm_ferris.gas_per_byte * len(encode_transaction(_tx(0)))
    yield CaseSpec(
        "apply_transaction",
        "gas_limit_exact",
        "a context whose gas limit is exactly the transaction's gas",
        {"accounts": ACCOUNTS, "context": _context(preset, gas_limit=exact_gas), "tx": _hex(0)},
    )
    yield from _ferris_lock_time_cases(preset)
    yield from _trie_split_cases(preset)
    yield from _inline_leaf_cases(preset)
    yield from _hashed_leaf_cases(preset)
    yield from _sign_cases()
    yield from _witness_cases(preset)


def _ferris_lock_time_cases(preset: Preset) -> Iterator[CaseSpec]:
    """VMF-5: CHECKLOCKTIMEVERIFY accepts a lock height in ``0..context.height`` (5 here)."""
    for lock_height, error in ((0, None), (5, None), (6, "VM_FERRIS_UNAUTHORIZED")):
        lock = _cltv_lock(lock_height)
        tx = sign_transaction(replace(_tx(6, recipient=_account(0)), locking_script=lock), _seed(6))
        data: dict[str, JSON] = {
            "accounts": [*ACCOUNTS, [compute_account_id(lock).hex(), 100_000, 0]],
            "context": _context(preset),
            "tx": encode_transaction(tx).hex(),
        }
        yield CaseSpec(
            "apply_transaction",
            f"lock_time_{lock_height}",
            f"an account locked by {lock_height} OP_CHECKLOCKTIMEVERIFY spends at height 5",
            data,
            expect_error=error,
        )


def _trie_split_cases(preset: Preset) -> Iterator[CaseSpec]:
    """VMF-7 over MPT-8: a transfer that creates its recipient where the trie holds an extension
    node, so the insertion splits it (one nibble of it left, or several)."""
    for name, shared, recipient in (
        ("split_extension_one_nibble", "ab", "ac"),
        ("split_extension_keeps_extension", "abcd", "ad"),
    ):
        first = bytes.fromhex(shared + "11" + "00" * (31 - len(shared) // 2))
        second = bytes.fromhex(shared + "22" + "00" * (31 - len(shared) // 2))
        target = bytes.fromhex(recipient + "00" * 31)
        assert _account(0)[0] >> 4 != 0xA
        accounts: list[JSON] = [[_account(0).hex(), 100_000, 0], [first.hex(), 7, 0], [second.hex(), 9, 0]]
        yield CaseSpec(
            "apply_transaction",
            name,
            f"accounts {first[:3].hex()}.. and {second[:3].hex()}.. share a path; "
            f"a transfer creates {target[:2].hex()}..",
            {"accounts": accounts, "context": _context(preset), "tx": _hex(0, recipient=target)},
        )


def _inline_leaf_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MPT-4 in VMF-7: two accounts whose ids differ only in the last nibble end in leaves short
    enough to be inlined in their branch (RLP under 32 bytes); a transfer re-encodes that branch."""
    first = b"\xab" * 31 + b"\x01"
    second = b"\xab" * 31 + b"\x02"
    accounts: list[JSON] = [[_account(0).hex(), 100_000, 0], [first.hex(), 7, 0], [second.hex(), 9, 0]]
    yield CaseSpec(
        "apply_transaction",
        "inline_leaves",
        "a transfer to an account whose leaf is inlined next to another inlined leaf",
        {"accounts": accounts, "context": _context(preset), "tx": _hex(0, recipient=second)},
    )


def _hashed_leaf_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MPT-4 in VMF-7: a new account whose leaf's RLP is exactly 32 bytes, which is hashed, not inlined
    (ids sharing 12 nibbles leave 51 path nibbles; the value is a 2-byte balance and a 1-byte nonce)."""
    existing = bytes.fromhex("cdcdcdcdcdcd11" + "00" * 25)
    created = bytes.fromhex("cdcdcdcdcdcd22" + "00" * 25)
    accounts: list[JSON] = [[_account(0).hex(), 100_000, 0], [existing.hex(), 7, 0]]
    yield CaseSpec(
        "apply_transaction",
        "leaf_of_32_bytes",
        "a transfer creates an account whose leaf encodes to exactly 32 bytes (hashed)",
        {"accounts": accounts, "context": _context(preset), "tx": _hex(0, recipient=created)},
    )
    lock = encode_push(encode_number(0)) + bytes([Opcode.OP_CHECKSEQUENCEVERIFY, Opcode.OP_DROP]) + _lock(6)
    tx = sign_transaction(replace(_tx(6, recipient=_account(0)), locking_script=lock), _seed(6))
    yield CaseSpec(
        "apply_transaction",
        "check_sequence_verify",
        "VMF-5: an account locked by 0 OP_CHECKSEQUENCEVERIFY can never spend (accounts have no coin age)",
        {
            "accounts": [*ACCOUNTS, [compute_account_id(lock).hex(), 100_000, 0]],
            "context": _context(preset),
            "tx": encode_transaction(tx).hex(),
        },
        expect_error="VM_FERRIS_UNAUTHORIZED",
    )


def _sign_cases() -> Iterator[CaseSpec]:
    """VMF-5 (producer side): the P2PKH unlocking script of a transaction, signed by a seed."""
    for name, tx in (
        ("transfer", replace(_tx(0), unlocking_script=b"")),
        (
            "message",
            replace(
                _tx(1, kind=FerrisTxKind.MESSAGE, target_chain=9, recipient=b"m", payload=b"hi"),
                unlocking_script=b"",
            ),
        ),
    ):
        yield CaseSpec(
            "sign_transaction",
            name,
            f"sign a {name} with key {0 if name == 'transfer' else 1}'s seed",
            {"tx": encode_transaction(tx).hex(), "seed": _seed(0 if name == "transfer" else 1).hex()},
        )


def _malformed_unlock() -> bytes:
    """``<signature> <public key>`` of key 0 with a signature whose S is 2**256 - 1 (ED-2 rejects it)."""
    public_key = ed25519.public_key_from_seed(_seed(0))
    return p2pkh_script_sig(b"\x01" * 32 + b"\xff" * 32, public_key)


def _exact_fee(preset: Preset) -> int:
    length = len(encode_transaction(_tx(0, fee=5000)))  # the fee's varint is 3 bytes either way
    return (
        preset.vm_ferris.base_gas + preset.vm_ferris.gas_per_byte * length
    ) * preset.vm_ferris.min_gas_price


def _witness_cases(preset: Preset) -> Iterator[CaseSpec]:
    """VM-2/4/6: the recorded witness, execution over it, and the two witness codes."""
    accounts: list[JSON] = [[_account(i).hex(), 100_000, 0] for i in range(40)]
    trie = Trie.from_items(
        {account_key(_account(i)): encode(ACCOUNT_CODEC, Account(100_000, 0)) for i in range(40)}, HASHER
    )
    context_json = _context(preset)
    context = ExecutionContext(CHAIN, 5, 1000, b"", preset.vm_ferris.max_tx_gas)
    for name, tx in (
        ("transfer", _hex(0, amount=1234)),
        ("transfer_new", _hex(3, recipient=_account(77))),
        ("withdraw", _hex(4, kind=FerrisTxKind.WITHDRAW, recipient=b"w")),
        ("failed", _hex(5, amount=10**6)),
    ):
        data: dict[str, JSON] = {"accounts": accounts, "context": context_json, "tx": tx}
        yield CaseSpec("record_witness", name, f"the witness of a {name} over 40 accounts", data)
        witness = record_witness(
            apply_transaction, preset, trie.node_store, trie.root_hash, bytes.fromhex(tx), context
        )
        stateless: dict[str, JSON] = {
            "pre_root": trie.root_hash.hex(),
            "witness": encode_witness(witness).hex(),
            "context": context_json,
            "tx": tx,
        }
        yield CaseSpec("apply_stateless", name, f"a {name} over its witness alone", stateless)
        for drop in (0, len(witness.preimages) - 1):
            partial = StateWitness(witness.preimages[:drop] + witness.preimages[drop + 1 :])
            yield CaseSpec(
                "apply_stateless",
                f"{name}_missing_{drop}",
                f"the witness without preimage {drop}",
                {**stateless, "witness": encode_witness(partial).hex()},
                expect_error="VM_WITNESS_INCOMPLETE",
            )
    tx = _hex(0, amount=1234)
    witness = record_witness(
        apply_transaction, preset, trie.node_store, trie.root_hash, bytes.fromhex(tx), context
    )
    base: dict[str, JSON] = {"pre_root": trie.root_hash.hex(), "context": context_json, "tx": tx}
    reversed_witness = StateWitness(tuple(reversed(witness.preimages)))
    yield CaseSpec(
        "apply_stateless",
        "witness_unsorted",
        "the preimages in reverse hash order",
        {**base, "witness": encode_witness(reversed_witness).hex()},
        expect_error="VM_WITNESS_NOT_CANONICAL",
    )
    repeated = StateWitness(witness.preimages + witness.preimages[-1:])
    yield CaseSpec(
        "apply_stateless",
        "witness_repeated",
        "the last preimage twice",
        {**base, "witness": encode_witness(repeated).hex()},
        expect_error="VM_WITNESS_NOT_CANONICAL",
    )
    yield CaseSpec(
        "apply_stateless",
        "witness_empty",
        "no preimages at all",
        {**base, "witness": encode_witness(StateWitness(())).hex()},
        expect_error="VM_WITNESS_INCOMPLETE",
    )
    invalid_over_witness = _hex(0, nonce=4)
    yield CaseSpec(
        "apply_stateless",
        "bad_nonce_over_witness",
        "an invalid transaction over a complete witness",
        {**base, "tx": invalid_over_witness, "witness": encode_witness(witness).hex()},
        expect_error="VM_FERRIS_BAD_NONCE",
    )


# ------------------------------------------------------------------------------------------
# sidechain_block
# ------------------------------------------------------------------------------------------


def _deposit(height: int, position: int, recipient: bytes, amount: int) -> Deposit:
    return Deposit(
        CHAIN,
        height,
        position,
        seeded_bytes(f"sidechain/txid/{height}/{position}", 32),
        position,
        recipient,
        amount,
    )


def _message(height: int, position: int, recipient: bytes, amount: int) -> InboundMessage:
    return InboundMessage(CHAIN, height, position, 9, 3, position, b"\x09" * 32, recipient, amount, b"hi")


def _deposit_json(item: Deposit) -> JSON:
    return {
        "sidechain_id": item.sidechain_id,
        "mainchain_height": item.mainchain_height,
        "position": item.position,
        "txid": item.txid.hex(),
        "output_index": item.output_index,
        "recipient": item.recipient.hex(),
        "amount": item.amount,
    }


def _message_json(item: InboundMessage) -> JSON:
    return {
        "sidechain_id": item.sidechain_id,
        "mainchain_height": item.mainchain_height,
        "position": item.position,
        "source_chain": item.source_chain,
        "source_height": item.source_height,
        "source_index": item.source_index,
        "sender": item.sender.hex(),
        "recipient": item.recipient.hex(),
        "amount": item.amount,
        "payload": item.payload.hex(),
    }


GENESIS_TIMESTAMP = 1000
GENESIS_CURSOR = 10


def _scenario_inputs() -> MainchainInputs:
    deposits = (
        _deposit(11, 0, _account(0), 1_000_000),
        _deposit(11, 1, _account(1), 500_000),
        _deposit(12, 0, b"not an account", 70),
        _deposit(14, 2, _account(2), 30_000),
        _deposit(14, 0, _account(0), 1),
        _deposit(30, 0, _account(3), 5),  # never reached by the scenario's cursors
        replace(_deposit(12, 5, _account(0), 99), sidechain_id=CHAIN + 1),  # another sidechain's
    )
    messages = (
        _message(12, 0, _account(1), 40),
        _message(14, 0, b"bad", 9),
        _message(14, 1, _account(4), 12),
    )
    return MainchainInputs(40, 6, deposits, messages)


def _blocks_input(
    inputs: MainchainInputs, blocks: list[SidechainBlock], vm_kind: VmKind = VmKind.FERRIS
) -> dict[str, JSON]:
    return {
        "vm_kind": int(vm_kind),
        "sidechain_id": CHAIN,
        "genesis_timestamp": GENESIS_TIMESTAMP,
        "genesis_cursor": GENESIS_CURSOR,
        "mainchain_tip": inputs.mainchain_tip,
        "peg_in_depth": inputs.peg_in_depth,
        "deposits": [_deposit_json(d) for d in inputs.deposits],
        "messages": [_message_json(m) for m in inputs.messages],
        **(
            {
                "voids": [
                    {"relay_height": v.relay_height, "position": v.position, "refund_height": v.refund_height}
                    for v in inputs.voids
                ]
            }
            if inputs.voids
            else {}
        ),
        "blocks": [encode_sidechain_block(b).hex() for b in blocks],
    }


def _chain(
    preset: Preset, inputs: MainchainInputs, plan: list[tuple[list[str], int]]
) -> tuple[list[SidechainBlock], SidechainState]:
    state = genesis_state(VmKind.FERRIS, CHAIN, GENESIS_TIMESTAMP, GENESIS_CURSOR)
    blocks: list[SidechainBlock] = []
    for step, (txs, cursor) in enumerate(plan):
        block = build_sidechain_block(
            state, [bytes.fromhex(t) for t in txs], inputs, GENESIS_TIMESTAMP + 1 + step, cursor, preset
        )
        if len(block.transactions) != len(txs):
            raise AssertionError(f"scenario block {step} left a transaction out")
        state = apply_sidechain_block(state, block, inputs, preset).state
        blocks.append(block)
    return blocks, state


def generate_sidechain_block(preset: Preset) -> Iterator[CaseSpec]:
    """SCB-1..6 vectors: multi-block scenarios and every SCB code."""
    inputs = _scenario_inputs()
    plan = [
        ([], 11),
        ([_hex(0, amount=2000), _hex(1, amount=3000, recipient=_account(5))], 12),
        (
            [
                _hex(0, nonce=1, kind=FerrisTxKind.WITHDRAW, amount=400_000, recipient=b"\x51" * 25),
                _hex(
                    1,
                    nonce=1,
                    kind=FerrisTxKind.MESSAGE,
                    target_chain=9,
                    amount=1000,
                    recipient=b"m" * 32,
                    payload=b"ping",
                ),
                _hex(5, amount=10_000, fee=2900),  # key 5 holds 3000: FAILED, fee charged
            ],
            14,
        ),
        ([], 14),
        ([_hex(2, amount=1)], 20),
    ]
    blocks, _ = _chain(preset, inputs, plan)
    yield CaseSpec(
        "apply_blocks",
        "scenario",
        "deposits, refunds, transfers, a withdrawal, a message, a failed transaction",
        _blocks_input(inputs, blocks),
    )
    for count in (1, 2, 3):
        yield CaseSpec(
            "apply_blocks",
            f"scenario_first_{count}",
            f"the scenario's first {count} blocks",
            _blocks_input(inputs, blocks[:count]),
        )
    empty = MainchainInputs(40, 6, (), ())
    yield CaseSpec("apply_blocks", "no_blocks", "the genesis state", _blocks_input(empty, []))
    quiet, _ = _chain(preset, empty, [([], 11), ([], 11), ([], 34)])
    yield CaseSpec(
        "apply_blocks",
        "empty_blocks",
        "three blocks without inputs or transactions",
        _blocks_input(empty, quiet),
    )
    yield CaseSpec(
        "apply_blocks",
        "cursor_at_limit",
        "the cursor at the mainchain tip minus the depth",
        _blocks_input(inputs, [*blocks[:2], _next(preset, inputs, blocks[:2], 34)]),
    )

    good = blocks[:2]
    third = blocks[2]

    def bad(name: str, description: str, code: str, **header: Any) -> CaseSpec:
        broken = replace(third, header=replace(third.header, **header))
        return CaseSpec(
            "apply_blocks", name, description, _blocks_input(inputs, [*good, broken]), expect_error=code
        )

    yield bad("wrong_sidechain", "block 3 names sidechain 8", "SCB_WRONG_SIDECHAIN", sidechain_id=8)
    yield bad("height_skip", "block 3 at height 4", "SCB_BAD_HEIGHT", height=4)
    yield bad("height_repeat", "block 3 at height 2", "SCB_BAD_HEIGHT", height=2)
    yield bad("bad_parent", "block 3 names block 1 as parent", "SCB_BAD_PARENT", parent=good[0].header.parent)
    yield bad(
        "timestamp_back",
        "block 3 one second before block 2",
        "SCB_TIMESTAMP",
        timestamp=good[1].header.timestamp - 1,
    )
    after_good = genesis_state(VmKind.FERRIS, CHAIN, GENESIS_TIMESTAMP, GENESIS_CURSOR)
    for block in good:
        after_good = apply_sidechain_block(after_good, block, inputs, preset).state
    same_time = build_sidechain_block(
        after_good, (), inputs, good[1].header.timestamp, good[1].header.deposit_cursor, preset
    )
    yield CaseSpec(
        "apply_blocks",
        "timestamp_equal",
        "block 3 with block 2's timestamp: SCB-1 only refuses a timestamp before the parent's",
        _blocks_input(inputs, [*good, same_time]),
    )
    yield bad("cursor_back", "block 3's cursor below block 2's", "SCB_CURSOR_BACKWARDS", deposit_cursor=11)
    yield bad(
        "cursor_ahead",
        "block 3's cursor one above the tip minus the depth",
        "SCB_CURSOR_AHEAD",
        deposit_cursor=35,
    )
    yield bad("tx_root", "tx_root of no transactions", "SCB_TX_ROOT_MISMATCH", tx_root=good[0].header.tx_root)
    yield bad(
        "tx_count",
        "tx_count one above the block's: SC-HDR-1's count a dispute opening is held to",
        "SCB_TX_COUNT_MISMATCH",
        tx_count=third.header.tx_count + 1,
    )
    yield bad(
        "state_root", "block 2's state root", "SCB_STATE_ROOT_MISMATCH", state_root=good[1].header.state_root
    )
    yield bad(
        "trace_root", "block 2's trace root", "SCB_TRACE_ROOT_MISMATCH", trace_root=good[1].header.trace_root
    )
    yield bad(
        "credits_root",
        "the credits root of no inputs: SC-HDR-1's credits a dispute opening is held to",
        "SCB_CREDITS_ROOT_MISMATCH",
        credits_root=compute_credits_root(()),
    )
    yield bad(
        "outbox_root",
        "the empty outbox root",
        "SCB_OUTBOX_ROOT_MISMATCH",
        outbox_root=good[0].header.outbox_root,
    )
    yield bad(
        "cursor_skips_inputs",
        "cursor 12 instead of 14: the roots no longer match",
        "SCB_STATE_ROOT_MISMATCH",
        deposit_cursor=12,
    )
    dropped = replace(third, transactions=third.transactions[:2])
    yield CaseSpec(
        "apply_blocks",
        "transaction_dropped",
        "block 3 without its last transaction",
        _blocks_input(inputs, [*good, dropped]),
        expect_error="SCB_TX_ROOT_MISMATCH",
    )
    replayed = replace(third, transactions=(good[1].transactions[0], *third.transactions[1:]))
    yield CaseSpec(
        "apply_blocks",
        "transaction_replayed",
        "block 2's transfer again in block 3",
        _blocks_input(inputs, [*good, replayed]),
        expect_error="VM_FERRIS_BAD_NONCE",
    )
    twice = replace(inputs, deposits=(*inputs.deposits, _deposit(11, 1, _account(3), 1)))
    yield CaseSpec(
        "apply_blocks",
        "duplicate_deposit",
        "two deposits at height 11, position 1",
        _blocks_input(twice, good),
        expect_error="SCB_DUPLICATE_INPUT",
    )
    yield from _other_vm_cases(preset)
    yield from _gas_cases(preset)
    yield from _build_cases(preset, inputs, good)
    mm = preset.ledger.max_money
    rich = MainchainInputs(
        40,
        6,
        (
            _deposit(11, 0, _account(0), mm - 5),
            _deposit(11, 1, _account(0), 5),
            _deposit(11, 2, _account(0), 1),
        ),
        (),
    )
    full, _ = _chain(preset, rich, [([], 11)])
    yield CaseSpec(
        "apply_blocks",
        "credit_to_max_money",
        "deposits that bring an account to exactly max_money (credited), then one atom more (refunded)",
        _blocks_input(rich, full),
    )
    yield from _lock_time_cases(preset)
    yield from _outbox_proof_cases()
    yield from _bounce_cases(preset)
    yield from _void_cases(preset)


def _bounce_cases(preset: Preset) -> Iterator[CaseSpec]:
    """VM-5 / SC-MSG-4 on the source sidechain: account 0 sends a message (its outbox entry names
    account 0 as sender); the destination never acknowledges it, the mainchain refunds it and the
    bounce (recipient = the entry's sender) credits account 0 again in a later block."""
    deposit = _deposit(11, 0, _account(0), 1_000_000)
    send = _hex(
        0, kind=FerrisTxKind.MESSAGE, target_chain=9, amount=1000, recipient=b"m" * 32, payload=b"ping"
    )
    before = MainchainInputs(40, 6, (deposit,), ())
    sent, _ = _chain(preset, before, [([send], 11)])
    genesis = genesis_state(VmKind.FERRIS, CHAIN, GENESIS_TIMESTAMP, GENESIS_CURSOR)
    (entry,) = apply_sidechain_block(genesis, sent[0], before, preset).outbox
    if entry.sender != _account(0):
        raise AssertionError("VMF-7: the message entry does not name its sender")
    for name, recipient, description in (
        ("bounce_to_sender", entry.sender, "the bounce pays the entry's sender: account 0 is credited"),
        (
            "bounce_without_recipient",
            b"",
            "a bounce naming no account (as before VM-5 carried a sender) is not credited: SCB-2 "
            "refunds it with a MESSAGE entry to the sidechain itself, which SC-MSG-1 cannot relay",
        ),
    ):
        bounce = InboundMessage(CHAIN, 16, 0, CHAIN, 1, 0, b"", recipient, entry.amount, b"")
        inputs = MainchainInputs(40, 6, (deposit,), (bounce,))
        blocks, _ = _chain(preset, inputs, [([send], 11), ([], 16)])
        yield CaseSpec("apply_blocks", name, f"VM-5, SC-MSG-4: {description}", _blocks_input(inputs, blocks))


def _void_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SCB-2 / SC-HDR-6: the mainchain refunded the message of slot (12, 0) at 14 (SC-MSG-5): a block
    whose cursor reaches 14 leaves it out (not credited, not refunded, not in ``credits_root``);
    one whose cursor stops before 14 still credits it (its checkpoint is SC-CP-7's to reject)."""
    deposit = _deposit(11, 0, _account(0), 1_000_000)
    messages = (_message(12, 0, _account(1), 40), _message(12, 1, _account(2), 7))
    voided = MainchainInputs(40, 6, (deposit,), messages, (VoidedInput(12, 0, 14),))
    plain = replace(voided, voids=())
    for name, cursor, description in (
        (
            "voided_message_left_out",
            14,
            "cursor 14 reaches the refund: the message of slot (12, 0) is left out",
        ),
        ("voided_message_before_refund", 13, "cursor 13 is below the refund at 14: the message is credited"),
    ):
        blocks, _ = _chain(preset, voided, [([_hex(0, amount=5)], cursor)])
        yield CaseSpec(
            "apply_blocks", name, f"SCB-2 / SC-HDR-6: {description}", _blocks_input(voided, blocks)
        )
    crediting, _ = _chain(preset, plain, [([_hex(0, amount=5)], 14)])
    yield CaseSpec(
        "apply_blocks",
        "voided_message_credited",
        "SCB-2 / SC-HDR-6: a block (cursor 14) that credits the message refunded at 14: its state root "
        "is not the one SCB-2 gives",
        _blocks_input(voided, crediting),
        expect_error="SCB_STATE_ROOT_MISMATCH",
    )


def _build_input(
    inputs: MainchainInputs, blocks: list[SidechainBlock], txs: list[str], timestamp: int, cursor: int
) -> dict[str, JSON]:
    return {
        **_blocks_input(inputs, blocks),
        "transactions": list(txs),
        "timestamp": timestamp,
        "deposit_cursor": cursor,
    }


def _build_cases(preset: Preset, inputs: MainchainInputs, good: list[SidechainBlock]) -> Iterator[CaseSpec]:
    """SCB-6: a producer's block from candidates (invalid ones left out, in order)."""
    replayed = good[1].transactions[0].hex()
    yield CaseSpec(
        "build_block",
        "skips_invalid",
        "after block 2, cursor 14: a transfer, a replayed transaction (left out), then a transfer by "
        "the account the cursor's deposit just funded",
        _build_input(inputs, good, [_hex(0, nonce=1, amount=10), replayed, _hex(2, amount=1)], 1005, 14),
    )
    yield CaseSpec(
        "build_block",
        "from_genesis",
        "the first block: credits up to cursor 12, one transfer",
        _build_input(inputs, [], [_hex(0, amount=7)], 1001, 12),
    )
    yield CaseSpec(
        "build_block",
        "timestamp_clamped",
        "a timestamp before the parent's: the block takes the parent's",
        _build_input(inputs, good, [], GENESIS_TIMESTAMP, 12),
    )
    yield CaseSpec(
        "build_block",
        "cursor_ahead",
        "a cursor above the tip minus the depth",
        _build_input(inputs, good, [], 1005, 35),
        expect_error="SCB_CURSOR_AHEAD",
    )


@cache
def _cltv_lock(lock_height: int) -> bytes:
    return (
        encode_push(encode_number(lock_height))
        + bytes([Opcode.OP_CHECKLOCKTIMEVERIFY, Opcode.OP_DROP])
        + _lock(6)
    )


def _lock_time_cases(preset: Preset) -> Iterator[CaseSpec]:
    """VMF-5 in a block: CHECKLOCKTIMEVERIFY compares with the executing block's height."""
    for lock_height, error in ((2, None), (3, "VM_FERRIS_UNAUTHORIZED")):
        lock = _cltv_lock(lock_height)
        account = compute_account_id(lock)
        inputs = MainchainInputs(40, 6, (_deposit(11, 0, account, 100_000),), ())
        blocks, state = _chain(preset, inputs, [([], 11)])
        tx = sign_transaction(
            replace(_tx(6, recipient=_account(0)), locking_script=lock, unlocking_script=b""), _seed(6)
        )
        block = build_sidechain_block(state, (), inputs, GENESIS_TIMESTAMP + 5, 11, preset)
        block = replace(block, transactions=(encode_transaction(tx),))
        if error is None:
            block = build_sidechain_block(
                state, (encode_transaction(tx),), inputs, GENESIS_TIMESTAMP + 5, 11, preset
            )
            assert len(block.transactions) == 1
        yield CaseSpec(
            "apply_blocks",
            f"lock_time_{lock_height}_at_height_2",
            f"block 2 spends an account locked by {lock_height} OP_CHECKLOCKTIMEVERIFY",
            _blocks_input(inputs, [*blocks, block]),
            expect_error=error,
        )


def _other_vm_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SCB-2..5 on EVM and WASM sidechains (SCB-3's table): a deposit to an address of the kind is
    credited, one of another length refunded, then a signed transfer runs in a second block (on the
    EVM also a creation whose initcode stores TIMESTAMP, so the block's context is in the root)."""
    evm_key = evm_tx.private_key(b"sidechain/evm/0")
    evm_sender, evm_recipient = evm_tx.address_of(evm_key), b"\x42" * 20
    wasm_seed = seeded_bytes("sidechain/wasm/0", 32)
    wasm_sender, wasm_recipient = ed25519.public_key_from_seed(wasm_seed), b"\x43" * 32
    transfer = evm_tx.TxFields(
        nonce=0,
        gas=21_000,
        to=evm_recipient,
        value=12_345,
        chain_id=preset.evm.chain_id_base + CHAIN,
        max_fee=preset.evm.base_fee_per_gas + 1,
        priority_fee=1,
    )
    wasm_transfer = wasm.WasmTransaction(
        wasm.TxKind.TRANSFER, b"", 0, preset.vm_wasm.tx_base_fuel, 1, 12_345, wasm_recipient, b"", b""
    )
    stamp = evm_tx.TxFields(  # initcode TIMESTAMP PUSH1 0 SSTORE: the block's timestamp into storage
        nonce=1,
        gas=100_000,
        to=None,
        data=bytes.fromhex("4260005500"),
        chain_id=transfer.chain_id,
        max_fee=transfer.max_fee,
        priority_fee=1,
    )
    plans = (
        (VmKind.EVM, evm_sender, (evm_tx.sign(transfer, evm_key), evm_tx.sign(stamp, evm_key)), "EVM-1..7"),
        (
            VmKind.WASM,
            wasm_sender,
            (wasm.encode_transaction(wasm.sign_transaction(wasm_transfer, wasm_seed, CHAIN)),),
            "VMW-1..10",
        ),
    )
    for kind, sender, txs, rules in plans:
        inputs = MainchainInputs(
            40,
            6,
            (_deposit(11, 0, sender, 1_000_000), _deposit(11, 1, b"\x01" * 25, 70)),
            (_message(12, 0, sender, 40),),
        )
        state = genesis_state(kind, CHAIN, GENESIS_TIMESTAMP, GENESIS_CURSOR)
        first = build_sidechain_block(state, (), inputs, GENESIS_TIMESTAMP + 1, 12, preset)
        state = apply_sidechain_block(state, first, inputs, preset).state
        second = build_sidechain_block(state, txs, inputs, GENESIS_TIMESTAMP + 2, 12, preset)
        if second.transactions != txs:
            raise AssertionError(f"a {kind.name} transaction was left out")
        yield CaseSpec(
            "apply_blocks",
            f"{kind.name.lower()}_deposit_and_transfer",
            f"a {kind.name} sidechain ({rules}): two credits and a refund, then a signed transfer"
            + (" and a creation storing TIMESTAMP" if kind is VmKind.EVM else ""),
            _blocks_input(inputs, [first, second], kind),
        )


def _next(
    preset: Preset, inputs: MainchainInputs, blocks: list[SidechainBlock], cursor: int
) -> SidechainBlock:
    state = genesis_state(VmKind.FERRIS, CHAIN, GENESIS_TIMESTAMP, GENESIS_CURSOR)
    for block in blocks:
        state = apply_sidechain_block(state, block, inputs, preset).state
    return build_sidechain_block(state, (), inputs, GENESIS_TIMESTAMP + 10, cursor, preset)


def _gas_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SCB_GAS_LIMIT: more transactions than block_gas_limit allows (counted from the preset)."""
    per_tx = preset.vm_ferris.base_gas + preset.vm_ferris.gas_per_byte * len(encode_transaction(_tx(0)))
    count = preset.vm_ferris.block_gas_limit // per_tx + 1
    if count > 200:  # mainnet's limit would need thousands of transactions: devnet's vector covers the rule
        return
    deposits = tuple(_deposit(11, i, _account(i), 10**6) for i in range(count))
    inputs = MainchainInputs(40, 6, deposits, ())
    blocks, state = _chain(preset, inputs, [([], 11)])
    txs = tuple(encode_transaction(_tx(i)) for i in range(count))
    built = build_sidechain_block(state, txs, inputs, GENESIS_TIMESTAMP + 5, 11, preset)
    over = replace(built, transactions=txs)
    limit = preset.vm_ferris.block_gas_limit
    vm = preset.vm_ferris
    fill = (limit - vm.base_gas) // per_tx - 2
    rest = limit - fill * per_tx
    payload = b""
    filler = _tx(fill, kind=FerrisTxKind.MESSAGE, target_chain=9, recipient=b"m", fee=rest, amount=1)
    while vm.base_gas + vm.gas_per_byte * len(encode_transaction(filler)) < rest:
        payload += b"p"
        filler = _tx(
            fill,
            kind=FerrisTxKind.MESSAGE,
            target_chain=9,
            recipient=b"m",
            fee=rest,
            amount=1,
            payload=payload,
        )
    exact_txs = (*txs[:fill], encode_transaction(filler))
    if vm.base_gas + vm.gas_per_byte * len(exact_txs[-1]) == rest:
        exact = build_sidechain_block(state, exact_txs, inputs, GENESIS_TIMESTAMP + 5, 11, preset)
        assert len(exact.transactions) == fill + 1
        yield CaseSpec(
            "apply_blocks",
            "block_gas_exactly_at_limit",
            f"{fill} transfers and a message that use exactly block_gas_limit together",
            _blocks_input(inputs, [*blocks, exact]),
        )
        yield CaseSpec(
            "build_block",
            "gas_limit",
            f"{count} candidate transfers: the producer keeps those within block_gas_limit",
            _build_input(inputs, blocks, [t.hex() for t in txs], GENESIS_TIMESTAMP + 5, 11),
        )
    yield CaseSpec(
        "apply_blocks",
        "block_gas_limit",
        f"{count} transfers, one more than block_gas_limit allows",
        _blocks_input(inputs, [*blocks, over]),
        expect_error="SCB_GAS_LIMIT",
    )


def _outbox_proof_cases() -> Iterator[CaseSpec]:
    entries = [
        OutboxEntry(OutboxKind.WITHDRAWAL, 0, bytes([i]) * 25, 1000 + i, b"")
        if i % 2 == 0
        else OutboxEntry(OutboxKind.MESSAGE, 9, bytes([i]) * 32, 7 * i, bytes([i]) * i)
        for i in range(5)
    ]
    for count in (1, 2, 5):
        for index in range(count):
            yield CaseSpec(
                "outbox_proof",
                f"entries_{count}_index_{index}",
                f"entry {index} of {count}",
                {"entries": [entry_json(e) for e in entries[:count]], "index": index},
            )
    yield CaseSpec(
        "outbox_proof",
        "index_past_end",
        "index equal to the entry count",
        {"entries": [entry_json(e) for e in entries], "index": 5},
        expect_error="MERKLE_INDEX_OUT_OF_RANGE",
    )
