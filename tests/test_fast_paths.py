"""Issue 14's fast paths equal the readable definitions they stand beside.

Each fast path on the block-validation hot path returns the same bytes, the same verdict or the
same error code as the readable definition kept in ``spec/``, on arbitrary inputs (including the
out-of-range and oddly typed values where a fast path must hand over to the generic code).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.chain.block import Block, block_codecs, decode_block, encode_block
from spec.encoding import MemoStruct, Struct
from spec.errors import SpecError
from spec.governance import proposals
from spec.hashing import HashDomain, tagged_hash, tagged_hash_many, tagged_hash_readable
from spec.ledger.state import encode_entry, encode_outpoint, entry_codec
from spec.ledger.transaction import (
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    codecs,
    decode_transaction,
    encode_transaction,
    fast_transaction_bytes,
    signature_hash,
    signature_hash_readable,
    strip_encoded_scripts,
    strip_scripts,
    txid,
)
from spec.ledger.utxo import UtxoEntry
from spec.ledger.validation import check_transaction
from spec.masternode import registry
from spec.merkle import _root_level_by_level, _root_of_hashes, leaf_hash, merkle_root
from spec.presets import DEVNET
from spec.script import evaluate, match_p2pkh_spend, p2pkh_script, p2pkh_script_sig, run_p2pkh, script_hash
from spec.trie import (
    RUSTY_TRIE_HASHER,
    Leaf,
    Trie,
    _change_pairs,
    _columns,
    _cut_paths,
    _HeldBranch,
    _leaf,
    _rlp_list,
    _rlp_string,
    _rusty_node_hash,
    bytes_to_nibbles,
    encode_node,
    node_ref,
    rlp_encode,
    rlp_encode_readable,
    trie_root,
)
from tests.hypothesis_profiles import examples

PRESET = replace(DEVNET, ledger=replace(DEVNET.ledger, max_transaction_bytes=130, max_inputs_plus_outputs=3))
"""Devnet with limits small enough for the generated values to cross them (scripts around the
130-byte limit and the 128-byte varint step, lists around 3 items)."""
MAX_SCRIPT = PRESET.ledger.max_transaction_bytes
MAX_ITEMS = PRESET.ledger.max_inputs_plus_outputs

# Integers around every boundary the codecs check (u32, u64, negative), and bools (ints to Python).
integers = st.one_of(
    st.integers(0, 2**32 - 1),
    st.sampled_from([-1, 2**32 - 1, 2**32, 2**64 - 1, 2**64, True, False]),
    st.integers(-(2**70), 2**70),
)
scripts = st.one_of(
    st.binary(max_size=40),
    st.binary(min_size=MAX_SCRIPT - 3, max_size=MAX_SCRIPT + 1),
    st.builds(bytearray, st.binary(max_size=4)),
)
txids = st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40))
inputs = st.builds(TxInput, st.builds(OutPoint, txids, integers), scripts, integers)
outputs = st.builds(TxOutput, integers, scripts)
transactions = st.builds(
    Transaction,
    integers,
    st.one_of(st.lists(inputs, max_size=4).map(tuple), st.lists(inputs, max_size=2)),
    st.one_of(st.lists(outputs, max_size=4).map(tuple), st.lists(outputs, max_size=2)),
    integers,
)


def generic_bytes(codec: Struct[Any], value: Any) -> bytes | str:
    """The generic field-by-field encoder's bytes, or the code of the error it raises."""
    out = bytearray()
    try:
        Struct.write(codec, value, out)
    except SpecError as error:
        return error.code
    return bytes(out)


def memo_free(tx: Transaction) -> Transaction:
    return Transaction(tx.version, tx.inputs, tx.outputs, tx.lock_time)


@settings(max_examples=examples(300))
@given(transactions)
def test_specialised_transaction_encoder_equals_the_generic_codec(tx: Transaction) -> None:
    """TXF-1: the specialised encoder writes the generic codec's bytes or hands over (``None``);
    through the codec, the result or the error code is the generic one."""
    expected = generic_bytes(codecs(PRESET).transaction, tx)
    fast = fast_transaction_bytes(tx, MAX_SCRIPT, MAX_ITEMS)
    assert fast is None or fast == expected
    stripped = replace(tx, inputs=tuple(replace(i, script_sig=b"") for i in tx.inputs))
    fast_stripped = fast_transaction_bytes(tx, MAX_SCRIPT, MAX_ITEMS, strip=True)
    assert fast_stripped is None or fast_stripped == generic_bytes(codecs(PRESET).transaction, stripped)
    stripped_bytes = generic_bytes(codecs(PRESET).transaction, stripped)
    if isinstance(stripped_bytes, bytes):
        assert txid(memo_free(tx), PRESET) == tagged_hash_readable(HashDomain.TRANSACTION_ID, stripped_bytes)
    try:
        got: bytes | str = encode_transaction(memo_free(tx), PRESET)
    except SpecError as error:
        got = error.code
    assert got == expected
    if isinstance(expected, bytes):
        # ENC-2 and the decode memo: the decoded value keeps exactly the bytes it came from.
        decoded = decode_transaction(expected, PRESET)
        assert encode_transaction(decoded, PRESET) == expected
        assert generic_bytes(codecs(PRESET).transaction, memo_free(decoded)) == expected
        # TXF-2 cut from the kept bytes equals the encoding of the script-free copy
        assert strip_encoded_scripts(decoded, expected) == stripped_bytes
        assert txid(decoded, PRESET) == tagged_hash_readable(HashDomain.TRANSACTION_ID, stripped_bytes)


def test_plain_transactions_take_the_specialised_encoder() -> None:
    """The fast path is the one taken for an ordinary transaction (not only the fallback)."""
    tx = Transaction(
        1,
        (TxInput(OutPoint(bytes(range(32)), 7), b"\x01" * 98, 0xFFFFFFFF),),
        (TxOutput(5, b"\x02" * 37), TxOutput(2**64 - 1, b"\x03" * 200)),
        0,
    )
    ledger = DEVNET.ledger
    fast = fast_transaction_bytes(tx, ledger.max_transaction_bytes, ledger.max_inputs_plus_outputs)
    assert fast is not None and fast == generic_bytes(codecs(DEVNET).transaction, tx)


