"""The Merkle Patricia Trie (protocol step "MPT").

The structure is Ethereum's hexary trie (Yellow Paper, appendix D) with the node hash function a
parameter (:class:`TrieHasher`). Rusty Coin uses BLAKE3 in the ``TRIE_NODE`` domain
(:data:`RUSTY_TRIE_HASHER`); :data:`ETHEREUM_TRIE_HASHER` (keccak-256) reproduces Ethereum roots
and is how this module is checked against Ethereum. Nothing else differs between the two.

* **MPT-1** a key is any byte string; its *path* is its nibble sequence, high nibble first
  (:func:`bytes_to_nibbles`). A nibble string is held as ``bytes`` with one nibble (0..15) per byte.
* **MPT-2** hex-prefix encoding ``HP(path, leaf)``: the first nibble is ``2 * leaf + (len(path) % 2)``;
  an even path adds a zero padding nibble; the nibbles are then packed two per byte
  (:func:`hex_prefix_encode`). Decoding rejects an empty string, a flag nibble above 3 and a non-zero
  padding nibble (:func:`hex_prefix_decode`).
* **MPT-3** node RLP forms: leaf ``[HP(path, true), value]``, extension ``[HP(path, false), ref(child)]``,
  branch ``[ref(c0), ..., ref(c15), value]`` (``b""`` = no value); the empty trie is ``RLP(b"") = 0x80``
  (:func:`encode_node`).
* **MPT-4** references: an absent child is ``b""``; a node whose RLP is shorter than 32 bytes is embedded
  in its parent as its RLP list (*inline*), any other node is referenced by ``H(RLP(node))``
  (:func:`node_ref`). The root is always hashed: ``root = H(RLP(root node))``, and the empty trie's
  root is ``H(0x80)`` (:attr:`TrieHasher.empty_root`). ``H`` yields 32 bytes.
* **MPT-5** canonical shape: leaf values are non-empty; an extension has a non-empty path and its
  child is a branch; a branch has at least two occupants (children plus a non-empty value). Every
  trie built by MPT-6 or MPT-8 has this shape, and :func:`decode_node` accepts nothing else.
* **MPT-6** the root of a key/value set ``J`` is defined structurally (Yellow Paper ``c(J, i)``):
  one pair is a leaf; pairs sharing nibbles beyond ``i`` form an extension over that common prefix;
  otherwise a branch splits them by their nibble at ``i``, holding the value of the key that ends
  at ``i`` (:func:`trie_root`).
* **MPT-7** strict node decoding (:func:`decode_node`), first failure wins, in this order:
  (a) the bytes are exactly one canonical RLP item nested at most :data:`MAX_NODE_NESTING` deep
  (``TRIE_DECODE_RLP``); (b) ``0x80`` is the empty trie, any other string is ``TRIE_DECODE_NODE_SHAPE``;
  (c) a list of 2 items is a leaf or an extension, of 17 items a branch, anything else
  ``TRIE_DECODE_NODE_SHAPE``; (d) items are checked in order: a 2-item node's path (a string,
  valid HP), then a leaf's value (a non-empty string) or an extension's path (non-empty) and child;
  a branch's 16 children, then its value (a string), then its occupancy. A child is ``b""``, a
  32-byte hash or an inline node whose RLP is shorter than 32 bytes, itself decoded by (c)-(d)
  (``TRIE_DECODE_CHILD_REF``); shape violations of MPT-5 are ``TRIE_DECODE_NONCANONICAL_NODE``.
* **MPT-8** :class:`Trie` is a persistent map: ``insert``/``delete`` return a new trie sharing all
  untouched nodes and leave the old one valid. Its root always equals :func:`trie_root` of its items.
* **MPT-9** values are non-empty. ``insert(key, b"")`` raises ``TRIE_EMPTY_VALUE`` instead of
  deleting (Ethereum's convention): a put that silently removes the key would break
  ``get(insert(t, k, v), k) == v``, and a caller that means "delete" must say so.
* **MPT-10** the proof of a key is the RLP of every *hashed* node on its path, from the root down,
  in path order; inline nodes travel inside their parents (:func:`prove`). The root node is always
  included (it is hashed even when short); the empty trie's proof is empty.
* **MPT-11** :func:`verify_proof` walks the key's path from the root, taking the next proof node
  whenever the path reaches a hash reference. Each taken node must hash to that reference
  (``TRIE_PROOF_HASH_MISMATCH``), decode (MPT-7), and fit its position (``TRIE_PROOF_INVALID_NODE``);
  a reference with no node left is ``TRIE_PROOF_MISSING_NODE``; nodes left over after the path is
  decided are ``TRIE_PROOF_UNUSED_NODE``. The walk returns the value, or ``None`` when the path
  provably ends or diverges (an exclusion proof).
* **MPT-12** :func:`verify_inclusion` / :func:`verify_exclusion` accept a claimed result and raise
  ``TRIE_PROOF_VALUE_MISMATCH`` when the proof shows a different one.
* **MPT-13** a *lazy* (partial) trie, ``Trie.from_store(root, load, hasher, lazy=True)``, is the
  trie under ``root`` for stateless execution: only the root node (and an extension's branch) is
  read when opened; a branch's hashed children stay hash stubs until a ``get``, ``insert`` or
  ``delete`` needs them (a ``delete`` that collapses a branch reads the sibling it merges with).
  A preimage ``load`` does not hold is ``VM_WITNESS_INCOMPLETE``; a loaded node is checked as a
  proof node (MPT-11). Every answer and root equals the eager trie's (MPT-8).

Node stores. A node that keeps a trie on disk stores the nodes MPT-4 hashes (the root and every node
of 32 bytes or more) by hash. Three helpers serve such a store without changing any rule above:
:func:`stored_node_changes` (MPT-4/8: how the stored nodes, counted with multiplicity, change from
one trie to the next, found by walking only the paths that differ), :meth:`Trie.from_store` (MPT-8:
the trie read back from its stored nodes, each checked as MPT-11 checks a proof node) and
:func:`prove_stored` (MPT-10: a key's proof read from the store, touching only the nodes on its path).
"""

from __future__ import annotations

import heapq
from binascii import hexlify, unhexlify
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from types import MappingProxyType
from typing import Any, TypeAlias

import rlp
from Crypto.Hash import keccak

from spec.errors import (
    TrieBadNibbles,
    TrieChildRefError,
    TrieEmptyValue,
    TrieHexPrefixError,
    TrieNodeShape,
    TrieNonCanonicalNode,
    TrieProofHashMismatch,
    TrieProofInvalidNode,
    TrieProofMissingNode,
    TrieProofUnusedNode,
    TrieProofValueMismatch,
    TrieRlpError,
    WitnessIncomplete,
)
from spec.hashing import HashDomain, domain_hasher

Nibbles: TypeAlias = bytes
"""A nibble string: one nibble (0..15) per byte (MPT-1)."""

HASH_LENGTH = 32
"""Length of a node hash; also the inline threshold (MPT-4: RLP shorter than this is inlined)."""

EMPTY_NODE_RLP = b"\x80"
"""MPT-3: the encoding of the empty trie, ``RLP(b"")``."""

MAX_NODE_NESTING = 4
"""MPT-7(a): the deepest list nesting any canonical node has.

Only extensions and branches hold lists (inline children), inline children are shorter than 32
bytes, an inline branch needs at least 18 bytes and an inline extension 2 bytes plus its branch.
So the deepest node is a node holding an inline extension, holding an inline branch, holding an
inline leaf: 4 levels. Bounding the depth before anything else makes the error code of absurdly
nested input independent of the decoder's recursion limit.
"""

_TO_NIBBLES = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))
_FROM_NIBBLES = bytes.maketrans(bytes(range(16)), b"0123456789abcdef")


# --------------------------------------------------------------------------------------------
# MPT-1, MPT-2: paths and hex-prefix encoding
# --------------------------------------------------------------------------------------------


def bytes_to_nibbles(key: bytes) -> Nibbles:
    """MPT-1: the path of ``key``: two nibbles per byte, high nibble first."""
    return hexlify(key).translate(_TO_NIBBLES)


_NIBBLE_VALUES = bytes(range(16))


