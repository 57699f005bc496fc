"""Vectors of the ``vm_wasm`` flow: the WASM sidechain VM (spec/vm/wasm.py, docs/vm.md#wasm).

Every case is self-contained: the genesis balances, the block context and the signed
transactions (a deploy carries its module's bytes, so no WAT tool is needed to run them). Outputs
are post-state roots, statuses, fuel used, fees, events and outbox entries; witnesses are the
canonical VM-4 encoding. The example contracts are ``conformance/contracts/wasm/*.wat``.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.model import JSON, CaseSpec
from conformance.wasm_contracts import (
    CONTEXT,
    address_of,
    compile_wat,
    contract_module,
    make_tx,
    run_sequence,
    seed_of,
    token_transfer_input,
)
from spec.presets import Preset
from spec.vm.interface import VmKind, encode_witness, record_witness, state_hasher, witness_nodes
from spec.vm.wasm import TxKind, apply_transaction, build_genesis, compute_contract_address

ALICE, BOB, CAROL = address_of("alice"), address_of("bob"), address_of("carol")
FUNDS = 10**12
GENESIS: list[JSON] = [[a.hex(), FUNDS] for a in (ALICE, BOB, CAROL)]
CONTEXT_JSON: dict[str, JSON] = {
    "sidechain_id": CONTEXT.sidechain_id,
    "height": CONTEXT.height,
    "timestamp": CONTEXT.timestamp,
    "fee_recipient": CONTEXT.fee_recipient.hex(),
    "gas_limit": CONTEXT.gas_limit,
}
FIRST = compute_contract_address(ALICE, 0)
"""The contract alice's first transaction deploys."""

MEMORY = '(memory (export "memory") 1)'


def _module(body: str, imports: str = "", memory: str = MEMORY, extra: str = "") -> bytes:
    return compile_wat(f'(module {imports} {memory} {extra} (func (export "call") {body}))')


LOOP = _module("(loop $forever (br $forever))")
GROW = _module(
    "(if (i32.ne (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))"
    "(if (i32.eq (memory.grow (i32.const 15)) (i32.const -1)) (then unreachable))"
)
NAN = _module(
    "(i32.store (i32.const 16) (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0))))"
    "(call $sset (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 4))",
    imports='(import "env" "storage_set" (func $sset (param i32 i32 i32 i32)))',
)
MESSAGE = _module(
    "(call $send (i64.const 3) (i32.const 0) (i32.const 4) (i32.const 8) (i32.const 5))",
    imports='(import "env" "send_message" (func $send (param i64 i32 i32 i32 i32)))',
    extra='(data (i32.const 0) "dest") (data (i32.const 8) "hello")',
)
TRAP = _module("unreachable")
ADDRESS = _module(
    "(call $address (i32.const 0)) (call $emit (i32.const 0) (i32.const 32))",
    imports='(import "env" "address" (func $address (param i32)))'
    ' (import "env" "emit" (func $emit (param i32 i32)))',
)
"""VMW-8: ``address`` writes the running contract's address (emitted)."""
PARTIAL_GET = _module(
    "(call $sset (i32.const 0) (i32.const 1) (i32.const 8) (i32.const 8))"
    "(i32.store (i32.const 40) (call $sget (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 2)))"
    "(call $emit (i32.const 16) (i32.const 8)) (call $emit (i32.const 40) (i32.const 4))",
    imports='(import "env" "storage_set" (func $sset (param i32 i32 i32 i32)))'
    ' (import "env" "storage_get" (func $sget (param i32 i32 i32 i32) (result i32)))'
    ' (import "env" "emit" (func $emit (param i32 i32)))',
    extra='(data (i32.const 0) "k") (data (i32.const 8) "abcdefgh")',
)
"""VMW-8: ``storage_get`` copies at most ``oc`` (2) bytes and returns the value's length (8)."""
WRITE_OUTSIDE = _module(
    "(call $caller (i32.const 65530))",
    imports='(import "env" "caller" (func $caller (param i32)))',
)
"""VMW-8: a host write past the end of memory (32 bytes at 65,530 of 65,536) traps."""
OVERDRAW = _module(
    "(call $transfer (i32.const 0) (i64.const 1))",
    imports='(import "env" "transfer" (func $transfer (param i32 i64)))',
)
"""VMW-8: a contract holding nothing transfers 1: the host call fails."""
MANY_TYPES = compile_wat(
    "(module " + "(type (func))" * 6000 + f' {MEMORY} (table 2 funcref) (func (export "call")))'
)
"""VMW-4: a type section of more than 2^14 bytes (a three-byte LEB128 size) before the table and
memory sections the bounds check reads."""
INIT_INPUT_LEN = _module(
    "",
    imports='(import "env" "input_len" (func $len (result i32)))'
    ' (import "env" "emit" (func $emit (param i32 i32)))',
    extra='(func (export "init") (i32.store (i32.const 0) (call $len))'
    " (call $emit (i32.const 0) (i32.const 4)))",
)
"""VMW-8: a deploy's ``init`` has no input: ``input_len`` is 0 (emitted as four bytes), not the
module's length."""
RECURSE = compile_wat(f'(module {MEMORY} (func $r (call $r)) (func (export "call") (call $r)))')