def test_decoded_block_keeps_its_bytes() -> None:
    """BLK-0: a decoded block (and each of its transactions) re-encodes to the bytes it came from,
    which are the generic codec's bytes; a memo is keyed by its codec, so an equal codec built for
    another preset object encodes afresh and agrees."""
    from tests.benchmarks.test_bench_chain import scenario

    block = scenario(4).block
    data = encode_block(block, DEVNET)
    decoded = decode_block(data, DEVNET)
    assert encode_block(decoded, DEVNET) == data
    fresh = Block(decoded.header, decoded.votes, tuple(memo_free(tx) for tx in decoded.transactions))
    assert generic_bytes(block_codecs(DEVNET).block, fresh) == data
    other = replace(DEVNET)
    assert encode_block(decoded, other) == data
    assert isinstance(block_codecs(DEVNET).block, MemoStruct)


@settings(max_examples=examples(100))
@given(st.sampled_from(list(HashDomain)), st.binary(max_size=300), st.binary(max_size=70))
def test_tagged_hash_equals_its_definition(domain: HashDomain, data: bytes, more: bytes) -> None:
    """HASH-1: the copied keyed hasher gives the ``derive_key`` hash, and is never consumed."""
    assert tagged_hash(domain, data) == tagged_hash_readable(domain, data)
    assert tagged_hash(domain, data) == tagged_hash_readable(domain, data)
    assert tagged_hash_many(domain, (data, more)) == tagged_hash_readable(domain, data + more)


rlp_items: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.binary(max_size=3),
        st.binary(min_size=50, max_size=70),
        st.binary(min_size=250, max_size=300),
        st.just([]),
    ),
    lambda children: st.lists(children, min_size=1, max_size=17),
    max_leaves=40,
)


@settings(max_examples=examples(200))
@given(rlp_items)
def test_rlp_encoder_equals_the_rlp_package(item: Any) -> None:
    """MPT-3: the trie's RLP encoder writes the ``rlp`` package's bytes for strings and lists,
    across the short and long forms of both."""
    assert rlp_encode(item) == rlp_encode_readable(item)


@settings(max_examples=examples(100))
@given(st.binary(max_size=300))
def test_trie_node_hash_equals_its_definition(data: bytes) -> None:
    """MPT-4: the trie's node hash on the TRIE_NODE keyed hasher is HASH-1 as written (twice: the
    keyed hasher is copied, never consumed)."""
    assert _rusty_node_hash(data) == tagged_hash_readable(HashDomain.TRIE_NODE, data)
    assert _rusty_node_hash(data) == tagged_hash_readable(HashDomain.TRIE_NODE, data)


def test_trie_rlp_prefix_tables_equal_the_rlp_package() -> None:
    """MPT-3: the looked-up string and list prefixes, every length of both forms up to 300."""
    for length in range(301):
        data = (bytes(range(0x80, 0x100)) * 3)[:length]
        assert _rlp_string(data) == rlp_encode_readable(data)
        assert _rlp_list(rlp_encode_readable(data)) == rlp_encode_readable([data])
    for byte in range(256):
        assert _rlp_string(bytes((byte,))) == rlp_encode_readable(bytes((byte,)))


@settings(max_examples=examples(200))
@given(
    st.binary(max_size=80).map(lambda raw: bytes(b % 16 for b in raw)), st.binary(min_size=1, max_size=300)
)
def test_held_leaf_equals_the_readable_encoding(path: bytes, value: bytes) -> None:
    """MPT-2/3/4: a held leaf (HP packed without the nibble check, looked-up prefixes) has the
    readable ``encode_node`` bytes and the readable reference."""
    held = _leaf(path, value, RUSTY_TRIE_HASHER)
    assert held.encoded == encode_node(Leaf(path, value))
    assert held.ref == node_ref(Leaf(path, value), RUSTY_TRIE_HASHER)
    assert held.node == Leaf(path, value) and (held.path, held.value) == (path, value)


@settings(max_examples=examples(100))
@given(
    st.dictionaries(st.binary(min_size=1, max_size=3), st.binary(min_size=1, max_size=40), max_size=40),
    st.dictionaries(
        st.binary(min_size=1, max_size=3), st.none() | st.binary(min_size=1, max_size=40), max_size=20
    ),
)
def test_held_nodes_are_their_readable_nodes(
    items: dict[bytes, bytes], changes: dict[bytes, bytes | None]
) -> None:
    """MPT-3/4: every held node of a trie built, updated in one batch and read back from its
    store (held leaves and branches keep their fields, not their node objects) encodes as its
    readable node and is referenced as it (inline nodes included: short keys and values). Every
    held node and lazy stub is true, as ``_normalized_branch`` counts occupied slots by truth."""
    from spec.trie import Trie, _walk

    built = Trie.from_items(items).update(changes)
    stored = Trie.from_store(built.root_hash, built.node_store.get) if built._top is not None else built
    lazy = (
        Trie.from_store(built.root_hash, built.node_store.get, lazy=True) if built._top is not None else built
    )
    for trie in (built, stored):
        for _, held in _walk(trie._top):
            assert encode_node(held.node) == held.encoded
            assert node_ref(held.node, RUSTY_TRIE_HASHER) == held.ref
            assert held
            # the item a parent embeds: the node's RLP if inline, else its hash as an RLP string
            inline = len(held.encoded) < 32
            assert held.item == (held.encoded if inline else rlp_encode_readable(held.ref))  # type: ignore[arg-type]
    if isinstance(lazy._top, _HeldBranch):
        assert all(kid for kid in lazy._top.kids if kid is not None)  # held nodes and stubs
        for kid in lazy._top.kids:
            if kid is not None and isinstance(kid.ref, bytes):
                assert kid.item == rlp_encode_readable(kid.ref)  # a stub's too
    assert lazy.update(changes).root_hash == built.update(changes).root_hash