def _check_nibbles(nibbles: Nibbles) -> None:
    # "some nibble is above 15", as one C-level pass: deleting every value 0..15 leaves nothing
    # (``max`` over the path, a Python int per nibble, was most of a trie leaf's cost, issue 14)
    if nibbles.translate(None, _NIBBLE_VALUES):
        raise TrieBadNibbles(f"nibble value {max(nibbles)} above 15")


def nibbles_to_bytes(nibbles: Nibbles) -> bytes:
    """MPT-1: the key whose path is ``nibbles`` (an even number of nibbles, each at most 15)."""
    _check_nibbles(nibbles)
    if len(nibbles) % 2:
        raise TrieBadNibbles(f"{len(nibbles)} nibbles do not make whole bytes")
    return bytes.fromhex(nibbles.translate(_FROM_NIBBLES).decode())


def hex_prefix_encode(nibbles: Nibbles, is_leaf: bool) -> bytes:
    """MPT-2: ``HP(nibbles, is_leaf)``: flag nibble ``2 * is_leaf + odd``, a zero pad if even, packed."""
    _check_nibbles(nibbles)
    flag = 2 if is_leaf else 0
    # nibbles_to_bytes of the flagged path, without checking the nibbles a second time.
    flagged = bytes((flag + 1,)) + nibbles if len(nibbles) % 2 else bytes((flag, 0)) + nibbles
    return bytes.fromhex(flagged.translate(_FROM_NIBBLES).decode())


def hex_prefix_decode(data: bytes) -> tuple[Nibbles, bool]:
    """MPT-2: ``(path, is_leaf)`` of a hex-prefix string; raise ``TRIE_DECODE_HEX_PREFIX`` if malformed."""
    if not data:
        raise TrieHexPrefixError("empty hex-prefix string")
    flag = data[0] >> 4
    if flag > 3:
        raise TrieHexPrefixError(f"flag nibble {flag} above 3")
    nibbles = bytes_to_nibbles(data)
    if flag & 1:
        return nibbles[1:], bool(flag & 2)
    if nibbles[1] != 0:
        raise TrieHexPrefixError(f"padding nibble {nibbles[1]} of an even path is not zero")
    return nibbles[2:], bool(flag & 2)


def common_prefix_length(a: Nibbles, b: Nibbles) -> int:
    """MPT-6: the number of leading nibbles ``a`` and ``b`` share."""
    limit = min(len(a), len(b))
    for index in range(limit):
        if a[index] != b[index]:
            return index
    return limit


# --------------------------------------------------------------------------------------------
# MPT-3, MPT-4: nodes, their encoding and references
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmptyTrie:
    """MPT-3: the empty trie; encodes as ``RLP(b"") = 0x80`` and never appears inside another node."""


EMPTY_TRIE = EmptyTrie()


@dataclass(frozen=True, slots=True)
class Leaf:
    """MPT-3: the end of a key: the rest of its path and its (non-empty) value."""

    path: Nibbles
    value: bytes


@dataclass(frozen=True, slots=True)
class Extension:
    """MPT-3: a shared run of nibbles (non-empty) leading to a branch."""

    path: Nibbles
    child: ChildRef


@dataclass(frozen=True, slots=True)
class Branch:
    """MPT-3: a 16-way split by the next nibble, plus the value of the key that ends here (or ``b""``).

    ``children`` has exactly 16 entries. Constructors do not validate: :func:`decode_node` is the
    gate for untrusted bytes, and the trie builds only canonical nodes.
    """

    children: tuple[ChildRef, ...]
    value: bytes


Node: TypeAlias = Leaf | Extension | Branch
"""A node that can stand inside a trie."""

AnyNode: TypeAlias = EmptyTrie | Leaf | Extension | Branch
"""Anything :func:`decode_node` can return."""

ChildRef: TypeAlias = "Node | bytes | None"
"""MPT-4: how a parent names a child: ``None`` (absent), a 32-byte hash, or the inline node itself."""

RlpItem: TypeAlias = "bytes | list[RlpItem]"
"""A decoded RLP item: a byte string or a list of items."""


def _ref_item(ref: ChildRef) -> RlpItem:
    if ref is None:
        return b""
    if isinstance(ref, bytes):
        return ref
    return _node_item(ref)


def _node_item(node: Node) -> RlpItem:
    if isinstance(node, Leaf):
        return [hex_prefix_encode(node.path, True), node.value]
    if isinstance(node, Extension):
        return [hex_prefix_encode(node.path, False), _ref_item(node.child)]
    return [*(_ref_item(child) for child in node.children), node.value]


def rlp_encode_readable(item: RlpItem) -> bytes:
    """MPT-3: RLP by the ``rlp`` package (the readable definition :func:`rlp_encode` must equal)."""
    encoded: bytes = rlp.encode(item, infer_serializer=False)
    return encoded


