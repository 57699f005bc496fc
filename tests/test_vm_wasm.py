"""The WASM sidechain VM (spec/vm/wasm.py, rules VMW-1..9, docs/vm.md#wasm)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.symbolic import vm_wasm_contracts
from conformance.wasm_contracts import (
    CONTEXT,
    Chain,
    address_of,
    compile_wat,
    contract_module,
    make_tx,
    run_sequence,
    token_transfer_input,
)
from spec.encoding import varint_encode
from spec.errors import (
    DecodeError,
    SpecError,
    WasmBadNonce,
    WasmBadSignature,
    WasmCodeTooLarge,
    WasmForbiddenImport,
    WasmFuelLimit,
    WasmInsufficientFunds,
    WasmInvalidModule,
    WasmMalformedTransaction,
    WasmMemoryBound,
    WasmMissingExport,
    WasmNotAContract,
    WasmStartFunction,
    WasmTableBound,
    WitnessIncomplete,
)
from spec.hashing import HashDomain, tagged_hash
from spec.presets import MAINNET
from spec.vm.interface import (
    OutboxEntry,
    OutboxKind,
    TxStatus,
    VmKind,
    decode_witness,
    encode_witness,
    record_witness,
    state_hasher,
    witness_nodes,
)
from spec.vm.wasm import (
    TxKind,
    apply_transaction,
    apply_transaction_with,
    build_genesis,
    check_module,
    compute_contract_address,
    decode_transaction,
    get_account,
    load_state,
    storage_key,
)
from tests.hypothesis_profiles import examples

PARAMS = MAINNET.vm_wasm
ALICE, BOB, CAROL = address_of("alice"), address_of("bob"), address_of("carol")
FUNDS = 10**12
TOKEN = compute_contract_address(ALICE, 0)


def _genesis() -> tuple[bytes, dict[bytes, bytes]]:
    return build_genesis({ALICE: FUNDS, BOB: FUNDS, CAROL: FUNDS})


def _token_chain() -> Chain:
    chain, outcomes = run_sequence(
        MAINNET, _genesis(), [make_tx("alice", TxKind.DEPLOY, 0, data=contract_module("token"))]
    )
    assert outcomes[0].status == TxStatus.SUCCEEDED
    return chain


def _token_balance(chain: Chain, holder: bytes) -> int:
    value = load_state(chain.nodes, chain.root).get(storage_key(TOKEN, b"b" + holder))
    return 0 if value is None else int.from_bytes(value, "little")


def _balance(chain: Chain, address: bytes) -> int:
    return get_account(load_state(chain.nodes, chain.root), address).balance


def _module(body: str, memory: str = '(memory (export "memory") 1)') -> bytes:
    return compile_wat(f'(module {memory} (func (export "call") {body}))')


# --- VMW-6/8: the example contracts --------------------------------------------------------


def test_token_deploy_and_transfer() -> None:
    chain = _token_chain()
    assert _token_balance(chain, ALICE) == 1_000_000
    outcome = chain.apply(
        MAINNET, make_tx("alice", TxKind.CALL, 1, to=TOKEN, data=token_transfer_input(BOB, 300))
    )
    assert outcome.status == TxStatus.SUCCEEDED
    assert (_token_balance(chain, ALICE), _token_balance(chain, BOB)) == (999_700, 300)
    assert outcome.events == (TOKEN + ALICE + BOB + (300).to_bytes(8, "little"),)
    assert 0 < outcome.gas_used <= 200_000 and outcome.fee == outcome.gas_used
    assert _balance(chain, bytes(32)) == outcome.fee + _deploy_fee()
    assert get_account(load_state(chain.nodes, chain.root), ALICE).nonce == 2


def _deploy_fee() -> int:
    _, outcomes = run_sequence(
        MAINNET, _genesis(), [make_tx("alice", TxKind.DEPLOY, 0, data=contract_module("token"))]
    )
    return outcomes[0].fee


def test_token_transfer_above_balance_fails_but_charges_the_fee() -> None:
    chain = _token_chain()
    before_root = chain.root
    outcome = chain.apply(
        MAINNET, make_tx("bob", TxKind.CALL, 0, to=TOKEN, data=token_transfer_input(ALICE, 1))
    )
    assert outcome.status == TxStatus.FAILED
    assert outcome.events == () and outcome.outbox == ()
    assert outcome.fee == outcome.gas_used > 0
    assert _balance(chain, BOB) == FUNDS - outcome.fee
    assert _token_balance(chain, ALICE) == 1_000_000 and _token_balance(chain, BOB) == 0
    assert chain.root != before_root  # nonce and fee moved


def test_escrow_release_refund_and_withdrawal() -> None:
    escrow_module = contract_module("escrow")
    escrow = compute_contract_address(ALICE, 0)
    setup = b"\x01" + BOB + CAROL
    chain, outcomes = run_sequence(
        MAINNET,
        _genesis(),
        [
            make_tx("alice", TxKind.DEPLOY, 0, data=escrow_module),
            make_tx("alice", TxKind.CALL, 1, to=escrow, value=5_000, data=setup),
            make_tx("bob", TxKind.CALL, 0, to=escrow, data=b"\x02"),  # the seller may not release
            make_tx("alice", TxKind.CALL, 2, to=escrow, data=b"\x02"),  # the buyer releases
            make_tx("carol", TxKind.CALL, 0, to=escrow, data=b"\x03"),  # settled: nothing left
        ],
    )
    statuses = [o.status for o in outcomes]
    assert statuses == [
        TxStatus.SUCCEEDED,
        TxStatus.SUCCEEDED,
        TxStatus.FAILED,
        TxStatus.SUCCEEDED,
        TxStatus.FAILED,
    ]
    fees_bob = outcomes[2].fee
    assert _balance(chain, BOB) == FUNDS - fees_bob + 5_000
    assert _balance(chain, escrow) == 0
    assert outcomes[3].events == (escrow + b"released" + tagged_hash(HashDomain.WASM_HOST_HASH, BOB),)

    # refund by the arbiter, and a release to the mainchain through the outbox (VM-5)
    second = compute_contract_address(ALICE, 3)
    chain2 = Chain(chain.root, dict(chain.nodes))
    refund = [
        chain2.apply(MAINNET, make_tx("alice", TxKind.DEPLOY, 3, data=escrow_module)),
        chain2.apply(MAINNET, make_tx("alice", TxKind.CALL, 4, to=second, value=700, data=setup)),
        chain2.apply(MAINNET, make_tx("carol", TxKind.CALL, 1, to=second, data=b"\x03")),
    ]
    assert [o.status for o in refund] == [TxStatus.SUCCEEDED] * 3
    assert _balance(chain2, second) == 0
    third = compute_contract_address(ALICE, 5)
    withdrawal = [
        chain2.apply(MAINNET, make_tx("alice", TxKind.DEPLOY, 5, data=escrow_module)),
        chain2.apply(MAINNET, make_tx("alice", TxKind.CALL, 6, to=third, value=900, data=setup)),
        chain2.apply(MAINNET, make_tx("carol", TxKind.CALL, 2, to=third, data=b"\x04" + b"mainchain-bob")),
    ]
    assert [o.status for o in withdrawal] == [TxStatus.SUCCEEDED] * 3
    # VM-5: the entry names the contract whose balance it burnt, not the transaction's sender
    assert withdrawal[2].outbox == (OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"mainchain-bob", 900, b"", third),)
    assert _balance(chain2, third) == 0  # burnt on the sidechain, paid on the mainchain


def test_value_transfer_between_key_accounts() -> None:
    chain, (outcome,) = run_sequence(
        MAINNET, _genesis(), [make_tx("alice", TxKind.TRANSFER, 0, to=BOB, value=42)]
    )
    assert outcome.status == TxStatus.SUCCEEDED and outcome.gas_used == PARAMS.tx_base_fuel
    assert _balance(chain, BOB) == FUNDS + 42
    assert _balance(chain, ALICE) == FUNDS - 42 - outcome.fee
    assert _balance(chain, bytes(32)) == outcome.fee


# --- VMW-7: fuel -----------------------------------------------------------------------------


LOOP = _module("(loop $forever (br $forever))")


def test_out_of_fuel_reverts_state_and_charges_the_whole_limit() -> None:
    loop = compute_contract_address(ALICE, 0)
    chain, outcomes = run_sequence(
        MAINNET,
        _genesis(),
        [
            make_tx("alice", TxKind.DEPLOY, 0, data=LOOP),
            make_tx("bob", TxKind.CALL, 0, to=loop, value=1_000, fuel_limit=50_000, fuel_price=3),
        ],
    )
    outcome = outcomes[1]
    assert outcome.status == TxStatus.FAILED
    assert outcome.gas_used == 50_000 and outcome.fee == 150_000
    assert _balance(chain, loop) == 0  # the value went back
    assert _balance(chain, BOB) == FUNDS - 150_000


def test_memory_grow_beyond_the_bound_fails_deterministically() -> None:
    grow = _module(
        f"(if (i32.ne (memory.grow (i32.const {PARAMS.max_memory_pages})) (i32.const -1))"
        " (then unreachable))"
        f"(if (i32.eq (memory.grow (i32.const {PARAMS.max_memory_pages - 1})) (i32.const -1))"
        " (then unreachable))"
    )
    _, outcomes = run_sequence(
        MAINNET,
        _genesis(),
        [make_tx("alice", TxKind.DEPLOY, 0, data=grow), make_tx("alice", TxKind.CALL, 1, to=TOKEN)],
    )
    assert outcomes[1].status == TxStatus.SUCCEEDED


def test_nan_is_canonical() -> None:
    nan = compile_wat(
        """(module
  (import "env" "storage_set" (func $sset (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "call")
    (i32.store (i32.const 16) (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0))))
    (i32.store (i32.const 20) (i32.reinterpret_f32 (f32.sqrt (f32.const -1))))
    (call $sset (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 8))))"""
    )
    chain, outcomes = run_sequence(
        MAINNET,
        _genesis(),
        [make_tx("alice", TxKind.DEPLOY, 0, data=nan), make_tx("alice", TxKind.CALL, 1, to=TOKEN)],
    )
    assert outcomes[1].status == TxStatus.SUCCEEDED
    stored = load_state(chain.nodes, chain.root).get(storage_key(TOKEN, bytes(1)))
    assert stored == bytes.fromhex("0000c07f0000c07f")


# --- VMW-4: deploy-time validation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "error"),
    [
        (b"\x00asm\x01\x00\x00\x00\xff", WasmInvalidModule),
        (b"not wasm", WasmInvalidModule),
        (_module("(drop (i32x4.splat (i32.const 1)) )".replace("(drop", "(drop")), WasmInvalidModule),
        (
            compile_wat('(module (memory (export "memory") 1 1 shared) (func (export "call")))'),
            WasmInvalidModule,
        ),
        (
            compile_wat('(module (memory (export "memory") 1) (func $s) (start $s) (func (export "call")))'),
            WasmStartFunction,
        ),
        (
            compile_wat(
                '(module (import "wasi_snapshot_preview1" "clock_time_get" '
                "(func (param i32 i64 i32) (result i32))) "
                '(memory (export "memory") 1) (func (export "call")))'
            ),
            WasmForbiddenImport,
        ),
        (
            compile_wat(
                '(module (import "env" "value" (func (result i32))) (memory (export "memory") 1) '
                '(func (export "call")))'
            ),
            WasmForbiddenImport,
        ),
        (
            compile_wat('(module (import "env" "memory" (memory 1)) (func (export "call")))'),
            WasmForbiddenImport,
        ),
        (compile_wat('(module (memory (export "memory") 17) (func (export "call")))'), WasmMemoryBound),
        (compile_wat('(module (func (export "call")))'), WasmMemoryBound),
        (
            compile_wat('(module (memory (export "memory") 1) (table 1025 funcref) (func (export "call")))'),
            WasmTableBound,
        ),
        (
            compile_wat(
                '(module (memory (export "memory") 1) (table 1 funcref) (table 1 funcref) '
                '(func (export "call")))'
            ),
            WasmTableBound,
        ),
        (compile_wat('(module (memory 1) (func (export "call")))'), WasmMissingExport),
        (
            compile_wat('(module (memory (export "memory") 1) (func (export "call") (param i32)))'),
            WasmMissingExport,
        ),
        (
            compile_wat(
                '(module (memory (export "memory") 1) (func (export "init") (result i32) i32.const 0) '
                '(func (export "call")))'
            ),
            WasmMissingExport,
        ),
        (b"\x00asm\x01\x00\x00\x00" + b"\x00\x83\x80\x04" + b"\x00" * 65540, WasmCodeTooLarge),
    ],
)
def test_module_validation_rejects(module: bytes, error: type[SpecError]) -> None:
    with pytest.raises(error):
        check_module(module, PARAMS)


def test_example_contracts_and_floats_are_accepted() -> None:
    for name in ("token", "escrow"):
        check_module(contract_module(name), PARAMS)
    check_module(_module("(drop (f64.add (f64.const 1) (f64.const 2)))"), PARAMS)
    check_module(
        compile_wat('(module (memory (export "memory") 16 16) (table 1024 funcref) (func (export "call")))'),
        PARAMS,
    )


def test_an_invalid_module_makes_the_deploy_invalid() -> None:
    root, nodes = _genesis()
    with pytest.raises(WasmStartFunction):
        apply_transaction(
            MAINNET,
            nodes,
            root,
            make_tx(
                "alice",
                TxKind.DEPLOY,
                0,
                data=compile_wat(
                    '(module (memory (export "memory") 1) (func $s) (start $s) (func (export "call")))'
                ),
            ),
            CONTEXT,
        )


# --- VMW-2/3: transaction validity -----------------------------------------------------------


def test_invalid_transactions_change_nothing() -> None:
    chain = _token_chain()
    cases: list[tuple[bytes, type[SpecError]]] = [
        (make_tx("bob", TxKind.CALL, 0, to=TOKEN, sidechain_id=8), WasmBadSignature),
        (make_tx("bob", TxKind.CALL, 1, to=TOKEN), WasmBadNonce),
        (make_tx("bob", TxKind.CALL, 0, to=TOKEN, fuel_limit=PARAMS.tx_base_fuel - 1), WasmFuelLimit),
        (make_tx("bob", TxKind.CALL, 0, to=TOKEN, fuel_limit=CONTEXT.gas_limit + 1), WasmFuelLimit),
        (make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, value=FUNDS), WasmInsufficientFunds),
        (make_tx("bob", TxKind.CALL, 0, to=CAROL), WasmNotAContract),
        (make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, data=b"x"), WasmMalformedTransaction),
        (make_tx("bob", TxKind.DEPLOY, 0, to=ALICE, data=b"x"), WasmMalformedTransaction),
        (make_tx("bob", 3, 0, to=ALICE), WasmMalformedTransaction),
        (make_tx("bob", TxKind.CALL, 0, to=ALICE[:31]), WasmMalformedTransaction),
        (make_tx("bob", TxKind.TRANSFER, 0, to=ALICE, value=1 << 63), WasmMalformedTransaction),
        (make_tx("bob", TxKind.TRANSFER, 0, to=ALICE) + b"\x00", DecodeError),
    ]
    for tx, error in cases:
        with pytest.raises(error):
            apply_transaction_with(PARAMS, chain.nodes, chain.root, tx, CONTEXT)


def test_decoder_accepts_its_encoding() -> None:
    tx = make_tx("bob", TxKind.CALL, 0, to=TOKEN, data=b"abc")
    assert decode_transaction(tx, PARAMS).data == b"abc"


def test_apply_transaction_is_the_presets_vm() -> None:
    """VM-3: the interface's ``apply_transaction(preset, ...)`` runs under ``preset.vm_wasm``."""
    root, nodes = _genesis()
    tx = make_tx("alice", TxKind.TRANSFER, 0, to=BOB, value=1)
    assert apply_transaction(MAINNET, nodes, root, tx, CONTEXT) == apply_transaction_with(
        MAINNET.vm_wasm, nodes, root, tx, CONTEXT
    )
    costly = replace(MAINNET, vm_wasm=replace(MAINNET.vm_wasm, tx_base_fuel=10**9))
    with pytest.raises(WasmFuelLimit):
        apply_transaction(costly, nodes, root, tx, CONTEXT)