INVALID_MODULES: tuple[tuple[str, bytes, str], ...] = (
    ("not_wasm", b"not wasm", "VM_WASM_INVALID_MODULE"),
    ("truncated", b"\x00asm\x01\x00\x00\x00\x01", "VM_WASM_INVALID_MODULE"),
    ("simd", _module("(drop (i32x4.splat (i32.const 1)))"), "VM_WASM_INVALID_MODULE"),
    (
        "shared_memory",
        compile_wat('(module (memory (export "memory") 1 1 shared) (func (export "call")))'),
        "VM_WASM_INVALID_MODULE",
    ),
    ("too_large", b"\x00asm\x01\x00\x00\x00\x00\x83\x80\x04" + bytes(65540), "VM_WASM_CODE_TOO_LARGE"),
    ("start_function", _module("", extra="(func $s) (start $s)"), "VM_WASM_START_FUNCTION"),
    (
        "wasi_import",
        _module(
            "", imports='(import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))'
        ),
        "VM_WASM_FORBIDDEN_IMPORT",
    ),
    (
        "host_import_wrong_signature",
        _module("", imports='(import "env" "value" (func (result i32)))'),
        "VM_WASM_FORBIDDEN_IMPORT",
    ),
    (
        "imported_memory",
        compile_wat('(module (import "env" "memory" (memory 1)) (func (export "call")))'),
        "VM_WASM_FORBIDDEN_IMPORT",
    ),
    ("memory_above_bound", _module("", memory='(memory (export "memory") 17)'), "VM_WASM_MEMORY_BOUND"),
    (  # 128 pages: the LEB128 bytes 0x80 0x01 (a byte of exactly 0x80 continues the number)
        "memory_128_pages",
        _module("", memory='(memory (export "memory") 128)'),
        "VM_WASM_MEMORY_BOUND",
    ),
    ("no_memory", compile_wat('(module (func (export "call")))'), "VM_WASM_MEMORY_BOUND"),
    ("table_above_bound", _module("", extra="(table 1025 funcref)"), "VM_WASM_TABLE_BOUND"),
    ("two_tables", _module("", extra="(table 1 funcref) (table 1 funcref)"), "VM_WASM_TABLE_BOUND"),
    ("memory_not_exported", _module("", memory="(memory 1)"), "VM_WASM_MISSING_EXPORT"),
    (
        "call_with_params",
        compile_wat(f'(module {MEMORY} (func (export "call") (param i32)))'),
        "VM_WASM_MISSING_EXPORT",
    ),
    ("no_call", compile_wat(f'(module {MEMORY} (func (export "run")))'), "VM_WASM_MISSING_EXPORT"),
    (
        "init_with_result",
        _module("", extra='(func (export "init") (result i32) (i32.const 0))'),
        "VM_WASM_MISSING_EXPORT",
    ),
)
"""VMW-4: one module per rejection (the WAT is in this file; the vector carries the bytes)."""


def _apply(case: str, description: str, txs: list[bytes], error: str | None = None) -> CaseSpec:
    return CaseSpec(
        "apply",
        case,
        description,
        {"genesis": GENESIS, "context": CONTEXT_JSON, "transactions": [tx.hex() for tx in txs]},
        expect_error=error,
    )


def _deploy(module: bytes, nonce: int = 0, **kw: int) -> bytes:
    return make_tx("alice", TxKind.DEPLOY, nonce, data=module, **kw)  # type: ignore[arg-type]