@settings(max_examples=examples(100))
@given(
    st.dictionaries(st.binary(max_size=4), st.binary(min_size=1, max_size=40), max_size=30),
    st.dictionaries(st.binary(max_size=4), st.none() | st.binary(min_size=1, max_size=40), max_size=30),
)
def test_batched_update_cut_paths_and_columns_equal_the_readable_steps(
    items: dict[bytes, bytes], changes: dict[bytes, bytes | None]
) -> None:
    """MPT-1/8: ``Trie.update``'s paths, cut from one hexlify of the joined keys, are each key's
    ``bytes_to_nibbles``; the columns (padded paths of mixed lengths) hold nibble ``d`` of every
    path longer than ``d``; a batch with a value to copy (a ``bytearray``) takes the readable
    steps (``_change_pairs``) and gives the same trie, MPT-6's root of the changed map."""
    keys = sorted(changes)
    nibbles, paths = _cut_paths(keys)
    assert paths == [bytes_to_nibbles(key) for key in keys] and nibbles == b"".join(paths)
    assert [(path, value) for path, value in _change_pairs(keys, changes)] == list(
        zip(paths, [changes[key] for key in keys], strict=True)
    )
    if paths:
        columns = _columns(paths, nibbles)
        for depth in range(max(map(len, paths))):
            assert [columns[depth][i] for i, path in enumerate(paths) if len(path) > depth] == [
                path[depth] for path in paths if len(path) > depth
            ]
    model = {**items, **{key: value for key, value in changes.items() if value is not None}}
    for key in [key for key, value in changes.items() if value is None]:
        model.pop(key, None)
    trie = Trie.from_items(items)
    copied = {key: None if value is None else bytearray(value) for key, value in changes.items()}
    root = trie_root(model, RUSTY_TRIE_HASHER)
    assert trie.update(copied).root_hash == trie.update(changes).root_hash == root  # type: ignore[arg-type]