# --- VM-2/VM-6: stateless execution ----------------------------------------------------------


def _stateless_equals_full(chain: Chain, tx: bytes) -> None:
    apply = partial(apply_transaction, MAINNET)
    hasher = state_hasher(VmKind.WASM)
    witness = record_witness(apply_transaction, MAINNET, chain.nodes, chain.root, tx, CONTEXT)
    decoded = decode_witness(encode_witness(witness), hasher)
    full = apply(chain.nodes, chain.root, tx, CONTEXT)
    assert apply(witness_nodes(decoded, hasher), chain.root, tx, CONTEXT) == full


def test_stateless_execution_equals_full_and_needs_every_witness_item() -> None:
    chain = _token_chain()
    tx = make_tx("alice", TxKind.CALL, 1, to=TOKEN, data=token_transfer_input(BOB, 5))
    _stateless_equals_full(chain, tx)
    apply = partial(apply_transaction, MAINNET)
    hasher = state_hasher(VmKind.WASM)
    witness = record_witness(apply_transaction, MAINNET, chain.nodes, chain.root, tx, CONTEXT)
    code = contract_module("token")
    assert code in witness.preimages
    incomplete = {h: p for h, p in witness_nodes(witness, hasher).items() if p != code}
    with pytest.raises(WitnessIncomplete):
        apply(incomplete, chain.root, tx, CONTEXT)


