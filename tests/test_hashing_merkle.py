"""Properties of domain-separated hashing (HASH-1/2) and Merkle trees (MERKLE-1..5)."""

from __future__ import annotations

import contextlib
import hashlib

import blake3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.errors import (
    MerkleEmptyTree,
    MerkleError,
    MerkleIndexOutOfRange,
    MerkleProofLength,
    MerkleRootMismatch,
    UnknownDomain,
)
from spec.hashing import HashDomain, domain_by_name, tagged_hash, tagged_hash_many
from spec.merkle import (
    empty_root,
    inclusion_proof,
    inclusion_proof_length,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_inclusion_proof,
    split_point,
    verify_inclusion_proof,
)

leaf_lists = st.lists(st.binary(max_size=40), min_size=1, max_size=40)


def test_domains_are_distinct_and_well_formed() -> None:
    contexts = [d.value for d in HashDomain]
    assert len(set(contexts)) == len(contexts)
    for context in contexts:
        assert context.startswith("RustyCoin 2026-11 ") and context.endswith(" v1")


def test_tagged_hash_is_blake3_derive_key() -> None:
    expected = blake3.blake3(b"abc", derive_key_context=HashDomain.MERKLE_LEAF.value).digest()
    assert tagged_hash(HashDomain.MERKLE_LEAF, b"abc") == expected
    assert len(expected) == 32


@given(st.binary(max_size=100))
def test_domains_separate_equal_inputs(data: bytes) -> None:
    digests = {tagged_hash(d, data) for d in HashDomain}
    assert len(digests) == len(HashDomain)


@given(st.lists(st.binary(max_size=50), max_size=5))
def test_tagged_hash_many_is_concatenation(parts: list[bytes]) -> None:
    assert tagged_hash_many(HashDomain.TRIE_NODE, tuple(parts)) == tagged_hash(
        HashDomain.TRIE_NODE, b"".join(parts)
    )


def test_domain_lookup() -> None:
    assert domain_by_name("MERKLE_NODE") is HashDomain.MERKLE_NODE
    with pytest.raises(UnknownDomain):
        domain_by_name("merkle_node")


@given(st.integers(2, 2**40))
def test_split_point(count: int) -> None:
    k = split_point(count)
    assert k & (k - 1) == 0
    assert k < count <= 2 * k


def test_small_tree_shapes() -> None:
    a, b, c = b"a", b"b", b"c"
    assert merkle_root([]) == empty_root()
    assert merkle_root([a]) == leaf_hash(a)
    assert merkle_root([a, b]) == node_hash(leaf_hash(a), leaf_hash(b))
    assert merkle_root([a, b, c]) == node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))


@given(leaf_lists, st.data())
def test_every_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    """Completeness: the proof of every present leaf verifies against the root."""
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = inclusion_proof(leaves, index)
    assert len(proof) == inclusion_proof_length(index, len(leaves))
    assert len(proof) <= (len(leaves) - 1).bit_length()
    verify_inclusion_proof(leaves[index], index, len(leaves), proof, merkle_root(leaves))


@given(leaf_lists, st.data(), st.binary(max_size=40))
def test_proof_rejects_other_leaf(leaves: list[bytes], data: st.DataObject, other: bytes) -> None:
    """Soundness: a proof never shows different data at the same position."""
    index = data.draw(st.integers(0, len(leaves) - 1))
    if other == leaves[index]:
        return
    with pytest.raises(MerkleRootMismatch):
        verify_inclusion_proof(other, index, len(leaves), inclusion_proof(leaves, index), merkle_root(leaves))


@given(leaf_lists, st.data())
def test_tampered_proof_rejected(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = list(inclusion_proof(leaves, index))
    if not proof:
        return
    position = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    flipped = bytearray(proof[position])
    flipped[bit // 8] ^= 1 << (bit % 8)
    proof[position] = bytes(flipped)
    with pytest.raises(MerkleRootMismatch):
        verify_inclusion_proof(leaves[index], index, len(leaves), proof, merkle_root(leaves))


@given(leaf_lists, leaf_lists)
def test_distinct_lists_distinct_roots(first: list[bytes], second: list[bytes]) -> None:
    """No mutation: different leaf lists (including a duplicated last leaf) give different roots."""
    if first != second:
        assert merkle_root(first) != merkle_root(second)
    assert merkle_root(first) != merkle_root([*first, first[-1]])


@given(st.integers(-5, 50), st.integers(-5, 50), st.lists(st.binary(min_size=32, max_size=32), max_size=8))
def test_proof_checks_raise_only_merkle_errors(index: int, count: int, proof: list[bytes]) -> None:
    with contextlib.suppress(MerkleError):
        root_from_inclusion_proof(b"x", index, count, proof)


def test_proof_errors() -> None:
    leaves = [b"a", b"b", b"c"]
    with pytest.raises(MerkleEmptyTree):
        inclusion_proof([], 0)
    with pytest.raises(MerkleIndexOutOfRange):
        inclusion_proof(leaves, 3)
    proof = inclusion_proof(leaves, 2)
    with pytest.raises(MerkleProofLength):
        verify_inclusion_proof(b"c", 2, 3, [*proof, proof[0]], merkle_root(leaves))


def test_not_sha256() -> None:
    """Guards against an accidental switch of hash function."""
    assert leaf_hash(b"") != hashlib.sha256(b"\x00").digest()


def test_domain_table_in_docs_matches_hash_domain() -> None:
    """docs/hashing-and-merkle.md lists every domain with its exact context string, and nothing else."""
    import re
    from pathlib import Path

    from spec.hashing import HashDomain

    text = (Path(__file__).resolve().parent.parent / "docs" / "hashing-and-merkle.md").read_text(
        encoding="utf-8"
    )
    rows = dict(re.findall(r"^\| `([A-Z0-9_]+)` \| `([^`]+)` \|", text, flags=re.MULTILINE))
    assert rows == {domain.name: domain.value for domain in HashDomain}
