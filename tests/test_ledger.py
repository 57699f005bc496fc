"""Ledger properties (docs/ledger.md): value conservation, apply/undo, no double spend, signature binding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.encoding import Struct, decode, encode
from spec.errors import (
    BadCoinbaseShape,
    DecodeError,
    DuplicateInput,
    EmptyInputsOrOutputs,
    ImmatureCoinbaseSpend,
    InsufficientInputValue,
    MissingInput,
    OutputValueOutOfRange,
    RelativeLockNotMet,
    ScriptError,
    ScriptSigopLimit,
    SpecError,
    TooManyInputsOutputs,
    TransactionNotFinal,
    UndoMismatch,
    UnexpectedCoinbase,
    UnsupportedRelativeLock,
    UnsupportedTransactionVersion,
)
from spec.hashing import HashDomain, tagged_hash
from spec.ledger.transaction import (
    NULL_OUTPOINT,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    codecs,
    decode_transaction,
    encode_transaction,
    is_coinbase,
    signature_hash,
    txid,
    wtxid,
)
from spec.ledger.utxo import (
    UtxoEntry,
    UtxosDuringBlock,
    apply_transaction,
    apply_transactions,
    transaction_diff,
    undo_transaction,
    undo_transactions,
)
from spec.ledger.validation import LedgerContext, check_transaction, validate_transaction
from spec.presets import Preset
from spec.script import null_data_script
from tests.hypothesis_profiles import examples
from tests.ledger_helpers import PRESET, coinbase, funded, key, outpoints_of, spend

ALICE, BOB, CAROL = key("alice"), key("bob"), key("carol")
MATURE = LedgerContext(height=PRESET.ledger.coinbase_maturity, median_time_past=1_700_000_000)


def _total(utxos: Mapping[OutPoint, UtxoEntry]) -> int:
    return sum(e.output.value for e in utxos.values())


def test_p2pkh_spend_is_valid_and_pays_fee() -> None:
    utxos, cb = funded([ALICE], 10_000)
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
    assert validate_transaction(tx, utxos, MATURE, PRESET) == 1_000


def test_txid_ignores_script_sig_but_wtxid_does_not() -> None:
    utxos, cb = funded([ALICE], 10_000)
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
    stripped = replace(tx, inputs=tuple(replace(i, script_sig=b"") for i in tx.inputs))
    assert txid(tx, PRESET) == txid(stripped, PRESET)
    assert wtxid(tx, PRESET) != wtxid(stripped, PRESET)


def test_coinbase_txids_differ_by_height() -> None:
    outputs = [TxOutput(50, ALICE.script_pubkey)]
    assert txid(coinbase(1, outputs), PRESET) != txid(coinbase(2, outputs), PRESET)
    assert is_coinbase(coinbase(1, outputs))


@settings(max_examples=examples(40))
@given(st.data())
def test_signature_binds_every_field(data: st.DataObject) -> None:
    """TX-12: changing any signed field of a valid transaction breaks its signature."""
    utxos, cb = funded([ALICE, BOB], 10_000)
    tx = spend(
        utxos,
        outpoints_of(cb),
        [ALICE, BOB],
        [TxOutput(9_000, CAROL.script_pubkey), TxOutput(9_000, ALICE.script_pubkey)],
    )
    validate_transaction(tx, utxos, MATURE, PRESET)
    which = data.draw(st.sampled_from(["value", "script", "lock_time", "sequence", "swap_inputs"]))
    if which == "value":
        mutated = replace(tx, outputs=(replace(tx.outputs[0], value=8_999), tx.outputs[1]))
    elif which == "script":
        mutated = replace(
            tx, outputs=(replace(tx.outputs[0], script_pubkey=BOB.script_pubkey), tx.outputs[1])
        )
    elif which == "lock_time":
        mutated = replace(tx, lock_time=1)
    elif which == "sequence":
        mutated = replace(tx, inputs=(replace(tx.inputs[0], sequence=0xFFFFFFFE), tx.inputs[1]))
    else:
        mutated = replace(tx, inputs=(tx.inputs[1], tx.inputs[0]))
    with pytest.raises(ScriptError):
        validate_transaction(mutated, utxos, MATURE, PRESET)


def test_signature_hash_commits_to_spent_value() -> None:
    utxos, cb = funded([ALICE], 10_000)
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
    spent = utxos[outpoints_of(cb)[0]].output
    assert signature_hash(tx, 0, spent, PRESET) != signature_hash(tx, 0, replace(spent, value=1), PRESET)
    assert signature_hash(tx, 0, spent, PRESET) != signature_hash(tx, 1, spent, PRESET)


@settings(max_examples=examples(30))
@given(st.lists(st.integers(1, 5_000), min_size=1, max_size=6), st.integers(0, 3))
def test_chain_apply_undo_and_conservation(amounts: list[int], fee: int) -> None:
    """Apply then undo is the identity; value is never created; spent outputs cannot be spent again."""
    utxos, cb = funded([ALICE], sum(amounts) + 10 * len(amounts))
    start = dict(utxos)
    # Split the coin, then chain: each transaction spends the previous one's first output.
    split = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(a + 10, BOB.script_pubkey) for a in amounts])
    transactions = [split]
    state, _ = apply_transaction(utxos, split, 1, PRESET)
    for outpoint, amount in zip(outpoints_of(split), amounts, strict=True):
        tx = spend(state, [outpoint], [BOB], [TxOutput(amount + 10 - fee, CAROL.script_pubkey)])
        assert validate_transaction(tx, state, MATURE, PRESET) == fee
        state, _ = apply_transaction(state, tx, 1, PRESET)
        transactions.append(tx)
        with pytest.raises(MissingInput):
            validate_transaction(tx, state, MATURE, PRESET)
    assert _total(state) == _total(start) - fee * len(amounts)
    after, undos = apply_transactions(start, transactions, 1, PRESET)
    assert after == state
    assert undo_transactions(after, transactions, undos, 1, PRESET) == start


def test_undo_rejects_wrong_state() -> None:
    utxos, cb = funded([ALICE], 10_000)
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
    after, undo = apply_transaction(utxos, tx, 1, PRESET)
    with pytest.raises(UndoMismatch):
        undo_transaction(utxos, tx, undo, 1, PRESET)
    with pytest.raises(UndoMismatch):
        undo_transaction(after, tx, replace(undo, spent=()), 1, PRESET)
    assert undo_transaction(after, tx, undo, 1, PRESET) == utxos


def test_op_return_outputs_never_enter_the_set() -> None:
    utxos, cb = funded([ALICE], 10_000)
    data = TxOutput(0, null_data_script(b"hello", PRESET.script))
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey), data])
    after, _ = apply_transaction(utxos, tx, 1, PRESET)
    assert OutPoint(txid(tx, PRESET), 1) not in after
    assert OutPoint(txid(tx, PRESET), 0) in after


def test_stateless_rules() -> None:
    utxos, cb = funded([ALICE], 10_000)
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
    cases = [
        (replace(tx, version=2), UnsupportedTransactionVersion),
        (replace(tx, outputs=()), EmptyInputsOrOutputs),
        (replace(tx, inputs=()), EmptyInputsOrOutputs),
        (replace(tx, outputs=(TxOutput(PRESET.ledger.max_money + 1, b""),)), OutputValueOutOfRange),
        (replace(tx, outputs=(TxOutput(PRESET.ledger.max_money, b""),) * 2), OutputValueOutOfRange),
        (replace(tx, inputs=tx.inputs * 2), DuplicateInput),
        (replace(tx, inputs=(*tx.inputs, TxInput(NULL_OUTPOINT, b"", 0))), BadCoinbaseShape),
        (
            replace(tx, outputs=(TxOutput(1, b""),) * PRESET.ledger.max_inputs_plus_outputs),
            TooManyInputsOutputs,
        ),
    ]
    for mutated, error in cases:
        with pytest.raises(error):
            check_transaction(mutated, PRESET)


def test_contextual_rules() -> None:
    utxos, cb = funded([ALICE], 10_000)
    coin = outpoints_of(cb)
    with pytest.raises(ImmatureCoinbaseSpend):
        tx = spend(utxos, coin, [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
        validate_transaction(tx, utxos, replace(MATURE, height=PRESET.ledger.coinbase_maturity - 1), PRESET)
    with pytest.raises(InsufficientInputValue):
        validate_transaction(
            spend(utxos, coin, [ALICE], [TxOutput(10_001, BOB.script_pubkey)]), utxos, MATURE, PRESET
        )
    with pytest.raises(MissingInput):
        missing = [OutPoint(bytes(32), 7)]
        validate_transaction(
            replace(spend(utxos, coin, [ALICE], [TxOutput(1, b"")]), inputs=(TxInput(missing[0], b"", 0),)),
            utxos,
            MATURE,
            PRESET,
        )
    with pytest.raises(UnexpectedCoinbase):
        validate_transaction(cb, utxos, MATURE, PRESET)
    locked = spend(
        utxos,
        coin,
        [ALICE],
        [TxOutput(9_000, BOB.script_pubkey)],
        lock_time=MATURE.height,
        sequence=0xFFFFFFFE,
    )
    with pytest.raises(TransactionNotFinal):
        validate_transaction(locked, utxos, MATURE, PRESET)
    assert validate_transaction(locked, utxos, replace(MATURE, height=MATURE.height + 1), PRESET) == 1_000
    timed = spend(
        utxos,
        coin,
        [ALICE],
        [TxOutput(9_000, BOB.script_pubkey)],
        lock_time=MATURE.median_time_past,
        sequence=0,
    )
    with pytest.raises(TransactionNotFinal):
        validate_transaction(timed, utxos, MATURE, PRESET)
    relative = spend(utxos, coin, [ALICE], [TxOutput(9_000, BOB.script_pubkey)], sequence=MATURE.height + 1)
    with pytest.raises(RelativeLockNotMet):
        validate_transaction(relative, utxos, MATURE, PRESET)
    assert validate_transaction(relative, utxos, replace(MATURE, height=MATURE.height + 1), PRESET) == 1_000
    time_relative = spend(utxos, coin, [ALICE], [TxOutput(9_000, BOB.script_pubkey)], sequence=1 << 22)
    with pytest.raises(UnsupportedRelativeLock):
        validate_transaction(time_relative, utxos, MATURE, PRESET)


@settings(max_examples=examples(200))
@given(st.binary(max_size=300))
def test_transaction_decoder_canonical(data: bytes) -> None:
    try:
        tx = decode_transaction(data, PRESET)
    except DecodeError:
        return
    assert encode_transaction(tx, PRESET) == data


def test_transaction_round_trip() -> None:
    utxos, cb = funded([ALICE], 10_000)
    tx = spend(utxos, outpoints_of(cb), [ALICE], [TxOutput(9_000, BOB.script_pubkey)])
    assert decode_transaction(encode_transaction(tx, PRESET), PRESET) == tx
    assert decode(codecs(PRESET).outpoint, encode(codecs(PRESET).outpoint, NULL_OUTPOINT)) == NULL_OUTPOINT


def test_sigop_budget_per_transaction() -> None:
    """TX-12 / SCRIPT-9: at most max_sigops_per_tx signature checks per transaction."""
    budget = PRESET.script.max_sigops_per_tx
    signers = [key(f"sigop{i}") for i in range(budget + 1)]
    utxos, cb = funded(signers, 1_000)
    ok = spend(
        utxos, outpoints_of(cb)[:budget], signers[:budget], [TxOutput(budget * 1_000, BOB.script_pubkey)]
    )
    assert validate_transaction(ok, utxos, MATURE, PRESET) == 0
    over = spend(utxos, outpoints_of(cb), signers, [TxOutput((budget + 1) * 1_000, BOB.script_pubkey)])
    with pytest.raises(ScriptSigopLimit):
        validate_transaction(over, utxos, MATURE, PRESET)


# --------------------------------------------------------------------------------------------
# Memos (issue 14): a transaction's encoding and ids are computed once, and equal the definitions
# --------------------------------------------------------------------------------------------


def _fresh_ids(tx: Transaction, preset: Preset) -> tuple[bytes, bytes, bytes]:
    """TXF-1..3 from their definitions, on a copy that carries no memo."""
    copy = Transaction(tx.version, tx.inputs, tx.outputs, tx.lock_time)
    stripped = Transaction(
        tx.version, tuple(replace(i, script_sig=b"") for i in tx.inputs), tx.outputs, tx.lock_time
    )
    encoded = Struct.write  # the unmemoised writer of the same fields
    out = bytearray()
    encoded(codecs(preset).transaction, copy, out)
    stripped_out = bytearray()
    encoded(codecs(preset).transaction, stripped, stripped_out)
    return (
        bytes(out),
        tagged_hash(HashDomain.TRANSACTION_ID, bytes(stripped_out)),
        tagged_hash(HashDomain.WITNESS_TRANSACTION_ID, bytes(out)),
    )


def test_memoised_encoding_and_ids_equal_the_definitions() -> None:
    keys = [key("memo-a"), key("memo-b")]
    utxos, funding = funded(keys, 50_000)
    tx = spend(utxos, outpoints_of(funding), keys, [TxOutput(60_000, keys[0].script_pubkey)])
    expected = _fresh_ids(tx, PRESET)
    for _ in range(2):  # the second round reads the memos
        assert (encode_transaction(tx, PRESET), txid(tx, PRESET), wtxid(tx, PRESET)) == expected
    # The memo is invisible to equality, hashing and repr.
    twin = Transaction(tx.version, tx.inputs, tx.outputs, tx.lock_time)
    assert twin == tx and hash(twin) == hash(tx) and repr(twin) == repr(tx)
    # An equal preset that is another object recomputes (memos are keyed by identity) and agrees.
    other = replace(PRESET)
    assert other == PRESET and other is not PRESET
    assert (encode_transaction(tx, other), txid(tx, other), wtxid(tx, other)) == expected
    # A preset whose limits the transaction breaks rejects it, whatever was memoised before.
    tight = replace(PRESET, ledger=replace(PRESET.ledger, max_inputs_plus_outputs=1))
    with pytest.raises(SpecError):
        encode_transaction(tx, tight)


def test_preset_hash_is_the_field_hash() -> None:
    for preset in (PRESET, replace(PRESET, name="other")):
        assert hash(preset) == hash(tuple(getattr(preset, f.name) for f in fields(preset)))
    assert hash(replace(PRESET)) == hash(PRESET)


def test_utxos_during_block_equals_the_copied_set() -> None:
    """UTXO-3: the copy-free view advanced by each diff is the set ``apply_transactions`` builds,
    including an output created and spent within the block."""
    keys = [key("view-a"), key("view-b")]
    utxos, funding = funded(keys, 50_000)
    first = spend(utxos, outpoints_of(funding)[:1], keys[:1], [TxOutput(40_000, keys[1].script_pubkey)])
    after_first, _ = apply_transaction(utxos, first, 5, PRESET)
    second = spend(after_first, outpoints_of(first), keys[1:], [TxOutput(30_000, keys[0].script_pubkey)])
    view = UtxosDuringBlock(utxos)
    for count, tx in enumerate((first, second), start=1):
        view.advance(transaction_diff(view, tx, 5, PRESET))
        expected, _ = apply_transactions(utxos, (first, second)[:count], 5, PRESET)
        assert dict(view) == expected and len(view) == len(expected)
        assert all(view.get(o) == e for o, e in expected.items())
    assert outpoints_of(first)[0] not in view and view.get(outpoints_of(first)[0]) is None