def _rlp_length_prefix(length: int, short: int, long: int) -> bytes:
    if length < 56:
        return bytes((short + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((long + len(size),)) + size


_HASH_REFERENCE_PREFIX = bytes((0x80 + HASH_LENGTH,))
"""RLP's prefix of a 32-byte string: a hash reference inside a branch or extension (MPT-4)."""
_SHORT_STRING_PREFIXES = tuple(bytes((0x80 + length,)) for length in range(56))
_SHORT_LIST_PREFIXES = tuple(bytes((0xC0 + length,)) for length in range(56))
_STRING_PREFIXES = tuple(_rlp_length_prefix(length, 0x80, 0xB7) for length in range(256))
"""RLP's prefix of a byte string of each length below 256 (short and one-byte long forms)."""
_LIST_PREFIXES = tuple(_rlp_length_prefix(length, 0xC0, 0xF7) for length in range(1024))
"""RLP's prefix of a list of each payload length below 1,024 (a leaf's, and a branch's of 16
hashed children and a short value)."""


def rlp_encode(item: RlpItem) -> bytes:
    """MPT-3: the RLP of a byte string or a (nested) list of them, the same bytes as
    :func:`rlp_encode_readable` without its generic serializer dispatch (issue 14: it was most of
    a trie node's encoding cost); a list's strings are written in line, as a branch's 17 items
    mostly are. ``tests/test_fast_paths.py`` checks both agree on arbitrary items."""
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length_prefix(len(item), 0x80, 0xB7) + item
    parts: list[bytes] = []
    for element in item:
        if isinstance(element, bytes):
            length = len(element)
            if length >= 56:
                parts.append(_rlp_length_prefix(length, 0x80, 0xB7))
            elif length != 1 or element[0] >= 0x80:
                parts.append(_SHORT_STRING_PREFIXES[length])
            parts.append(element)
        else:
            parts.append(rlp_encode(element))
    payload = b"".join(parts)
    return _rlp_length_prefix(len(payload), 0xC0, 0xF7) + payload


def _rlp_encode(item: RlpItem) -> bytes:
    return rlp_encode(item)


def encode_node(node: AnyNode) -> bytes:
    """MPT-3: the RLP encoding of ``node`` (inline children embedded as RLP lists)."""
    if isinstance(node, EmptyTrie):
        return EMPTY_NODE_RLP
    return _rlp_encode(_node_item(node))


@dataclass(frozen=True)
class TrieHasher:
    """MPT-4: the node hash function ``H`` (32-byte output) and the root of the empty trie, ``H(0x80)``.

    ``empty_root`` is written out in the constant that defines a hasher so that the value is visible
    in the specification; construction checks it against ``digest``.
    """

    name: str
    digest: Callable[[bytes], bytes]
    empty_root: bytes

    def __post_init__(self) -> None:
        if len(self.empty_root) != HASH_LENGTH or self.digest(EMPTY_NODE_RLP) != self.empty_root:
            raise ValueError(f"trie hasher {self.name!r}: empty_root is not H(0x80)")


_TRIE_NODE_BASE = domain_hasher(HashDomain.TRIE_NODE)


def _rusty_node_hash(data: bytes) -> bytes:
    """MPT-4 (Rusty Coin): ``H = tagged_hash(TRIE_NODE, ·)`` (HASH-1), written out on the domain's
    keyed hasher (issue 14: one call per node instead of three; ``tests/test_fast_paths.py``
    checks it equals ``tagged_hash_readable``)."""
    hasher = _TRIE_NODE_BASE.copy()
    hasher.update(data)
    digest: bytes = hasher.digest()
    return digest


def keccak256(data: bytes) -> bytes:
    """MPT-4 (Ethereum): ``H = keccak-256`` (the original Keccak padding, not SHA3-256)."""
    return keccak.new(data=data, digest_bits=256).digest()


RUSTY_TRIE_HASHER = TrieHasher(
    name="rusty",
    digest=_rusty_node_hash,
    empty_root=bytes.fromhex("43cc403cc213244f8746da5bdc45a6a08e338d0084cbf7f2c5c47ece7b4dad85"),
)
"""The Rusty Coin instantiation: BLAKE3 in the ``TRIE_NODE`` domain."""

ETHEREUM_TRIE_HASHER = TrieHasher(
    name="ethereum",
    digest=keccak256,
    empty_root=bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"),
)
"""The Ethereum instantiation (keccak-256): reproduces Ethereum's trie roots."""

TRIE_HASHERS: Mapping[str, TrieHasher] = MappingProxyType(
    {h.name: h for h in (RUSTY_TRIE_HASHER, ETHEREUM_TRIE_HASHER)}
)
"""Every hasher by name (read-only)."""


def node_ref(node: Node, hasher: TrieHasher) -> ChildRef:
    """MPT-4: how a parent refers to ``node``: the node itself if its RLP is short, else its hash."""
    encoded = encode_node(node)
    return node if len(encoded) < HASH_LENGTH else hasher.digest(encoded)


# --------------------------------------------------------------------------------------------
# MPT-6: the definitional root
# --------------------------------------------------------------------------------------------


def _structural_node(pairs: Sequence[tuple[Nibbles, bytes]], depth: int, hasher: TrieHasher) -> Node:
    """MPT-6: Yellow Paper ``c(J, i)`` for sorted, distinct, non-empty ``pairs`` at nibble ``depth``."""
    if len(pairs) == 1:
        path, value = pairs[0]
        return Leaf(path[depth:], value)
    first, last = pairs[0][0], pairs[-1][0]
    shared = depth + common_prefix_length(first[depth:], last[depth:])
    if shared > depth:
        return Extension(first[depth:shared], _structural_ref(pairs, shared, hasher))
    value = b""
    for path, item_value in pairs:
        if len(path) == depth:
            value = item_value
    children = tuple(
        _structural_ref([p for p in pairs if len(p[0]) > depth and p[0][depth] == nibble], depth + 1, hasher)
        for nibble in range(16)
    )
    return Branch(children, value)


def _structural_ref(pairs: Sequence[tuple[Nibbles, bytes]], depth: int, hasher: TrieHasher) -> ChildRef:
    """MPT-6: Yellow Paper ``n(J, i)``: absent, inline or hashed."""
    if not pairs:
        return None
    return node_ref(_structural_node(pairs, depth, hasher), hasher)


def trie_root(items: Mapping[bytes, bytes], hasher: TrieHasher) -> bytes:
    """MPT-6: the root of the key/value set ``items``, computed from the whole set at once.

    This is the definition; :class:`Trie` must agree with it after any sequence of operations.
    Raises ``TRIE_EMPTY_VALUE`` if a value is empty (MPT-9).
    """
    pairs = sorted((bytes_to_nibbles(key), value) for key, value in items.items())
    for path, value in pairs:
        if not value:
            raise TrieEmptyValue(f"key {nibbles_to_bytes(path).hex()} has the empty value")
    if not pairs:
        return hasher.empty_root
    return hasher.digest(encode_node(_structural_node(pairs, 0, hasher)))


# --------------------------------------------------------------------------------------------
# MPT-7: strict node decoding
# --------------------------------------------------------------------------------------------


def _nesting_depth(item: RlpItem) -> int:
    """The list nesting depth of a decoded item (a string has depth 0), stopping past the maximum."""
    depth = 0
    level: list[RlpItem] = [item]
    while depth <= MAX_NODE_NESTING:
        lists = [x for x in level if isinstance(x, list)]
        if not lists:
            return depth
        depth += 1
        level = [inner for outer in lists for inner in outer]
    return depth


def _decode_rlp(data: bytes) -> RlpItem:
    """MPT-7(a): exactly one canonical RLP item, nested at most MAX_NODE_NESTING deep."""
    try:
        item: Any = rlp.decode(data, strict=True)
    except (rlp.RLPException, RecursionError):
        # RecursionError: nesting in the hundreds, which (a) rejects anyway, whatever the stack.
        raise TrieRlpError("not one well-formed canonical RLP item") from None
    if _nesting_depth(item) > MAX_NODE_NESTING:
        raise TrieRlpError(f"lists nested deeper than {MAX_NODE_NESTING} levels")
    if _rlp_encode(item) != data:
        raise TrieRlpError("RLP is not canonical")
    decoded: RlpItem = item
    return decoded


def _child_from_item(item: RlpItem) -> ChildRef:
    """MPT-7(d): a child reference: ``b""``, a 32-byte hash, or a short inline node."""
    if isinstance(item, bytes):
        if not item:
            return None
        if len(item) == HASH_LENGTH:
            return item
        raise TrieChildRefError(f"a {len(item)}-byte child reference (expected 0 or {HASH_LENGTH})")
    if len(_rlp_encode(item)) >= HASH_LENGTH:
        raise TrieChildRefError(f"an inline child of {HASH_LENGTH} bytes or more (it must be hashed)")
    return _node_from_item(item)


def _node_from_item(item: list[RlpItem]) -> Node:
    """MPT-7(c)-(d): a leaf, extension or branch from its decoded RLP list."""
    if len(item) == 2:
        path_item, second = item
        if not isinstance(path_item, bytes):
            raise TrieNodeShape("a path that is a list")
        path, is_leaf = hex_prefix_decode(path_item)
        if is_leaf:
            if not isinstance(second, bytes):
                raise TrieNodeShape("a leaf value that is a list")
            if not second:
                raise TrieNonCanonicalNode("a leaf with the empty value")
            return Leaf(path, second)
        if not path:
            raise TrieNonCanonicalNode("an extension with an empty path")
        child = _child_from_item(second)
        if child is None:
            raise TrieChildRefError("an extension without a child")
        if isinstance(child, Leaf | Extension):
            raise TrieNonCanonicalNode("an extension whose inline child is not a branch")
        return Extension(path, child)
    if len(item) == 17:
        children = tuple(_child_from_item(child) for child in item[:16])
        value = item[16]
        if not isinstance(value, bytes):
            raise TrieNodeShape("a branch value that is a list")
        occupants = sum(child is not None for child in children) + (1 if value else 0)
        if occupants < 2:
            raise TrieNonCanonicalNode(f"a branch with {occupants} occupant(s)")
        return Branch(children, value)
    raise TrieNodeShape(f"a list of {len(item)} items (a node has 2 or 17)")


def decode_node(data: bytes) -> AnyNode:
    """MPT-7: the node encoded by ``data``, which must be canonical; only TRIE_DECODE_* errors escape.

    For every accepted ``data``, ``encode_node(decode_node(data)) == data``.
    """
    item = _decode_rlp(bytes(data))
    if isinstance(item, bytes):
        if not item:
            return EMPTY_TRIE
        raise TrieNodeShape("a non-empty string is not a node")
    return _node_from_item(item)


# --------------------------------------------------------------------------------------------
# MPT-8, MPT-9: the persistent trie
# --------------------------------------------------------------------------------------------


# The held nodes are not frozen dataclasses: a frozen dataclass's ``__init__`` sets each field
# through ``object.__setattr__``, about twice the cost of a plain slot store, and a block builds one
# per changed leaf and branch (issue 14). Nothing assigns to a held node once it is built.
@dataclass(slots=True)
class _HeldLeaf:
    """A held leaf keeps its path and value, not a :class:`Leaf` object (issue 14: one frozen
    dataclass fewer per leaf built); :attr:`node` gives the MPT-3 node."""

    path: Nibbles
    value: bytes
    encoded: bytes
    ref: ChildRef
    item: bytes

    @property
    def node(self) -> Leaf:
        """MPT-3: the leaf node itself."""
        return self.ref if isinstance(self.ref, Leaf) else Leaf(self.path, self.value)


class _LazySource:
    """MPT-13: where a lazy trie's stubs load from, with a memo of the nodes already loaded.

    The memo is shared by every trie derived from one lazy trie. Nodes are content-addressed and
    immutable, so it changes no answer and no set of hashes read: it only avoids loading, hashing
    and decoding the same node again.
    """

    __slots__ = ("hasher", "load", "memo")

    def __init__(self, load: Callable[[bytes], bytes | None], hasher: TrieHasher) -> None:
        self.load = load
        self.hasher = hasher
        self.memo: dict[tuple[bytes, bool], _Held] = {}


@dataclass(frozen=True, slots=True)
class _Stub:
    """MPT-13 (lazy tries): a hashed child of a branch not loaded yet; ``source`` resolves ``ref``."""

    ref: bytes
    source: _LazySource

    @property
    def item(self) -> bytes:
        """MPT-4: how its parent's RLP names it (the hash as a 32-byte string; see :func:`_item`)."""
        return _HASH_REFERENCE_PREFIX + self.ref


@dataclass(slots=True)
class _HeldBranch:
    """A held branch keeps its value and children, not a :class:`Branch` object (issue 14: no
    16-reference tuple and frozen dataclass per branch built); :attr:`node` gives the MPT-3 node."""

    value: bytes
    encoded: bytes
    ref: ChildRef
    kids: tuple[_Kid, ...]
    item: bytes

    @property
    def node(self) -> Branch:
        """MPT-3: the branch node itself (each child named by its reference, MPT-4)."""
        if isinstance(self.ref, Branch):
            return self.ref
        return Branch(tuple([None if kid is None else kid.ref for kid in self.kids]), self.value)


@dataclass(slots=True)
class _HeldExtension:
    node: Extension
    encoded: bytes
    ref: ChildRef
    child: _HeldBranch
    item: bytes


_Held: TypeAlias = "_HeldLeaf | _HeldExtension | _HeldBranch"
"""A node held in memory with its encoding, its reference (MPT-4), the RLP item its parent
embeds (``item``, :func:`_item`) and its in-memory children."""


def _item(encoded: bytes, ref: ChildRef) -> bytes:
    """MPT-3/4: the RLP a parent embeds for a child: its own RLP if inline, else its hash as a
    32-byte string (kept on every held node: a rebuilt branch joins its children's in C)."""
    return _HASH_REFERENCE_PREFIX + ref if isinstance(ref, bytes) else encoded


_Kid: TypeAlias = "_Held | _Stub | None"
"""A branch's child: absent, held, or (lazy tries only) a stub still to be loaded."""


def _encode_and_ref(node: Node, hasher: TrieHasher) -> tuple[bytes, ChildRef]:
    encoded = encode_node(node)
    return encoded, (node if len(encoded) < HASH_LENGTH else hasher.digest(encoded))


def _rlp_string(data: bytes) -> bytes:
    """MPT-3: RLP of one byte string (:func:`rlp_encode` of ``bytes``, the short forms looked up)."""
    length = len(data)
    if length < 256:
        if length == 1 and data[0] < 0x80:
            return data
        return _STRING_PREFIXES[length] + data
    return _rlp_length_prefix(length, 0x80, 0xB7) + data


def _rlp_list(payload: bytes) -> bytes:
    """MPT-3: RLP of a list whose items' RLP, concatenated, is ``payload``."""
    length = len(payload)
    if length < 1024:
        return _LIST_PREFIXES[length] + payload
    return _rlp_length_prefix(length, 0xC0, 0xF7) + payload


def _leaf(path: Nibbles, value: bytes, hasher: TrieHasher) -> _HeldLeaf:
    # encode_node(Leaf(path, value)) written out: RLP [HP(path, leaf), value] (MPT-3); a trie of
    # hashed keys is mostly leaves, built once per changed item (issue 14).
    # The path is a held node's, so its nibbles are known to be 0..15: HP (MPT-2) without
    # hex_prefix_encode's check, the flagged nibbles packed by one C call.
    # The Leaf node object is built only for an inline leaf, whose reference (MPT-4) it is.
    hex_prefix = unhexlify(((b"\x03" if len(path) & 1 else b"\x02\x00") + path).translate(_FROM_NIBBLES))
    packed, size = len(hex_prefix), len(value)
    if 1 < packed < 56 and 1 < size < 56:  # two short strings (MPT-3): every prefix looked up
        encoded = b"".join(
            (
                _LIST_PREFIXES[packed + size + 2],
                _SHORT_STRING_PREFIXES[packed],
                hex_prefix,
                _SHORT_STRING_PREFIXES[size],
                value,
            )
        )
    else:
        encoded = _rlp_list(_rlp_string(hex_prefix) + _rlp_string(value))
    if len(encoded) < HASH_LENGTH:
        return _HeldLeaf(path, value, encoded, Leaf(path, value), encoded)
    digest = hasher.digest(encoded)
    return _HeldLeaf(path, value, encoded, digest, _HASH_REFERENCE_PREFIX + digest)


def _extension(path: Nibbles, child: _HeldBranch, hasher: TrieHasher) -> _HeldExtension:
    node = Extension(path, child.ref)
    encoded, ref = _encode_and_ref(node, hasher)
    return _HeldExtension(node, encoded, ref, child, _item(encoded, ref))


def _branch(kids: tuple[_Kid, ...], value: bytes, hasher: TrieHasher) -> _HeldBranch:
    # encode_node(Branch(...)) written out (MPT-3/4): an absent child is RLP(b"") = 0x80, a hash
    # reference a 32-byte string, an inline child its own RLP: each held child (and stub) keeps
    # that item, so the 16 are joined by C calls alone (``getattr``'s default stands for an
    # absent child, ``None``), not a Python step per slot (issue 14).
    payload = b"".join(map(getattr, kids, _ITEM_NAMES, _ABSENT_ITEMS))
    encoded = _rlp_list(payload + (_rlp_string(value) if value else b"\x80"))
    if len(encoded) < HASH_LENGTH:  # an inline branch: its reference is the node itself
        node = Branch(tuple([None if kid is None else kid.ref for kid in kids]), value)
        return _HeldBranch(value, encoded, node, kids, encoded)
    digest = hasher.digest(encoded)
    return _HeldBranch(value, encoded, digest, kids, _HASH_REFERENCE_PREFIX + digest)


_ITEM_NAMES = ("item",) * 16
_ABSENT_ITEMS = (b"\x80",) * 16
"""MPT-3/4: an absent child's item, ``RLP(b"")``."""


def _split(
    leaves: tuple[tuple[Nibbles, bytes], ...], placed: tuple[int, _Held] | None, hasher: TrieHasher
) -> _HeldBranch:
    """MPT-8: a branch where paths part: new leaves ``(rest of path, value)`` and maybe one subtree.

    The paths (and the subtree's ``slot``) differ in their first nibble; at most one path is empty,
    and its value becomes the branch value.
    """
    kids: list[_Kid] = [None] * 16
    value = b""
    if placed is not None:
        kids[placed[0]] = placed[1]
    for path, content in leaves:
        if path:
            kids[path[0]] = _leaf(path[1:], content, hasher)
        else:
            value = content
    return _branch(tuple(kids), value, hasher)


def _prefixed(prefix: Nibbles, sub: _Held, hasher: TrieHasher) -> _Held:
    """MPT-5: put ``prefix`` in front of ``sub``: merge into a leaf or extension path, or wrap a branch."""
    if not prefix:
        return sub
    if isinstance(sub, _HeldLeaf):
        return _leaf(prefix + sub.path, sub.value, hasher)
    if isinstance(sub, _HeldExtension):
        return _extension(prefix + sub.node.path, sub.child, hasher)
    return _extension(prefix, sub, hasher)


def _insert(held: _Held | None, path: Nibbles, value: bytes, hasher: TrieHasher) -> _Held:
    """MPT-8: ``held`` with ``path`` mapped to ``value`` (returns ``held`` itself if nothing changes)."""
    if held is None:
        return _leaf(path, value, hasher)
    if isinstance(held, _HeldBranch):
        return _insert_into_branch(held, path, value, hasher)
    node_path = held.path if isinstance(held, _HeldLeaf) else held.node.path
    shared = common_prefix_length(node_path, path)
    if isinstance(held, _HeldLeaf):
        if node_path == path:
            return held if held.value == value else _leaf(path, value, hasher)
        branch = _split(((node_path[shared:], held.value), (path[shared:], value)), None, hasher)
    elif shared == len(node_path):
        child = _insert_into_branch(held.child, path[shared:], value, hasher)
        return held if child is held.child else _extension(node_path, child, hasher)
    else:
        moved = (node_path[shared], _prefixed(node_path[shared + 1 :], held.child, hasher))
        branch = _split(((path[shared:], value),), moved, hasher)
    return _extension(path[:shared], branch, hasher) if shared else branch


def _insert_into_branch(held: _HeldBranch, path: Nibbles, value: bytes, hasher: TrieHasher) -> _HeldBranch:
    """MPT-8: insert below a branch: set its value, or insert into the child the next nibble selects."""
    if not path:
        return held if held.value == value else _branch(held.kids, value, hasher)
    slot = path[0]
    kid = held.kids[slot]
    target = _resolve(kid) if isinstance(kid, _Stub) else kid
    new_kid = _insert(target, path[1:], value, hasher)
    if new_kid is target:
        return held
    return _branch((*held.kids[:slot], new_kid, *held.kids[slot + 1 :]), held.value, hasher)


def _normalized_branch(kids: tuple[_Kid, ...], value: bytes, hasher: TrieHasher) -> _Held | None:
    """MPT-5: a branch that lost an occupant: keep it if two remain, else collapse it."""
    # The occupied slots counted in one C-level pass: a held node or a stub is always true (no
    # ``__bool__`` or ``__len__``), so ``filter(None, ...)`` drops exactly the empty slots (issue
    # 14: a Python-level scan of the 16 slots per rebuilt branch; the index is looked for only
    # when the branch collapses).
    occupied = len(tuple(filter(None, kids)))
    if occupied + (1 if value else 0) >= 2:
        return _branch(kids, value, hasher)
    if value:
        return _leaf(b"", value, hasher)
    if occupied:
        slot = next(index for index, kid in enumerate(kids) if kid is not None)
        only = kids[slot]
        if isinstance(only, _Stub):  # a lazy trie loads the sibling it merges with
            only = _resolve(only)
        if only is not None:
            return _prefixed(bytes([slot]), only, hasher)
    return None


def _delete(held: _Held | None, path: Nibbles, hasher: TrieHasher) -> _Held | None:
    """MPT-8: ``held`` without ``path`` (returns ``held`` itself if the key is absent)."""
    if held is None:
        return None
    if isinstance(held, _HeldLeaf):
        return None if held.path == path else held
    if isinstance(held, _HeldExtension):
        prefix = held.node.path
        if path[: len(prefix)] != prefix:
            return held
        child = _delete(held.child, path[len(prefix) :], hasher)
        if child is held.child:
            return held
        return None if child is None else _prefixed(prefix, child, hasher)
    if not path:
        return held if not held.value else _normalized_branch(held.kids, b"", hasher)
    slot = path[0]
    kid = held.kids[slot]
    target = _resolve(kid) if isinstance(kid, _Stub) else kid
    new_kid = _delete(target, path[1:], hasher)
    if new_kid is target:
        return held
    kids = (*held.kids[:slot], new_kid, *held.kids[slot + 1 :])
    return _normalized_branch(kids, held.value, hasher)


def _walk(held: _Held | None) -> Iterator[tuple[Nibbles, _Held]]:
    """Every held node with the path leading to it, depth first, children in nibble order."""
    stack: list[tuple[Nibbles, _Held]] = [] if held is None else [(b"", held)]
    while stack:
        path, current = stack.pop()
        yield path, current
        if isinstance(current, _HeldExtension):
            stack.append((path + current.node.path, current.child))
        elif isinstance(current, _HeldBranch):
            for nibble in range(15, -1, -1):
                kid = current.kids[nibble]
                if isinstance(kid, _Stub):
                    kid = _resolve(kid)
                if kid is not None:
                    stack.append((path + bytes([nibble]), kid))


def _held_from_sorted(
    pairs: Sequence[tuple[Nibbles, bytes]], lo: int, hi: int, depth: int, hasher: TrieHasher
) -> _Held:
    """MPT-6 ``c(J, i)`` as held nodes, for the sorted, distinct pairs ``pairs[lo:hi]`` at ``depth``."""
    if hi - lo == 1:
        path, value = pairs[lo]
        return _leaf(path[depth:], value, hasher)
    first, last = pairs[lo][0], pairs[hi - 1][0]
    shared = depth + common_prefix_length(first[depth:], last[depth:])
    if shared > depth:
        return _extension(first[depth:shared], _branch_from_sorted(pairs, lo, hi, shared, hasher), hasher)
    return _branch_from_sorted(pairs, lo, hi, depth, hasher)


def _branch_from_sorted(
    pairs: Sequence[tuple[Nibbles, bytes]], lo: int, hi: int, depth: int, hasher: TrieHasher
) -> _HeldBranch:
    """The branch at ``depth`` over ``pairs[lo:hi]`` (which part at ``depth`` or end there)."""
    value = b""
    if len(pairs[lo][0]) == depth:  # sorted: the key that ends here comes first
        value = pairs[lo][1]
        lo += 1
    kids: list[_Kid] = [None] * 16
    start = lo
    while start < hi:
        nibble = pairs[start][0][depth]
        end = start + 1
        while end < hi and pairs[end][0][depth] == nibble:
            end += 1
        kids[nibble] = _held_from_sorted(pairs, start, end, depth + 1, hasher)
        start = end
    return _branch(tuple(kids), value, hasher)


def _items_below(held: _Held | None, path: Nibbles, found: dict[Nibbles, bytes]) -> None:
    """Every ``(path, value)`` under ``held`` (its paths prefixed by ``path``) into ``found``."""
    for position, node in _walk(held):
        if isinstance(node, _HeldLeaf):
            found[path + position + node.path] = node.value
        elif isinstance(node, _HeldBranch) and node.value:
            found[path + position] = node.value


def _rebuilt(
    held: _Held | None, changes: Sequence[tuple[Nibbles, bytes | None]], depth: int, hasher: TrieHasher
) -> _Held | None:
    """``held``'s items with ``changes`` (paths from ``depth``) applied, built by MPT-6's recursion."""
    found: dict[Nibbles, bytes] = {}
    _items_below(held, b"", found)
    for path, value in changes:
        if value is None:
            found.pop(path[depth:], None)
        else:
            found[path[depth:]] = value
    if not found:
        return None
    pairs = sorted(found.items())
    return _held_from_sorted(pairs, 0, len(pairs), 0, hasher)


class _Columns(dict[int, bytes]):
    """The nibbles at one depth of every path of a sorted batch of changes, as one byte string per
    depth (built when first asked for): ``columns[d][i]`` is nibble ``d`` of path ``i``. ``padded``
    holds the paths, each padded to ``width`` nibbles (the filler stands only where a path is
    shorter, which :func:`_update` never reads: below a branch at depth ``d``, every path but the
    one ending there is longer than ``d``)."""

    __slots__ = ("padded", "width")

    def __init__(self, padded: bytes, width: int) -> None:
        super().__init__()
        self.padded = padded
        self.width = width

    def __missing__(self, depth: int) -> bytes:
        column = self.padded[depth :: self.width]
        self[depth] = column
        return column


def _columns(paths: Sequence[Nibbles], joined: bytes | None = None) -> _Columns:
    """The :class:`_Columns` of ``paths`` (``joined``: their concatenation, if already at hand)."""
    width = max(1, max(map(len, paths)))
    if joined is None or len(joined) != width * len(paths):  # not all of one length: pad them
        joined = b"".join(map(bytes.ljust, paths, repeat(width), repeat(b"\x00")))
    return _Columns(joined, width)


def _update(
    held: _Held | None,
    changes: Sequence[tuple[Nibbles, bytes | None]],
    lo: int,
    hi: int,
    depth: int,
    hasher: TrieHasher,
    columns: _Columns,
) -> _Held | None:
    """MPT-8, batched: ``held`` (the node at nibble ``depth`` of every path in ``changes[lo:hi]``)
    with each of those sorted, distinct changes applied: ``(path, value)`` sets, ``(path, None)``
    deletes. Every node on the changed paths is rebuilt once, whatever the number of changes
    below it; returns ``held`` itself when nothing changes. ``columns`` are the changes' paths by
    depth (:func:`_columns`): below a branch, each child's run of changes ends where its nibble's
    run in the column does, found by bisection in C (issue 14: not a Python step per change)."""
    if held is None:
        pairs = [(path[depth:], value) for path, value in changes[lo:hi] if value is not None]
        return _held_from_sorted(pairs, 0, len(pairs), 0, hasher) if pairs else None
    if isinstance(held, _HeldLeaf):
        own, own_value = held.path, held.value
        found: dict[Nibbles, bytes] = {}
        kept = True
        for path, value in changes[lo:hi]:
            rest = path[depth:]
            if rest == own:
                kept = False
                if value is not None:
                    if value == own_value:
                        kept = True  # set to the value it has
                    else:
                        found[rest] = value
            elif value is not None:
                found[rest] = value
        if not found:
            return held if kept else None
        if kept:
            found[own] = own_value
        pairs = sorted(found.items())
        return _held_from_sorted(pairs, 0, len(pairs), 0, hasher)
    if isinstance(held, _HeldExtension):
        prefix = held.node.path
        end = depth + len(prefix)
        # sorted: the paths continuing through the extension are one run
        below = [index for index in range(lo, hi) if changes[index][0][depth:end] == prefix]
        if len(below) != hi - lo:
            diverging = (changes[index] for index in range(lo, hi) if changes[index][0][depth:end] != prefix)
            if any(value is not None for _, value in diverging):
                return _rebuilt(held, changes[lo:hi], depth, hasher)
            if not below:
                return held  # only deletes of absent keys
        child = _update(held.child, changes, below[0], below[-1] + 1, end, hasher, columns)
        if child is held.child:
            return held
        return None if child is None else _prefixed(prefix, child, hasher)
    kids = list(held.kids)
    value = held.value
    changed = False
    start = lo
    if len(changes[start][0]) == depth:  # sorted: the key ending at this branch comes first
        new_value = changes[start][1] or b""
        changed = new_value != value
        value = new_value
        start += 1
    column = columns[depth]
    while start < hi:
        nibble = column[start]
        end = bisect_right(column, nibble, start + 1, hi)  # sorted: the column rises along the run
        kid = kids[nibble]
        new_kid: _Kid
        if end - start == 1 and (kid is None or kid.__class__ is _HeldLeaf):
            path, change = changes[start]
            if kid is None:  # one change below an empty slot: a new leaf or nothing
                new_kid = None if change is None else _leaf(path[depth + 1 :], change, hasher)
            elif kid.path == path[depth + 1 :]:
                # one change of the very key a leaf holds: the leaf goes, stays, or takes the new value
                if change is None:
                    new_kid = None
                elif change == kid.value:
                    new_kid = kid
                else:
                    new_kid = _leaf(path[depth + 1 :], change, hasher)
            else:
                new_kid = _update(kid, changes, start, end, depth + 1, hasher, columns)
        else:
            target = _resolve(kid) if kid.__class__ is _Stub else kid
            new_kid = _update(target, changes, start, end, depth + 1, hasher, columns)  # type: ignore[arg-type]
            if new_kid is target:
                new_kid = kid
        if new_kid is not kid:
            kids[nibble] = new_kid
            changed = True
        start = end
    if not changed:
        return held
    return _normalized_branch(tuple(kids), value, hasher)


def _change_pairs(
    keys: Sequence[bytes], changes: Mapping[bytes, bytes | None]
) -> list[tuple[Nibbles, bytes | None]]:
    """MPT-1/9: ``(path, value)`` of each of the sorted ``keys``, values copied to ``bytes``; an
    empty value is ``TRIE_EMPTY_VALUE`` (the readable steps of :meth:`Trie.update`)."""
    pairs: list[tuple[Nibbles, bytes | None]] = []
    for key in keys:
        value = changes[key]
        if value is not None:
            if not value:
                raise TrieEmptyValue(f"key {bytes(key).hex()} has the empty value")
            if value.__class__ is not bytes:
                value = bytes(value)
        pairs.append((bytes_to_nibbles(key), value))
    return pairs


def _cut_paths(keys: Sequence[bytes]) -> tuple[Nibbles, list[Nibbles]]:
    """MPT-1: the nibbles of all ``keys`` joined, and each key's path cut from them: a few C
    calls in all, not a Python call per key (issue 14); ``tests/test_fast_paths.py`` checks the
    paths equal :func:`bytes_to_nibbles` of each key."""
    nibbles = hexlify(b"".join(keys)).translate(_TO_NIBBLES)
    bounds = list(map(_DOUBLE, accumulate(map(len, keys), initial=0)))
    return nibbles, list(map(nibbles.__getitem__, map(slice, bounds, bounds[1:])))


_CHANGE_CLASSES = frozenset((bytes, type(None)))
"""The value classes :meth:`Trie.update` takes as they are (the rest is copied to ``bytes``)."""

_DOUBLE = (2).__mul__
"""Byte offsets to nibble offsets (MPT-1: two nibbles per byte)."""


@dataclass(frozen=True, eq=False)
class Trie:
    """MPT-8: an immutable Merkle Patricia Trie under ``hasher``; operations return new tries.

    ``Trie(hasher)`` is the empty trie. Two tries are equal iff they have the same hasher and root.
    """

    hasher: TrieHasher = RUSTY_TRIE_HASHER
    _top: _Held | None = field(default=None, repr=False)

    @classmethod
    def from_items(cls, items: Mapping[bytes, bytes], hasher: TrieHasher = RUSTY_TRIE_HASHER) -> Trie:
        """MPT-8: the trie holding ``items``, built bottom-up from the sorted set by MPT-6's
        recursion (each node once: O(n x depth), against a rebuilt path per key for inserting them
        one by one; the result is the same trie). ``TRIE_EMPTY_VALUE`` for an empty value (MPT-9)."""
        pairs = sorted((bytes_to_nibbles(key), value) for key, value in items.items())
        for path, value in pairs:
            if not value:
                raise TrieEmptyValue(f"key {nibbles_to_bytes(path).hex()} has the empty value")
        if not pairs:
            return cls(hasher)
        return cls(hasher, _held_from_sorted(pairs, 0, len(pairs), 0, hasher))

    @classmethod
    def from_store(
        cls,
        root: bytes,
        load: Callable[[bytes], bytes | None],
        hasher: TrieHasher = RUSTY_TRIE_HASHER,
        *,
        lazy: bool = False,
    ) -> Trie:
        """MPT-8 (node stores): the trie whose root is ``root``, read back from its stored nodes.

        ``load`` maps a node hash to its RLP, or ``None`` if it holds no such node; every node the
        trie needs is read once (the inverse of :attr:`node_store`). Each node is checked as MPT-11
        checks a proof node: ``TRIE_PROOF_MISSING_NODE``, ``TRIE_PROOF_HASH_MISMATCH``,
        ``TRIE_PROOF_INVALID_NODE`` or a ``TRIE_DECODE_*`` code for a store that does not hold a
        canonical trie under ``root``.

        ``lazy=True`` gives a *partial* trie for stateless execution (MPT-13): only the root node is
        read now; every other hashed node is read when an operation first needs it.
        """
        if root == hasher.empty_root:
            return cls(hasher)
        if lazy:
            return cls(hasher, _resolve_lazy(bytes(root), True, False, _LazySource(load, hasher)))
        return cls(hasher, _held_from_store(bytes(root), True, False, load, hasher))

    @property
    def root_hash(self) -> bytes:
        """MPT-4: ``H(RLP(root node))``, or ``H(0x80)`` for the empty trie."""
        if self._top is None:
            return self.hasher.empty_root
        return self.hasher.digest(self._top.encoded)

    def get(self, key: bytes) -> bytes | None:
        """MPT-8: the value of ``key``, or ``None`` if absent."""
        path = bytes_to_nibbles(key)
        held = self._top
        while held is not None:
            if isinstance(held, _HeldLeaf):
                return held.value if held.path == path else None
            if isinstance(held, _HeldExtension):
                prefix = held.node.path
                if path[: len(prefix)] != prefix:
                    return None
                path = path[len(prefix) :]
                held = held.child
            else:
                if not path:
                    return held.value or None
                kid, path = held.kids[path[0]], path[1:]
                held = _resolve(kid) if isinstance(kid, _Stub) else kid
        return None

    def insert(self, key: bytes, value: bytes) -> Trie:
        """MPT-8/9: a trie with ``key`` set to ``value`` (added or replaced); ``b""`` is TRIE_EMPTY_VALUE."""
        if not value:
            raise TrieEmptyValue("the trie stores only non-empty values; delete the key instead")
        top = _insert(self._top, bytes_to_nibbles(key), bytes(value), self.hasher)
        return self if top is self._top else Trie(self.hasher, top)

    def delete(self, key: bytes) -> Trie:
        """MPT-8: a trie without ``key`` (the same trie if ``key`` is absent)."""
        top = _delete(self._top, bytes_to_nibbles(key), self.hasher)
        return self if top is self._top else Trie(self.hasher, top)

    def update(self, changes: Mapping[bytes, bytes | None]) -> Trie:
        """MPT-8/9, batched: the trie with every ``key -> value`` of ``changes`` set and every
        ``key -> None`` deleted; the same trie as the inserts and deletes applied one by one, in
        any order (keys are distinct), built with each changed node rebuilt once (issue 14: a
        block's changes). ``b""`` is TRIE_EMPTY_VALUE, as for :meth:`insert`."""
        # MPT-1 keeps the order: the keys sort as their paths do (and are distinct, so no value is
        # compared), and the shorter byte strings sort faster.
        keys = sorted(changes)  # the keys alone: one comparison each, not a tuple's two
        if not keys:
            return self
        values = list(map(changes.__getitem__, keys))
        pairs: list[tuple[Nibbles, bytes | None]]
        if b"" in values or not _CHANGE_CLASSES.issuperset(map(type, values)):
            pairs = _change_pairs(keys, changes)  # an empty value (raises) or one to copy to bytes
            columns = _columns([path for path, _ in pairs])
        else:
            nibbles, paths = _cut_paths(keys)
            pairs = list(zip(paths, values, strict=True))
            columns = _columns(paths, nibbles)
        top = _update(self._top, pairs, 0, len(pairs), 0, self.hasher, columns)
        return self if top is self._top else Trie(self.hasher, top)

    def items(self) -> tuple[tuple[bytes, bytes], ...]:
        """MPT-8: every ``(key, value)`` pair, in ascending key order."""
        found: list[tuple[bytes, bytes]] = []
        for path, held in _walk(self._top):
            if isinstance(held, _HeldLeaf):
                found.append((nibbles_to_bytes(path + held.path), held.value))
            elif isinstance(held, _HeldBranch) and held.value:
                found.append((nibbles_to_bytes(path), held.value))
        return tuple(sorted(found))

    def __len__(self) -> int:
        """The number of keys."""
        return len(self.items())

    @property
    def node_store(self) -> Mapping[bytes, bytes]:
        """MPT-4: every hashed node (and the root) as ``hash -> RLP``, read-only; inline nodes are inside."""
        store: dict[bytes, bytes] = {}
        for _, held in _walk(self._top):
            if held is self._top or len(held.encoded) >= HASH_LENGTH:
                store[self.hasher.digest(held.encoded)] = held.encoded
        return MappingProxyType(store)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trie):
            return NotImplemented
        return self.hasher == other.hasher and self.root_hash == other.root_hash

    def __hash__(self) -> int:
        return hash((self.hasher.name, self.root_hash))


def _load_node(load: Callable[[bytes], bytes | None], reference: bytes) -> bytes:
    encoded = load(reference)
    if encoded is None:
        raise TrieProofMissingNode(f"the node store holds no node {reference.hex()}")
    return bytes(encoded)


def _held_from_store(
    reference: bytes,
    is_root: bool,
    below_extension: bool,
    load: Callable[[bytes], bytes | None],
    hasher: TrieHasher,
) -> _Held:
    """MPT-8 (node stores): the held node stored under ``reference``, its hashed children loaded too."""
    encoded = _load_node(load, reference)
    node = _proof_node(encoded, reference, is_root, below_extension, hasher)
    # Only a root can be short; its parent-facing reference is then the node itself (MPT-4).
    return _held_from_node(node, encoded, reference if len(encoded) >= HASH_LENGTH else node, load, hasher)


def _held_from_child(
    ref: ChildRef, below_extension: bool, load: Callable[[bytes], bytes | None], hasher: TrieHasher
) -> _Held | None:
    if ref is None:
        return None
    if isinstance(ref, bytes):
        return _held_from_store(ref, False, below_extension, load, hasher)
    return _held_from_node(ref, encode_node(ref), ref, load, hasher)


def _held_from_node(
    node: Node, encoded: bytes, ref: ChildRef, load: Callable[[bytes], bytes | None], hasher: TrieHasher
) -> _Held:
    """A decoded canonical node (MPT-7) as a held node; ``ref`` is how its parent names it (MPT-4)."""
    if isinstance(node, Leaf):
        return _HeldLeaf(node.path, node.value, encoded, ref, _item(encoded, ref))
    if isinstance(node, Extension):
        child = _held_from_child(node.child, True, load, hasher)
        if not isinstance(child, _HeldBranch):  # decode_node and _proof_node guarantee a branch
            raise TrieProofInvalidNode("an extension's child that is not a branch")
        return _HeldExtension(node, encoded, ref, child, _item(encoded, ref))
    kids = tuple(_held_from_child(child, False, load, hasher) for child in node.children)
    return _HeldBranch(node.value, encoded, ref, kids, _item(encoded, ref))


def _held_children(position: Nibbles, held: _Held) -> Iterator[tuple[Nibbles, _Held | _Stub]]:
    """The children of ``held`` with their positions: the nibble path from the root to where each starts."""
    if isinstance(held, _HeldExtension):
        yield position + held.node.path, held.child
    elif isinstance(held, _HeldBranch):
        for nibble, kid in enumerate(held.kids):
            if kid is not None:
                yield position + bytes([nibble]), kid


def _same_node(before: _Held | _Stub, after: _Held | _Stub) -> bool:
    """Whether two nodes at one position are equal: by hash when either is a stub (hashed nodes)."""
    if isinstance(before, _Stub) or isinstance(after, _Stub):
        return before.ref == after.ref
    return before.encoded == after.encoded


def _resolve_lazy(reference: bytes, is_root: bool, below_extension: bool, source: _LazySource) -> _Held:
    """MPT-13: the node stored under ``reference``, its hashed branch children left as stubs.

    A missing preimage is ``VM_WITNESS_INCOMPLETE``; a wrong one is checked as a proof node (MPT-11).
    An extension's child (always a branch, MPT-5) is loaded with it.
    """
    memo_key = (reference, below_extension)
    if not is_root and memo_key in source.memo:
        return source.memo[memo_key]
    load, hasher = source.load, source.hasher
    encoded = load(reference)
    if encoded is None:
        raise WitnessIncomplete(f"no preimage of trie node {reference.hex()}")
    encoded = bytes(encoded)
    node = _proof_node(encoded, reference, is_root, below_extension, hasher)
    ref: ChildRef = reference if len(encoded) >= HASH_LENGTH else node
    held: _Held
    if isinstance(node, Leaf):
        held = _HeldLeaf(node.path, node.value, encoded, ref, _item(encoded, ref))
    elif isinstance(node, Extension):
        if isinstance(node.child, bytes):
            child: _Held | None = _resolve_lazy(node.child, False, True, source)
        else:  # an inline branch holds no hashes (it is shorter than one)
            child = _held_from_child(node.child, True, load, hasher)
        if not isinstance(child, _HeldBranch):  # _proof_node and decode_node guarantee a branch
            raise TrieProofInvalidNode("an extension's child that is not a branch")
        held = _HeldExtension(node, encoded, ref, child, _item(encoded, ref))
    else:
        kids = tuple(
            _Stub(child, source)
            if isinstance(child, bytes)
            else (None if child is None else _held_from_node(child, encode_node(child), child, load, hasher))
            for child in node.children
        )
        held = _HeldBranch(node.value, encoded, ref, kids, _item(encoded, ref))
    if not is_root:
        source.memo[memo_key] = held
    return held


def _resolve(stub: _Stub) -> _Held:
    """MPT-13: load the node a stub stands for (a hashed, non-root branch child)."""
    return _resolve_lazy(stub.ref, False, False, stub.source)


def stored_node_changes(old: Trie, new: Trie) -> tuple[tuple[bytes, bytes, int], ...]:
    """MPT-4, MPT-8 (node stores): how the stored nodes change when ``old`` is replaced by ``new``.

    The stored nodes of a trie are its root and every node it references by hash (MPT-4), counted
    once per place they occur: two places can hold the same node (equal key suffixes and values).
    Returns ``(hash, RLP, change of count)`` for every node whose count differs, by hash; a store
    that applies the changes (and drops nodes whose count reaches 0) holds exactly the nodes of
    ``new``. ``stored_node_changes(Trie(h), t)`` lists every stored node of ``t`` with its count.

    Both tries are walked together by position (the nibble path to where a node starts), shortest
    first, and a position holding the same node in both is skipped with everything below it. After
    ``insert``/``delete`` (MPT-8) only the paths of the changed keys differ, so the work is
    proportional to the changes, not to the size of the trie.
    """
    if old.hasher != new.hasher:
        raise ValueError("the two tries use different hashers")
    counts: dict[bytes, int] = {}
    encodings: dict[bytes, bytes] = {}
    slots: dict[Nibbles, list[_Kid]] = {b"": [old._top, new._top]}
    queue: list[tuple[int, Nibbles]] = [(0, b"")]
    while queue:
        _, position = heapq.heappop(queue)
        pair = slots.pop(position)
        before, after = pair
        if before is not None and after is not None and (before is after or _same_node(before, after)):
            continue
        for side, kid in enumerate(pair):
            if kid is None:
                continue
            held = _resolve(kid) if isinstance(kid, _Stub) else kid
            if not position or len(held.encoded) >= HASH_LENGTH:
                digest = held.ref if isinstance(held.ref, bytes) else new.hasher.digest(held.encoded)
                counts[digest] = counts.get(digest, 0) + (1 if side else -1)
                encodings[digest] = held.encoded
            for child_position, child in _held_children(position, held):
                slot = slots.get(child_position)
                if slot is None:
                    slot = slots[child_position] = [None, None]
                    heapq.heappush(queue, (len(child_position), child_position))
                slot[side] = child
    return tuple((digest, encodings[digest], count) for digest, count in sorted(counts.items()) if count)


# --------------------------------------------------------------------------------------------
# MPT-10 .. MPT-12: proofs
# --------------------------------------------------------------------------------------------


def prove(trie: Trie, key: bytes) -> tuple[bytes, ...]:
    """MPT-10: the RLP of every hashed node on ``key``'s path from the root (root first).

    The same call proves presence and absence: the path ends at the key's value, or where the key
    provably is not (a diverging leaf or extension, an empty branch slot).
    """
    held = trie._top
    if held is None:
        return ()
    proof = [held.encoded]
    path = bytes_to_nibbles(key)
    while True:
        following: _Kid
        if isinstance(held, _HeldLeaf):
            break
        if isinstance(held, _HeldExtension):
            prefix = held.node.path
            if path[: len(prefix)] != prefix:
                break
            following, path = held.child, path[len(prefix) :]
        else:
            if not path:
                break
            following, path = held.kids[path[0]], path[1:]
        if isinstance(following, _Stub):
            following = _resolve(following)
        if following is None:
            break
        if len(following.encoded) >= HASH_LENGTH:
            proof.append(following.encoded)
        held = following
    return tuple(proof)


def prove_stored(
    root: bytes, key: bytes, load: Callable[[bytes], bytes | None], hasher: TrieHasher
) -> tuple[bytes, ...]:
    """MPT-10 (node stores): the proof of ``key`` read from the stored nodes of the trie under ``root``.

    Equal to ``prove(Trie.from_store(root, load, hasher), key)`` but reads only the nodes on the
    key's path; each is checked as in :meth:`Trie.from_store`. The value (or absence) it shows is
    ``verify_proof(root, key, proof, hasher)`` (MPT-11).
    """
    if root == hasher.empty_root:
        return ()
    proof: list[bytes] = []
    path = bytes_to_nibbles(key)
    reference: ChildRef = bytes(root)
    below_extension = False
    while reference is not None:
        if isinstance(reference, bytes):
            encoded = _load_node(load, reference)
            node = _proof_node(encoded, reference, not proof, below_extension, hasher)
            proof.append(encoded)
        else:
            node = reference
        below_extension = isinstance(node, Extension)
        if isinstance(node, Leaf):
            break
        if isinstance(node, Extension):
            if path[: len(node.path)] != node.path:
                break
            reference, path = node.child, path[len(node.path) :]
        else:
            if not path:
                break
            reference, path = node.children[path[0]], path[1:]
    return tuple(proof)


def _proof_node(
    encoded: bytes, reference: bytes, is_root: bool, below_extension: bool, hasher: TrieHasher
) -> Node:
    """MPT-11: check one proof node against the hash that refers to it, decode it, check its position."""
    if hasher.digest(encoded) != reference:
        raise TrieProofHashMismatch(f"a proof node does not hash to {reference.hex()}")
    node = decode_node(encoded)
    if isinstance(node, EmptyTrie):
        raise TrieProofInvalidNode("the empty trie cannot stand below a root")
    if not is_root and len(encoded) < HASH_LENGTH:
        raise TrieProofInvalidNode(f"a hashed node of {len(encoded)} bytes (shorter than 32: inline)")
    if below_extension and not isinstance(node, Branch):
        raise TrieProofInvalidNode("an extension's child that is not a branch")
    return node


def verify_proof(root: bytes, key: bytes, proof: Sequence[bytes], hasher: TrieHasher) -> bytes | None:
    """MPT-11: the value ``proof`` shows for ``key`` under ``root``, or ``None`` if it shows absence.

    Raises ``TRIE_PROOF_MISSING_NODE``, ``TRIE_PROOF_HASH_MISMATCH``, ``TRIE_PROOF_INVALID_NODE``,
    ``TRIE_PROOF_UNUSED_NODE`` or a ``TRIE_DECODE_*`` code for a proof node that is not a node.
    """
    if root == hasher.empty_root:
        if proof:
            raise TrieProofUnusedNode(f"{len(proof)} node(s) for the empty trie")
        return None
    path = bytes_to_nibbles(key)
    reference: Node | bytes = bytes(root)
    used = 0
    below_extension = False
    while True:
        if isinstance(reference, bytes):
            if used == len(proof):
                raise TrieProofMissingNode(f"no node for hash {reference.hex()} (proof has {len(proof)})")
            node = _proof_node(bytes(proof[used]), reference, used == 0, below_extension, hasher)
            used += 1
        else:
            node = reference
        below_extension = False
        if isinstance(node, Leaf):
            result = node.value if node.path == path else None
            break
        if isinstance(node, Extension):
            if path[: len(node.path)] != node.path:
                result = None
                break
            if node.child is None:  # decode_node never yields this (TRIE_DECODE_CHILD_REF)
                raise TrieProofInvalidNode("an extension without a child")
            path = path[len(node.path) :]
            reference = node.child
            below_extension = True
            continue
        if not path:
            result = node.value or None
            break
        child = node.children[path[0]]
        if child is None:
            result = None
            break
        reference = child
        path = path[1:]
    if used != len(proof):
        raise TrieProofUnusedNode(f"{len(proof) - used} node(s) after the path is decided")
    return result


def verify_inclusion(
    root: bytes, key: bytes, value: bytes, proof: Sequence[bytes], hasher: TrieHasher
) -> None:
    """MPT-12: accept iff ``proof`` shows ``key -> value`` under ``root`` (``b""`` is TRIE_EMPTY_VALUE)."""
    if not value:
        raise TrieEmptyValue("no key holds the empty value")
    shown = verify_proof(root, key, proof, hasher)
    if shown != value:
        what = "absence" if shown is None else f"value {shown.hex()}"
        raise TrieProofValueMismatch(f"the proof shows {what}, not value {value.hex()}")


def verify_exclusion(root: bytes, key: bytes, proof: Sequence[bytes], hasher: TrieHasher) -> None:
    """MPT-12: accept iff ``proof`` shows that ``key`` is absent under ``root``."""
    shown = verify_proof(root, key, proof, hasher)
    if shown is not None:
        raise TrieProofValueMismatch(f"the proof shows value {shown.hex()}, not absence")
