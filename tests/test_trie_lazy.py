"""Lazily loaded partial tries (MPT-13): ``Trie.from_store(root, load, hasher, lazy=True)``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.errors import TrieProofHashMismatch, WitnessIncomplete
from spec.trie import (
    ETHEREUM_TRIE_HASHER,
    RUSTY_TRIE_HASHER,
    Trie,
    TrieHasher,
    prove,
    stored_node_changes,
    trie_root,
)
from tests.hypothesis_profiles import examples

HASHERS = (RUSTY_TRIE_HASHER, ETHEREUM_TRIE_HASHER)
EMPTY: dict[bytes, bytes] = {}
keys = st.lists(st.sampled_from(b"\x00\x01\x10\x11\xab"), max_size=4).map(bytes)
# Long values make hashed leaves (stubs), short ones inline leaves.
values = st.one_of(st.binary(min_size=1, max_size=40), st.sampled_from([b"A" * 33, b"B" * 40]))
item_dicts = st.dictionaries(keys, values, max_size=24)
operations = st.lists(st.tuples(st.sampled_from(["get", "put", "del"]), keys, values), max_size=30)


class CountingStore:
    """A node store that records every hash read."""

    def __init__(self, nodes: dict[bytes, bytes]) -> None:
        self.nodes = nodes
        self.reads: list[bytes] = []

    def load(self, digest: bytes) -> bytes | None:
        self.reads.append(digest)
        return self.nodes.get(digest)


@settings(max_examples=examples(80))
@given(st.sampled_from(HASHERS), item_dicts, operations)
def test_lazy_trie_agrees_with_eager_trie(
    hasher: TrieHasher, items: dict[bytes, bytes], ops: list[tuple[str, bytes, bytes]]
) -> None:
    """Every get, insert and delete on a lazy trie gives the eager trie's answer and root, and the
    root is MPT-6's definitional root of the model."""
    eager = Trie.from_items(items, hasher)
    store = CountingStore(dict(eager.node_store))
    lazy = Trie.from_store(eager.root_hash, store.load, hasher, lazy=True)
    assert lazy.root_hash == eager.root_hash
    model = dict(items)
    for op, key, value in ops:
        if op == "get":
            assert lazy.get(key) == eager.get(key) == model.get(key)
        elif op == "put":
            lazy, eager = lazy.insert(key, value), eager.insert(key, value)
            model[key] = value
        else:
            lazy, eager = lazy.delete(key), eager.delete(key)
            model.pop(key, None)
        assert lazy.root_hash == eager.root_hash == trie_root(model, hasher)
    assert dict(lazy.items()) == model
    assert dict(lazy.node_store) == dict(eager.node_store)
    original = Trie.from_items(items, hasher)
    lazy_original = Trie.from_store(original.root_hash, store.load, hasher, lazy=True)
    assert stored_node_changes(lazy_original, lazy) == stored_node_changes(original, eager)


@settings(max_examples=examples(60))
@given(st.sampled_from(HASHERS), item_dicts, keys)
def test_lazy_get_reads_only_its_path(hasher: TrieHasher, items: dict[bytes, bytes], key: bytes) -> None:
    """Opening reads only the root; a get reads the key's proof nodes (MPT-10) and at most the branch
    below an extension the path leaves; a store with exactly those nodes answers the same."""
    eager = Trie.from_items(items, hasher)
    store = CountingStore(dict(eager.node_store))
    lazy = Trie.from_store(eager.root_hash, store.load, hasher, lazy=True)
    opened = set(store.reads)
    assert opened <= {eager.root_hash} or (eager.root_hash in opened and len(opened) == 2)
    assert lazy.get(key) == items.get(key)
    read = set(store.reads)
    proof_hashes = {hasher.digest(node) for node in prove(eager, key)}
    assert proof_hashes <= read
    # beyond the proof: only the branch below an extension (the root's, the one the path leaves)
    assert len(read - proof_hashes) <= 2
    partial = {digest: eager.node_store[digest] for digest in read if digest in eager.node_store}
    again = Trie.from_store(eager.root_hash, partial.get, hasher, lazy=True)
    assert again.get(key) == items.get(key)


def _two_hashed_leaves() -> tuple[Trie, bytes, bytes]:
    """A root branch with exactly two hashed leaves (values of 40 bytes)."""
    trie = Trie.from_items({b"\x10": b"a" * 40, b"\x20": b"b" * 40}, ETHEREUM_TRIE_HASHER)
    (first, second) = (ETHEREUM_TRIE_HASHER.digest(prove(trie, k)[-1]) for k in (b"\x10", b"\x20"))
    return trie, first, second


def test_missing_node_is_witness_incomplete() -> None:
    trie, first, _second = _two_hashed_leaves()
    nodes = dict(trie.node_store)
    with pytest.raises(WitnessIncomplete):
        Trie.from_store(trie.root_hash, EMPTY.get, ETHEREUM_TRIE_HASHER, lazy=True)
    without_first = {d: n for d, n in nodes.items() if d != first}
    lazy = Trie.from_store(trie.root_hash, without_first.get, ETHEREUM_TRIE_HASHER, lazy=True)
    assert lazy.get(b"\x20") == b"b" * 40  # the other path needs nothing missing
    assert lazy.get(b"\x30") is None  # an empty slot needs nothing either
    with pytest.raises(WitnessIncomplete):
        lazy.get(b"\x10")
    with pytest.raises(WitnessIncomplete):
        lazy.insert(b"\x10", b"c")
    # An insert that replaces a stub needs nothing below it: a new key in an empty slot.
    assert lazy.insert(b"\x30", b"c").root_hash == trie.insert(b"\x30", b"c").root_hash


def test_delete_needs_the_sibling_it_collapses_with() -> None:
    """Deleting one of two branch occupants merges the branch with the other: its node is read."""
    trie, _first, second = _two_hashed_leaves()
    nodes = dict(trie.node_store)
    without_sibling = {d: n for d, n in nodes.items() if d != second}
    lazy = Trie.from_store(trie.root_hash, without_sibling.get, ETHEREUM_TRIE_HASHER, lazy=True)
    assert lazy.get(b"\x10") == b"a" * 40
    with pytest.raises(WitnessIncomplete):
        lazy.delete(b"\x10")
    complete = Trie.from_store(trie.root_hash, nodes.get, ETHEREUM_TRIE_HASHER, lazy=True)
    assert complete.delete(b"\x10").root_hash == trie.delete(b"\x10").root_hash


def test_lazy_nodes_are_checked_like_proof_nodes() -> None:
    trie, first, _ = _two_hashed_leaves()
    nodes = dict(trie.node_store)
    tampered = {**nodes, first: nodes[first][:-1] + b"!"}
    lazy = Trie.from_store(trie.root_hash, tampered.get, ETHEREUM_TRIE_HASHER, lazy=True)
    with pytest.raises(TrieProofHashMismatch):
        lazy.get(b"\x10")


def test_unchanged_operations_keep_the_lazy_trie() -> None:
    trie, _, _ = _two_hashed_leaves()
    lazy = Trie.from_store(trie.root_hash, trie.node_store.get, ETHEREUM_TRIE_HASHER, lazy=True)
    assert lazy.insert(b"\x10", b"a" * 40) is lazy
    assert lazy.delete(b"\x11") is lazy
    assert Trie.from_store(
        ETHEREUM_TRIE_HASHER.empty_root, EMPTY.get, ETHEREUM_TRIE_HASHER, lazy=True
    ) == Trie(ETHEREUM_TRIE_HASHER)
