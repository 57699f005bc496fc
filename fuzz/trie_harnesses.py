"""Fuzz harnesses of the Merkle Patricia Trie (spec/trie.py), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`TrieInvariantViolation`. The functions are plain functions of ``bytes`` (no fuzzer needed);
:data:`TRIE_HARNESSES` lists them for registration with the runner.

Invariants checked:

* ``decode_node``: only ``TRIE_DECODE_*`` codes reject; an accepted input re-encodes to itself
  (MPT-7), every inline child is shorter than 32 bytes and every hash reference is 32 bytes.
* ``verify_proof``: only ``TRIE_PROOF_*`` / ``TRIE_DECODE_*`` codes reject; an accepted proof's nodes
  all decode canonically and a shown value is non-empty. For a proof taken from a real trie: the
  untouched proof shows exactly ``trie.get(key)`` (completeness), and a flipped bit, a dropped node
  or an appended node is always rejected with its own code (soundness).
"""

from __future__ import annotations

from collections.abc import Callable

from spec.errors import (
    SpecError,
    TrieDecodeError,
    TrieError,
    TrieProofError,
    TrieProofHashMismatch,
    TrieProofMissingNode,
    TrieProofUnusedNode,
)
from spec.trie import (
    ETHEREUM_TRIE_HASHER,
    HASH_LENGTH,
    RUSTY_TRIE_HASHER,
    AnyNode,
    Branch,
    ChildRef,
    Extension,
    Leaf,
    Trie,
    TrieHasher,
    decode_node,
    encode_node,
    prove,
    verify_proof,
)

_HASHERS = (RUSTY_TRIE_HASHER, ETHEREUM_TRIE_HASHER)
_MAX_NODE_BYTES = 1024


class TrieInvariantViolation(AssertionError):
    """A trie function accepted or rejected an input in a way its rules forbid."""


def _check_child(child: ChildRef) -> None:
    if child is None:
        return
    if isinstance(child, bytes):
        if len(child) != HASH_LENGTH:
            raise TrieInvariantViolation(f"accepted a {len(child)}-byte child reference")
        return
    if len(encode_node(child)) >= HASH_LENGTH:
        raise TrieInvariantViolation("accepted an inline child of 32 bytes or more")
    _check_node(child)


def _check_node(node: AnyNode) -> None:
    if isinstance(node, Leaf):
        if not node.value:
            raise TrieInvariantViolation("accepted a leaf with the empty value")
    elif isinstance(node, Extension):
        if not node.path or not isinstance(node.child, Branch | bytes):
            raise TrieInvariantViolation("accepted a non-canonical extension")
        _check_child(node.child)
    elif isinstance(node, Branch):
        if len(node.children) != 16:
            raise TrieInvariantViolation(f"accepted a branch with {len(node.children)} children")
        for child in node.children:
            _check_child(child)


def fuzz_trie_decode_node(data: bytes) -> None:
    """MPT-7: strict decoding; accepted bytes are the canonical encoding of a canonical node."""
    try:
        node = decode_node(data)
    except TrieDecodeError:
        return
    except SpecError as exc:
        raise TrieInvariantViolation(f"decode_node raised {exc.code}, not a TRIE_DECODE_* code") from exc
    if encode_node(node) != data:
        raise TrieInvariantViolation(f"decode_node accepted non-canonical bytes {data.hex()}")
    _check_node(node)


def _take(data: bytes, count: int) -> tuple[bytes, bytes]:
    return data[:count], data[count:]


def _split_nodes(data: bytes) -> list[bytes]:
    """Proof nodes from bytes: a 2-byte big-endian length (mod 1024) before each node."""
    nodes: list[bytes] = []
    while len(data) >= 2:
        length = int.from_bytes(data[:2], "big") % _MAX_NODE_BYTES
        node, data = _take(data[2:], length)
        nodes.append(node)
    return nodes


def _verify_checked(root: bytes, key: bytes, proof: list[bytes], hasher: TrieHasher) -> bytes | None:
    """verify_proof with the harness invariants; re-raises its rejection (a TrieError)."""
    try:
        value = verify_proof(root, key, proof, hasher)
    except (TrieProofError, TrieDecodeError):
        raise
    except SpecError as exc:
        raise TrieInvariantViolation(f"verify_proof raised {exc.code}") from exc
    if value is not None and not value:
        raise TrieInvariantViolation("verify_proof showed the empty value")
    for node in proof:
        if encode_node(decode_node(node)) != node:
            raise TrieInvariantViolation("an accepted proof holds a non-canonical node")
    return value


