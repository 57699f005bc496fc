"""Vectors of the ``vm_evm`` flow: EVM sidechain transactions executed statelessly over witnesses.

Valid cases (transfers of every transaction type, a contract call that stores and logs, a
creation, creations whose initcode exercises the storage journal (its own storage, warm and cold
accounts, a reverted frame's warmth), a revert, an out-of-gas loop, withdrawals) carry the
witness their full execution recorded (VM-6); invalid cases name the EVM-3 check or VM-2/VM-4
witness rule that rejects them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import rlp

from conformance.evm_tx import TxFields, address_of, private_key, sign
from conformance.model import JSON, CaseSpec
from spec.presets import Preset
from spec.trie import keccak256
from spec.vm.evm import HASHER, MAX_NONCE, SECP256K1_N, EvmAccount, apply_transaction, compute_state
from spec.vm.interface import ExecutionContext, StateWitness, encode_witness, record_witness

ALICE = private_key(b"vm_evm/alice")
CAROL = private_key(b"vm_evm/carol")  # an account with code (EIP-3607)
BOB = bytes.fromhex("b0b0000000000000000000000000000000000b0b")
STORE = bytes.fromhex("5707e00000000000000000000000000000005707")
REVERTER = bytes.fromhex("4e7e470000000000000000000000000000004e7e")
LOOPER = bytes.fromhex("1007000000000000000000000000000000001007")
# calldata word -> slot 0, and LOG0 of it
STORE_CODE = bytes.fromhex("600035600055600035600052602060" + "00a000")
REVERT_CODE = bytes.fromhex("60006000fd")
LOOP_CODE = bytes.fromhex("5b600056")
INITCODE = bytes.fromhex("600060005360016000f3")  # deploys the one-byte code 0x00
ENV = bytes.fromhex("e0e0000000000000000000000000000000000e0e")
MULTI = bytes.fromhex("3a3a000000000000000000000000000000003a3a")
OTHER = bytes.fromhex("0707000000000000000000000000000000000707")
UNDO = bytes.fromhex("0d0d000000000000000000000000000000000d0d")
DELEGATOR = bytes.fromhex("de1e000000000000000000000000000000000de1")
WITHDRAWAL_ADDRESS = bytes.fromhex("0000000000000000000000000000000000005243")


def _push(value: int | bytes) -> bytes:
    """PUSHn of ``value`` (an int as its minimal big-endian bytes, at least one)."""
    data = value if isinstance(value, bytes) else value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return bytes([0x5F + len(data)]) + data


def _sstore(slot: int) -> bytes:
    """SSTORE of the stack's top to ``slot``."""
    return _push(slot) + b"\x55"


def _call(op: int, target: bytes, value: int = 0, args: int = 0) -> bytes:
    """CALL (0xf1, with ``value``), DELEGATECALL (0xf4) or STATICCALL (0xfa) of ``target`` with
    ``args`` bytes of memory from offset 0 as calldata; the success flag stays on the stack."""
    head = _push(0) + _push(0) + _push(args) + _push(0)
    return head + (_push(value) if op == 0xF1 else b"") + _push(target) + b"\x5a" + bytes([op])