def _call(sender: str, nonce: int, data: bytes = b"", **kw: object) -> bytes:
    return make_tx(sender, TxKind.CALL, nonce, to=FIRST, data=data, **kw)  # type: ignore[arg-type]


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """VMW-1..9 and VM-2..6 vectors."""
    yield from _module_cases()
    yield from _decode_cases()
    yield from _apply_cases()
    yield from _witness_cases(preset)
    yield from _deposit_cases(preset)
    yield from _sign_cases()


def _sign_cases() -> Iterator[CaseSpec]:
    """VMW-3a: transactions signed from a seed (the sender is the seed's public key)."""
    cases: tuple[tuple[str, int, bytes, bytes, int], ...] = (
        ("transfer", TxKind.TRANSFER, BOB, b"", 42),
        ("call", TxKind.CALL, FIRST, b"\x01\x02", 0),
        ("deploy", TxKind.DEPLOY, b"", LOOP, 0),
    )
    for name, kind, to, data, value in cases:
        yield CaseSpec(
            "sign_transaction",
            name,
            f"VMW-3a: a {name} signed by a seed's Ed25519 key for sidechain {CONTEXT.sidechain_id}",
            {
                "kind": kind,
                "nonce": 5,
                "fuel_limit": 300_000,
                "fuel_price": 3,
                "value": value,
                "to": to.hex(),
                "data": data.hex(),
                "seed": seed_of("signer").hex(),
                "sidechain_id": CONTEXT.sidechain_id,
            },
        )


def _deposit_cases(preset: Preset) -> Iterator[CaseSpec]:
    """VMW-10: deposits credited to new, key-held and contract accounts, and refused ones."""
    dave = address_of("dave")
    cases: tuple[tuple[str, str, list[bytes], bytes, int, list[bytes]], ...] = (
        (
            "new_account",
            "VMW-10: a deposit creates the recipient's account, which then spends it",
            [],
            dave,
            1_000_000,
            [make_tx("dave", TxKind.TRANSFER, 0, to=BOB, value=500)],
        ),
        ("existing_account", "VMW-10: a deposit adds to a key-held balance", [], BOB, 77, []),
        (
            "contract",
            "VMW-10: a deposit to a contract keeps its nonce and code hash",
            [_deploy(contract_module("escrow"))],
            FIRST,
            900,
            [],
        ),
        ("zero_amount", "VMW-10: a deposit of 0 to an absent account changes nothing", [], dave, 0, []),
        ("short_recipient", "VMW-10: a 31-byte recipient cannot accept it", [], dave[:31], 5, []),
        (
            "above_max_money",
            "VMW-10: a balance above max_money cannot accept it",
            [],
            BOB,
            preset.ledger.max_money - FUNDS + 1,
            [],
        ),
        (
            "at_max_money",
            "VMW-10: a balance of exactly max_money is credited",
            [],
            BOB,
            preset.ledger.max_money - FUNDS,
            [],
        ),
    )
    for name, description, before, recipient, amount, after in cases:
        deposit: dict[str, JSON] = {
            "sidechain_id": CONTEXT.sidechain_id,
            "mainchain_height": 12,
            "position": 3,
            "txid": bytes(range(32)).hex(),
            "output_index": 0,
            "recipient": recipient.hex(),
            "amount": amount if amount < 2**53 else str(amount),
        }
        yield CaseSpec(
            "deposit",
            name,
            description,
            {
                "genesis": GENESIS,
                "context": CONTEXT_JSON,
                "before": [tx.hex() for tx in before],
                "deposit": deposit,
                "after": [tx.hex() for tx in after],
            },
        )


def _module_cases() -> Iterator[CaseSpec]:
    for name in ("token", "escrow"):
        yield CaseSpec(
            "validate_module",
            name,
            f"VMW-4: the example {name} contract",
            {"module": contract_module(name).hex()},
        )
    yield CaseSpec(
        "validate_module",
        "large_type_section",
        "VMW-4: a section whose size takes three LEB128 bytes, before the table and memory sections",
        {"module": MANY_TYPES.hex()},
    )
    for name, module in (("floats", _module("(drop (f64.add (f64.const 1) (f64.const 2)))")), ("loop", LOOP)):
        yield CaseSpec("validate_module", name, "VMW-4: a deployable module", {"module": module.hex()})
    yield CaseSpec(
        "validate_module",
        "at_bounds",
        "VMW-4d: memory and table exactly at their bounds",
        {
            "module": _module(
                "", memory='(memory (export "memory") 16 16)', extra="(table 1024 funcref)"
            ).hex()
        },
    )
    for name, module, code in INVALID_MODULES:
        yield CaseSpec("validate_module", name, f"VMW-4: rejected ({code})", {"module": module.hex()}, code)


