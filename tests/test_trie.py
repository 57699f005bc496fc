"""Properties of the Merkle Patricia Trie (MPT-1..12), cross-checked against py-trie (keccak)."""

from __future__ import annotations

import contextlib
import random

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st
from trie.hexary import HexaryTrie

from conformance.generators.trie import ETHEREUM_KNOWN_ROOTS
from spec.errors import (
    SpecError,
    TrieBadNibbles,
    TrieChildRefError,
    TrieDecodeError,
    TrieEmptyValue,
    TrieError,
    TrieHexPrefixError,
    TrieNodeShape,
    TrieNonCanonicalNode,
    TrieProofError,
    TrieProofHashMismatch,
    TrieProofMissingNode,
    TrieProofUnusedNode,
    TrieProofValueMismatch,
    TrieRlpError,
)
from spec.trie import (
    EMPTY_TRIE,
    ETHEREUM_TRIE_HASHER,
    MAX_NODE_NESTING,
    RUSTY_TRIE_HASHER,
    Branch,
    Extension,
    Leaf,
    Trie,
    TrieHasher,
    bytes_to_nibbles,
    decode_node,
    encode_node,
    hex_prefix_decode,
    hex_prefix_encode,
    keccak256,
    nibbles_to_bytes,
    prove,
    prove_stored,
    stored_node_changes,
    trie_root,
    verify_exclusion,
    verify_inclusion,
    verify_proof,
)
from tests.hypothesis_profiles import examples

HASHERS = (RUSTY_TRIE_HASHER, ETHEREUM_TRIE_HASHER)

# Keys over a small alphabet share prefixes and are often prefixes of each other, so every node
# kind, every split and every collapse is exercised; values of 1..40 bytes give inline and hashed nodes.
keys = st.lists(st.sampled_from(b"\x00\x01\x10\x11\xab"), max_size=4).map(bytes)
values = st.binary(min_size=1, max_size=40)
item_dicts = st.dictionaries(keys, values, max_size=24)
operations = st.lists(st.tuples(keys, st.one_of(st.none(), values)), max_size=40)
hashers = st.sampled_from(HASHERS)


def _pytrie_root(items: dict[bytes, bytes]) -> bytes:
    reference = HexaryTrie(db={})
    for key, value in items.items():
        reference[key] = value
    root: bytes = reference.root_hash
    return root


def _rlp(item: object) -> bytes:
    encoded: bytes = rlp.encode(item, infer_serializer=False)
    return encoded


# --------------------------------------------------------------------------------------------
# MPT-1, MPT-2
# --------------------------------------------------------------------------------------------


@given(st.binary(max_size=40))
def test_nibbles_round_trip(key: bytes) -> None:
    nibbles = bytes_to_nibbles(key)
    assert len(nibbles) == 2 * len(key) and all(n < 16 for n in nibbles)
    assert nibbles_to_bytes(nibbles) == key


def test_nibbles_errors() -> None:
    assert bytes_to_nibbles(b"\xab\x01") == bytes([0xA, 0xB, 0x0, 0x1])
    with pytest.raises(TrieBadNibbles):
        nibbles_to_bytes(b"\x01")
    with pytest.raises(TrieBadNibbles):
        nibbles_to_bytes(b"\x01\x10")
    with pytest.raises(TrieBadNibbles):
        hex_prefix_encode(b"\x10", True)


@given(st.lists(st.integers(0, 15), max_size=65).map(bytes), st.booleans())
def test_hex_prefix_round_trip(nibbles: bytes, is_leaf: bool) -> None:
    encoded = hex_prefix_encode(nibbles, is_leaf)
    assert len(encoded) == len(nibbles) // 2 + 1
    assert hex_prefix_decode(encoded) == (nibbles, is_leaf)


def test_hex_prefix_yellow_paper_examples() -> None:
    assert hex_prefix_encode(bytes([1, 2, 3, 4, 5]), False) == b"\x11\x23\x45"
    assert hex_prefix_encode(bytes([0, 1, 2, 3, 4, 5]), False) == b"\x00\x01\x23\x45"
    assert hex_prefix_encode(bytes([0, 0xF, 1, 0xC, 0xB, 8]), True) == b"\x20\x0f\x1c\xb8"
    assert hex_prefix_encode(bytes([0xF, 1, 0xC, 0xB, 8]), True) == b"\x3f\x1c\xb8"


