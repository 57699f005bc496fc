"""The FerrisScript sidechain VM (spec/vm/ferris.py, VMF-1..8) and its path-only trie access
(spec/vm/nodes.py): every rule's code, the effects, and stateless execution equal to full execution
(VM-2, VM-6)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.encoding import decode, encode
from spec.errors import (
    DecodeError,
    SpecError,
    VmError,
    WitnessIncomplete,
    WitnessNotCanonical,
)
from spec.presets import MAINNET
from spec.script import p2pkh_script_sig
from spec.trie import RUSTY_TRIE_HASHER, Trie, encode_node, trie_root
from spec.vm.ferris import (
    ACCOUNT_CODEC,
    EVENT_CODEC,
    Account,
    FerrisTxKind,
    account_key,
    apply_ferris_transaction,
    apply_transaction,
    credit_account,
    decode_transaction,
    encode_transaction,
    get_account,
)
from spec.vm.interface import (
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    StateWitness,
    TxStatus,
    decode_witness,
    encode_witness,
    record_witness,
    witness_nodes,
)
from spec.vm.nodes import CachedNodes, fast_encode_node, get_value, put_values
from tests.hypothesis_profiles import examples
from tests.sidechain_helpers import CHAIN_ID, account, lock, signed, signed_bytes, state_trie

PRESET = MAINNET
APPLY = partial(apply_transaction, PRESET)
CONTEXT = ExecutionContext(CHAIN_ID, 5, 1000, b"", PRESET.vm_ferris.max_tx_gas)


def _run(trie: Trie, tx: bytes, context: ExecutionContext = CONTEXT):  # type: ignore[no-untyped-def]
    return APPLY(trie.node_store, trie.root_hash, tx, context)


def _balance(root: bytes, nodes: dict[bytes, bytes], index: int) -> Account:
    return get_account(nodes, root, account(index))


def test_transfer_moves_amount_burns_fee_and_bumps_nonce() -> None:
    trie = state_trie({0: (100_000, 3), 1: (50, 9)})
    tx = signed_bytes(0, nonce=3, fee=6000, amount=1234)
    outcome, new_nodes = _run(trie, tx)
    expected = trie.insert(account_key(account(0)), encode(ACCOUNT_CODEC, Account(100_000 - 6000 - 1234, 4)))
    expected = expected.insert(account_key(account(1)), encode(ACCOUNT_CODEC, Account(50 + 1234, 9)))
    assert outcome.post_root == expected.root_hash
    assert outcome.status == TxStatus.SUCCEEDED
    assert outcome.fee == 6000
    assert outcome.gas_used == PRESET.vm_ferris.base_gas + PRESET.vm_ferris.gas_per_byte * len(tx)
    assert outcome.outbox == ()
    assert decode(EVENT_CODEC, outcome.events[0]).sender == account(0)
    assert list(new_nodes) == sorted(new_nodes)
    assert dict(new_nodes).items() <= dict(expected.node_store).items()


def test_transfer_to_a_new_account_creates_it() -> None:
    trie = state_trie({0: (100_000, 0)})
    outcome, new_nodes = _run(trie, signed_bytes(0, amount=10, recipient=account(42)))
    nodes = {**trie.node_store, **dict(new_nodes)}
    assert _balance(outcome.post_root, nodes, 42) == Account(10, 0)


def test_transfer_to_oneself_only_burns_the_fee() -> None:
    trie = state_trie({0: (100_000, 0)})
    outcome, new_nodes = _run(trie, signed_bytes(0, amount=10, recipient=account(0)))
    nodes = {**trie.node_store, **dict(new_nodes)}
    assert _balance(outcome.post_root, nodes, 0) == Account(95_000, 1)


def test_amount_above_balance_fails_but_charges_the_fee() -> None:
    trie = state_trie({0: (10_000, 0)})
    outcome, new_nodes = _run(trie, signed_bytes(0, amount=5001, fee=5000))
    nodes = {**trie.node_store, **dict(new_nodes)}
    assert outcome.status == TxStatus.FAILED
    assert outcome.outbox == ()
    assert _balance(outcome.post_root, nodes, 0) == Account(5000, 1)
    assert _balance(outcome.post_root, nodes, 1) == Account(0, 0)


def test_withdraw_and_message_emit_outbox_entries() -> None:
    trie = state_trie({0: (100_000, 0)})
    outcome, _ = _run(trie, signed_bytes(0, kind=FerrisTxKind.WITHDRAW, amount=700, recipient=b"\x51" * 25))
    assert outcome.outbox == (OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"\x51" * 25, 700, b"", account(0)),)
    message = signed_bytes(
        0, kind=FerrisTxKind.MESSAGE, amount=9, target_chain=8, recipient=b"r", payload=b"p"
    )
    outcome, _ = _run(trie, message)
    assert outcome.outbox == (OutboxEntry(OutboxKind.MESSAGE, 8, b"r", 9, b"p", account(0)),)


def _code(trie: Trie, tx: bytes, context: ExecutionContext = CONTEXT) -> str:
    with pytest.raises(SpecError) as info:
        _run(trie, tx, context)
    return info.value.code


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"chain_id": 8}, "VM_FERRIS_WRONG_CHAIN"),
        ({"target_chain": 3}, "VM_FERRIS_BAD_TARGET"),
        ({"kind": FerrisTxKind.MESSAGE, "target_chain": 0, "recipient": b"r"}, "VM_FERRIS_BAD_TARGET"),
        ({"kind": FerrisTxKind.MESSAGE, "target_chain": CHAIN_ID, "recipient": b"r"}, "VM_FERRIS_BAD_TARGET"),
        ({"recipient": b"\x01" * 31}, "VM_FERRIS_BAD_RECIPIENT"),
        ({"kind": FerrisTxKind.WITHDRAW, "recipient": b""}, "VM_FERRIS_BAD_RECIPIENT"),
        ({"payload": b"x"}, "VM_FERRIS_BAD_PAYLOAD"),
        (
            {"kind": FerrisTxKind.MESSAGE, "target_chain": 8, "recipient": b"r", "payload": b"x" * 1025},
            "VM_FERRIS_BAD_PAYLOAD",
        ),
        ({"amount": PRESET.ledger.max_money + 1}, "VM_FERRIS_BAD_AMOUNT"),
        ({"kind": FerrisTxKind.WITHDRAW, "amount": 0, "recipient": b"w"}, "VM_FERRIS_BAD_AMOUNT"),
        ({"fee": 100}, "VM_FERRIS_FEE_TOO_LOW"),
        ({"nonce": 1}, "VM_FERRIS_BAD_NONCE"),
        ({"fee": 200_000}, "VM_FERRIS_CANNOT_PAY_FEE"),
    ],
)
def test_invalid_transactions_raise_their_code(fields: dict[str, object], code: str) -> None:
    assert _code(state_trie({0: (100_000, 0)}), signed_bytes(0, **fields)) == code


def test_decoding_codes() -> None:
    trie = state_trie({0: (100_000, 0)})
    tx = signed(0)
    assert _code(trie, encode_transaction(replace(tx, kind=3))) == "VM_FERRIS_BAD_KIND"
    assert _code(trie, encode_transaction(tx) + b"\x00") == "DECODE_TRAILING_BYTES"
    big = replace(tx, kind=2, target_chain=8, recipient=b"r", payload=b"x" * 20_000)
    assert _code(trie, encode_transaction(big)) == "VM_FERRIS_TX_TOO_LARGE"


def test_gas_limit_and_authorisation() -> None:
    trie = state_trie({0: (100_000, 0)})
    assert _code(trie, signed_bytes(0), replace(CONTEXT, gas_limit=1000)) == "VM_FERRIS_GAS_LIMIT"
    forged = replace(signed(0), amount=101)  # signature over amount 100
    assert _code(trie, encode_transaction(forged)) == "VM_FERRIS_UNAUTHORIZED"
    malformed = replace(
        signed(0), unlocking_script=p2pkh_script_sig(b"\x01" * 32 + b"\xff" * 32, b"\x02" * 32)
    )
    assert _code(trie, encode_transaction(malformed)) == "VM_FERRIS_UNAUTHORIZED"  # fuzz finding: ED25519_*
    stolen = replace(signed(0), locking_script=lock(5))  # key 0 cannot unlock key 5's account
    assert _code(trie, encode_transaction(stolen)) == "VM_FERRIS_UNAUTHORIZED"


def test_credit_account() -> None:
    trie = state_trie({0: (5, 2)})
    result = credit_account(trie.node_store, trie.root_hash, account(0), 10, PRESET.ledger.max_money)
    assert result is not None
    assert get_account({**trie.node_store, **dict(result[1])}, result[0], account(0)) == Account(15, 2)
    assert credit_account(trie.node_store, trie.root_hash, b"short", 10, 100) is None
    assert credit_account(trie.node_store, trie.root_hash, account(0), 96, 100) is None


# ------------------------------------------------------------------------------------------
# spec/vm/nodes.py: path-only reads and writes equal the persistent trie
# ------------------------------------------------------------------------------------------

_KEYS = st.binary(min_size=1, max_size=4)
_VALUES = st.binary(min_size=1, max_size=40)


@settings(max_examples=examples(150))
@given(
    st.dictionaries(_KEYS, _VALUES, max_size=30),
    st.lists(st.lists(st.tuples(_KEYS, _VALUES), min_size=1, max_size=4), min_size=1, max_size=6),
)
def test_put_values_equals_trie_insert(
    start: dict[bytes, bytes], batches: list[list[tuple[bytes, bytes]]]
) -> None:
    trie = Trie.from_items(start, RUSTY_TRIE_HASHER)
    nodes = dict(trie.node_store)
    root = trie.root_hash
    items = dict(start)
    for batch in batches:
        root, created = put_values(nodes, root, batch, RUSTY_TRIE_HASHER)
        nodes.update(created)
        items.update(batch)
        assert root == trie_root(items, RUSTY_TRIE_HASHER)
        assert set(dict(created)) <= set(Trie.from_items(items, RUSTY_TRIE_HASHER).node_store)
    for key, value in items.items():
        assert get_value(nodes, root, key, RUSTY_TRIE_HASHER) == value
        assert get_value(CachedNodes(nodes), root, key, RUSTY_TRIE_HASHER) == value
    assert get_value(nodes, root, b"\xff" * 5, RUSTY_TRIE_HASHER) is None


@settings(max_examples=examples(100))
@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=30))
def test_fast_encode_node_equals_encode_node(items: dict[bytes, bytes]) -> None:
    from spec.trie import decode_node

    for encoded in Trie.from_items(items, RUSTY_TRIE_HASHER).node_store.values():
        node = decode_node(encoded)
        assert fast_encode_node(node) == encode_node(node) == encoded  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [54, 55, 56, 57])
def test_fast_encode_node_at_the_rlp_short_form_boundary(length: int) -> None:
    """MPT-3: a value string, and a leaf payload, of 55 bytes use RLP's short form, of 56 the long
    (b8 38 / f8 38). No FerrisScript state has such a node (see the vm_ferris equivalent of
    ``_rlp_length`` in conformance/mutation_equivalents.toml), so only this test pins the boundary."""
    from spec.trie import decode_node

    key = b"\x01"
    for value in (bytes([0x61]) * length, bytes([0x61]) * (length - 4)):  # the string; the payload
        (encoded,) = Trie.from_items({key: value}, RUSTY_TRIE_HASHER).node_store.values()
        node = decode_node(encoded)
        assert fast_encode_node(node) == encode_node(node) == encoded  # type: ignore[arg-type]
    assert fast_encode_node(decode_node(encoded))[0] == (0xF8 if length >= 56 else 0xC0 + length)  # type: ignore[arg-type]


def test_long_values_use_long_rlp_lengths() -> None:
    trie = Trie.from_items({b"a": b"v" * 300, b"b": b"w" * 70000}, RUSTY_TRIE_HASHER)
    root, created = put_values(
        {}, RUSTY_TRIE_HASHER.empty_root, [(b"a", b"v" * 300), (b"b", b"w" * 70000)], RUSTY_TRIE_HASHER
    )
    assert root == trie.root_hash
    assert dict(created) == dict(trie.node_store)


# ------------------------------------------------------------------------------------------
# VM-2, VM-6: stateless == full
# ------------------------------------------------------------------------------------------

_TX_SHAPES = st.fixed_dictionaries(
    {
        "sender": st.integers(0, 5),
        "kind": st.sampled_from(list(FerrisTxKind)),
        "nonce": st.integers(0, 2),
        "fee": st.sampled_from([100, 5000, 6000, 90_000]),
        "amount": st.integers(0, 60_000),
        "recipient": st.integers(0, 9),
    }
)


def _shaped(shape: dict[str, int]) -> bytes:
    kind = FerrisTxKind(shape["kind"])
    return signed_bytes(
        shape["sender"],
        kind=kind,
        nonce=shape["nonce"],
        fee=shape["fee"],
        amount=shape["amount"],
        recipient=account(shape["recipient"]),
        target_chain=8 if kind == FerrisTxKind.MESSAGE else 0,
    )


@settings(max_examples=examples(60), deadline=None)
@given(
    st.dictionaries(st.integers(0, 9), st.tuples(st.integers(0, 80_000), st.integers(0, 2)), max_size=10),
    _TX_SHAPES,
)
def test_stateless_execution_equals_full(balances: dict[int, tuple[int, int]], shape: dict[str, int]) -> None:
    """VM-2/VM-6: the recorded witness reproduces the outcome (or the code) of full execution, and
    every proper subset of it that the execution needs raises VM_WITNESS_INCOMPLETE."""
    trie = state_trie(balances)
    tx = _shaped(shape)
    try:
        full = _run(trie, tx)
    except VmError as error:
        full_code = error.code
        witness = None
    else:
        full_code = ""
        witness = record_witness(apply_transaction, PRESET, trie.node_store, trie.root_hash, tx, CONTEXT)
    if witness is None:
        return
    assert full_code == ""
    decoded = decode_witness(encode_witness(witness), RUSTY_TRIE_HASHER)
    assert APPLY(witness_nodes(decoded, RUSTY_TRIE_HASHER), trie.root_hash, tx, CONTEXT) == full
    assert len(witness.preimages) <= len(trie.node_store)
    for missing in range(len(witness.preimages)):
        incomplete = StateWitness(witness.preimages[:missing] + witness.preimages[missing + 1 :])
        with pytest.raises(WitnessIncomplete):
            APPLY(witness_nodes(incomplete, RUSTY_TRIE_HASHER), trie.root_hash, tx, CONTEXT)


def test_witness_is_only_the_touched_paths() -> None:
    trie = state_trie({i: (100_000, 0) for i in range(200)})
    tx = signed_bytes(0)
    witness = record_witness(apply_transaction, PRESET, trie.node_store, trie.root_hash, tx, CONTEXT)
    assert 2 <= len(witness.preimages) < len(trie.node_store) // 10


def test_unsorted_witness_is_not_canonical() -> None:
    trie = state_trie({i: (100_000, 0) for i in range(20)})
    witness = record_witness(
        apply_transaction, PRESET, trie.node_store, trie.root_hash, signed_bytes(0), CONTEXT
    )
    swapped = StateWitness(tuple(reversed(witness.preimages)))
    with pytest.raises(WitnessNotCanonical):
        decode_witness(encode_witness(swapped), RUSTY_TRIE_HASHER)


def test_nothing_but_spec_errors_escape_on_garbage() -> None:
    trie = state_trie({0: (100_000, 0)})
    for size in range(0, 200, 7):
        data = bytes((i * 37 + size) % 256 for i in range(size))
        with pytest.raises((DecodeError, VmError)):
            apply_ferris_transaction(
                trie.node_store,
                trie.root_hash,
                data,
                CONTEXT,
                params=PRESET.vm_ferris,
                script=PRESET.script,
                max_money=PRESET.ledger.max_money,
            )


def test_decode_transaction_roundtrip() -> None:
    tx = signed(0)
    assert decode_transaction(encode_transaction(tx), PRESET.vm_ferris) == tx
