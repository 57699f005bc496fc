"""Handlers of the ``trie`` flow (spec/trie.py).

JSON shapes (besides the general conventions of docs/vector-format.md):

* ``hasher`` is ``"rusty"`` (BLAKE3, TRIE_NODE domain) or ``"ethereum"`` (keccak-256);
* ``items`` is a list of ``[key_hex, value_hex]`` pairs with distinct keys (order irrelevant);
* a nibble path is a string of hex digits, **one digit per nibble** (so it may have odd length);
* a decoded node is ``{"kind": "empty"}``, ``{"kind": "leaf", "path", "value"}``,
  ``{"kind": "extension", "path", "child"}`` or ``{"kind": "branch", "children": [16], "value"}``,
  where a child is ``null`` (absent), ``{"hash": hex}`` or ``{"node": <decoded node>}`` (inline);
* a node store is a list of ``[hash_hex, rlp_hex]`` pairs (the stored nodes of MPT-4 by hash).
"""

from __future__ import annotations

from typing import cast

from conformance.jsonio import field, from_hex, hex_field, hex_list_field, str_field, to_hex
from conformance.model import JSON, BadInput, Handler
from spec.presets import Preset
from spec.trie import (
    TRIE_HASHERS,
    AnyNode,
    Branch,
    ChildRef,
    EmptyTrie,
    Leaf,
    Trie,
    TrieHasher,
    decode_node,
    prove,
    prove_stored,
    stored_node_changes,
    trie_root,
    verify_exclusion,
    verify_inclusion,
    verify_proof,
)


def _hasher(data: dict[str, JSON]) -> TrieHasher:
    name = str_field(data, "hasher")
    if name not in TRIE_HASHERS:
        raise BadInput(f"hasher must be one of {sorted(TRIE_HASHERS)}")
    return TRIE_HASHERS[name]


def _items(data: dict[str, JSON]) -> dict[bytes, bytes]:
    value = field(data, "items")
    if not isinstance(value, list):
        raise BadInput("items must be a list of [key, value] pairs")
    items: dict[bytes, bytes] = {}
    for index, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadInput(f"items[{index}] must be a [key, value] pair")
        key = from_hex(pair[0], f"items[{index}][0]")
        if key in items:
            raise BadInput(f"items[{index}] repeats key {key.hex()}")
        items[key] = from_hex(pair[1], f"items[{index}][1]")
    return items


def _trie_of(items: dict[bytes, bytes], hasher: TrieHasher) -> Trie:
    trie = Trie(hasher)
    for key, value in items.items():
        trie = trie.insert(key, value)
    return trie


def _nibbles_json(nibbles: bytes) -> str:
    return "".join(f"{n:x}" for n in nibbles)


def _child_json(child: ChildRef) -> JSON:
    if child is None:
        return None
    if isinstance(child, bytes):
        return {"hash": to_hex(child)}
    return {"node": _node_json(child)}


def _node_json(node: AnyNode) -> dict[str, JSON]:
    if isinstance(node, EmptyTrie):
        return {"kind": "empty"}
    if isinstance(node, Leaf):
        return {"kind": "leaf", "path": _nibbles_json(node.path), "value": to_hex(node.value)}
    if isinstance(node, Branch):
        return {
            "kind": "branch",
            "children": [_child_json(c) for c in node.children],
            "value": to_hex(node.value),
        }
    return {"kind": "extension", "path": _nibbles_json(node.path), "child": _child_json(node.child)}