ENV_CODE = (
    b"".join(
        bytes([op]) + _sstore(slot)
        for slot, op in enumerate((0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48, 0x47, 0x3A, 0x32, 0x33))
    )
    + _push(4)
    + b"\x40"
    + _sstore(11)
)
"""EVM-5: COINBASE, TIMESTAMP, NUMBER, PREVRANDAO, GASLIMIT, CHAINID, BASEFEE, SELFBALANCE,
GASPRICE, ORIGIN, CALLER into slots 0..10 and BLOCKHASH(4) into slot 11."""
OTHER_CODE = _push(1) + b"\x54" + _sstore(2)
"""Copies its own slot 1 into its slot 2 (a second account's pre-state storage in one transaction)."""
UNDO_CODE = _push(9) + _sstore(4) + _push(0) * 4 + b"\xf5" + b"\x50" + _push(0) + _push(0) + b"\xfd"
"""Run by DELEGATECALL: overwrites the caller's slot 4, CREATE2s an empty contract (py-evm wipes
the new address's storage), then REVERTs."""
MULTI_CODE = b"".join(
    (
        _push(1) + b"\x54" + _push(2) + b"\x54" + b"\x01" + _sstore(3),  # slot 3 = slot 1 + slot 2
        _push(5) + _sstore(4) + _push(4) + b"\x54" + _sstore(6),  # write then read in one frame
        _call(0xF4, UNDO) + _sstore(7),  # a reverted frame's SSTORE and CREATE undone
        _push(4) + b"\x54" + _sstore(8),  # slot 4 is 5 again
        _push(0) + _sstore(1),  # clearing slot 1: a refund
        _call(0xF1, OTHER) + b"\x50",
        # CREATE2 (empty initcode) onto a balance-only account: it stays (storage wiped, balance kept)
        _push(0) * 4 + b"\xf5" + _sstore(9),
        # EIP-7610 and EIP-684: CREATE2 onto an account with storage, or with a nonce, collides (0)
        # (each collision consumes the gas it was given: 63/64 of what is left)
        _push(1) + _push(0) * 3 + b"\xf5" + b"\x50",
        _push(2) + _push(0) * 3 + b"\xf5" + b"\x50",
    )
)
"""Storage in the journal (EVM-1): pre-state reads of two slots and of a second account, a write
read back, a reverted frame's writes and creation undone, a cleared slot (EIP-3529 refund), a
CREATE2 onto a balance-only account that stays, and two that collide (storage, nonce)."""


INIT_STORAGE = _push(0x2A) + _sstore(0) + _push(0) + b"\x54" + _sstore(1)
"""Initcode storing 42 in slot 0 of the contract being created and copying it to slot 1. A
creation transaction does not wipe its address (only CREATE and CREATE2 do), so the SSTOREs' gas
reads the original values (EIP-2200) from the pre-state storage of an absent account: empty."""
INIT_WARM = b"".join(
    (
        _push(BOB) + b"\x31\x50",  # BALANCE of a cold account: 2,600
        _push(BOB) + b"\x31\x50",  # the same account again, now warm: 100
        b"\x32\x31\x50",  # BALANCE(ORIGIN): warm from the start (EIP-2929)
        b"\x30\x31\x50",  # BALANCE(ADDRESS): the contract being created is warm
        b"\x41\x31\x50",  # BALANCE(COINBASE): warm from the start (EIP-3651)
    )
)
"""Initcode whose gas counts EIP-2929/3651 warm and cold accounts (100 or 2,600 a BALANCE)."""
INIT_REVERTED_WARMTH = (
    _call(0xF4, UNDO) + _sstore(0) + _push(4) + b"\x54" + _sstore(1) + _push(UNDO) + b"\x31\x50"
)
"""Initcode that DELEGATECALLs UNDO (which writes slot 4 of the contract being created, a cold
slot, CREATE2s and REVERTs), then reads slot 4 and UNDO's balance: the revert undoes the write and
the slot's warmth (EIP-2929), so the SLOAD is cold again (2,100) and reads 0, but not what the
caller did before the frame began: UNDO, warmed by the DELEGATECALL itself, stays warm (100)."""


def create2_address(sender: bytes, salt: int, initcode: bytes = b"") -> bytes:
    """The address CREATE2 gives (EIP-1014)."""
    return keccak256(b"\xff" + sender + salt.to_bytes(32, "big") + keccak256(initcode))[12:]


DELEGATOR_CODE = b"".join(
    (
        _push(1) + _push(0) + b"\x53",  # memory[0] = 1: a one-byte recipient
        _call(0xF4, WITHDRAWAL_ADDRESS, args=1) + _sstore(0),
        _call(0xFA, WITHDRAWAL_ADDRESS, args=1) + _sstore(1),
        _call(0xF1, WITHDRAWAL_ADDRESS, value=0, args=1) + _sstore(2),
        _call(0xF1, WITHDRAWAL_ADDRESS, value=3, args=1) + _sstore(3),
    )
)
"""EVM-6 from a contract: DELEGATECALL, STATICCALL and a value-less CALL to the withdrawal
address fail (flags 0 in slots 0..2), a CALL with value withdraws (flag 1 in slot 3)."""
CONTEXT = ExecutionContext(
    sidechain_id=1, height=5, timestamp=1_700_000_000, fee_recipient=bytes([0x11] * 20), gas_limit=30_000_000
)