@given(st.binary(max_size=20))
def test_hex_prefix_decode_is_strict(data: bytes) -> None:
    """Each accepted string is the one encoding of its result; only TRIE_DECODE_HEX_PREFIX escapes."""
    try:
        nibbles, is_leaf = hex_prefix_decode(data)
    except TrieHexPrefixError:
        return
    assert hex_prefix_encode(nibbles, is_leaf) == data


def test_hex_prefix_decode_errors() -> None:
    for bad in (b"", b"\x40", b"\xf1", b"\x01", b"\x21\x23"):
        with pytest.raises(TrieHexPrefixError):
            hex_prefix_decode(bad)


# --------------------------------------------------------------------------------------------
# Hashers and known answers (MPT-4, MPT-6)
# --------------------------------------------------------------------------------------------


def test_hashers() -> None:
    assert ETHEREUM_TRIE_HASHER.empty_root.hex() == (
        "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    )
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert RUSTY_TRIE_HASHER.empty_root != ETHEREUM_TRIE_HASHER.empty_root
    with pytest.raises(ValueError):
        TrieHasher("broken", keccak256, bytes(32))


@pytest.mark.parametrize(
    ("name", "items", "root"), ETHEREUM_KNOWN_ROOTS, ids=[c[0] for c in ETHEREUM_KNOWN_ROOTS]
)
def test_ethereum_known_roots(name: str, items: dict[bytes, bytes], root: str) -> None:
    """The published roots of the generator, reproduced three ways: py-trie, MPT-6, MPT-8."""
    assert _pytrie_root(items).hex() == root
    assert trie_root(items, ETHEREUM_TRIE_HASHER).hex() == root
    assert Trie.from_items(items, ETHEREUM_TRIE_HASHER).root_hash.hex() == root


@given(item_dicts)
def test_keccak_instantiation_matches_pytrie(items: dict[bytes, bytes]) -> None:
    expected = _pytrie_root(items)
    assert trie_root(items, ETHEREUM_TRIE_HASHER) == expected
    assert Trie.from_items(items, ETHEREUM_TRIE_HASHER).root_hash == expected


@settings(max_examples=examples(25))
@given(st.dictionaries(st.binary(min_size=32, max_size=32), st.binary(min_size=1, max_size=100), max_size=80))
def test_keccak_instantiation_matches_pytrie_hashed_keys(items: dict[bytes, bytes]) -> None:
    """Ethereum's secure-trie shape: 32-byte (hash-like) keys, values of any size."""
    assert Trie.from_items(items, ETHEREUM_TRIE_HASHER).root_hash == _pytrie_root(items)


def test_empty_key_and_single_items() -> None:
    for hasher in HASHERS:
        trie = Trie(hasher).insert(b"", b"x")
        assert trie.get(b"") == b"x"
        assert trie.root_hash == trie_root({b"": b"x"}, hasher)
    assert Trie(ETHEREUM_TRIE_HASHER).insert(b"", b"x").root_hash == _pytrie_root({b"": b"x"})


# --------------------------------------------------------------------------------------------
# MPT-8, MPT-9: the persistent trie
# --------------------------------------------------------------------------------------------


@given(hashers, operations)
def test_incremental_root_equals_definition(
    hasher: TrieHasher, ops: list[tuple[bytes, bytes | None]]
) -> None:
    """After any sequence of inserts and deletes, the root is MPT-6's root of the resulting map."""
    trie = Trie(hasher)
    model: dict[bytes, bytes] = {}
    for key, value in ops:
        if value is None:
            trie = trie.delete(key)
            model.pop(key, None)
        else:
            trie = trie.insert(key, value)
            model[key] = value
        assert trie.root_hash == trie_root(model, hasher)
    assert dict(trie.items()) == model
    assert len(trie) == len(model)
    for key, _ in ops:
        assert trie.get(key) == model.get(key)


@given(item_dicts, st.randoms(use_true_random=False))
def test_insertion_order_independence(items: dict[bytes, bytes], rng: random.Random) -> None:
    pairs = list(items.items())
    rng.shuffle(pairs)
    trie = Trie(RUSTY_TRIE_HASHER)
    for key, value in pairs:
        trie = trie.insert(key, value)
    built = Trie.from_items(items, RUSTY_TRIE_HASHER)  # bottom-up (MPT-6's recursion), not inserts
    assert trie == built
    assert trie.node_store == built.node_store and stored_node_changes(trie, built) == ()
    assert dict(built.items()) == items
    assert trie.root_hash == trie_root(items, RUSTY_TRIE_HASHER)


@given(hashers, item_dicts, keys, values)
def test_delete_restores_earlier_root(
    hasher: TrieHasher, items: dict[bytes, bytes], key: bytes, value: bytes
) -> None:
    """Insert then delete equals never inserted (deletion re-normalizes every collapsed node)."""
    items.pop(key, None)
    before = Trie.from_items(items, hasher)
    after = before.insert(key, value).delete(key)
    assert after.root_hash == before.root_hash
    assert after.node_store == before.node_store


changes = st.dictionaries(keys, st.one_of(st.none(), values), max_size=24)


@given(hashers, item_dicts, changes)
def test_batched_update_equals_one_by_one(
    hasher: TrieHasher, items: dict[bytes, bytes], batch: dict[bytes, bytes | None]
) -> None:
    """MPT-8: ``update`` gives the trie the same changes make one by one, whose root is MPT-6's root
    of the resulting map (the readable definition): same root, same stored nodes, same items."""
    before = Trie.from_items(items, hasher)
    one_by_one = before
    model = dict(items)
    for key, value in batch.items():
        one_by_one = one_by_one.delete(key) if value is None else one_by_one.insert(key, value)
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value
    batched = before.update(batch)
    assert batched.root_hash == trie_root(model, hasher) == one_by_one.root_hash
    assert batched.node_store == one_by_one.node_store and stored_node_changes(one_by_one, batched) == ()
    assert dict(batched.items()) == model
    assert before.root_hash == Trie.from_items(items, hasher).root_hash  # persistent: unchanged


def test_batched_update_keeps_unchanged_tries_and_rejects_empty_values() -> None:
    trie = Trie.from_items({b"a": b"1", b"ab": b"2", b"\x10": b"3"})
    assert trie.update({}) is trie
    assert trie.update({b"a": b"1", b"zz": None, b"": None, b"a\x00": None}) is trie
    with pytest.raises(TrieEmptyValue):
        trie.update({b"c": b"4", b"a": b""})
    hashed = [bytes([i]) * 36 for i in range(0, 256, 7)]  # 36-byte keys: hashed leaves, as UTXO keys
    full = Trie.from_items({k: b"v" * 40 for k in hashed})
    added = {bytes([i, 1]) * 18: b"w" * 40 for i in range(0, 256, 5)}
    moved = full.update({**dict.fromkeys(hashed[::2]), **added})
    assert moved.root_hash == trie_root({**{k: b"v" * 40 for k in hashed[1::2]}, **added}, RUSTY_TRIE_HASHER)


@given(item_dicts, keys, values)
def test_persistence(items: dict[bytes, bytes], key: bytes, value: bytes) -> None:
    """Operations return new tries and leave the old ones untouched."""
    old = Trie.from_items(items)
    root, stored = old.root_hash, dict(old.items())
    new = old.insert(key, value)
    assert new.get(key) == value
    removed = old.delete(key)
    assert removed.get(key) is None
    assert old.root_hash == root and dict(old.items()) == stored


def test_unchanged_operations_return_same_trie() -> None:
    trie = Trie.from_items({b"a": b"1", b"ab": b"2"})
    assert trie.insert(b"a", b"1") is trie
    assert trie.delete(b"zz") is trie
    assert trie.delete(b"") is trie


def test_empty_value_rejected() -> None:
    trie = Trie.from_items({b"a": b"1"})
    with pytest.raises(TrieEmptyValue):
        trie.insert(b"a", b"")
    with pytest.raises(TrieEmptyValue):
        trie_root({b"a": b""}, RUSTY_TRIE_HASHER)
    assert trie.get(b"a") == b"1"


@given(hashers, item_dicts)
def test_node_store(hasher: TrieHasher, items: dict[bytes, bytes]) -> None:
    trie = Trie.from_items(items, hasher)
    store = trie.node_store
    for digest, encoded in store.items():
        assert hasher.digest(encoded) == digest
        assert encode_node(decode_node(encoded)) == encoded
    if items:
        assert trie.root_hash in store
    with pytest.raises(TypeError):
        store[b"x"] = b"y"  # type: ignore[index]


def test_rusty_differs_from_ethereum() -> None:
    items = dict(ETHEREUM_KNOWN_ROOTS[1][1])
    assert trie_root(items, RUSTY_TRIE_HASHER) != trie_root(items, ETHEREUM_TRIE_HASHER)
    assert Trie.from_items(items) != Trie.from_items(items, ETHEREUM_TRIE_HASHER)


# --------------------------------------------------------------------------------------------
# MPT-10 .. MPT-12: proofs
# --------------------------------------------------------------------------------------------


@given(hashers, item_dicts, keys)
def test_proof_returns_value_iff_present(hasher: TrieHasher, items: dict[bytes, bytes], key: bytes) -> None:
    trie = Trie.from_items(items, hasher)
    proof = prove(trie, key)
    assert verify_proof(trie.root_hash, key, proof, hasher) == items.get(key)
    assert set(proof) <= set(trie.node_store.values())
    if key in items:
        verify_inclusion(trie.root_hash, key, items[key], proof, hasher)
        with pytest.raises(TrieProofValueMismatch):
            verify_exclusion(trie.root_hash, key, proof, hasher)
        with pytest.raises(TrieProofValueMismatch):
            verify_inclusion(trie.root_hash, key, items[key] + b"!", proof, hasher)
    else:
        verify_exclusion(trie.root_hash, key, proof, hasher)
        with pytest.raises(TrieProofValueMismatch):
            verify_inclusion(trie.root_hash, key, b"v", proof, hasher)


@given(item_dicts, keys)
def test_proofs_match_pytrie(items: dict[bytes, bytes], key: bytes) -> None:
    """Our proof is py-trie's proof with the inline nodes (which it lists separately) left out."""
    if not items:
        return
    trie = Trie.from_items(items, ETHEREUM_TRIE_HASHER)
    reference = HexaryTrie(db={})
    for k, v in items.items():
        reference[k] = v
    theirs = [_rlp(node) for node in reference.get_proof(key)]  # type: ignore[no-untyped-call]
    assert prove(trie, key) == tuple(n for i, n in enumerate(theirs) if i == 0 or len(n) >= 32)


@given(hashers, item_dicts, keys, st.data())
def test_tampered_proof_rejected(
    hasher: TrieHasher, items: dict[bytes, bytes], key: bytes, data: st.DataObject
) -> None:
    """Any change to a proof node is caught as a hash mismatch (or a node that fails to decode)."""
    trie = Trie.from_items(items, hasher)
    proof = list(prove(trie, key))
    if not proof:
        return
    position = data.draw(st.integers(0, len(proof) - 1))
    node = bytearray(proof[position])
    bit = data.draw(st.integers(0, 8 * len(node) - 1))
    node[bit // 8] ^= 1 << (bit % 8)
    proof[position] = bytes(node)
    with pytest.raises(TrieProofHashMismatch):
        verify_proof(trie.root_hash, key, proof, hasher)


@given(hashers, item_dicts, keys)
def test_truncated_and_extended_proofs_rejected(
    hasher: TrieHasher, items: dict[bytes, bytes], key: bytes
) -> None:
    trie = Trie.from_items(items, hasher)
    proof = prove(trie, key)
    if proof:
        with pytest.raises(TrieProofMissingNode):
            verify_proof(trie.root_hash, key, proof[:-1], hasher)
    with pytest.raises(TrieProofUnusedNode):
        verify_proof(trie.root_hash, key, (*proof, b"\x80"), hasher)


@given(hashers, st.lists(st.binary(max_size=120), max_size=6), keys, st.binary(max_size=33))
def test_verify_proof_raises_only_spec_errors(
    hasher: TrieHasher, proof: list[bytes], key: bytes, root: bytes
) -> None:
    for candidate_root in (root, hasher.digest(proof[0]) if proof else root):
        with contextlib.suppress(TrieProofError, TrieDecodeError):
            verify_proof(candidate_root, key, proof, hasher)


@given(hashers, st.lists(st.binary(max_size=80), min_size=1, max_size=4), keys)
def test_rooted_garbage_proofs_raise_only_trie_errors(
    hasher: TrieHasher, nodes: list[bytes], key: bytes
) -> None:
    """Chain arbitrary bytes so every hash matches: only decoding and position rules can reject them."""
    with contextlib.suppress(TrieError):
        verify_proof(hasher.digest(nodes[0]), key, nodes, hasher)


def test_empty_trie_proofs() -> None:
    for hasher in HASHERS:
        trie = Trie(hasher)
        assert prove(trie, b"k") == ()
        assert verify_proof(hasher.empty_root, b"k", (), hasher) is None
        with pytest.raises(TrieProofUnusedNode):
            verify_proof(hasher.empty_root, b"k", (b"\x80",), hasher)
        with pytest.raises(TrieProofMissingNode):
            verify_proof(bytes(32), b"k", (), hasher)
        with pytest.raises(TrieEmptyValue):
            verify_inclusion(hasher.empty_root, b"k", b"", (), hasher)


# --------------------------------------------------------------------------------------------
# MPT-7: strict decoding
# --------------------------------------------------------------------------------------------


@given(st.binary(max_size=200))
def test_decode_node_raises_only_decode_errors(data: bytes) -> None:
    try:
        node = decode_node(data)
    except TrieDecodeError:
        return
    assert encode_node(node) == data


node_items = st.recursive(
    st.one_of(
        st.binary(max_size=3),
        st.binary(min_size=32, max_size=32),
        st.sampled_from([b"\x20", b"\x00", b"\x11"]),
    ),
    lambda inner: st.lists(inner, min_size=0, max_size=17),
    max_leaves=40,
)


@given(node_items)
def test_decode_structured_garbage(item: object) -> None:
    """RLP-valid inputs of node-like shapes reach the shape rules; only decode errors escape."""
    data = _rlp(item)
    try:
        node = decode_node(data)
    except TrieDecodeError:
        return
    assert encode_node(node) == data


@given(hashers, item_dicts)
def test_every_trie_node_decodes_canonically(hasher: TrieHasher, items: dict[bytes, bytes]) -> None:
    for encoded in Trie.from_items(items, hasher).node_store.values():
        assert encode_node(decode_node(encoded)) == encoded


def test_decode_node_examples() -> None:
    value = b"v" * 40
    hash_a = bytes(range(32))
    assert decode_node(b"\x80") == EMPTY_TRIE
    assert decode_node(_rlp([b"\x20", value])) == Leaf(b"", value)
    assert decode_node(_rlp([b"\x11\x23", hash_a])) == Extension(bytes([1, 2, 3]), hash_a)
    inline_leaf = [b"\x20", b"x"]
    branch = decode_node(_rlp([inline_leaf, hash_a, *([b""] * 14), b""]))
    assert isinstance(branch, Branch)
    assert branch.children[0] == Leaf(b"", b"x") and branch.children[1] == hash_a


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", TrieRlpError),
        (b"\xc5\x82\x20\x12\x81\x05", TrieRlpError),  # 81 05: a single byte as a short string
        (_rlp([[[[[b""]]]]]), TrieRlpError),  # nested 5 deep
        (_rlp(b"abc"), TrieNodeShape),
        (_rlp([b"\x20"] * 3), TrieNodeShape),
        (_rlp([bytes(32)] * 16), TrieNodeShape),  # a branch with 16 children and no value
        (_rlp([b"\x41", b"v"]), TrieHexPrefixError),
        (_rlp([b"\x11", bytes(31)]), TrieChildRefError),
        (_rlp([b"\x11", b""]), TrieChildRefError),
        (_rlp([b"\x31", b""]), TrieNonCanonicalNode),
        (_rlp([b"\x11", [b"\x20", b"x"]]), TrieNonCanonicalNode),
        (_rlp([bytes(32), *([b""] * 16)]), TrieNonCanonicalNode),
    ],
)
def test_decode_node_errors(data: bytes, error: type[SpecError]) -> None:
    with pytest.raises(error):
        decode_node(data)


