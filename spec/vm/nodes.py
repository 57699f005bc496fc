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

from collections.abc import Iterable, Iterator, Mapping

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
    hex_prefix_encode,
)

_NO_CHILDREN: tuple[ChildRef, ...] = (None,) * 16
_EMPTY_STRING = b"\x80"
_HASH_PREFIX = bytes([0x80 + HASH_LENGTH])


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def _rlp_string(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _rlp_length(len(data), 0x80) + data


def _rlp_ref(ref: ChildRef) -> bytes:
    if ref is None:
        return _EMPTY_STRING
    if isinstance(ref, bytes):
        return _rlp_string(ref)
    return fast_encode_node(ref)


def fast_encode_node(node: Node) -> bytes:
    """MPT-3: :func:`spec.trie.encode_node` of ``node``, written out (RLP of a node's few shapes).

    Equal to ``encode_node`` on every node (``tests/test_vm_ferris.py``); it exists because the
    general RLP library is most of a sidechain transaction's cost.
    """
    if isinstance(node, Leaf):
        payload = _rlp_string(hex_prefix_encode(node.path, True)) + _rlp_string(node.value)
    elif isinstance(node, Extension):
        payload = _rlp_string(hex_prefix_encode(node.path, False)) + _rlp_ref(node.child)
    else:
        parts = []
        for child in node.children:
            if child is None:
                parts.append(_EMPTY_STRING)
            elif type(child) is bytes and len(child) == HASH_LENGTH:
                parts.append(_HASH_PREFIX + child)
            else:
                parts.append(_rlp_ref(child))
        payload = b"".join(parts) + _rlp_string(node.value)
    return _rlp_length(len(payload), 0xC0) + payload


class CachedNodes(Mapping[bytes, bytes]):
    """A node source that also remembers the decoded form of each node read (a speed-up only).

    A block transition hands its VM one of these so that the nodes near the root, read by every
    transaction, are decoded once per block. It holds exactly the preimages of ``nodes``; wrapping
    it (as :class:`~spec.vm.interface.RecordingNodes` does) turns the cache off, so every read of a
    recorded execution is seen.
    """

    def __init__(self, nodes: Mapping[bytes, bytes]) -> None:
        self._nodes = nodes
        self.decoded: dict[bytes, Node] = {}

    def __getitem__(self, key: bytes) -> bytes:
        return self._nodes[key]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def decoded_cache(nodes: Mapping[bytes, bytes]) -> dict[bytes, Node]:
    """Where reads of ``nodes`` keep decoded nodes: a new cache for one execution, or the block's
    when ``nodes`` is exactly a :class:`CachedNodes` (so a recording wrapper never skips a read)."""
    return nodes.decoded if type(nodes) is CachedNodes else {}


def _load(nodes: Mapping[bytes, bytes], reference: bytes, cache: dict[bytes, Node]) -> Node:
    """VM-2: the node stored under ``reference`` (``VM_WITNESS_INCOMPLETE`` if ``nodes`` lacks it)."""
    cached = cache.get(reference)
    if cached is not None:
        return cached
    try:
        encoded = nodes[reference]
    except KeyError:
        raise WitnessIncomplete(f"no preimage of {reference.hex()}") from None
    node = decode_node(encoded)
    if isinstance(node, EmptyTrie):
        raise WitnessIncomplete(f"{reference.hex()} is the empty trie, not a node")
    cache[reference] = node
    return node


def _resolve(nodes: Mapping[bytes, bytes], ref: ChildRef, cache: dict[bytes, Node]) -> Node | None:
    if ref is None:
        return None
    if isinstance(ref, bytes):
        return _load(nodes, ref, cache)
    return ref


def get_value(
    nodes: Mapping[bytes, bytes],
    root: bytes,
    key: bytes,
    hasher: TrieHasher,
    cache: dict[bytes, Node] | None = None,
) -> bytes | None:
    """MPT-8 ``get`` over a node source: the value of ``key`` under ``root``, or ``None``.

    ``cache`` (from :func:`decoded_cache`) shares decoded nodes between the calls of one execution.
    """
    if root == hasher.empty_root:
        return None
    path = bytes_to_nibbles(key)
    if cache is None:
        cache = decoded_cache(nodes)
    node = _load(nodes, root, cache)
    while True:
        if isinstance(node, Leaf):
            return node.value if node.path == path else None
        if isinstance(node, Extension):
            if path[: len(node.path)] != node.path:
                return None
            path = path[len(node.path) :]
            child = _resolve(nodes, node.child, cache)
        else:
            if not path:
                return node.value or None
            child = _resolve(nodes, node.children[path[0]], cache)
            path = path[1:]
        if child is None:
            return None
        node = child


class _Builder:
    """The nodes one :func:`put_values` call builds, by hash (MPT-4)."""

    def __init__(self, nodes: Mapping[bytes, bytes], hasher: TrieHasher, cache: dict[bytes, Node]) -> None:
        self.nodes = nodes
        self.hasher = hasher
        self.built: dict[bytes, bytes] = {}
        self.built_nodes: dict[bytes, Node] = {}
        self.cache = cache

    def keep(self, node: Node) -> tuple[bytes, bytes]:
        """MPT-4: the RLP and hash of ``node``, which is kept among the built nodes."""
        encoded = fast_encode_node(node)
        digest = self.hasher.digest(encoded)
        self.built[digest] = encoded
        self.built_nodes[digest] = node
        return encoded, digest

    def ref(self, node: Node) -> ChildRef:
        """MPT-4: the node itself if its RLP is short, else its hash (and the node is kept)."""
        encoded = fast_encode_node(node)
        if len(encoded) < HASH_LENGTH:
            return node
        digest = self.hasher.digest(encoded)
        self.built[digest] = encoded
        self.built_nodes[digest] = node
        return digest

    def load(self, ref: ChildRef) -> Node | None:
        if isinstance(ref, bytes):
            built = self.built_nodes.get(ref)
            if built is not None:
                return built
        return _resolve(self.nodes, ref, self.cache)

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


def _reachable(
    root: bytes, built: Mapping[bytes, bytes], built_nodes: Mapping[bytes, Node]
) -> tuple[tuple[bytes, bytes], ...]:
    """The nodes of ``built`` the trie under ``root`` references (nodes built, then replaced, drop out).

    Only hash references are followed: an inline node is shorter than 32 bytes, so it holds none (MPT-4).
    """
    kept: dict[bytes, bytes] = {}
    pending = [root]
    while pending:
        digest = pending.pop()
        if digest in kept:
            continue
        kept[digest] = built[digest]
        node = built_nodes[digest]
        if isinstance(node, Branch):
            pending.extend(c for c in node.children if type(c) is bytes and c in built)
        elif isinstance(node, Extension) and type(node.child) is bytes and node.child in built:
            pending.append(node.child)
    return tuple(sorted(kept.items()))


def put_values(
    nodes: Mapping[bytes, bytes],
    root: bytes,
    pairs: Iterable[tuple[bytes, bytes]],
    hasher: TrieHasher,
    cache: dict[bytes, Node] | None = None,
) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
    """MPT-8 ``insert`` of each ``(key, value)`` in order over a node source.

    Returns the new root and the hashed nodes of the new trie that were built here (the root's
    node always among them, even when short, since the root is always hashed: MPT-4), sorted by
    hash. Values must be non-empty (MPT-9; callers encode values that never are).
    """
    builder = _Builder(nodes, hasher, decoded_cache(nodes) if cache is None else cache)
    current: ChildRef = None if root == hasher.empty_root else root
    for key, value in pairs:
        _, current = builder.keep(builder.insert(current, bytes_to_nibbles(key), value))
    if not isinstance(current, bytes):
        return hasher.empty_root, ()
    builder.cache.update(builder.built_nodes)  # content-addressed: later reads of these skip decoding
    return current, _reachable(current, builder.built, builder.built_nodes)
