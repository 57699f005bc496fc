"""Binary Merkle trees and inclusion proofs (protocol step "MERKLE").

The tree shape is the one of RFC 9162 (Certificate Transparency v2), with BLAKE3 domain
separation in place of SHA-256 prefix bytes. Unlike Bitcoin's tree it never duplicates the last
node of an odd level, so two different leaf lists never share a root (no CVE-2012-2459 mutation).

* **MERKLE-1** ``leaf_hash(d) = H(MERKLE_LEAF, d)``; ``node_hash(l, r) = H(MERKLE_NODE, l || r)``.
* **MERKLE-2** ``root([]) = H(MERKLE_EMPTY, "")``; ``root([d]) = leaf_hash(d)``; for ``n >= 2``
  leaves, with ``k`` the largest power of two strictly below ``n``,
  ``root(D) = node_hash(root(D[0:k]), root(D[k:n]))``.
* **MERKLE-3** the inclusion proof of leaf ``m`` in ``D`` lists sibling subtree roots from the leaf
  upwards; its length is fixed by ``(m, n)`` (:func:`inclusion_proof_length`).
* **MERKLE-4** a proof is accepted iff ``m < n``, its length is exactly
  ``inclusion_proof_length(m, n)`` and folding it from the leaf hash yields the root.
* **MERKLE-5** a proof binds the leaf's position only as far as the path *shape* does: leaf 4 has
  the same path shape in trees of 7 and 8 leaves, so one proof verifies for both counts. An
  object that relies on its leaf count (a block's transaction count) commits to it separately.
"""

from __future__ import annotations

from collections.abc import Sequence

from spec.errors import (
    MerkleEmptyTree,
    MerkleIndexOutOfRange,
    MerkleProofLength,
    MerkleRootMismatch,
)
from spec.hashing import HashDomain, domain_hasher, tagged_hash, tagged_hash_many