@settings(max_examples=examples(15))
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bob", "carol"]),
            st.sampled_from([ALICE, BOB, CAROL]),
            st.integers(0, 600_000),
            st.integers(PARAMS.tx_base_fuel, 12_000),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_generated_token_transfers(transfers: list[tuple[str, bytes, int, int, int]]) -> None:
    """VM-6 / VMW-7 properties: stateless == full, 0 <= gas_used <= fuel_limit, the fee charged
    whatever the status, and a failed transfer changes only the sender's nonce and balance."""
    chain = _token_chain()
    nonces = {"alice": 1, "bob": 0, "carol": 0}
    for sender, to, amount, fuel_limit, price in transfers:
        tx = make_tx(
            sender,
            TxKind.CALL,
            nonces[sender],
            to=TOKEN,
            data=token_transfer_input(to, amount),
            fuel_limit=fuel_limit,
            fuel_price=price,
        )
        nonces[sender] += 1
        _stateless_equals_full(chain, tx)
        address = address_of(sender)
        before = (_token_balance(chain, ALICE), _token_balance(chain, BOB), _token_balance(chain, CAROL))
        funds_before = _balance(chain, address)
        outcome = chain.apply(MAINNET, tx)
        assert 0 <= outcome.gas_used <= fuel_limit
        assert outcome.fee == outcome.gas_used * price
        after = (_token_balance(chain, ALICE), _token_balance(chain, BOB), _token_balance(chain, CAROL))
        assert _balance(chain, address) == funds_before - outcome.fee or address == bytes(32)
        if outcome.status == TxStatus.FAILED:
            assert after == before and outcome.events == ()
        else:
            assert sum(after) == sum(before) == 1_000_000