def handle_root(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-6: ``{"hasher", "items"}`` -> ``{"root": hex}`` (the definitional root)."""
    return {"root": to_hex(trie_root(_items(data), _hasher(data)))}


def _apply_operations(trie: Trie, data: dict[str, JSON]) -> Trie:
    operations = field(data, "operations")
    if not isinstance(operations, list):
        raise BadInput("operations must be a list")
    for index, operation in enumerate(operations):
        if isinstance(operation, list) and len(operation) == 3 and operation[0] == "put":
            trie = trie.insert(from_hex(operation[1], f"operations[{index}][1]"), from_hex(operation[2]))
        elif isinstance(operation, list) and len(operation) == 2 and operation[0] == "delete":
            trie = trie.delete(from_hex(operation[1], f"operations[{index}][1]"))
        else:
            raise BadInput(f'operations[{index}] must be ["put", key, value] or ["delete", key]')
    return trie


def _batched_as_well(before: Trie, after: Trie, data: dict[str, JSON]) -> Trie:
    """``after`` (the operations run one by one on ``before``) once the batched ``Trie.update``
    (MPT-8, the block transition's path, issue 14) of the same operations, the last one per key
    winning, has given the same root and items; a difference is the adapter's internal error."""
    changes: dict[bytes, bytes | None] = {}
    for operation in cast(list[list[str]], field(data, "operations")):
        changes[from_hex(operation[1])] = from_hex(operation[2]) if operation[0] == "put" else None
    batched = before.update(changes)
    if batched.root_hash != after.root_hash or batched.items() != after.items():
        raise RuntimeError("MPT-8: the batched update differs from the operations one by one")
    return after


def _store(data: dict[str, JSON]) -> dict[bytes, bytes]:
    value = field(data, "store")
    if not isinstance(value, list):
        raise BadInput("store must be a list of [hash, node] pairs")
    store: dict[bytes, bytes] = {}
    for index, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadInput(f"store[{index}] must be a [hash, node] pair")
        store[from_hex(pair[0], f"store[{index}][0]")] = from_hex(pair[1], f"store[{index}][1]")
    return store


def _pairs_json(pairs: tuple[tuple[bytes, bytes], ...]) -> list[JSON]:
    return [[to_hex(k), to_hex(v)] for k, v in pairs]


def handle_store_changes(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-4/8 (node stores): ``{"hasher", "items", "operations"}`` ->
    ``{"root", "items", "count", "changed", "store", "changes"}``.

    The trie of ``items`` (in ascending key order) then the ``operations`` (as in ``apply``);
    ``items`` is the result's key/value pairs in ascending key order, ``count`` their number,
    ``changed`` whether the root differs from the trie of ``items``, ``store`` the result's stored
    nodes ``[hash, rlp]`` in ascending hash order, and ``changes`` the stored nodes whose count
    changes, ``[hash, rlp, change]`` in ascending hash order (from the empty trie when ``items``
    is empty: every stored node with its count).
    """
    hasher = _hasher(data)
    before = Trie.from_items(_items(data), hasher)
    after = _batched_as_well(before, _apply_operations(before, data), data)
    return {
        "root": to_hex(after.root_hash),
        "items": _pairs_json(after.items()),
        "count": len(after),
        "changed": after != before,
        "store": [[to_hex(h), to_hex(n)] for h, n in sorted(after.node_store.items())],
        "changes": [[to_hex(h), to_hex(n), c] for h, n, c in stored_node_changes(before, after)],
    }


def handle_load_store(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-8 (node stores): ``{"hasher", "root", "store", "keys", "operations"}`` ->
    ``{"items", "values", "root", "changes"}``.

    The trie under ``root`` read back from ``store``, each node checked as a proof node (MPT-11
    codes); ``items`` its pairs in ascending key order, ``values`` the value of each of ``keys``
    (``null`` if absent); then ``operations`` (as in ``apply``) run on the loaded trie: ``root``
    is the root after them and ``changes`` the stored-node changes they make (as in
    ``store_changes``).
    """
    store = _store(data)
    loaded = Trie.from_store(hex_field(data, "root"), store.get, _hasher(data))
    values = [loaded.get(k) for k in hex_list_field(data, "keys")]
    after = _apply_operations(loaded, data)
    return {
        "items": _pairs_json(loaded.items()),
        "values": [None if v is None else to_hex(v) for v in values],
        "root": to_hex(after.root_hash),
        "changes": [[to_hex(h), to_hex(n), c] for h, n, c in stored_node_changes(loaded, after)],
    }


def handle_load_store_lazy(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-13: ``{"hasher", "root", "store", "keys", "operations"}`` -> ``{"values", "root",
    "changes", "read", "proofs"}``: as ``load_store`` on a *lazy* trie (``Trie.from_store(..., lazy=True)``),
    without reading the whole trie back; ``read`` the hashes of the stored nodes the lookups and the
    operations loaded (ascending), so a node nothing needs is never read. A node they need that the
    store lacks is ``VM_WITNESS_INCOMPLETE``; a wrong one an MPT-11 code. ``proofs`` are the MPT-10
    proofs of ``keys`` taken from the lazy trie (after the reads are recorded)."""
    store = _store(data)
    read: set[bytes] = set()

    def load(digest: bytes) -> bytes | None:
        read.add(bytes(digest))
        return store.get(digest)

    loaded = Trie.from_store(hex_field(data, "root"), load, _hasher(data), lazy=True)
    values = [loaded.get(k) for k in hex_list_field(data, "keys")]
    after = _apply_operations(loaded, data)
    nodes_read = sorted(read)
    proofs = [[to_hex(node) for node in prove(loaded, k)] for k in hex_list_field(data, "keys")]
    return {
        "values": [None if v is None else to_hex(v) for v in values],
        "proofs": proofs,
        "root": to_hex(after.root_hash),
        "changes": [[to_hex(h), to_hex(n), c] for h, n, c in stored_node_changes(loaded, after)],
        "read": [to_hex(h) for h in nodes_read],
    }


def handle_lazy_items(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-13 read whole: ``{"hasher", "root", "store"}`` -> ``{"items", "count"}``: every pair of the
    lazy trie under ``root`` (``Trie.items()`` on ``Trie.from_store(..., lazy=True)``, which loads
    every stub it meets; EVM-1's ``iter_accounts`` reads a state this way), in ascending key order,
    and their number. They equal ``load_store``'s ``items``; a node the store lacks is
    ``VM_WITNESS_INCOMPLETE``, a wrong one an MPT-11 code."""
    store = _store(data)
    loaded = Trie.from_store(hex_field(data, "root"), store.get, _hasher(data), lazy=True)
    pairs = loaded.items()
    return {"items": _pairs_json(pairs), "count": len(pairs)}


def handle_prove_stored(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-10 (node stores): ``{"hasher", "root", "store", "key"}`` -> ``{"proof": [hex]}`` read from
    the store (only the nodes on the key's path, each checked as a proof node)."""
    store = _store(data)
    proof = prove_stored(hex_field(data, "root"), hex_field(data, "key"), store.get, _hasher(data))
    return {"proof": [to_hex(node) for node in proof]}


def handle_apply(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-8/9: ``{"hasher", "operations": [["put", k, v] | ["delete", k]]}`` -> ``{"root": hex}``.

    The operations run in order on the empty trie (and, as a self-check, batched: MPT-8's
    ``Trie.update`` of the same operations must give the same trie).
    """
    empty = Trie(_hasher(data))
    return {"root": to_hex(_batched_as_well(empty, _apply_operations(empty, data), data).root_hash)}


def handle_prove(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-10: ``{"hasher", "items", "key"}`` -> ``{"proof": [hex]}``."""
    trie = _trie_of(_items(data), _hasher(data))
    return {"proof": [to_hex(node) for node in prove(trie, hex_field(data, "key"))]}


def handle_verify_proof(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-11: ``{"hasher", "root", "key", "proof"}`` -> ``{"value": hex | null}`` or a rejection."""
    value = verify_proof(
        hex_field(data, "root"), hex_field(data, "key"), hex_list_field(data, "proof"), _hasher(data)
    )
    return {"value": None if value is None else to_hex(value)}


def handle_verify_claim(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-12: ``{"hasher", "root", "key", "value": hex | null, "proof"}`` -> ``{"valid": true}``.

    ``value: null`` claims that the key is absent.
    """
    hasher = _hasher(data)
    root, key, proof = hex_field(data, "root"), hex_field(data, "key"), hex_list_field(data, "proof")
    claimed = field(data, "value")
    if claimed is None:
        verify_exclusion(root, key, proof, hasher)
    else:
        verify_inclusion(root, key, from_hex(claimed, "value"), proof, hasher)
    return {"valid": True}


def handle_decode_node(preset: Preset, data: dict[str, JSON]) -> JSON:
    """MPT-7: ``{"bytes": hex}`` -> the decoded node (see the module docstring) or a rejection."""
    return _node_json(decode_node(hex_field(data, "bytes")))


HANDLERS: dict[str, Handler] = {
    "root": handle_root,
    "apply": handle_apply,
    "prove": handle_prove,
    "verify_proof": handle_verify_proof,
    "verify_claim": handle_verify_claim,
    "decode_node": handle_decode_node,
    "store_changes": handle_store_changes,
    "load_store": handle_load_store,
    "load_store_lazy": handle_load_store_lazy,
    "lazy_items": handle_lazy_items,
    "prove_stored": handle_prove_stored,
}