def _raw_proof(data: bytes, hasher: TrieHasher, root_from_first_node: bool) -> None:
    """Arbitrary key, root and nodes; the root is optionally the first node's hash (reach decoding)."""
    key_length = data[0] % 9 if data else 0
    key, rest = _take(data[1:], key_length)
    if root_from_first_node:
        proof = _split_nodes(rest)
        root = hasher.digest(proof[0]) if proof else hasher.empty_root
    else:
        root, rest = _take(rest, HASH_LENGTH)
        proof = _split_nodes(rest)
    try:
        _verify_checked(root, key, proof, hasher)
    except TrieError:
        return


def _items_from(data: bytes) -> tuple[dict[bytes, bytes], bytes]:
    """Key/value pairs from bytes: count, then per pair a key length (0..4), key, value length, value."""
    count, data = (data[0] % 24, data[1:]) if data else (0, b"")
    items: dict[bytes, bytes] = {}
    for _ in range(count):
        if len(data) < 2:
            break
        key, data = _take(data[1:], data[0] % 5)
        value, data = _take(data[1:], 1 + data[0] % 40) if data else (b"", b"")
        if value:
            items[key] = value
    return items, data


def _real_proof(data: bytes, hasher: TrieHasher) -> None:
    """A proof from a real trie, then at most one mutation; completeness and soundness checked."""
    items, rest = _items_from(data)
    selector, rest = _take(rest, 4)
    selector = selector.ljust(4, b"\x00")
    keys = sorted(items)
    key = keys[selector[0] % len(keys)] if keys and selector[0] < 200 else bytes([selector[0] & 0x13])
    trie = Trie.from_items(items, hasher)
    proof = list(prove(trie, key))
    root = trie.root_hash
    mutation = selector[1] % 4
    if mutation == 0 or not proof:
        if _verify_checked(root, key, proof, hasher) != trie.get(key):
            raise TrieInvariantViolation("a genuine proof does not show the trie's value")
        return
    expected: type[TrieError]
    if mutation == 1:
        index = selector[2] % len(proof)
        node = bytearray(proof[index])
        node[selector[3] % len(node)] ^= 1 << (selector[2] % 8)
        proof[index] = bytes(node)
        expected = TrieProofHashMismatch
    elif mutation == 2:
        proof.pop()
        expected = TrieProofMissingNode
    else:
        proof.append(proof[selector[2] % len(proof)])
        expected = TrieProofUnusedNode
    try:
        shown = _verify_checked(root, key, proof, hasher)
    except TrieError as exc:
        if not isinstance(exc, expected):
            raise TrieInvariantViolation(f"mutation {mutation} rejected with {exc.code}") from exc
        return
    raise TrieInvariantViolation(f"a mutated proof (mutation {mutation}) was accepted, showing {shown!r}")


def fuzz_trie_verify_proof(data: bytes) -> None:
    """MPT-11: proof verification on raw, root-chained and mutated genuine proofs."""
    if not data:
        return
    hasher = _HASHERS[data[0] & 1]
    mode = (data[0] >> 1) % 3
    if mode == 2:
        _real_proof(data[1:], hasher)
    else:
        _raw_proof(data[1:], hasher, root_from_first_node=mode == 1)


TRIE_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "trie_decode_node": fuzz_trie_decode_node,
    "trie_verify_proof": fuzz_trie_verify_proof,
}
"""The trie harnesses by name (for registration in :data:`fuzz.harnesses.HARNESSES`)."""


def trie_seeds() -> dict[str, dict[str, bytes]]:
    """Seed inputs: the nodes of a small trie, and real-proof and raw-proof inputs for both hashers."""
    items = {
        b"do": b"verb",
        b"dog": b"puppy",
        b"doge": b"coin",
        b"horse": b"stallion",
        b"\x01" * 4: b"x" * 40,
    }
    trie = Trie.from_items(items, _HASHERS[0])
    nodes = {f"seed-node-{i}": node for i, node in enumerate(sorted(trie.node_store.values()))}
    nodes["seed-empty"] = encode_node(decode_node(b"\x80"))
    pairs = b"".join(bytes([len(k)]) + k + bytes([len(v) - 1]) + v for k, v in items.items() if len(k) <= 4)
    real = bytes([len(items)]) + pairs
    proofs = {
        "seed-real-rusty": bytes([2 << 1]) + real + b"\x00\x00\x00\x00",
        "seed-real-ethereum": bytes([(2 << 1) | 1]) + real + b"\x00\x00\x00\x00",
        "seed-real-tampered": bytes([2 << 1]) + real + b"\x01\x01\x01\x01",
        "seed-raw-chained": bytes([1 << 1, 2])
        + b"do"
        + b"".join(len(n).to_bytes(2, "big") + n for n in prove(trie, b"do")),
    }
    return {"trie_decode_node": nodes, "trie_verify_proof": proofs}