def _decode_cases() -> Iterator[CaseSpec]:
    valid = make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, value=5)
    yield CaseSpec("decode_transaction", "transfer", "VMW-2: a transfer", {"transaction": valid.hex()})
    yield CaseSpec(
        "decode_transaction", "call", "VMW-2: a call", {"transaction": _call("bob", 3, b"\x01\x02").hex()}
    )
    yield CaseSpec(
        "decode_transaction",
        "call_data_at_limit",
        "VMW-2: call data of exactly max_call_data_bytes",
        {"transaction": _call("bob", 0, bytes(4096)).hex()},
    )
    yield CaseSpec(
        "decode_transaction",
        "deploy",
        "VMW-2: a deploy",
        {"transaction": _deploy(contract_module("token")).hex()},
    )
    malformed = (
        (
            "transfer_with_data",
            make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, data=b"x"),
            "VM_WASM_MALFORMED_TRANSACTION",
        ),
        (
            "deploy_with_destination",
            make_tx("bob", TxKind.DEPLOY, 0, to=ALICE, data=b"x"),
            "VM_WASM_MALFORMED_TRANSACTION",
        ),
        ("deploy_without_module", make_tx("bob", TxKind.DEPLOY, 0), "VM_WASM_MALFORMED_TRANSACTION"),
        ("unknown_kind", make_tx("bob", 3, 0, to=ALICE), "VM_WASM_MALFORMED_TRANSACTION"),
        ("short_destination", make_tx("bob", TxKind.CALL, 0, to=ALICE[:31]), "VM_WASM_MALFORMED_TRANSACTION"),
        (
            "value_above_i64",
            make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, value=1 << 63),
            "VM_WASM_MALFORMED_TRANSACTION",
        ),
        ("call_data_too_long", _call("bob", 0, bytes(4097)), "VM_WASM_MALFORMED_TRANSACTION"),
        ("trailing_byte", valid + b"\x00", "DECODE_TRAILING_BYTES"),
        ("truncated", valid[:-1], "DECODE_TRUNCATED"),
    )
    for name, tx, code in malformed:
        yield CaseSpec(
            "decode_transaction", name, f"VMW-2: rejected ({code})", {"transaction": tx.hex()}, code
        )