def test_merkle_root_level_by_level_equals_the_recursive_definition() -> None:
    """MERKLE-2: the bottom-up root equals the recursive split at the largest power of two, and
    ``merkle_root`` equals the definition on its leaf hashes, for every size up to 300."""
    leaves = [bytes((i % 256, i // 256)) * 3 for i in range(300)]
    for size in range(1, 301):
        hashes = [leaf_hash(d) for d in leaves[:size]]
        assert _root_level_by_level(hashes) == _root_of_hashes(hashes)
        assert merkle_root(leaves[:size]) == _root_of_hashes(hashes)


def test_check_transaction_remembers_only_a_pass() -> None:
    """TX-1..6: a pass is remembered for that preset object; a failure is raised every time, and
    a preset under which the transaction fails still rejects it after a pass elsewhere."""
    tx = Transaction(1, (TxInput(OutPoint(bytes(32), 0), b"", 0),), (TxOutput(1, b""),), 0)
    bad = Transaction(2, tx.inputs, tx.outputs, 0)
    for _ in range(2):
        with pytest.raises(SpecError) as raised:
            check_transaction(bad, PRESET)
        assert raised.value.code == "TX_UNSUPPORTED_VERSION"
    check_transaction(tx, PRESET)
    check_transaction(tx, PRESET)
    tight = replace(PRESET, ledger=replace(PRESET.ledger, max_transaction_bytes=10))
    with pytest.raises(SpecError) as raised:
        check_transaction(tx, tight)
    assert raised.value.code == "TX_TOO_LARGE"


@settings(max_examples=examples(200))
@given(transactions, integers, outputs)
def test_signature_hash_equals_its_definition(tx: Transaction, index: int, spent: TxOutput) -> None:
    """TXF-5: the written-out preimage hashes to the generic preimage codec's hash, or raises the
    same code; the script-free copy equals the ``replace`` definition."""

    def outcome(run: Any) -> bytes | str:
        try:
            result: bytes = run(tx, index, spent, PRESET)
        except SpecError as error:
            return error.code
        return result

    assert outcome(signature_hash) == outcome(signature_hash_readable)
    expected = replace(tx, inputs=tuple(replace(i, script_sig=b"") for i in tx.inputs))
    assert strip_scripts(memo_free(tx)) == expected


entries = st.builds(
    UtxoEntry,
    outputs,
    integers,
    st.one_of(st.booleans(), st.sampled_from([0, 1, 2])),
)


@settings(max_examples=examples(200))
@given(entries, st.builds(OutPoint, txids, integers))
def test_state_item_encoders_equal_the_codecs(entry: UtxoEntry, outpoint: OutPoint) -> None:
    """STATE-1: the written-out key and value encoders give the codecs' bytes or error codes,
    under the devnet preset and one whose script limit is below a P2PKH script."""
    tight = replace(PRESET, ledger=replace(PRESET.ledger, max_transaction_bytes=20))
    for preset in (DEVNET, PRESET, tight):
        assert _outcome(encode_entry, entry, preset) == generic_bytes(entry_codec(preset), entry)
        assert _outcome(encode_outpoint, outpoint, preset) == generic_bytes(codecs(preset).outpoint, outpoint)


def _outcome(encoder: Any, value: Any, preset: Any) -> bytes | str:
    try:
        result: bytes = encoder(value, preset)
    except SpecError as error:
        return error.code
    return result


class _Checker:
    """A signature checker whose verdict is a function of the signature (even first byte: valid)."""

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        return signature[0] % 2 == 0

    def check_lock_time(self, lock_time: int) -> bool:
        return True

    def check_sequence(self, sequence: int) -> bool:
        return True


def _script_outcome(run: Any, *arguments: Any) -> str:
    try:
        run(*arguments)
    except SpecError as error:
        return error.code
    return "ok"


@st.composite
def p2pkh_spends(draw: st.DrawFn) -> tuple[bytes, bytes, Any]:
    signature = draw(st.binary(min_size=64, max_size=64))
    public_key = draw(st.binary(min_size=32, max_size=32))
    script_sig = p2pkh_script_sig(signature, public_key)
    script_sig = draw(
        st.sampled_from(
            [
                script_sig,
                script_sig[:-1],
                script_sig + b"\x00",
                b"\x4c\x40" + script_sig[1:],  # a non-minimal push of the signature
                bytes([0x41]) + script_sig[1:],
                script_sig[:65] + b"\x21" + script_sig[66:],
            ]
        )
    )
    key_hash = draw(st.sampled_from([script_hash(public_key), bytes(32)]))
    script_pubkey = draw(st.sampled_from([p2pkh_script(key_hash), p2pkh_script(key_hash)[:-1], b"\x76"]))
    params = replace(
        DEVNET.script,
        max_script_bytes=draw(st.sampled_from([97, 98, 10_000])),
        max_element_bytes=draw(st.sampled_from([63, 64, 520])),
        max_ops=draw(st.sampled_from([3, 4, 200])),
        max_sigops_per_tx=draw(st.sampled_from([0, 1, 20])),
        max_stack_items=draw(st.sampled_from([3, 4, 100])),
    )
    return script_sig, script_pubkey, params


@settings(max_examples=examples(300))
@given(p2pkh_spends())
def test_p2pkh_spend_match_is_what_evaluate_runs(spend: tuple[bytes, bytes, Any]) -> None:
    """SCRIPT-1..19: where ``match_p2pkh_spend`` claims a P2PKH spend, ``run_p2pkh`` on its parts
    has ``evaluate``'s outcome (the same error code or success) under the same limits."""
    script_sig, script_pubkey, params = spend
    matched = match_p2pkh_spend(script_sig, script_pubkey, params)
    expected = _script_outcome(evaluate, script_sig, script_pubkey, _Checker(), params)
    if matched is not None:
        assert _script_outcome(run_p2pkh, *matched, _Checker()) == expected


def test_p2pkh_spend_match_takes_the_template() -> None:
    """The fast path is taken for the ordinary spend under the presets' limits."""
    script_sig = p2pkh_script_sig(bytes(64), bytes(range(32)))
    script_pubkey = p2pkh_script(script_hash(bytes(range(32))))
    assert match_p2pkh_spend(script_sig, script_pubkey, DEVNET.script) == (
        bytes(64),
        bytes(range(32)),
        script_hash(bytes(range(32))),
    )


# --------------------------------------------------------------------------------------------
# The whole hot path: fast paths on against the readable definitions alone
# --------------------------------------------------------------------------------------------


def _readable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off every fast path that can decline: the specialised encoders hand over to the
    generic codecs, no transaction takes the one-pass ``plain_p2pkh_fee``, no P2PKH spend is
    matched (``evaluate`` runs), no block step takes the one-pass ``plain_spend``, libsodium is
    not asked first
    (the readable ED-1..3 checks, then the backend's equation), the message scans visit every
    transaction, the block's shape takes the readable steps."""
    import spec.chain.block as block_module
    import spec.chain.state as state_module
    import spec.ledger.transaction as transaction_module
    import spec.ledger.validation as validation_module
    from spec.crypto import ed25519

    monkeypatch.setattr(transaction_module, "fast_transaction_bytes", lambda *arguments, **named: None)
    monkeypatch.setattr(validation_module, "match_p2pkh_spend", lambda *arguments: None)
    monkeypatch.setattr(validation_module, "plain_p2pkh_fee", lambda *arguments: None)
    monkeypatch.setattr(state_module, "plain_spend", lambda *arguments: None)
    monkeypatch.setattr(block_module, "is_well_shaped", lambda *arguments: False)
    monkeypatch.setattr(ed25519, "verify", ed25519.verify_readable)
    # MN-5, SLASH, FIN, GOV: every transaction scanned, MN-5 by the replay of the whole block
    monkeypatch.setattr(state_module, "message_carriers", lambda txs: tuple(range(len(txs))))
    monkeypatch.setattr(registry, "apply_carriers_to_list", _replay_every_transaction)


def _replay_every_transaction(
    mn_list: Any, transactions: Any, carriers: Any, utxos: Any, height: int, preset: Any, key: Any = None
) -> Any:
    return registry.apply_transactions_to_list(mn_list, transactions, utxos, height, preset, key, True)


def _fresh(tx: Transaction) -> Transaction:
    """A copy of ``tx`` built from its fields: no memo of any kind."""
    return Transaction(
        tx.version,
        tuple(TxInput(i.previous_output, i.script_sig, i.sequence) for i in tx.inputs),
        tuple(TxOutput(o.value, o.script_pubkey) for o in tx.outputs),
        tx.lock_time,
    )


def _mutants(tx: Transaction) -> list[Transaction]:
    """``tx`` and variants that break TX-7..12 in different places."""
    tx_input = tx.inputs[0]
    sig = tx_input.script_sig
    flipped = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
    other_key = sig[:66] + bytes(32)
    non_minimal = b"\x4c\x40" + sig[1:]
    variants = [flipped, other_key, non_minimal, sig[:-1], b"", sig[:65] + b"\x00" * 33, sig + b"\x51"]
    mutants = [tx]
    for script_sig in variants:
        mutants.append(replace(tx, inputs=(replace(tx_input, script_sig=script_sig),)))
    mutants.append(replace(tx, outputs=(replace(tx.outputs[0], value=tx.outputs[0].value + 10**9),)))
    mutants.append(replace(tx, inputs=(replace(tx_input, previous_output=OutPoint(bytes(32), 1)),)))
    return mutants


def _validation_outcomes(transactions: list[Transaction], utxos: Any) -> list[str]:
    from spec.ledger.validation import LedgerContext, validate_transaction

    outcomes = []
    for tx in transactions:
        try:
            outcomes.append(str(validate_transaction(_fresh(tx), utxos, LedgerContext(101, 0), DEVNET)))
        except SpecError as error:
            outcomes.append(error.code)
    return outcomes


def _block_outcome(size: int) -> tuple[str, bytes]:
    from spec.chain.state import BlockContext, apply_block
    from spec.chain.state import ChainState as State
    from tests.benchmarks.test_bench_chain import scenario

    bench = scenario(size)
    block = decode_block(encode_block(bench.block, DEVNET), DEVNET)
    after: State = apply_block(bench.state, block, BlockContext(block.header.timestamp), DEVNET)
    assert after.commitment is not None
    return repr(sorted(after.utxos.items())), after.commitment.root


def test_transaction_validation_fast_equals_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    """TX-1..12: the same fee or the same error code, fast paths on or off, on a valid P2PKH
    spend and on mutants that break it (signature, key, push encoding, script shape, value, input)."""
    from tests.benchmarks.test_bench_chain import scenario

    bench = scenario(3)
    transactions = [m for tx in bench.block.transactions[1:] for m in _mutants(tx)]
    fast = _validation_outcomes(transactions, bench.state.utxos)
    assert len(set(fast)) >= 6  # the mutants fail in different places
    _readable_only(monkeypatch)
    assert _validation_outcomes(transactions, bench.state.utxos) == fast


def test_block_validation_fast_equals_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    """BLK-*: the benchmark's block (decoded from its bytes) leaves the same UTXO set and state
    root with every fast path off."""
    fast = _block_outcome(4)
    _readable_only(monkeypatch)
    assert _block_outcome(4) == fast


@pytest.mark.slow
def test_block_validation_on_the_readable_ed25519_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14 item 4: the pure-Python Ed25519 backend (``reference``) with every fast path off
    validates a 40-transaction block and its mutants' transactions exactly as the default path."""
    from spec.crypto import ed25519
    from tests.benchmarks.test_bench_chain import scenario

    fast = _block_outcome(40)
    bench = scenario(40)
    transactions = [m for tx in bench.block.transactions[1:6] for m in _mutants(tx)]
    fast_outcomes = _validation_outcomes(transactions, bench.state.utxos)
    _readable_only(monkeypatch)
    with ed25519.use_backend("reference"):
        assert _block_outcome(40) == fast
        assert _validation_outcomes(transactions, bench.state.utxos) == fast_outcomes


def test_one_pass_fee_equals_the_readable_checks_on_entries_and_locks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``plain_p2pkh_fee`` (TX-7..12 in one pass) against the readable checks where it must
    decline or agree: coinbase entries at and around maturity, an entry above ``max_money``,
    relative locks on and off, lock times reached or not, released escrow value, a script_pubkey
    that is not P2PKH, a sigop budget of zero. Same fee or same error code, and the fast path
    really answers for the plain transaction."""
    import spec.ledger.validation as validation_module
    from spec.ledger.validation import LedgerContext, plain_p2pkh_fee, validate_transaction
    from tests.benchmarks.test_bench_chain import scenario

    bench = scenario(3)
    tx = bench.block.transactions[1]
    outpoint = tx.inputs[0].previous_output
    entry = bench.state.utxos[outpoint]
    maturity = DEVNET.ledger.coinbase_maturity
    entries = [
        entry,
        replace(entry, is_coinbase=True, height=101 - maturity),
        replace(entry, is_coinbase=True, height=102 - maturity),
        replace(entry, output=replace(entry.output, value=DEVNET.ledger.max_money + 1)),
        replace(entry, output=replace(entry.output, script_pubkey=entry.output.script_pubkey + b"\x51")),
    ]
    variants = [
        tx,
        replace(tx, inputs=(replace(tx.inputs[0], sequence=5),)),
        replace(tx, inputs=(replace(tx.inputs[0], sequence=1 << 22),)),
        replace(tx, lock_time=50),
        replace(tx, lock_time=500),
    ]
    presets = [DEVNET, replace(DEVNET, script=replace(DEVNET.script, max_sigops_per_tx=0))]
    cases = [
        (variant, {outpoint: spent}, preset, released)
        for variant in variants
        for spent in entries
        for preset in presets
        for released in (0, 5)
    ]

    def outcomes() -> list[str]:
        results = []
        for variant, utxos, preset, released in cases:
            try:
                fee = validate_transaction(_fresh(variant), utxos, LedgerContext(101, 0), preset, released)
                results.append(str(fee))
            except SpecError as error:
                results.append(error.code)
        return results

    assert plain_p2pkh_fee(_fresh(tx), {outpoint: entry}, LedgerContext(101, 0), DEVNET) == 1_000
    fast = outcomes()
    assert len(set(fast)) >= 5
    monkeypatch.setattr(validation_module, "plain_p2pkh_fee", lambda *arguments: None)
    assert outcomes() == fast


def _spend_outcome(
    tx: Transaction, utxos: dict[OutPoint, UtxoEntry], pool: dict[OutPoint, Any], bought: set[OutPoint]
) -> str:
    """Step 4 of ``apply_block`` for one transaction through the readable steps: POS-2, TX-1..12,
    POS-1 and UTXO-1's created entries (or the error code)."""
    from spec.chain.state import check_ticket_locks, ticket_purchases
    from spec.ledger.utxo import created_entries
    from spec.ledger.validation import LedgerContext, validate_transaction

    try:
        check_ticket_locks(tx, pool, bought)
        fee = validate_transaction(tx, utxos, LedgerContext(101, 0), DEVNET)
        purchases = ticket_purchases(tx, 101, 7, DEVNET)
    except SpecError as error:
        return error.code
    return repr((fee, purchases, created_entries(tx, 101, DEVNET)))


def test_plain_spend_equals_the_readable_steps() -> None:
    """``plain_spend`` (step 4 of a block in one pass) answers the plain spend and agrees with the
    readable steps wherever it answers: on the TX-7..12 mutants, an input that is a pooled ticket
    or one bought earlier in the block, outputs that are a ticket, an ``OP_RETURN`` carrier or not
    P2PKH, and a transaction whose TX-1..6 did not pass under this preset object."""
    from spec.chain.state import plain_spend
    from spec.chain.tickets import ticket_script
    from spec.ledger.validation import LedgerContext, is_checked
    from tests.benchmarks.test_bench_chain import scenario

    bench = scenario(3)
    tx = bench.block.transactions[1]
    outpoint = tx.inputs[0].previous_output
    utxos = dict(bench.state.utxos)
    output = tx.outputs[0]
    odd_outputs = [
        TxOutput(7, ticket_script(bytes(32), bytes(32))),
        TxOutput(0, b"\x6a\x01\x00"),
        replace(output, script_pubkey=output.script_pubkey + b"\x51"),
        replace(output, script_pubkey=output.script_pubkey[:-1] + b"\x00"),
    ]
    transactions = [*_mutants(tx), *(replace(tx, outputs=(output, odd)) for odd in odd_outputs)]
    cases: list[tuple[Transaction, dict[OutPoint, Any], set[OutPoint]]]
    cases = [(candidate, {}, set()) for candidate in transactions]
    cases += [(tx, {outpoint: object()}, set()), (tx, {}, {outpoint})]
    answered = 0
    for candidate, pool, bought in cases:
        fresh = _fresh(candidate)
        with contextlib.suppress(SpecError):  # a mutant may fail TX-1..6: then it is not checked
            check_transaction(fresh, DEVNET)
        assert plain_spend(_fresh(candidate), utxos, pool, bought, LedgerContext(101, 0), DEVNET) is None
        fast = plain_spend(fresh, utxos, pool, bought, LedgerContext(101, 0), DEVNET)
        if fast is not None:
            answered += 1
            assert is_checked(fresh, DEVNET)
            assert repr((fast[0], [], fast[1])) == _spend_outcome(_fresh(candidate), utxos, pool, bought)
            # STATE-1's changes, encoded as the readable encoders do: the spent keys, then the created
            spent = [(encode_outpoint(i.previous_output, DEVNET), None) for i in candidate.inputs]
            made = [(encode_outpoint(o, DEVNET), encode_entry(e, DEVNET)) for o, e in fast[1]]
            assert fast[2] == (*spent, *made)
    assert answered == 1  # the plain spend itself; every other case declines
    assert plain_spend(_fresh(tx), utxos, {}, set(), LedgerContext(101, 0), DEVNET) is None  # unchecked


@given(st.binary(min_size=32, max_size=32), st.integers(0, DEVNET.ledger.max_money))
@settings(max_examples=examples(50), deadline=None)
def test_a_p2pkh_output_is_neither_a_ticket_nor_unspendable(key_hash: bytes, value: int) -> None:
    """What ``plain_spend`` assumes of the 37-byte P2PKH template under the limits
    ``plain_p2pkh_fee`` requires: no POS-1 ticket, never SCRIPT-19 unspendable, so UTXO-1 keeps it."""
    from spec.chain.state import ticket_purchases
    from spec.chain.tickets import match_ticket
    from spec.script import P2PKH_PREFIX, P2PKH_SUFFIX, is_unspendable

    script = P2PKH_PREFIX + key_hash + P2PKH_SUFFIX
    assert match_ticket(script) is None
    assert not is_unspendable(script, DEVNET.script)
    tx = Transaction(1, (TxInput(OutPoint(bytes(32), 0), b"", 0),), (TxOutput(value, script),), 0)
    assert ticket_purchases(tx, 5, 1, DEVNET) == []


# --------------------------------------------------------------------------------------------
# Message scans: a script not starting with OP_RETURN carries no message
# --------------------------------------------------------------------------------------------


@settings(max_examples=examples(300))
@given(st.binary(max_size=90).filter(lambda script: script[:1] != b"\x6a"))
def test_message_matchers_answer_a_non_op_return_script_first(script: bytes) -> None:
    """MN-0 / GOV-0: ``match_message`` (masternode and governance) returns ``None`` at once for a
    script that does not start with ``OP_RETURN``; the readable steps after the shortcut
    (``null_data_pushes``, ``split_message``) give ``None`` for every such script (the empty one
    too), so the shortcut changes no answer."""
    assert registry.null_data_pushes(script, DEVNET.script) is None
    for prefix in (registry.MASTERNODE_PREFIX, proposals.GOVERNANCE_PREFIX):
        assert registry.split_message(script, prefix, DEVNET.script) is None
    assert registry.match_message(script, DEVNET) is None
    assert proposals.match_message(script, DEVNET) is None


def test_message_matchers_still_find_messages() -> None:
    """The shortcut leaves real messages alone: a governance vote and a masternode unbond built by
    their encoders are matched back."""
    vote = proposals.Vote(bytes(32), OutPoint(bytes(range(32)), 1), proposals.VoteChoice.YES, 1, bytes(96))
    assert proposals.match_message(proposals.message_script(vote, DEVNET), DEVNET) == vote
    unbond = registry.Unbond(OutPoint(bytes(range(32)), 2), bytes(64))
    assert registry.match_message(registry.message_script(unbond, DEVNET), DEVNET) == unbond


# --------------------------------------------------------------------------------------------
# check_block_shape in one pass (issue 14, eighth round)
# --------------------------------------------------------------------------------------------


def _shape_outcome(check: Any, block: Block, preset: Any) -> str:
    """``"ok"`` or the error code of ``check`` on ``block`` (``check_block_shape`` or its
    readable form)."""
    try:
        check(block, preset)
    except SpecError as error:
        return error.code
    return "ok"


def _memo_free_block(block: Block) -> Block:
    return Block(block.header, block.votes, tuple(_fresh(tx) for tx in block.transactions))


def _assert_shape_agrees(block: Block, preset: Any) -> str:
    """``check_block_shape`` (one pass, then the readable steps on a decline) on ``block`` and on
    its decoded copy gives the readable steps' outcome; where it passes, the memos it left equal
    the readable functions' values on a memo-free copy."""
    from spec.chain.block import check_block_shape, check_block_shape_readable
    from spec.ledger.transaction import _stripped_encoding, is_coinbase, wtxid
    from spec.ledger.validation import is_checked

    expected = _shape_outcome(check_block_shape_readable, _memo_free_block(block), preset)
    copies = [_memo_free_block(block)]
    with contextlib.suppress(SpecError):
        copies.append(decode_block(encode_block(copies[0], preset), preset))
    for copy in copies:
        assert _shape_outcome(check_block_shape, copy, preset) == expected
        if expected == "ok":
            for tx in copy.transactions:
                fresh = _fresh(tx)
                assert is_checked(tx, preset)
                assert is_coinbase(tx) is is_coinbase(fresh)
                assert txid(tx, preset) == txid(fresh, preset)
                assert wtxid(tx, preset) == wtxid(fresh, preset)
                assert _stripped_encoding(tx, preset) == encode_transaction(strip_scripts(fresh), preset)
    return expected


def _with_roots(block: Block, preset: Any) -> Block:
    """``block`` with the header's Merkle roots committing to its transactions and votes (where
    they encode)."""
    from spec.chain.block import transactions_root, votes_root

    try:
        header = replace(
            block.header,
            merkle_root=transactions_root(tuple(_fresh(tx) for tx in block.transactions), preset),
            votes_root=votes_root(block.votes, preset),
        )
    except SpecError:
        return block
    return Block(header, block.votes, block.transactions)


def _shape_mutants(block: Block) -> dict[str, Block]:
    """``block`` and variants breaking each rule of ``check_block_shape`` once, and pairs of
    rules at once (the order of checks decides the code)."""
    header, coinbase, spends = block.header, block.transactions[0], list(block.transactions[1:])
    first = spends[0]
    one_input = first.inputs[0]

    def spend(**changes: Any) -> Transaction:
        return replace(first, **changes)

    def txs(*transactions: Transaction) -> Block:
        return _with_roots(Block(header, block.votes, tuple(transactions)), DEVNET)

    two_inputs = spend(inputs=(one_input, replace(one_input, previous_output=OutPoint(bytes(range(32)), 5))))
    null_spent = spend(
        inputs=(one_input, replace(one_input, previous_output=OutPoint(bytes(32), 0xFFFFFFFF)))
    )
    money = DEVNET.ledger.max_money
    return {
        "valid": block,
        "two_input_spend": txs(coinbase, two_inputs, *spends[1:]),
        "header_version": Block(replace(header, version=2), block.votes, block.transactions),
        "no_transactions": txs(),
        "no_coinbase": txs(*spends),
        "second_coinbase": txs(coinbase, *spends, replace(coinbase, lock_time=coinbase.lock_time + 1)),
        "coinbase_height": txs(replace(coinbase, lock_time=header.height + 1), *spends),
        "tx_version": txs(coinbase, spend(version=2), *spends[1:]),
        "no_outputs": txs(coinbase, spend(outputs=()), *spends[1:]),
        "output_above_max_money": txs(coinbase, spend(outputs=(TxOutput(money + 1, b""),)), *spends[1:]),
        "outputs_sum_above_max_money": txs(
            coinbase, spend(outputs=(TxOutput(money, b""), TxOutput(1, b""))), *spends[1:]
        ),
        "duplicate_input": txs(coinbase, spend(inputs=(one_input, one_input)), *spends[1:]),
        "null_outpoint_spent": txs(coinbase, null_spent, *spends[1:]),
        "long_script_sig": txs(
            coinbase, spend(inputs=(replace(one_input, script_sig=b"\x01" * 300),)), *spends[1:]
        ),
        "duplicate_txid": txs(coinbase, *spends, spends[0]),
        "merkle_root": Block(replace(header, merkle_root=bytes(32)), block.votes, block.transactions),
        "votes_root": Block(replace(header, votes_root=bytes(32)), block.votes, block.transactions),
        "unencodable_value": txs(coinbase, spend(outputs=(TxOutput(2**64, b""),)), *spends[1:]),
        # two rules at once: the first in check order names the block
        "tx_version_and_late_coinbase": txs(coinbase, spend(version=2), *spends[1:], coinbase),
        "tx_version_and_duplicate_txid": txs(coinbase, *spends, spends[0], spend(version=3)),
        "no_outputs_and_merkle_root": Block(
            replace(header, merkle_root=bytes(32)),
            block.votes,
            (coinbase, spend(outputs=()), *spends[1:]),
        ),
        "coinbase_height_and_tx_version": txs(replace(coinbase, lock_time=0), spend(version=2), *spends[1:]),
    }


def test_block_shape_in_one_pass_equals_the_readable_steps() -> None:
    """HDR-1, BLK-1..3, TX-1..6: ``check_block_shape`` (``is_well_shaped``, then the readable steps
    on a decline) gives the readable steps' outcome on a valid block, on blocks breaking each
    rule, on blocks breaking two at once, and under a block size limit the block exceeds."""
    from tests.benchmarks.test_bench_chain import scenario

    outcomes = {
        name: _assert_shape_agrees(block, DEVNET) for name, block in _shape_mutants(scenario(4).block).items()
    }
    assert outcomes["valid"] == outcomes["two_input_spend"] == outcomes["long_script_sig"] == "ok"
    assert outcomes["tx_version_and_late_coinbase"] == "BLK_BAD_COINBASE_POSITION"
    assert outcomes["coinbase_height_and_tx_version"] == "BLK_BAD_COINBASE_HEIGHT"
    assert outcomes["tx_version_and_duplicate_txid"] == "TX_UNSUPPORTED_VERSION"
    assert outcomes["no_outputs_and_merkle_root"] == "TX_EMPTY_INPUTS_OR_OUTPUTS"
    assert len(set(outcomes.values())) >= 12
    small = replace(DEVNET, chain=replace(DEVNET.chain, max_block_bytes=500))
    assert _assert_shape_agrees(scenario(4).block, small) == "BLK_TOO_LARGE"
    few = replace(DEVNET, ledger=replace(DEVNET.ledger, max_inputs_plus_outputs=1))
    assert _assert_shape_agrees(scenario(4).block, few) == "TX_TOO_MANY_INPUTS_OUTPUTS"
    short = replace(DEVNET, ledger=replace(DEVNET.ledger, max_transaction_bytes=150))
    assert _assert_shape_agrees(scenario(4).block, short) == "TX_TOO_LARGE"


def test_block_shape_one_pass_takes_the_plain_block() -> None:
    """The one pass answers the benchmark's decoded block itself (not only the fallback), and a
    transaction checked before (its memos kept) goes through the readable functions' memos."""
    from spec.chain.block import is_well_shaped
    from tests.benchmarks.test_bench_chain import scenario

    block = decode_block(encode_block(scenario(4).block, DEVNET), DEVNET)
    check_transaction(block.transactions[1], DEVNET)
    assert is_well_shaped(block, DEVNET)
    assert is_well_shaped(block, DEVNET)  # every memo now kept
    assert not is_well_shaped(_shape_mutants(block)["tx_version"], DEVNET)


# Mostly well-formed spends under PRESET's 130-byte limit: version 1, one input (sometimes two)
# with a short script_sig, small outputs with values around max_money: the one pass answers many.
plain_spends = st.builds(
    Transaction,
    st.sampled_from([1, 1, 1, 2]),
    st.lists(
        st.builds(
            TxInput,
            st.builds(OutPoint, st.binary(min_size=32, max_size=32), st.sampled_from([0, 1, 0xFFFFFFFF])),
            st.binary(max_size=40),
            st.sampled_from([0, 0xFFFFFFFF]),
        ),
        min_size=1,
        max_size=2,
    ).map(tuple),
    st.lists(
        st.builds(
            TxOutput,
            st.sampled_from([0, 1, PRESET.ledger.max_money, PRESET.ledger.max_money + 1]),
            st.binary(max_size=10),
        ),
        max_size=2,
    ).map(tuple),
    st.integers(0, 3),
)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.one_of(
        st.lists(plain_spends, min_size=1, max_size=3),
        st.lists(st.one_of(transactions, plain_spends), min_size=1, max_size=3),
    ),
    st.sampled_from([True, True, False]),
    st.integers(0, 3),
)
def test_block_shape_in_one_pass_on_arbitrary_transactions(
    spends: list[Transaction], with_coinbase: bool, height: int
) -> None:
    """Arbitrary transactions (odd types, values across every limit, scripts across the varint
    step) behind a coinbase or not: the one pass, built or decoded, agrees with the readable steps."""
    from spec.chain.block import BlockHeader
    from spec.ledger.transaction import coinbase_transaction

    coinbase = coinbase_transaction(height, [TxOutput(1, b"\x51")])
    header = BlockHeader(1, height, bytes(32), bytes(32), bytes(32), bytes(32), 0, 0, 0)
    block = Block(header, (), tuple([coinbase] * with_coinbase + spends))
    _assert_shape_agrees(_with_roots(block, PRESET), PRESET)


def test_one_pass_fee_with_the_kept_script_free_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """TX-7..12: where the script-free encoding is kept on the transaction (``check_block_shape``
    left it), ``plain_p2pkh_fee`` hashes the signature message in line; fee or error code equal
    the readable checks' on the valid spend and its mutants, and the valid spend's message is
    TXF-5's (the fee is answered, so its signature verified over it)."""
    import spec.ledger.validation as validation_module
    from spec.ledger.transaction import _stripped_encoding
    from spec.ledger.validation import LedgerContext, plain_p2pkh_fee, validate_transaction
    from tests.benchmarks.test_bench_chain import scenario

    bench = scenario(3)
    transactions = [m for tx in bench.block.transactions[1:] for m in _mutants(tx)]

    def outcomes(keep: bool) -> list[str]:
        results = []
        for tx in transactions:
            fresh = _fresh(tx)
            try:
                if keep:
                    check_transaction(fresh, DEVNET)
                    _stripped_encoding(fresh, DEVNET)
                results.append(
                    str(validate_transaction(fresh, bench.state.utxos, LedgerContext(101, 0), DEVNET))
                )
            except SpecError as error:
                results.append(error.code)
        return results

    kept = _fresh(bench.block.transactions[1])
    check_transaction(kept, DEVNET)
    _stripped_encoding(kept, DEVNET)
    assert plain_p2pkh_fee(kept, bench.state.utxos, LedgerContext(101, 0), DEVNET) == 1_000
    fast = outcomes(keep=True)
    assert len(set(fast)) >= 6
    monkeypatch.setattr(validation_module, "plain_p2pkh_fee", lambda *arguments: None)
    assert outcomes(keep=False) == fast


def test_advance_commitment_encoded_equals_advance_commitment() -> None:
    """STATE-6: the commitment from changes handed over encoded equals :func:`advance_commitment`'s
    (the readable definition) under both layouts, the UTXO-only (STATE-1) and the full state
    (STATE-2..4), with ``others`` winning over a stale encoded value, and without a commitment of
    the parent (built from scratch); a block validated with ``plain_spend`` answering commits to
    STATE-1 of its UTXO set."""
    from spec.chain.commitment import (
        StateCommitment,
        advance_commitment,
        advance_commitment_encoded,
        build_commitment,
        compute_state_root,
    )
    from spec.chain.layout import StateLayout
    from spec.chain.state import BlockContext, apply_block
    from spec.ledger.state import utxo_state_root
    from tests.benchmarks.test_bench_chain import scenario

    bench = scenario(6)
    after = apply_block(bench.state, bench.block, BlockContext(bench.block.header.timestamp), DEVNET)
    assert after.commitment is not None and after.commitment.root == utxo_state_root(after.utxos, DEVNET)
    before = replace(bench.state, commitment=None)
    spent, kept = list(before.utxos)[:3], list(before.utxos)[3:]
    made = {OutPoint(bytes([7]) * 32, index): replace(before.utxos[kept[0]], height=9) for index in range(3)}
    utxos = {**{o: before.utxos[o] for o in kept}, **made}
    utxos[kept[1]] = replace(utxos[kept[1]], height=11)  # changed: listed in ``others`` only
    new = replace(before, utxos=utxos)
    touched = [*spent, *made, kept[1], kept[2]]
    encoded: dict[bytes, bytes | None] = {encode_outpoint(o, DEVNET): None for o in spent}
    encoded.update({encode_outpoint(o, DEVNET): encode_entry(e, DEVNET) for o, e in made.items()})
    encoded[encode_outpoint(kept[2], DEVNET)] = b"stale"  # ``others`` lists it: the lookup wins
    others = [kept[1], kept[2]]
    for layout in (StateLayout.UTXO, StateLayout.FULL):
        for commitment in (build_commitment(before, layout, DEVNET), None):
            readable = advance_commitment(commitment, before, new, layout, touched, (), DEVNET)
            fast = advance_commitment_encoded(
                commitment, before, new, layout, touched, (), DEVNET, encoded, others
            )
            assert isinstance(fast, StateCommitment) and fast.root == readable.root
            assert fast.touched_utxos == readable.touched_utxos == tuple(touched)
            assert fast.commits_to(new, layout)
            if layout is StateLayout.UTXO:
                assert fast.root == utxo_state_root(utxos, DEVNET)
            else:
                assert fast.root == compute_state_root(new, DEVNET)