def test_witness_holds_only_the_touched_paths() -> None:
    """MPT-13/VM-6: over a state of many accounts, a transfer's witness is a few paths, not the state."""
    many = {address_of(f"holder{i}"): 1000 + i for i in range(300)}
    root, nodes = build_genesis({**many, ALICE: FUNDS, BOB: FUNDS})
    tx = make_tx("alice", TxKind.TRANSFER, 0, to=BOB, value=1)
    apply = partial(apply_transaction, MAINNET)
    witness = record_witness(apply_transaction, MAINNET, nodes, root, tx, CONTEXT)
    assert 0 < len(witness.preimages) < len(nodes) // 10
    hasher = state_hasher(VmKind.WASM)
    assert apply(witness_nodes(witness, hasher), root, tx, CONTEXT) == apply(nodes, root, tx, CONTEXT)


# --- symbolic contracts (conformance/symbolic/vm_wasm_contracts.py) -------------------------


def test_symbolic_contracts_on_samples() -> None:
    assert vm_wasm_contracts.fee_within_reserve(5000, 1000, 0, 3) == (5000, 15000)
    assert vm_wasm_contracts.fee_within_reserve(5000, 1000, 4000, 2) == (1000, 2000)
    assert vm_wasm_contracts.intrinsic_fuel(TxKind.DEPLOY, 656) == PARAMS.tx_base_fuel + 6560
    assert vm_wasm_contracts.intrinsic_fuel(TxKind.CALL, 656) == PARAMS.tx_base_fuel
    for value in (0, 127, 128, 16383, 16384, 2**32 - 1):
        assert vm_wasm_contracts.leb_roundtrip(value) == (value, len(varint_encode(value)))