def _apply_cases() -> Iterator[CaseSpec]:
    token, escrow = contract_module("token"), contract_module("escrow")
    setup = b"\x01" + BOB + CAROL
    yield _apply(
        "transfer",
        "VMW-6: a value transfer between key-held accounts",
        [make_tx("alice", TxKind.TRANSFER, 0, to=BOB, value=42)],
    )
    yield _apply(
        "transfer_to_self",
        "VMW-6: a transfer to the sender itself",
        [make_tx("alice", TxKind.TRANSFER, 0, to=ALICE, value=42, fuel_price=2)],
    )
    yield _apply(
        "deploy_token", "VMW-6: deploying the token runs its init (1,000,000 to alice)", [_deploy(token)]
    )
    yield _apply(
        "token_transfers",
        "VMW-6/8: token transfers: alice pays bob, bob pays carol, a self-transfer",
        [
            _deploy(token),
            _call("alice", 1, token_transfer_input(BOB, 300)),
            _call("bob", 0, token_transfer_input(CAROL, 120), fuel_price=2),
            _call("carol", 0, token_transfer_input(CAROL, 120)),
        ],
    )
    yield _apply(
        "token_transfer_above_balance",
        "VMW-6: abort: FAILED, storage unchanged, the fee charged",
        [_deploy(token), _call("bob", 0, token_transfer_input(ALICE, 1))],
    )
    yield _apply(
        "token_transfer_out_of_fuel",
        "VMW-7: out of fuel mid-call: FAILED, gas_used = fuel_limit",
        [_deploy(token), _call("alice", 1, token_transfer_input(BOB, 1), fuel_limit=1500, fuel_price=5)],
    )
    yield _apply(
        "token_transfer_bad_input",
        "VMW-6: the token aborts on a malformed input",
        [_deploy(token), _call("alice", 1, b"\x02")],
    )
    yield _apply(
        "escrow_release",
        "VMW-8: escrow setup with value, a refused release by the seller, the buyer's release",
        [
            _deploy(escrow),
            _call("alice", 1, setup, value=5000),
            _call("bob", 0, b"\x02"),
            _call("alice", 2, b"\x02"),
            _call("carol", 0, b"\x03"),
        ],
    )
    yield _apply(
        "escrow_refund",
        "VMW-8: the arbiter refunds the buyer (host transfer)",
        [_deploy(escrow), _call("alice", 1, setup, value=700), _call("carol", 0, b"\x03")],
    )
    yield _apply(
        "escrow_withdrawal",
        "VMW-8, VM-5: release to a mainchain recipient: a WITHDRAWAL outbox entry, the value burnt",
        [_deploy(escrow), _call("alice", 1, setup, value=900), _call("carol", 0, b"\x04mainchain-bob")],
    )
    yield _apply(
        "message_outbox",
        "VMW-8, VM-5: send_message: a MESSAGE outbox entry to sidechain 3",
        [_deploy(MESSAGE), _call("bob", 0)],
    )
    yield _apply(
        "loop_out_of_fuel_reverts_value",
        "VMW-7: an endless loop runs out of fuel: the value goes back, the whole limit is charged",
        [_deploy(LOOP), _call("bob", 0, value=1000, fuel_limit=50_000, fuel_price=3)],
    )
    yield _apply("trap", "VMW-6: a trap (unreachable) is FAILED", [_deploy(TRAP), _call("bob", 0)])
    yield _apply(
        "host_transfer_above_balance",
        "VMW-8: transfer above the contract's balance fails the call",
        [_deploy(OVERDRAW), _call("bob", 0)],
    )
    yield _apply(
        "host_address", "VMW-8: address() is the running contract's", [_deploy(ADDRESS), _call("bob", 0)]
    )
    yield _apply(
        "host_storage_get_partial",
        "VMW-8: storage_get copies at most oc bytes and returns the full length",
        [_deploy(PARTIAL_GET), _call("bob", 0)],
    )
    yield _apply(
        "host_write_outside_memory",
        "VMW-8: a host call writing past the end of memory fails the call",
        [_deploy(WRITE_OUTSIDE), _call("bob", 0)],
    )
    yield _apply(
        "memory_grow_bound",
        "VMW-5: memory.grow above max_memory_pages returns -1, within succeeds",
        [_deploy(GROW), _call("bob", 0)],
    )
    yield _apply(
        "nan_canonical", "VMW-5: 0/0 stores the canonical NaN 0x7fc00000", [_deploy(NAN), _call("bob", 0)]
    )
    yield _apply(
        "deploy_init_input_len",
        "VMW-8: input_len in a deploy's init is 0 (the module is not the input)",
        [_deploy(INIT_INPUT_LEN)],
    )
    yield _apply(
        "fuel_limit_at_intrinsic",
        "VMW-3c/VMW-7: a transfer whose fuel limit is exactly its intrinsic fuel (tx_base_fuel, 1,000)",
        [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, value=5, fuel_limit=1000)],
    )
    yield _apply(
        "deploy_out_of_fuel_in_init",
        "VMW-7: a deploy whose init runs out of fuel creates no contract",
        [_deploy(token, fuel_limit=8000)],
    )
    invalid: tuple[tuple[str, list[bytes], str], ...] = (
        (
            "wrong_sidechain_signature",
            [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, sidechain_id=8)],
            "VM_WASM_BAD_SIGNATURE",
        ),
        ("nonce_ahead", [make_tx("bob", TxKind.TRANSFER, 1, to=ALICE)], "VM_WASM_BAD_NONCE"),
        (
            "nonce_replayed",
            [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE), make_tx("bob", TxKind.TRANSFER, 0, to=ALICE)],
            "VM_WASM_BAD_NONCE",
        ),
        (
            "fuel_below_intrinsic",
            [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, fuel_limit=999)],
            "VM_WASM_FUEL_LIMIT",
        ),
        ("deploy_fuel_below_intrinsic", [_deploy(LOOP, fuel_limit=1000)], "VM_WASM_FUEL_LIMIT"),
        (
            "fuel_above_block",
            [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, fuel_limit=10_000_001)],
            "VM_WASM_FUEL_LIMIT",
        ),
        (
            "value_above_balance",
            [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, value=FUNDS)],
            "VM_WASM_INSUFFICIENT_FUNDS",
        ),
        (
            "max_fee_above_balance",
            [make_tx("dave", TxKind.TRANSFER, 0, to=ALICE)],
            "VM_WASM_INSUFFICIENT_FUNDS",
        ),
        ("call_key_account", [make_tx("bob", TxKind.CALL, 0, to=CAROL)], "VM_WASM_NOT_A_CONTRACT"),
        (
            "malformed",
            [make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, data=b"x")],
            "VM_WASM_MALFORMED_TRANSACTION",
        ),
    )
    for name, txs, code in invalid:
        yield _apply(name, f"VMW-3: invalid ({code}), nothing changes", txs, code)
    for name, module, code in INVALID_MODULES:
        if code != "VM_WASM_CODE_TOO_LARGE":
            yield _apply(
                f"deploy_{name}", f"VMW-3e/VMW-4: the deploy is invalid ({code})", [_deploy(module)], code
            )
    yield _apply(
        "deploy_too_large",
        "VMW-3e/VMW-4a: a module above max_code_bytes",
        [_deploy(INVALID_MODULES[4][1], fuel_limit=2_000_000)],
        "VM_WASM_CODE_TOO_LARGE",
    )