def genesis() -> tuple[bytes, dict[bytes, bytes]]:
    """The pre-state every case starts from, and its preimages."""
    return compute_state(genesis_accounts())


def genesis_accounts() -> dict[bytes, EvmAccount]:
    """The accounts of :func:`genesis` (tests rebuild them in py-evm's own state as an oracle)."""
    return {
        address_of(ALICE): EvmAccount(balance=10**15),
        address_of(CAROL): EvmAccount(balance=10**15, code=b"\x00"),
        STORE: EvmAccount(code=STORE_CODE, storage={1: 7}),
        REVERTER: EvmAccount(code=REVERT_CODE),
        LOOPER: EvmAccount(code=LOOP_CODE),
        ENV: EvmAccount(code=ENV_CODE, balance=3),
        MULTI: EvmAccount(code=MULTI_CODE, storage={1: 7, 2: 9}),
        OTHER: EvmAccount(code=OTHER_CODE, storage={1: 5}),
        UNDO: EvmAccount(code=UNDO_CODE),
        DELEGATOR: EvmAccount(code=DELEGATOR_CODE, balance=10),
        create2_address(MULTI, 0): EvmAccount(balance=1),
        create2_address(MULTI, 1): EvmAccount(storage={1: 1}),
        create2_address(MULTI, 2): EvmAccount(nonce=1),
    }


def _witness(preimages: Mapping[bytes, bytes]) -> bytes:
    return encode_witness(StateWitness(tuple(preimages[digest] for digest in sorted(preimages))))


def _context_json(context: ExecutionContext) -> dict[str, JSON]:
    return {
        "sidechain_id": context.sidechain_id,
        "height": context.height,
        "timestamp": context.timestamp,
        "fee_recipient": context.fee_recipient.hex(),
        "gas_limit": context.gas_limit,
    }


def _apply_case(
    preset: Preset,
    case: str,
    description: str,
    tx: bytes,
    expect_error: str | None = None,
    witness: bytes | None = None,
    context: ExecutionContext = CONTEXT,
    state: tuple[bytes, dict[bytes, bytes]] | None = None,
) -> CaseSpec:
    root, nodes = genesis() if state is None else state
    if witness is None:
        if expect_error is None:
            recorded = record_witness(apply_transaction, preset, nodes, root, tx, context)
            witness = encode_witness(recorded)
        else:
            witness = _witness(nodes)
    return CaseSpec(
        handler="apply_transaction",
        case=case,
        description=description,
        input={
            "witness": witness.hex(),
            "pre_root": root.hex(),
            "tx": tx.hex(),
            "context": _context_json(context),
        },
        expect_error=expect_error,
    )


def _non_minimal_nonce(typed: bytes) -> bytes:
    """``typed`` with its nonce written as the non-minimal single byte 0x00."""
    items = rlp.decode(typed[1:])
    items[1] = b"\x00"
    return typed[:1] + bytes(rlp.encode(items))