# -- VMW-10: deposits ------------------------------------------------------------------------


def test_deposit_credits_a_new_account_that_can_spend_it() -> None:
    from spec.sidechain.header import Deposit
    from spec.vm.wasm import apply_deposit, credit_deposit, get_account, load_state

    dave, bob = address_of("dave"), address_of("bob")
    root, nodes = build_genesis({bob: 10})
    deposit = Deposit(7, 12, 3, bytes(32), 0, dave, 5_000)
    credited = apply_deposit(nodes, root, deposit, MAINNET.ledger.max_money)
    assert credited == credit_deposit(nodes, root, dave, 5_000, MAINNET.ledger.max_money)
    assert credited is not None
    post_root, created = credited
    assert post_root == build_genesis({bob: 10, dave: 5_000})[0]
    store = {**nodes, **dict(created)}
    assert get_account(load_state(store, post_root), dave).balance == 5_000
    chain, outcomes = run_sequence(
        MAINNET,
        (post_root, store),
        [make_tx("dave", TxKind.TRANSFER, 0, to=bob, value=1_000, fuel_limit=2000)],
    )
    assert outcomes[0].status == TxStatus.SUCCEEDED
    assert get_account(load_state(chain.nodes, chain.root), bob).balance == 1_010


def test_deposit_to_a_contract_keeps_its_code_and_refuses_what_it_cannot_accept() -> None:
    from spec.vm.wasm import credit_deposit, get_account, load_state

    alice = address_of("alice")
    chain, _ = run_sequence(
        MAINNET,
        build_genesis({alice: 10**12}),
        [make_tx("alice", TxKind.DEPLOY, 0, data=contract_module("token"))],
    )
    contract = compute_contract_address(alice, 0)
    before = get_account(load_state(chain.nodes, chain.root), contract)
    max_money = MAINNET.ledger.max_money
    credited = credit_deposit(chain.nodes, chain.root, contract, 9, max_money)
    assert credited is not None
    after = get_account(load_state({**chain.nodes, **dict(credited[1])}, credited[0]), contract)
    assert (after.nonce, after.balance, after.code_hash) == (
        before.nonce,
        before.balance + 9,
        before.code_hash,
    )
    assert credit_deposit(chain.nodes, chain.root, contract[:31], 9, max_money) is None
    assert credit_deposit(chain.nodes, chain.root, alice, max_money, max_money) is None
    assert credit_deposit(chain.nodes, chain.root, alice, 0, max_money) == (chain.root, ())