def _witness_cases(preset: Preset) -> Iterator[CaseSpec]:
    token, escrow = contract_module("token"), contract_module("escrow")
    sequences: tuple[tuple[str, str, list[bytes]], ...] = (
        (
            "transfer",
            "VM-6: the witness of a value transfer",
            [make_tx("alice", TxKind.TRANSFER, 0, to=BOB, value=1)],
        ),
        ("deploy", "VM-6: the witness of a deploy", [_deploy(token)]),
        (
            "token_transfer",
            "VM-6: a token transfer's witness holds the module",
            [_deploy(token), _call("alice", 1, token_transfer_input(BOB, 9))],
        ),
        (
            "escrow_release",
            "VM-6: an escrow release's witness",
            [_deploy(escrow), _call("alice", 1, b"\x01" + BOB + CAROL, value=50), _call("alice", 2, b"\x02")],
        ),
        ("out_of_fuel", "VM-6: a failed call's witness", [_deploy(LOOP), _call("bob", 0, fuel_limit=20_000)]),
    )
    hasher = state_hasher(VmKind.WASM)
    for name, description, txs in sequences:
        yield CaseSpec(
            "witness",
            name,
            description,
            {"genesis": GENESIS, "context": CONTEXT_JSON, "transactions": [tx.hex() for tx in txs]},
        )
        chain, _ = run_sequence(preset, build_genesis({a: FUNDS for a in (ALICE, BOB, CAROL)}), txs[:-1])
        witness = record_witness(apply_transaction, preset, chain.nodes, chain.root, txs[-1], CONTEXT)
        stateless: dict[str, JSON] = {
            "pre_root": chain.root.hex(),
            "transaction": txs[-1].hex(),
            "context": CONTEXT_JSON,
        }
        yield CaseSpec(
            "stateless",
            name,
            f"VM-2: {name} executed over its witness alone",
            {**stateless, "witness": encode_witness(witness).hex()},
        )
        if len(witness.preimages) > 1:
            items = witness.preimages
            dropped = type(witness)(items[1:])
            yield CaseSpec(
                "stateless",
                f"{name}_missing_preimage",
                "VM-2: a witness without one preimage the execution reads",
                {**stateless, "witness": encode_witness(dropped).hex()},
                "VM_WITNESS_INCOMPLETE",
            )
            yield CaseSpec(
                "stateless",
                f"{name}_unsorted",
                "VM-4: preimages out of hash order",
                {**stateless, "witness": encode_witness(type(witness)(items[::-1])).hex()},
                "VM_WITNESS_NOT_CANONICAL",
            )
        assert witness_nodes(witness, hasher)
    yield CaseSpec(
        "stateless",
        "wrong_pre_root",
        "VM-2: a witness of another state root",
        {
            "pre_root": bytes(32).hex(),
            "transaction": make_tx("alice", TxKind.TRANSFER, 0, to=BOB, value=1).hex(),
            "context": CONTEXT_JSON,
            "witness": encode_witness(type(witness)(())).hex(),
        },
        "VM_WITNESS_INCOMPLETE",
    )