def leaf_hash(data: bytes) -> bytes:
    """MERKLE-1: the hash of one leaf's data."""
    return tagged_hash(HashDomain.MERKLE_LEAF, data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """MERKLE-1: the hash of an inner node from its two 32-byte children."""
    return tagged_hash_many(HashDomain.MERKLE_NODE, (left, right))


def empty_root() -> bytes:
    """MERKLE-2: the root of a tree with no leaves."""
    return tagged_hash(HashDomain.MERKLE_EMPTY, b"")


def split_point(leaf_count: int) -> int:
    """MERKLE-2: the largest power of two strictly below ``leaf_count`` (requires ``leaf_count >= 2``).

    The left subtree of a tree of ``n`` leaves holds the first ``split_point(n)`` leaves, so
    ``split_point(n) < n <= 2 * split_point(n)``.
    """
    if leaf_count < 2:
        raise ValueError("split_point is defined for at least two leaves")
    return 1 << ((leaf_count - 1).bit_length() - 1)


def _root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = split_point(len(hashes))
    return node_hash(_root_of_hashes(hashes[:k]), _root_of_hashes(hashes[k:]))


def _root_level_by_level(hashes: Sequence[bytes]) -> bytes:
    """MERKLE-2's root of ``hashes`` (at least one), computed bottom up: each level pairs
    neighbours left to right and carries an odd last node up unchanged. The split at the largest
    power of two below ``n`` makes the left subtree complete, so its pairs never straddle the
    split and the carried node is always the right subtree's last one: the same tree as
    :func:`_root_of_hashes` (``tests/test_fast_paths.py`` checks both on every size up to 300),
    with the node hashes written out on one keyed hasher, reset after each node (issue 14: two
    Merkle trees of 15,000 leaves per block, a call chain of three functions per node, then a
    copy of the keyed hasher per node)."""
    hasher = domain_hasher(HashDomain.MERKLE_NODE).copy()
    update, digest, reset = hasher.update, hasher.digest, hasher.reset
    level = list(hashes)
    while len(level) > 1:
        paired: list[bytes] = []
        append = paired.append
        for index in range(1, len(level), 2):
            update(level[index - 1])
            update(level[index])
            append(digest())
            reset()
        if len(level) & 1:
            append(level[-1])
        level = paired
    return level[0]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MERKLE-2: the root committing to the ordered list ``leaves``."""
    if not leaves:
        return empty_root()
    hasher = domain_hasher(HashDomain.MERKLE_LEAF).copy()
    update, digest, reset = hasher.update, hasher.digest, hasher.reset
    hashes: list[bytes] = []
    append = hashes.append
    for data in leaves:  # leaf_hash(data), written out on one keyed hasher reset after each leaf
        update(data)
        append(digest())
        reset()
    return _root_level_by_level(hashes)


def inclusion_proof_length(leaf_index: int, leaf_count: int) -> int:
    """MERKLE-3: the number of sibling hashes in the proof of leaf ``leaf_index`` of ``leaf_count``.

    Pre: ``0 <= leaf_index < leaf_count``. The result is at most ``ceil(log2(leaf_count))``.
    """
    length = 0
    while leaf_count > 1:
        k = split_point(leaf_count)
        if leaf_index < k:
            leaf_count = k
        else:
            leaf_index -= k
            leaf_count -= k
        length += 1
    return length


def _path(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = split_point(len(hashes))
    if index < k:
        return [*_path(index, hashes[:k]), _root_of_hashes(hashes[k:])]
    return [*_path(index - k, hashes[k:]), _root_of_hashes(hashes[:k])]


def inclusion_proof(leaves: Sequence[bytes], leaf_index: int) -> tuple[bytes, ...]:
    """MERKLE-3: the inclusion proof of ``leaves[leaf_index]`` (siblings from the leaf upwards)."""
    if not leaves:
        raise MerkleEmptyTree("no proof exists in an empty tree")
    if not 0 <= leaf_index < len(leaves):
        raise MerkleIndexOutOfRange(f"leaf index {leaf_index} not below leaf count {len(leaves)}")
    return tuple(_path(leaf_index, [leaf_hash(d) for d in leaves]))


def root_from_inclusion_proof(leaf: bytes, leaf_index: int, leaf_count: int, proof: Sequence[bytes]) -> bytes:
    """MERKLE-4: fold ``proof`` from ``leaf`` up to the root it implies (RFC 9162 section 2.1.3.2).

    Raises ``MERKLE_INDEX_OUT_OF_RANGE`` or ``MERKLE_PROOF_LENGTH`` for proofs that cannot belong to
    any tree of ``leaf_count`` leaves.
    """
    if leaf_count <= 0:
        raise MerkleEmptyTree("no proof exists in an empty tree")
    if not 0 <= leaf_index < leaf_count:
        raise MerkleIndexOutOfRange(f"leaf index {leaf_index} not below leaf count {leaf_count}")
    expected = inclusion_proof_length(leaf_index, leaf_count)
    if len(proof) != expected:
        raise MerkleProofLength(f"proof has {len(proof)} hashes, expected {expected}")
    node_index = leaf_index
    last_index = leaf_count - 1
    current = leaf_hash(leaf)
    for sibling in proof:
        if node_index % 2 == 1 or node_index == last_index:
            current = node_hash(sibling, current)
            if node_index % 2 == 0:
                # A right-edge node with no right sibling: climb until it is a right child.
                while node_index % 2 == 0 and node_index != 0:
                    node_index >>= 1
                    last_index >>= 1
        else:
            current = node_hash(current, sibling)
        node_index >>= 1
        last_index >>= 1
    return current


def verify_inclusion_proof(
    leaf: bytes, leaf_index: int, leaf_count: int, proof: Sequence[bytes], root: bytes
) -> None:
    """MERKLE-4: accept (return) iff ``proof`` shows ``leaf`` at ``leaf_index`` under ``root``.

    Raises ``MERKLE_ROOT_MISMATCH`` when the proof is well formed but leads elsewhere.
    """
    if root_from_inclusion_proof(leaf, leaf_index, leaf_count, proof) != root:
        raise MerkleRootMismatch("the proof does not lead to the claimed root")
