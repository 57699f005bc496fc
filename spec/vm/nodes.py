"""Trie reads and writes over a node source, touching only the nodes on a key's path (VM-2, VM-6).

A VM reads state only through ``nodes``, a mapping from a node hash to its RLP (VM-2). Loading the
whole trie (:meth:`spec.trie.Trie.from_store`) would read every node, so every witness would be
the whole state. These helpers walk one key's path instead, so the witness of a transaction
(:func:`spec.vm.interface.record_witness`) is the union of the paths of the keys it reads and
writes: what a Merkle Patricia proof of those keys holds (MPT-10), no more.

* :func:`get_value` is MPT-8's ``get`` on the trie under ``root``: it reads the hashed nodes on the
  key's path (the root included).
* :func:`put_values` is MPT-8's ``insert`` of several keys in order. It reads the nodes on each
  key's path (MPT-6 needs nothing else when no key is deleted: a new key splits a leaf or an
  extension or fills a branch slot, and every node it builds is on its own path) and returns the
  new root and the hashed nodes of the new trie that the old one did not reference, sorted by
  hash (VM-3's ``new_nodes``). The result equals ``Trie.insert`` (``tests/test_vm_ferris.py``
  checks the roots against :func:`spec.trie.trie_root`).

Reading a hash that ``nodes`` does not hold raises ``VM_WITNESS_INCOMPLETE`` (VM-2). A preimage
that is not a canonical node raises its ``TRIE_DECODE_*`` code (MPT-7). No key is ever deleted:
the VMs that use these helpers keep every account they create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spec.errors import WitnessIncomplete
from spec.trie import (
    HASH_LENGTH,
    Branch,
    ChildRef,
    EmptyTrie,
    Extension,
    Leaf,
    Nibbles,
    Node,
    TrieHasher,
    bytes_to_nibbles,
    common_prefix_length,
    decode_node,
    encode_node,
)

_NO_CHILDREN: tuple[ChildRef, ...] = (None,) * 16


def _load(nodes: Mapping[bytes, bytes], reference: bytes) -> Node:
    """VM-2: the node stored under ``reference`` (``VM_WITNESS_INCOMPLETE`` if ``nodes`` lacks it)."""
    try:
        encoded = nodes[reference]
    except KeyError:
        raise WitnessIncomplete(f"no preimage of {reference.hex()}") from None
    node = decode_node(encoded)
    if isinstance(node, EmptyTrie):
        raise WitnessIncomplete(f"{reference.hex()} is the empty trie, not a node")
    return node


def _resolve(nodes: Mapping[bytes, bytes], ref: ChildRef) -> Node | None:
    if ref is None:
        return None
    if isinstance(ref, bytes):
        return _load(nodes, ref)
    return ref


def get_value(nodes: Mapping[bytes, bytes], root: bytes, key: bytes, hasher: TrieHasher) -> bytes | None:
    """MPT-8 ``get`` over a node source: the value of ``key`` under ``root``, or ``None``."""
    if root == hasher.empty_root:
        return None
    path = bytes_to_nibbles(key)
    node = _load(nodes, root)
    while True:
        if isinstance(node, Leaf):
            return node.value if node.path == path else None
        if isinstance(node, Extension):
            if path[: len(node.path)] != node.path:
                return None
            path = path[len(node.path) :]
            child = _resolve(nodes, node.child)
        else:
            if not path:
                return node.value or None
            child = _resolve(nodes, node.children[path[0]])
            path = path[1:]
        if child is None:
            return None
        node = child


class _Builder:
    """The nodes one :func:`put_values` call builds, by hash (MPT-4)."""

    def __init__(self, nodes: Mapping[bytes, bytes], hasher: TrieHasher) -> None:
        self.nodes = nodes
        self.hasher = hasher
        self.built: dict[bytes, bytes] = {}

    def ref(self, node: Node) -> ChildRef:
        """MPT-4: the node itself if its RLP is short, else its hash (and the node is kept)."""
        encoded = encode_node(node)
        if len(encoded) < HASH_LENGTH:
            return node
        digest = self.hasher.digest(encoded)
        self.built[digest] = encoded
        return digest

    def load(self, ref: ChildRef) -> Node | None:
        if isinstance(ref, bytes) and ref in self.built:
            node = decode_node(self.built[ref])
            if isinstance(node, EmptyTrie):  # never built
                raise WitnessIncomplete("the empty trie inside a trie")
            return node
        return _resolve(self.nodes, ref)

    def split(
        self, path: Nibbles, rest: Nibbles, leaf_value: bytes | None, child: ChildRef, value: bytes
    ) -> Node:
        """A branch (under an extension over the common prefix, if any) holding the existing node
        and the new key: the existing node is a leaf (``rest``, ``leaf_value``) or an extension
        (``rest``, ``child``)."""
        common = common_prefix_length(rest, path)
        children = list(_NO_CHILDREN)
        branch_value = b""
        if leaf_value is not None:
            if len(rest) == common:
                branch_value = leaf_value
            else:
                children[rest[common]] = self.ref(Leaf(rest[common + 1 :], leaf_value))
        elif len(rest) == common + 1:
            children[rest[common]] = child
        else:
            children[rest[common]] = self.ref(Extension(rest[common + 1 :], child))
        if len(path) == common:
            branch_value = value
        else:
            children[path[common]] = self.ref(Leaf(path[common + 1 :], value))
        branch = Branch(tuple(children), branch_value)
        return Extension(path[:common], self.ref(branch)) if common else branch

    def insert(self, ref: ChildRef, path: Nibbles, value: bytes) -> Node:
        """MPT-8 ``insert`` below ``ref``: the new node standing where ``ref`` stood."""
        node = self.load(ref)
        if node is None:
            return Leaf(path, value)
        if isinstance(node, Leaf):
            if node.path == path:
                return Leaf(path, value)
            return self.split(path, node.path, node.value, None, value)
        if isinstance(node, Extension):
            common = common_prefix_length(node.path, path)
            if common == len(node.path):
                child = self.insert(node.child, path[common:], value)
                return Extension(node.path, self.ref(child))
            return self.split(path, node.path, None, node.child, value)
        if not path:
            return Branch(node.children, value)
        children = list(node.children)
        children[path[0]] = self.ref(self.insert(node.children[path[0]], path[1:], value))
        return Branch(tuple(children), node.value)


def _reachable(root: bytes, built: Mapping[bytes, bytes]) -> tuple[tuple[bytes, bytes], ...]:
    """The nodes of ``built`` the trie under ``root`` references (nodes built, then replaced, drop out)."""
    kept: dict[bytes, bytes] = {}
    pending = [root]
    while pending:
        digest = pending.pop()
        encoded = built.get(digest)
        if encoded is None or digest in kept:
            continue
        kept[digest] = encoded
        stack: list[ChildRef] = [decode_node(encoded)]  # type: ignore[list-item]
        while stack:
            node = stack.pop()
            if isinstance(node, bytes):
                pending.append(node)
            elif isinstance(node, Extension):
                stack.append(node.child)
            elif isinstance(node, Branch):
                stack.extend(node.children)
    return tuple(sorted(kept.items()))


def put_values(
    nodes: Mapping[bytes, bytes], root: bytes, pairs: Iterable[tuple[bytes, bytes]], hasher: TrieHasher
) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
    """MPT-8 ``insert`` of each ``(key, value)`` in order over a node source.

    Returns the new root and the hashed nodes of the new trie that were built here (the root's
    node always among them, even when short, since the root is always hashed: MPT-4), sorted by
    hash. Values must be non-empty (MPT-9; callers encode values that never are).
    """
    builder = _Builder(nodes, hasher)
    current: ChildRef = None if root == hasher.empty_root else root
    for key, value in pairs:
        top = builder.insert(current, bytes_to_nibbles(key), value)
        encoded = encode_node(top)
        digest = hasher.digest(encoded)
        builder.built[digest] = encoded
        current = digest
    if not isinstance(current, bytes):
        return hasher.empty_root, ()
    return current, _reachable(current, builder.built)