def _with_signature(typed: bytes, r: int | None = None, s: int | None = None) -> bytes:
    """A typed transaction with its signature's ``r`` or ``s`` replaced."""
    items = rlp.decode(typed[1:])
    if r is not None:
        items[-2] = r.to_bytes(max(1, (r.bit_length() + 7) // 8), "big") if r else b""
    if s is not None:
        items[-1] = s.to_bytes(max(1, (s.bit_length() + 7) // 8), "big") if s else b""
    return typed[:1] + bytes(rlp.encode(items))


def _legacy_v(legacy: bytes, v: int) -> bytes:
    """A legacy transaction with its ``v`` replaced."""
    items = rlp.decode(legacy)
    items[6] = bytes([v])
    return bytes(rlp.encode(items))


def _legacy_v35(tx: Callable[..., bytes]) -> bytes:
    """A legacy transaction signed for chain id 0 whose ``v`` is 35 (recovery id 0): the first value
    by which 1, 2, ... gives that parity."""
    value = 1
    while rlp.decode(encoded := tx(tx_type=0, chain_id=0, value=value))[6] != b"\x23":
        value += 1
    return encoded


def _legacy_with_v(tx: Callable[..., bytes], chain_id: int, v: int) -> bytes:
    """A legacy transaction signed for ``chain_id`` whose ``v`` is ``v`` (35 + 2 chain_id + the
    recovery id): the first value by which 1, 2, ... gives that parity."""
    value = 1
    while int.from_bytes(rlp.decode(encoded := tx(tx_type=0, chain_id=chain_id, value=value))[6], "big") != v:
        value += 1
    return encoded


def generate(preset: Preset) -> Iterator[CaseSpec]:
    chain_id = preset.evm.chain_id_base + CONTEXT.sidechain_id
    withdrawal = preset.evm.withdrawal_address

    def tx(high_s: bool = False, key: object = ALICE, **fields: object) -> bytes:
        values: dict[str, object] = {"nonce": 0, "gas": 21_000, "to": BOB, "chain_id": chain_id, **fields}
        return sign(TxFields(**values), key, high_s=high_s)  # type: ignore[arg-type]

    # -- valid ---------------------------------------------------------------------------
    valid: tuple[tuple[str, str, bytes], ...] = (
        ("transfer_eip1559", "EVM-4: a type-2 transfer to a new account", tx(value=1000)),
        ("transfer_eip155_legacy", "EVM-4: a legacy EIP-155 transfer", tx(value=5, tx_type=0)),
        (
            "call_access_list_store_and_log",
            "EVM-4: a type-1 call with an access list: SSTORE of the calldata word and LOG0 (one event)",
            tx(to=STORE, gas=80_000, tx_type=1, data=bytes(31) + b"\x2a", access_list=((STORE, (0,)),)),
        ),
        (
            "call_store_zero_clears_nothing",
            "EVM-4: storing zero into an empty slot (slot 1 keeps 7; no new storage node)",
            tx(to=STORE, gas=80_000, data=bytes(32)),
        ),
        ("create_contract", "EVM-4: a creation transaction", tx(to=None, gas=80_000, data=INITCODE)),
        (
            "call_reverts",
            "VM-3: a top-level REVERT: status 0, fee charged",
            tx(to=REVERTER, gas=30_000, value=9),
        ),
        (
            "out_of_gas",
            "VM-3: an endless loop runs out of gas: status 0, all gas charged",
            tx(to=LOOPER, gas=40_000),
        ),
        (
            "withdrawal",
            "EVM-6: a CALL to the withdrawal address with value: one outbox entry, the value leaves",
            tx(to=withdrawal, gas=60_000, value=12_345, data=bytes.fromhex("00" * 12 + "cafe" * 10)),
        ),
        (
            "withdrawal_without_recipient",
            "EVM-6: a withdrawal without a recipient reverts (status 0, no outbox entry)",
            tx(to=withdrawal, gas=60_000, value=5),
        ),
        (
            "withdrawal_without_value",
            "EVM-6: a withdrawal carrying no value reverts",
            tx(to=withdrawal, gas=60_000, data=b"\x01"),
        ),
        (
            "block_environment",
            "EVM-5: the block environment as the opcodes read it, stored in slots 0..11",
            tx(to=ENV, gas=400_000, max_fee=7, priority_fee=2),
        ),
        (
            "storage_journal",
            "EVM-1, EVM-4: pre-state reads of two slots and a second account, a write read back, a "
            "reverted frame's write and CREATE2 undone, a cleared slot's refund, CREATE2 onto a funded "
            "account (stays) and onto one with storage or a nonce (collides)",
            tx(to=MULTI, gas=3_000_000),
        ),
        (
            "withdrawal_from_contract",
            "EVM-6: DELEGATECALL, STATICCALL and a value-less CALL to the withdrawal address revert; "
            "a contract's CALL with value withdraws",
            tx(to=DELEGATOR, gas=400_000, value=4),
        ),
        *(
            (
                f"withdrawal_recipient_{length}_bytes",
                f"EVM-6: a {length}-byte recipient ({'the longest allowed' if length == 64 else 'reverts'})",
                tx(to=withdrawal, gas=60_000, value=7, data=bytes(range(1, length + 1))),
            )
            for length in (64, 65)
        ),
        (
            "transfer_exact_balance_and_limits",
            "EVM-3: gas limit equal to the block's, fee cap equal to the base fee, priority fee equal "
            "to the fee cap, value leaving a balance of exactly gas x fee cap",
            tx(gas=30_000_000, max_fee=1, priority_fee=1, value=10**15 - 30_000_000),
        ),
        (
            "initcode_at_limit",
            "EVM-3: exactly 49,152 bytes of initcode (EIP-3860) is valid",
            tx(to=None, gas=29_000_000, data=bytes(49_152), max_fee=1, priority_fee=0),
        ),
        (
            "create_initcode_storage",
            "EVM-1, EVM-4: a creation whose initcode stores into its own (absent, unwiped) account: "
            "original values from the empty pre-state storage",
            tx(to=None, gas=200_000, data=INIT_STORAGE),
        ),
        (
            "create_initcode_warm_accounts",
            "EVM-4 (EIP-2929/3651): BALANCE of a cold account twice (2,600 then 100), of ORIGIN, of the "
            "new contract and of COINBASE (warm from the start: 100 each)",
            tx(to=None, gas=200_000, data=INIT_WARM),
        ),
        (
            "create_initcode_reverted_warmth",
            "EVM-1, EVM-4 (EIP-2929): a reverted DELEGATECALL frame's write to a cold slot is undone "
            "with the slot's warmth: the slot read after it is cold again and reads 0",
            tx(to=None, gas=300_000, data=INIT_REVERTED_WARMTH),
        ),
    )
    for case, description, raw in valid:
        yield _apply_case(preset, case, description, raw)

    # -- invalid transactions (EVM-2, EVM-3, EVM-5); None: a valid case among them -----------
    exhausted = compute_state({address_of(ALICE): EvmAccount(balance=10**15, nonce=MAX_NONCE)})
    unprotected = tx(tx_type=0, chain_id=None)
    invalid: tuple[tuple[str, str, bytes, str | None], ...] = (
        ("decode_garbage", "EVM-2: not RLP", b"\xf8\x01", "VM_EVM_TX_DECODE"),
        (
            "decode_trailing_byte",
            "EVM-2: a transaction followed by a byte",
            tx() + b"\x00",
            "VM_EVM_TX_DECODE",
        ),
        ("decode_unknown_type", "EVM-2: type 0x05", b"\x05\xc0", "VM_EVM_TX_DECODE"),
        ("blob_transaction", "EVM-2: type 3 (blobs) on a sidechain", b"\x03\xc0", "VM_EVM_TX_TYPE"),
        ("high_s", "EVM-3: s in the upper half (EIP-2)", tx(high_s=True), "VM_EVM_BAD_SIGNATURE"),
        (
            "s_just_above_half",
            "EVM-3: s = n // 2 + 1, the smallest high s",
            _with_signature(tx(), s=SECP256K1_N // 2 + 1),
            "VM_EVM_BAD_SIGNATURE",
        ),
        (
            "s_one",
            "EVM-3: s = 1 is in range: the signature recovers some other key, whose account cannot pay",
            _with_signature(tx(), s=1),
            "VM_EVM_INSUFFICIENT_FUNDS",
        ),
        (
            "signature_r_one",
            "EVM-3: r = 1 is in range (x = 1 is on the curve): the signature recovers some other key, "
            "whose account cannot pay",
            _with_signature(tx(), r=1),
            "VM_EVM_INSUFFICIENT_FUNDS",
        ),
        (
            "nonce_at_max",
            "EVM-3 (EIP-2681): an account whose nonce is 2^64 - 1 cannot send, even with that nonce",
            tx(nonce=MAX_NONCE),
            "VM_EVM_NONCE",
        ),
        *(
            (name, f"EVM-3: r = {'0' if r == 0 else 'n'}", _with_signature(tx(), r=r), "VM_EVM_BAD_SIGNATURE")
            for r, name in ((0, "r_zero"), (SECP256K1_N, "r_equal_to_n"))
        ),
        (
            "legacy_chain_id_zero",
            "EVM-3: a legacy transaction signed for chain id 0 with v = 35",
            _legacy_v35(tx),
            "VM_EVM_CHAIN_ID",
        ),
        (
            "legacy_v_29",
            "EVM-3: legacy v = 29 (neither 27/28 nor EIP-155)",
            _legacy_v(unprotected, 29),
            "VM_EVM_BAD_SIGNATURE",
        ),
        (
            "unprotected_legacy_v_27",
            "EVM-5: an unprotected legacy transaction with v = 27 (a well-formed v: the chain id is missing)",
            _legacy_v(unprotected, 27),
            "VM_EVM_CHAIN_ID",
        ),
        *(
            (
                f"transfer_eip155_legacy_v_{35 + parity}",
                f"EVM-3/4: a legacy EIP-155 transfer with v = 2 chain_id + {35 + parity} "
                f"(recovery id {parity})",
                _legacy_with_v(tx, chain_id, 2 * chain_id + 35 + parity),
                None,
            )
            for parity in (0, 1)
        ),
        (
            "unprotected_legacy_v_28",
            "EVM-5: an unprotected legacy transaction with v = 28",
            _legacy_v(unprotected, 28),
            "VM_EVM_CHAIN_ID",
        ),
        (
            "wrong_chain_id",
            "EVM-3: another sidechain's chain id",
            tx(chain_id=chain_id + 1),
            "VM_EVM_CHAIN_ID",
        ),
        (
            "unprotected_legacy",
            "EVM-5: a legacy transaction without EIP-155 chain id",
            unprotected,
            "VM_EVM_CHAIN_ID",
        ),
        ("gas_above_block", "EVM-3: gas limit above the block's", tx(gas=30_000_001), "VM_EVM_GAS_LIMIT"),
        ("intrinsic_gas", "EVM-3: 20,999 gas for a transfer", tx(gas=20_999), "VM_EVM_INTRINSIC_GAS"),
        (
            "initcode_too_large",
            "EVM-3: 49,153 bytes of initcode (EIP-3860)",
            tx(to=None, gas=29_000_000, data=bytes(49_153), max_fee=1, priority_fee=0),
            "VM_EVM_INITCODE_SIZE",
        ),
        ("nonce_too_high", "EVM-3: nonce 1, account nonce 0", tx(nonce=1), "VM_EVM_NONCE"),
        ("sender_has_code", "EVM-3: the sender has code (EIP-3607)", tx(key=CAROL), "VM_EVM_SENDER_NOT_EOA"),
        (
            "fee_cap_below_base_fee",
            "EVM-3: fee cap 0 below the base fee",
            tx(max_fee=0, priority_fee=0),
            "VM_EVM_FEE_CAP",
        ),
        (
            "priority_above_fee_cap",
            "EVM-3: priority fee above the fee cap",
            tx(max_fee=5, priority_fee=6),
            "VM_EVM_FEE_CAP",
        ),
        (
            "insufficient_funds",
            "EVM-3: value above the balance",
            tx(value=10**15),
            "VM_EVM_INSUFFICIENT_FUNDS",
        ),
    )
    for case, description, raw, error in invalid:
        yield _apply_case(
            preset, case, description, raw, error, state=exhausted if case == "nonce_at_max" else None
        )
    yield _apply_case(
        preset,
        "fee_recipient_not_address",
        "EVM-5: a 19-byte fee recipient",
        tx(),
        "VM_EVM_ADDRESS",
        context=ExecutionContext(1, 5, 1_700_000_000, bytes(19), 30_000_000),
    )

    # -- witnesses (VM-2, VM-4) --------------------------------------------------------------
    root, nodes = genesis()
    code_hash = HASHER.digest(STORE_CODE)
    ordered = [nodes[d] for d in sorted(nodes)]
    witnesses = (
        (
            "witness_without_code",
            "VM-2: the witness lacks the called contract's code",
            tx(to=STORE, gas=80_000, data=bytes(32)),
            "VM_WITNESS_INCOMPLETE",
            _witness({d: v for d, v in nodes.items() if d != code_hash}),
        ),
        (
            "witness_empty",
            "VM-2: an empty witness (the root node is missing)",
            tx(),
            "VM_WITNESS_INCOMPLETE",
            _witness({}),
        ),
        (
            "witness_unsorted",
            "VM-4: preimages not sorted by hash",
            tx(),
            "VM_WITNESS_NOT_CANONICAL",
            encode_witness(StateWitness(tuple(reversed(ordered)))),
        ),
    )
    for case, description, raw, error, witness in witnesses:
        yield _apply_case(preset, case, description, raw, error, witness=witness)

    # -- deposits (EVM-7) and decoding (EVM-2) ---------------------------------------------------
    for case, recipient, amount in (("new_account", BOB, 5000), ("existing_account", address_of(ALICE), 1)):
        yield CaseSpec(
            handler="credit_deposit",
            case=f"deposit_{case}",
            description=f"EVM-7: a deposit credited to the {case.replace('_', ' ')}",
            input={
                "witness": _witness(nodes).hex(),
                "pre_root": root.hex(),
                "recipient": recipient.hex(),
                "amount": amount,
            },
        )
    yield CaseSpec(
        handler="credit_deposit",
        case="deposit_bad_recipient",
        description="EVM-7: a 21-byte recipient",
        input={"witness": _witness(nodes).hex(), "pre_root": root.hex(), "recipient": "00" * 21, "amount": 1},
        expect_error="VM_EVM_ADDRESS",
    )
    yield CaseSpec(
        handler="apply_deposit",
        case="mainchain_deposit",
        description="EVM-7 (SC-HDR-5): a mainchain deposit credited to its recipient",
        input={
            "witness": _witness(nodes).hex(),
            "pre_root": root.hex(),
            "deposit": {
                "sidechain_id": 1,
                "mainchain_height": 40,
                "position": 2,
                "txid": bytes(range(32)).hex(),
                "output_index": 1,
                "recipient": STORE.hex(),
                "amount": 123_456,
            },
        },
    )
    yield CaseSpec(
        handler="compute_state",
        case="accounts_code_and_storage",
        description="EVM-1: a state of accounts with nonces, balances, code and storage (zero slots absent)",
        input={
            "accounts": [
                {"address": BOB.hex(), "nonce": 3, "balance": str(10**18), "code": "", "storage": []},
                {
                    "address": STORE.hex(),
                    "nonce": 1,
                    "balance": 0,
                    "code": STORE_CODE.hex(),
                    "storage": [[1, 7], [2, 0], [str(2**255), str(2**256 - 1)]],
                },
            ]
        },
    )
    yield CaseSpec(
        handler="compute_state",
        case="bad_address",
        description="EVM-1: a 19-byte account address",
        input={"accounts": [{"address": "00" * 19, "nonce": 0, "balance": 1, "code": "", "storage": []}]},
        expect_error="VM_EVM_ADDRESS",
    )
    for tx_type in (0, 1, 2):
        yield CaseSpec(
            handler="decode_transaction",
            case=f"decode_type_{tx_type}",
            description=f"EVM-2: a type-{tx_type} transaction",
            input={"tx": tx(tx_type=tx_type, value=3, data=b"\x01\x02").hex()},
        )
    yield CaseSpec(
        handler="decode_transaction",
        case="decode_non_minimal_nonce",
        description="EVM-2: a leading zero byte in an integer field",
        input={"tx": _non_minimal_nonce(tx()).hex()},
        expect_error="VM_EVM_TX_DECODE",
    )