def test_deep_nesting_is_rejected_deterministically() -> None:
    """Nesting far beyond the recursion limit gets the same code as nesting just past the maximum."""
    item: object = [b""]
    for _ in range(MAX_NODE_NESTING):
        item = [item]
    shallow = _rlp(item)
    deep = b"\xc0"
    for _ in range(3000):
        size = len(deep)
        header = bytes([0xC0 + size]) if size < 56 else bytes([0xF7 + (size.bit_length() + 7) // 8])
        deep = header + (size.to_bytes((size.bit_length() + 7) // 8, "big") if size >= 56 else b"") + deep
    for data in (shallow, deep):
        with pytest.raises(TrieRlpError):
            decode_node(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x81\x05",  # single byte below 0x80 as a short string
        b"\xb8\x01a",  # long form for a short string
        b"\xb9\x00\x40" + b"a" * 64,  # length with a leading zero byte
        b"\xf8\x01\x80",  # long form for a short list
        b"\x80\x80",  # trailing bytes
        b"\xc2\x80",  # list length beyond the input
    ],
)
def test_rlp_library_rejects_non_canonical(data: bytes) -> None:
    """pyrlp's strict decoder already refuses non-canonical RLP; decode_node re-encodes as well."""
    with pytest.raises(rlp.DecodingError):
        rlp.decode(data, strict=True)
    with pytest.raises(TrieRlpError):
        decode_node(data)


@given(st.binary(max_size=12))
def test_rlp_library_decodes_only_canonical(data: bytes) -> None:
    try:
        item = rlp.decode(data, strict=True)
    except rlp.DecodingError:
        return
    assert _rlp(item) == data


# --------------------------------------------------------------------------------------------
# Node stores: stored_node_changes, Trie.from_store, prove_stored
# --------------------------------------------------------------------------------------------

# Two values of 33 bytes make leaves long enough to be hashed, and equal leaves under different
# prefixes (the same key suffix with the same value) appear often: the counts must track them.
store_values = st.one_of(st.sampled_from([b"A" * 33, b"B" * 33]), values)
store_operations = st.lists(st.tuples(keys, st.one_of(st.none(), store_values)), max_size=40)


def _node_counts(trie: Trie) -> dict[bytes, tuple[bytes, int]]:
    """Every stored node of ``trie`` with its count, as stored_node_changes from the empty trie."""
    return {digest: (data, count) for digest, data, count in stored_node_changes(Trie(trie.hasher), trie)}


@settings(max_examples=examples(60))
@given(hashers, store_operations)
def test_incremental_node_store_equals_rebuilt(
    hasher: TrieHasher, ops: list[tuple[bytes, bytes | None]]
) -> None:
    """A store that applies stored_node_changes after every insert/delete holds exactly the nodes of
    the trie rebuilt from its items, with their counts, and reads back into the same trie."""
    trie = Trie(hasher)
    model: dict[bytes, bytes] = {}
    store: dict[bytes, tuple[bytes, int]] = {}
    for key, value in ops:
        if value is None:
            updated = trie.delete(key)
            model.pop(key, None)
        else:
            updated = trie.insert(key, value)
            model[key] = value
        for digest, data, change in stored_node_changes(trie, updated):
            count = store.get(digest, (data, 0))[1] + change
            assert count >= 0
            if count:
                store[digest] = (data, count)
            else:
                del store[digest]
        trie = updated
        rebuilt = Trie.from_items(model, hasher)
        assert store == _node_counts(rebuilt)
        assert {digest: data for digest, (data, _) in store.items()} == dict(rebuilt.node_store)
    read_back = Trie.from_store(trie.root_hash, lambda digest: store.get(digest, (None, 0))[0], hasher)
    assert read_back.root_hash == trie_root(model, hasher)
    assert dict(read_back.items()) == model
    assert _node_counts(read_back) == store
    for key, _ in ops:
        stored_proof = prove_stored(trie.root_hash, key, lambda d: store.get(d, (None, 0))[0], hasher)
        assert stored_proof == prove(trie, key)
        assert verify_proof(trie.root_hash, key, stored_proof, hasher) == model.get(key)


@given(hashers, item_dicts, item_dicts)
def test_node_changes_between_any_two_tries(
    hasher: TrieHasher, first: dict[bytes, bytes], second: dict[bytes, bytes]
) -> None:
    """The changes are the difference of the two counted node stores, whatever the tries."""
    old, new = Trie.from_items(first, hasher), Trie.from_items(second, hasher)
    before, after = _node_counts(old), _node_counts(new)
    expected = {
        digest: count
        for digest in before.keys() | after.keys()
        if (count := after.get(digest, (b"", 0))[1] - before.get(digest, (b"", 0))[1])
    }
    changes = stored_node_changes(old, new)
    assert {digest: count for digest, _, count in changes} == expected
    assert [digest for digest, _, _ in changes] == sorted(expected)
    assert stored_node_changes(old, old) == ()


def test_equal_nodes_in_two_places_are_counted_twice() -> None:
    """Keys 0x00 0x11 and 0x01 0x11 with the same long value end in two equal hashed leaves."""
    value = b"V" * 40
    trie = Trie.from_items({b"\x00\x11": value, b"\x01\x11": value})
    counts = _node_counts(trie)
    assert sorted(count for _, count in counts.values()) == [1, 1, 2]
    (twice,) = (digest for digest, (_, count) in counts.items() if count == 2)
    shrunk = trie.delete(b"\x00\x11")
    changes = {digest: change for digest, _, change in stored_node_changes(trie, shrunk)}
    assert changes[twice] == -2  # the remaining key's leaf now starts at the root: a different node
    assert changes[shrunk.root_hash] == 1
    assert _node_counts(shrunk) == {shrunk.root_hash: (shrunk.node_store[shrunk.root_hash], 1)}


def test_short_root_read_from_store_stays_usable() -> None:
    """A root shorter than 32 bytes is stored (the root is always hashed); read back, it still
    works as an inline child when later operations put it below a new node."""
    trie = Trie.from_items({b"\x12": b"a", b"\x13": b"b"})
    assert len(trie.node_store[trie.root_hash]) < 32
    read_back = Trie.from_store(trie.root_hash, trie.node_store.get)
    for grown in (
        read_back.insert(b"\x22", b"c"),
        read_back.insert(b"\x1234", b"d"),
        read_back.delete(b"\x12"),
    ):
        items = dict(grown.items())
        assert grown.root_hash == trie_root(items, RUSTY_TRIE_HASHER)
        assert _node_counts(grown) == _node_counts(Trie.from_items(items))


def test_from_store_checks_every_node() -> None:
    items = {bytes([i]) * 3: bytes([i]) * 40 for i in range(20)}
    trie = Trie.from_items(items)
    nodes = dict(trie.node_store)
    empty: dict[bytes, bytes] = {}
    assert Trie.from_store(RUSTY_TRIE_HASHER.empty_root, empty.get) == Trie()
    assert prove_stored(RUSTY_TRIE_HASHER.empty_root, b"k", empty.get, RUSTY_TRIE_HASHER) == ()
    leaf_hash = next(d for d, data in nodes.items() if d != trie.root_hash)
    missing = {d: data for d, data in nodes.items() if d != leaf_hash}
    with pytest.raises(TrieProofMissingNode):
        Trie.from_store(trie.root_hash, missing.get)
    tampered = {**nodes, leaf_hash: nodes[leaf_hash][:-1] + b"!"}
    with pytest.raises(TrieProofHashMismatch):
        Trie.from_store(trie.root_hash, tampered.get)
    key = next(k for k in items if nodes[leaf_hash] in prove(trie, k))
    with pytest.raises(TrieProofHashMismatch):
        prove_stored(trie.root_hash, key, tampered.get, RUSTY_TRIE_HASHER)
