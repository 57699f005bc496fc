"""The sidechain block transition (spec/sidechain/chain.py, SCB-1..6): continuity, cursor-range
credits exactly once with refunds, VM dispatch, the four roots, outbox proofs, the builder, and
supply conservation (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.crypto import ed25519
from spec.encoding import decode, encode
from spec.errors import SpecError
from spec.merkle import merkle_root, verify_inclusion_proof
from spec.presets import MAINNET
from spec.sidechain.chain import (
    FEE_SINKS,
    MainchainInputs,
    SidechainBlock,
    SidechainState,
    apply_sidechain_block,
    build_sidechain_block,
    compute_outbox_proof,
    compute_outbox_root,
    decode_sidechain_block,
    encode_sidechain_block,
    genesis_state,
    vm_table,
)
from spec.sidechain.header import Deposit, InboundMessage, compute_header_hash
from spec.trie import Trie, keccak256
from spec.vm import evm, wasm
from spec.vm.ferris import ACCOUNT_CODEC, HASHER, FerrisTxKind, decode_transaction
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    TxStatus,
    VmKind,
    record_witness,
    witness_nodes,
)
from tests.hypothesis_profiles import examples
from tests.sidechain_helpers import CHAIN_ID, account, lock, signed_bytes

PRESET = MAINNET
NO_INPUTS = MainchainInputs(100, 6, (), ())


def _deposit(height: int, position: int, recipient: bytes, amount: int) -> Deposit:
    return Deposit(CHAIN_ID, height, position, bytes([height]) * 32, position, recipient, amount)


def _message(height: int, position: int, recipient: bytes, amount: int) -> InboundMessage:
    return InboundMessage(CHAIN_ID, height, position, 9, 3, position, b"\x09" * 32, recipient, amount, b"hi")


def _balances(state: SidechainState) -> dict[bytes, tuple[int, int]]:
    trie = Trie.from_store(state.tip.state_root, state.nodes.get, HASHER)
    return {
        key[1:]: (a.balance, a.nonce) for key, value in trie.items() for a in [decode(ACCOUNT_CODEC, value)]
    }


def _funded(*amounts: int) -> SidechainState:
    """A sidechain after one block crediting ``amounts[i]`` to test key ``i``."""
    state = genesis_state(VmKind.FERRIS, CHAIN_ID, 1000, 10)
    inputs = MainchainInputs(100, 6, tuple(_deposit(11, i, account(i), a) for i, a in enumerate(amounts)), ())
    block = build_sidechain_block(state, (), inputs, 1001, 11, PRESET)
    return apply_sidechain_block(state, block, inputs, PRESET).state


def _code(state: SidechainState, block: SidechainBlock, inputs: MainchainInputs = NO_INPUTS) -> str:
    with pytest.raises(SpecError) as info:
        apply_sidechain_block(state, block, inputs, PRESET)
    return info.value.code


def test_deposits_and_messages_credit_in_order_and_refund_what_cannot_be_accepted() -> None:
    state = genesis_state(VmKind.FERRIS, CHAIN_ID, 1000, 10)
    inputs = MainchainInputs(
        100,
        6,
        (
            _deposit(12, 1, account(0), 500),
            _deposit(11, 4, account(1), 300),
            _deposit(12, 2, b"not an account", 70),
            _deposit(10, 0, account(0), 1),  # at the parent's cursor: an earlier block's
            _deposit(20, 0, account(0), 1),  # above this block's cursor: a later block's
            replace(_deposit(11, 5, account(0), 1), sidechain_id=CHAIN_ID + 1),  # another sidechain's
        ),
        (_message(12, 1, account(0), 40), _message(11, 0, b"bad", 9)),
    )
    block = build_sidechain_block(state, (), inputs, 1001, 12, PRESET)
    result = apply_sidechain_block(state, block, inputs, PRESET)
    order = [
        (item.mainchain_height, item.position, isinstance(item, InboundMessage)) for item, _ in result.inputs
    ]
    assert order == [(11, 0, True), (11, 4, False), (12, 1, False), (12, 1, True), (12, 2, False)]
    assert [ok for _, ok in result.inputs] == [False, True, True, True, False]
    assert _balances(result.state) == {account(0): (540, 0), account(1): (300, 0)}
    assert result.outbox == (
        OutboxEntry(OutboxKind.MESSAGE, 9, b"\x09" * 32, 9, b""),
        OutboxEntry(
            OutboxKind.WITHDRAWAL, 0, b"not an account", 70, bytes([12]) * 32 + (2).to_bytes(4, "big")
        ),
    )
    assert result.state.credited == 840
    assert block.header.outbox_root == compute_outbox_root(result.outbox)


def test_transactions_roots_and_outbox_proofs() -> None:
    state = _funded(100_000, 100_000)
    txs = (
        signed_bytes(0, amount=10),
        signed_bytes(1, kind=FerrisTxKind.WITHDRAW, amount=20, recipient=b"\x51" * 20),
        signed_bytes(
            0, nonce=1, kind=FerrisTxKind.MESSAGE, target_chain=9, amount=30, recipient=b"m", payload=b"x"
        ),
        signed_bytes(1, nonce=1, amount=10**9),  # fails: fee charged
    )
    block = build_sidechain_block(state, txs, NO_INPUTS, 1002, 11, PRESET)
    assert block.transactions == txs
    result = apply_sidechain_block(state, block, NO_INPUTS, PRESET)
    assert [o.status for o in result.outcomes] == [TxStatus.SUCCEEDED] * 3 + [TxStatus.FAILED]
    assert block.header.tx_root == merkle_root(txs)
    assert block.header.trace_root == merkle_root([o.post_root for o in result.outcomes])
    assert block.header.state_root == result.outcomes[-1].post_root
    assert len(result.outbox) == 2
    for index, entry in enumerate(result.outbox):
        proof = compute_outbox_proof(result.outbox, index)
        leaf = encode(OUTBOX_ENTRY_CODEC, entry)
        verify_inclusion_proof(leaf, index, len(result.outbox), proof, block.header.outbox_root)
    assert result.state.burnt == 4 * 5000
    assert result.state.sent == 50
    assert decode_sidechain_block(encode_sidechain_block(block)) == block
    assert result.state.tip == block.header


def test_builder_leaves_out_invalid_transactions() -> None:
    state = _funded(100_000)
    good = signed_bytes(0, amount=10)
    block = build_sidechain_block(state, (signed_bytes(0, nonce=5), good, good), NO_INPUTS, 1002, 11, PRESET)
    assert block.transactions == (good,)


def test_header_and_root_codes() -> None:
    state = _funded(100_000)
    block = build_sidechain_block(state, (signed_bytes(0, amount=10),), NO_INPUTS, 1002, 11, PRESET)
    header = block.header

    def with_header(**fields: object) -> SidechainBlock:
        return replace(block, header=replace(header, **fields))  # type: ignore[arg-type]

    assert _code(state, with_header(sidechain_id=8)) == "SCB_WRONG_SIDECHAIN"
    assert _code(state, with_header(height=3)) == "SCB_BAD_HEIGHT"
    assert _code(state, with_header(parent=bytes(32))) == "SCB_BAD_PARENT"
    assert _code(state, with_header(timestamp=999)) == "SCB_TIMESTAMP"
    assert _code(state, with_header(deposit_cursor=10)) == "SCB_CURSOR_BACKWARDS"
    assert _code(state, with_header(deposit_cursor=95)) == "SCB_CURSOR_AHEAD"
    assert _code(state, with_header(tx_root=bytes(32))) == "SCB_TX_ROOT_MISMATCH"
    assert _code(state, with_header(state_root=bytes(32))) == "SCB_STATE_ROOT_MISMATCH"
    assert _code(state, with_header(trace_root=bytes(32))) == "SCB_TRACE_ROOT_MISMATCH"
    assert _code(state, with_header(outbox_root=bytes(32))) == "SCB_OUTBOX_ROOT_MISMATCH"
    bad_tx = replace(block, transactions=(signed_bytes(0, nonce=3),))
    assert _code(state, bad_tx) == "VM_FERRIS_BAD_NONCE"
    unknown = replace(state, vm_kind=3)  # type: ignore[arg-type]  # no VmKind has no module
    assert _code(unknown, block) == "SCB_UNKNOWN_VM"
    twice = MainchainInputs(100, 6, (_deposit(12, 0, account(0), 1), _deposit(12, 0, account(1), 2)), ())
    assert _code(state, with_header(deposit_cursor=12), twice) == "SCB_DUPLICATE_INPUT"


def test_block_gas_limit() -> None:
    state = _funded(*([10**8] * 4))
    tiny = replace(PRESET, vm_ferris=replace(PRESET.vm_ferris, block_gas_limit=7000, max_tx_gas=4000))
    txs = tuple(signed_bytes(i, amount=1) for i in range(3))
    block = build_sidechain_block(state, txs, NO_INPUTS, 1002, 11, tiny)
    assert block.transactions == txs[:2]
    full = build_sidechain_block(state, txs, NO_INPUTS, 1002, 11, PRESET)
    with pytest.raises(SpecError) as info:
        apply_sidechain_block(state, full, NO_INPUTS, tiny)
    assert info.value.code == "SCB_GAS_LIMIT"


def test_dispatch_table_is_keyed_by_vm_kind() -> None:
    table = vm_table(PRESET)
    assert set(table) == set(VmKind)
    assert table[VmKind.EVM].apply_transaction is evm.apply_transaction
    assert table[VmKind.WASM].apply_transaction is wasm.apply_transaction
    assert (table[VmKind.EVM].max_tx_gas, table[VmKind.EVM].block_gas_limit) == (
        PRESET.evm.max_tx_gas,
        PRESET.evm.block_gas_limit,
    )
    assert table[VmKind.WASM].block_gas_limit == PRESET.vm_wasm.block_fuel_limit
    assert [table[kind].fee_recipient for kind in VmKind] == [b"", bytes(20), bytes(32)]


def test_wasm_fee_sink_is_unspendable() -> None:
    """SCB-5: the WASM fee sink is a small-order point, no valid key, so no transaction spends its fees."""
    with pytest.raises(SpecError) as info:
        ed25519.verify(FEE_SINKS[VmKind.WASM], b"any message", bytes(64))
    assert info.value.code == "ED25519_INVALID_PUBLIC_KEY"


@pytest.mark.parametrize("kind", [VmKind.EVM, VmKind.WASM])
def test_other_vms_conserve_supply_outside_the_fee_sink(kind: VmKind) -> None:
    """SCB-2..5 on EVM and WASM sidechains: credits, refunds, a transfer; the balances other than the
    fee sink sum to credited - sent - burnt."""
    from conformance.generators.sidechain_block import _other_vm_cases
    from conformance.handlers.sidechain_block import handle_apply_blocks

    case = next(c for c in _other_vm_cases(PRESET) if c.case.startswith(kind.name.lower()))
    out = handle_apply_blocks(PRESET, case.input)
    assert isinstance(out, dict)
    sink = FEE_SINKS[kind]
    sink_key = keccak256(sink).hex() if kind is VmKind.EVM else sink.hex()
    rows = out["accounts"]
    assert isinstance(rows, list)
    held = sum(int(row[1]) for row in rows if isinstance(row, list) and row[0] != sink_key)
    assert out["sent"] == 0 and out["credited"] == 1_000_040
    assert isinstance(out["burnt"], int) and out["burnt"] > 0
    assert held == out["credited"] - out["sent"] - out["burnt"]
    blocks = out["blocks"]
    assert isinstance(blocks, list) and isinstance(blocks[1], dict)
    assert blocks[1]["statuses"] and set(blocks[1]["statuses"]) == {1}


# ------------------------------------------------------------------------------------------
# Properties: supply conserved, every input credited (or refunded) exactly once
# ------------------------------------------------------------------------------------------

_INPUT = st.tuples(
    st.integers(11, 40),  # mainchain height
    st.integers(0, 3),  # position
    st.booleans(),  # message?
    st.integers(0, 6),  # recipient key (6: an unacceptable recipient)
    st.integers(1, 200_000),
)
_TX = st.tuples(
    st.integers(0, 4), st.sampled_from(list(FerrisTxKind)), st.integers(0, 150_000), st.integers(0, 5)
)


@settings(max_examples=examples(25), deadline=None)
@given(
    st.lists(_INPUT, max_size=14, unique_by=lambda t: (t[0], t[1], t[2])),
    st.lists(st.integers(11, 45), min_size=1, max_size=4),
    st.lists(_TX, max_size=10),
)
def test_supply_conserved_and_inputs_taken_exactly_once(
    raw_inputs: list[tuple[int, int, bool, int, int]],
    cursors: list[int],
    raw_txs: list[tuple[int, int, int, int]],
) -> None:
    """SCB-2/SCB-5: over a chain of blocks with arbitrary cursor moves, each input in the covered
    range is taken exactly once, and the balances always sum to credited - sent - burnt."""
    deposits = tuple(
        _deposit(h, p, account(r) if r < 6 else b"x", a)
        for h, p, is_message, r, a in raw_inputs
        if not is_message
    )
    messages = tuple(
        _message(h, p, account(r) if r < 6 else b"x", a)
        for h, p, is_message, r, a in raw_inputs
        if is_message
    )
    inputs = MainchainInputs(51, 6, deposits, messages)
    state = genesis_state(VmKind.FERRIS, CHAIN_ID, 1000, 10)
    taken: list[tuple[int, int, bool]] = []
    nonces = [0] * 6
    senders = {lock(i): i for i in range(5)}
    cursor = 10
    for step, move in enumerate(sorted(cursors)):
        cursor = max(cursor, move)
        txs = []
        for sender, kind, amount, recipient in raw_txs[step :: len(cursors)]:
            txs.append(
                signed_bytes(
                    sender,
                    nonce=nonces[sender],
                    kind=FerrisTxKind(kind),
                    amount=max(amount, 1),
                    recipient=account(recipient) if kind == FerrisTxKind.TRANSFER else b"out",
                    target_chain=9 if kind == FerrisTxKind.MESSAGE else 0,
                )
            )
        block = build_sidechain_block(state, txs, inputs, 1000 + step, cursor, PRESET)
        result = apply_sidechain_block(state, block, inputs, PRESET)
        for outcome, tx in zip(result.outcomes, block.transactions, strict=True):
            nonces[senders[decode_transaction(tx, PRESET.vm_ferris).locking_script]] += 1
            assert outcome.fee == 5000
        taken.extend(
            (i.mainchain_height, i.position, isinstance(i, InboundMessage)) for i, _ in result.inputs
        )
        state = result.state
        assert sum(b for b, _ in _balances(state).values()) == state.credited - state.sent - state.burnt
    expected = sorted((h, p, m) for h, p, m, _, _ in raw_inputs if h <= cursor)
    assert sorted(taken) == expected
    assert len(set(taken)) == len(taken)


def test_genesis_header_hash_is_the_first_parent() -> None:
    state = genesis_state(VmKind.FERRIS, CHAIN_ID, 1000, 10)
    block = build_sidechain_block(state, (), NO_INPUTS, 1000, 10, PRESET)
    assert block.header.parent == compute_header_hash(state.tip)
    assert block.header.height == 1


def test_every_transaction_of_a_block_replays_statelessly_from_its_trace() -> None:
    """SCB-4 with VM-2/6: the pre-state of transaction i is the trace leaf i - 1 (the credited root
    for the first), and its witness alone reproduces trace leaf i: the one-step proof of issue 16."""
    state = _funded(100_000, 100_000, 100_000)
    inputs = MainchainInputs(100, 6, (_deposit(12, 0, account(7), 5),), ())
    txs = (
        signed_bytes(0, amount=10),
        signed_bytes(1, kind=FerrisTxKind.WITHDRAW, amount=20, recipient=b"w"),
        signed_bytes(2, amount=10**9),
        signed_bytes(0, nonce=1, amount=3, recipient=account(9)),
    )
    block = build_sidechain_block(state, txs, inputs, 1002, 12, PRESET)
    result = apply_sidechain_block(state, block, inputs, PRESET)
    apply = vm_table(PRESET)[VmKind.FERRIS].apply_transaction
    nodes = result.state.nodes  # holds every intermediate node of the block
    pre = result.credited_root
    context = ExecutionContext(
        CHAIN_ID, block.header.height, block.header.timestamp, b"", PRESET.vm_ferris.max_tx_gas
    )
    for tx, outcome in zip(block.transactions, result.outcomes, strict=True):
        witness = record_witness(apply, PRESET, nodes, pre, tx, context)
        assert apply(PRESET, witness_nodes(witness, HASHER), pre, tx, context)[0] == outcome
        pre = outcome.post_root
    assert pre == block.header.state_root
